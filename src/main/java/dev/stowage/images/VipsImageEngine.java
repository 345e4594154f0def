package dev.stowage.images;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The libvips {@link ImageEngine}: libvips 8.14+ called through the Foreign Function & Memory API
 * ({@link Vips}), the library Sharp is built on. Decodes everything libvips has a loader for among the
 * formats {@link ImageProbe} recognises — JPEG, PNG, GIF, WebP and, with libheif, HEIC and AVIF.
 *
 * <h2>Pipeline, per variant</h2>
 * <ol>
 *   <li><b>Limits first</b>: {@link ImageProbe} reads the container header and {@link DecodeLimits} is
 *       checked before libvips sees the data (libvips has no pixel limit of its own: a 274-byte PNG
 *       declaring 50000×50000 would otherwise be decoded). libvips' own header
 *       ({@code vips_image_new_from_buffer}, lazy, no pixels) is checked against the same limits, so a
 *       container whose header {@link ImageProbe} reads differently from libvips (HEIF is best effort
 *       there) cannot slip through.
 *   <li><b>{@code vips_thumbnail_buffer}</b> with shrink-on-load (JPEG DCT scaling, WebP scaled decode,
 *       HEIF embedded thumbnails when large enough), the EXIF orientation applied, an embedded ICC profile
 *       (Adobe RGB, grey...) imported and sRGB exported ({@code export_profile=srgb}, only for images
 *       with a profile), Lanczos-3 resize. CMYK and YCCK JPEGs are loaded with the DCT shrink and
 *       converted with {@code vips_icc_transform} (embedded profile when usable, else libvips' built-in
 *       CMYK profile), then resized: libvips 8.14's thumbnail ignores an embedded CMYK profile. Thumb: {@code width=150 height=150
 *       crop=centre size=both}; medium: {@code width=800 height=10000000 size=down} (never enlarged).
 *       An animated GIF or WebP ({@link #animates}: at most {@value #MAX_ANIMATION_FRAMES} frames and
 *       {@link #MAX_ANIMATION_PIXELS} pixels over all frames) gives an animated WebP: every frame loaded
 *       ({@code n=-1}), resized alike, for the thumb each frame cropped at its centre, delays and loop
 *       count kept; past the limits, the first frame. Loader option {@code fail_on=warning}: a truncated or damaged file fails
 *       (Sharp's default) instead of coming out grey-filled.
 *   <li><b>8-bit sRGB</b> ({@code vips_colourspace}, {@code vips_cast_uchar}) for 16-bit and grey
 *       sources; alpha kept.
 *   <li><b>No metadata</b>: every metadata item is removed from the image
 *       ({@link Vips#removeMetadata}) before {@code vips_webpsave_buffer} (quality from the spec,
 *       {@code strip}) — libvips 8.14.1 (Debian 12) ignores {@code strip} in its WebP saver and would
 *       write EXIF (with GPS) and XMP chunks. Even then it writes a fresh EXIF chunk (resolution and
 *       dimensions only), which {@link MetadataStripper#strip(byte[])} removes at the container level
 *       (WebP chunks are copied, not re-encoded).
 * </ol>
 *
 * <p>{@link #renderAll} makes the medium first and, when the medium is at least {@value #THUMB_FROM_MEDIUM_GAP}
 * times the thumb's scale, cuts the thumb from the medium already in memory (one decode for both, as the
 * Java engine does); otherwise each variant gets its own shrink-on-load decode.
 *
 * <p><b>Originals</b>: JPEG, PNG, GIF and WebP use the lossless container-level strip
 * ({@link ImageEngine#original}); HEIC and AVIF, which browsers other than Safari cannot show and which have
 * no lossless strip here, become a JPEG (quality {@value #HEIF_ORIGINAL_QUALITY}, upright, sRGB, no
 * metadata) at full size.
 *
 * <p><b>Errors</b>: limits and unknown formats are {@link UnsupportedImageException}; a header
 * {@link ImageProbe} finds damaged, and every libvips failure on a recognised image, are
 * {@link CorruptImageException} carrying libvips' message (e.g. {@code VipsJpeg: Premature end of JPEG
 * file}); a format libvips has no loader for (HEIF without libheif) is {@link UnsupportedImageException}.
 *
 * <p><b>Memory</b>: the source is copied once into native memory owned by a confined {@link Arena};
 * every image reference and output buffer is released in {@code finally} before the arena closes.
 * libvips' operation cache is off. Thread-safe; one instance serves every worker.
 */
public final class VipsImageEngine implements ImageEngine {

    /** Quality of the JPEG an HEIC/AVIF original becomes. */
    static final int HEIF_ORIGINAL_QUALITY = 90;
    /**
     * The thumb is cut from the medium in memory when the medium's scale is at least this many times the
     * thumb's: the medium is then a fine enough source (the Lanczos reduction from it averages at least
     * 2×2 medium pixels per thumb pixel).
     */
    static final double THUMB_FROM_MEDIUM_GAP = 2.0;

    private final Vips vips;
    private final DecodeLimits limits;

    /**
     * Loads libvips (see {@link #load(String, DecodeLimits, int)}) with the default library name,
     * {@link DecodeLimits#DEFAULTS} and one libvips thread per pipeline.
     */
    public static VipsImageEngine load() {
        return load(null, DecodeLimits.DEFAULTS, 1);
    }

    /**
     * Loads libvips and starts it (once per process).
     *
     * @param library     the shared library's file name or path; {@code null} or blank for the platform's
     *                    ({@code libvips.so.42}, {@code libvips.42.dylib}, {@code libvips-42.dll})
     * @param limits      checked before libvips decodes anything
     * @param concurrency libvips worker threads per pipeline; parallelism normally comes from the callers'
     *                    threads, so 1 is the default (as Sharp's {@code concurrency(1)})
     * @return the engine
     * @throws VipsUnavailableException libvips cannot be loaded; the message says why and how to install it
     */
    public static VipsImageEngine load(String library, DecodeLimits limits, int concurrency) {
        return new VipsImageEngine(Vips.load(library, concurrency), limits);
    }

    private VipsImageEngine(Vips vips, DecodeLimits limits) {
        this.vips = vips;
        this.limits = limits;
    }

    @Override
    public String name() {
        return "vips";
    }

    /** Animated GIF and WebP give animated WebP variants (within {@link #animates}'s limits). */
    @Override
    public boolean writesAnimation() {
        return true;
    }

    @Override
    public String toString() {
        return "vips " + vips.version();
    }

    /** libvips' version, e.g. {@code 8.14.1}. */
    public String libvipsVersion() {
        return vips.version();
    }

    /** The library file name this engine loaded. */
    public String library() {
        return vips.library();
    }

    /**
     * Pixel buffers libvips currently holds ({@code vips_tracked_get_allocs}): back to 0 once no render is
     * running (after a failed render, libvips' workers may take a moment to drop the abandoned pipeline).
     */
    public int trackedAllocations() {
        return vips.trackedAllocs();
    }

    /** Bytes in those buffers ({@code vips_tracked_get_mem}). */
    public long trackedBytes() {
        return vips.trackedMem();
    }

    @Override
    public RenderedVariant render(byte[] source, VariantSpec spec) throws IOException {
        return renderAll(source, List.of(spec)).getFirst();
    }

    @Override
    public List<RenderedVariant> renderAll(byte[] source, List<VariantSpec> specs) throws IOException {
        if (specs.isEmpty()) return List.of();
        ProbeResult probe = check(source);
        RenderedVariant[] out = new RenderedVariant[specs.size()];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(source.length, 16);
            MemorySegment.copy(source, 0, buf, ValueLayout.JAVA_BYTE, 0, source.length);
            Header hdr = checkLibvipsHeader(buf);
            if (animates(probe)) {
                for (int i = 0; i < specs.size(); i++) out[i] = renderAnimated(buf, probe, specs.get(i), hdr, arena);
                return List.of(out);
            }
            // the widest INSIDE_WIDTH spec is rendered first, kept in memory, and the others cut from it
            // when it is fine enough
            int base = -1;
            for (int i = 0; i < specs.size(); i++) {
                if (specs.get(i).fit() == VariantSpec.Fit.INSIDE_WIDTH && (base < 0 || specs.get(i).width() > specs.get(base).width())) base = i;
            }
            MemorySegment baseImg = MemorySegment.NULL;
            try {
                if (base >= 0 && specs.size() > 1) {
                    MemorySegment t = thumbnail(buf, probe, specs.get(base), hdr, arena);
                    try {
                        baseImg = vips.copyMemory(t);
                    } finally {
                        vips.unref(t);
                    }
                    out[base] = save(baseImg, specs.get(base), arena);
                }
                for (int i = 0; i < specs.size(); i++) {
                    if (out[i] != null) continue;
                    VariantSpec s = specs.get(i);
                    MemorySegment img = !baseImg.equals(MemorySegment.NULL) && fineEnough(probe, specs.get(base), s)
                            ? vips.thumbnailImage(baseImg, s.width(), height(s), sizeOption(s), cropOption(s), arena)
                            : thumbnail(buf, probe, s, hdr, arena);
                    try {
                        out[i] = save(img, s, arena);
                    } finally {
                        vips.unref(img);
                    }
                }
            } finally {
                vips.unref(baseImg);
            }
        } catch (Vips.VipsException e) {
            throw failure(e, probe.format());
        }
        List<RenderedVariant> list = new ArrayList<>(out.length);
        for (RenderedVariant v : out) list.add(v);
        return list;
    }

    /**
     * HEIC and AVIF: a full-size JPEG, upright, sRGB, without metadata. Other formats: the lossless strip.
     */
    @Override
    public RenderedVariant original(byte[] source) throws IOException {
        ContainerBounds.check(source); // as the default original reports it
        ProbeResult probe = check(source);
        if (!probe.format().equals(ImageProbe.HEIF)) return ImageEngine.super.original(source);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(source.length, 16);
            MemorySegment.copy(source, 0, buf, ValueLayout.JAVA_BYTE, 0, source.length);
            Header hdr = checkLibvipsHeader(buf);
            MemorySegment img = vips.thumbnail(buf, Vips.MAX_COORD, Vips.MAX_COORD, Vips.SIZE_DOWN, Vips.CROP_NONE, hdr.manageColour(), arena);
            try {
                MemorySegment clean = vips.srgb8(img, arena);
                try {
                    vips.removeMetadata(clean);
                    return new RenderedVariant(vips.jpeg(clean, HEIF_ORIGINAL_QUALITY), vips.width(clean), vips.height(clean), "image/jpeg", "jpg");
                } finally {
                    vips.unref(clean);
                }
            } finally {
                vips.unref(img);
            }
        } catch (Vips.VipsException e) {
            throw failure(e, probe.format());
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** {@link ContainerBounds}, {@link ImageProbe} and {@link DecodeLimits}, as exceptions of this interface. */
    private ProbeResult check(byte[] source) throws IOException {
        ContainerBounds.checkForEngine(source); // before libvips reads a length a chunk merely claims
        try {
            ProbeResult p = ImageProbe.probe(source);
            limits.check(p, source.length);
            return p;
        } catch (ImageRejectedException e) {
            switch (e.code()) {
                case ImageRejectedException.TRUNCATED_IMAGE, ImageRejectedException.CORRUPT_IMAGE -> throw new CorruptImageException(e.reason(), e);
                default -> throw new UnsupportedImageException(e.reason());
            }
        }
    }

    /**
     * What libvips reads from the header.
     *
     * @param manageColour the image needs colour management (an embedded ICC profile, or CMYK)
     * @param cmyk         the decoded samples are CMYK (a CMYK or YCCK JPEG)
     */
    private record Header(boolean manageColour, boolean cmyk) {}

    /**
     * The same limits on the dimensions libvips itself reads from the header, before any pixel.
     */
    private Header checkLibvipsHeader(MemorySegment buf) throws IOException {
        int[] wh = vips.header(buf);
        long pixels = (long) wh[0] * wh[1];
        if (pixels > limits.maxPixels() || wh[0] > limits.maxDimension() || wh[1] > limits.maxDimension()) {
            throw new UnsupportedImageException("libvips reads " + wh[0] + "x" + wh[1] + " from the header, over the limits ("
                    + limits.maxPixels() + " pixels, " + limits.maxDimension() + " px per side)");
        }
        boolean cmyk = wh[2] == Vips.INTERPRETATION_CMYK;
        return new Header(wh[3] != 0 || cmyk, cmyk);
    }

    /**
     * One variant from the file. CMYK (and YCCK) JPEGs do not go through {@code vips_thumbnail_buffer}'s
     * colour handling, which in libvips 8.14 ignores their embedded profile: they are loaded with the JPEG
     * DCT shrink, converted to sRGB through the embedded profile or libvips' CMYK default
     * ({@link Vips#cmykToSrgb}), then resized and oriented.
     */
    private MemorySegment thumbnail(MemorySegment buf, ProbeResult probe, VariantSpec s, Header hdr, Arena arena) throws Vips.VipsException {
        if (!hdr.cmyk()) return vips.thumbnail(buf, s.width(), height(s), sizeOption(s), cropOption(s), hdr.manageColour(), arena);
        String options = probe.format().equals(ImageProbe.JPEG) ? "shrink=" + jpegShrink(probe, s) : "";
        MemorySegment loaded = vips.load(buf, options, arena);
        try {
            MemorySegment srgb = vips.cmykToSrgb(loaded, arena);
            try {
                return vips.thumbnailImage(srgb, s.width(), height(s), sizeOption(s), cropOption(s), true, arena);
            } finally {
                vips.unref(srgb);
            }
        } finally {
            vips.unref(loaded);
        }
    }

    /**
     * The JPEG DCT shrink (1, 2, 4 or 8) for a spec, as {@code vips_thumbnail} chooses it: at most half the
     * reduction, so the Lanczos step still has at least 2× to do.
     */
    static int jpegShrink(ProbeResult p, VariantSpec s) {
        double w = p.displayWidth(), h = p.displayHeight();
        double scale = s.fit() == VariantSpec.Fit.COVER ? Math.max(s.width() / w, s.height() / h) : s.width() / w;
        if (scale >= 1.0) return 1;
        double factor = 1.0 / scale;
        return factor >= 16 ? 8 : factor >= 8 ? 4 : factor >= 4 ? 2 : 1;
    }

    private static int height(VariantSpec s) {
        return s.fit() == VariantSpec.Fit.COVER ? s.height() : Vips.MAX_COORD;
    }

    private static int sizeOption(VariantSpec s) {
        return s.upscale() ? Vips.SIZE_BOTH : Vips.SIZE_DOWN;
    }

    private static int cropOption(VariantSpec s) {
        return s.fit() == VariantSpec.Fit.COVER ? Vips.CROP_CENTRE : Vips.CROP_NONE;
    }

    /**
     * Whether {@code spec} may be cut from {@code base} rendered in memory: the base's scale (display space)
     * is at least {@link #THUMB_FROM_MEDIUM_GAP} times the spec's, or the base is the image at full size.
     */
    static boolean fineEnough(ProbeResult p, VariantSpec base, VariantSpec spec) {
        double w = p.displayWidth();
        double h = p.displayHeight();
        double baseScale = base.upscale() || w > base.width() ? base.width() / w : 1.0;
        if (baseScale >= 1.0) return true;
        double scale = spec.fit() == VariantSpec.Fit.COVER ? Math.max(spec.width() / w, spec.height() / h) : spec.width() / w;
        return baseScale >= THUMB_FROM_MEDIUM_GAP * scale;
    }

    /** Most frames an animation keeps; an animation with more gets the first frame only. */
    public static final int MAX_ANIMATION_FRAMES = 300;
    /** Most pixels over all frames of an animation (frames × width × height); past it, the first frame only. */
    public static final long MAX_ANIMATION_PIXELS = 100_000_000L;

    /**
     * Whether an image's variants are animated: an animated GIF or WebP within {@link #MAX_ANIMATION_FRAMES}
     * and {@link #MAX_ANIMATION_PIXELS}.
     */
    public static boolean animates(ProbeResult p) {
        boolean format = p.format().equals(ImageProbe.GIF) || p.format().equals(ImageProbe.WEBP);
        return format && p.frames() > 1 && p.frames() <= MAX_ANIMATION_FRAMES
                && (long) p.width() * p.height() * p.frames() <= MAX_ANIMATION_PIXELS;
    }

    /**
     * An animated variant: every frame loaded ({@code n=-1}), each resized alike; for a cover fit the
     * frames are resized to cover the box and each cropped at its centre ({@link Vips#cropPages}); frame
     * delays and the loop count are kept.
     */
    private RenderedVariant renderAnimated(MemorySegment buf, ProbeResult probe, VariantSpec s, Header hdr, Arena arena) throws Vips.VipsException {
        MemorySegment img;
        if (s.fit() == VariantSpec.Fit.COVER) {
            boolean wide = (double) probe.width() / probe.height() >= (double) s.width() / s.height();
            int w = wide ? Vips.MAX_COORD : s.width();
            int h = wide ? s.height() : Vips.MAX_COORD;
            MemorySegment resized = vips.thumbnail(buf, w, h, sizeOption(s), Vips.CROP_NONE, hdr.manageColour(), true, arena);
            try {
                int pageH = vips.pageHeight(resized);
                int pageW = vips.width(resized);
                int pages = Math.max(1, vips.height(resized) / pageH);
                int cw = Math.min(s.width(), pageW), ch = Math.min(s.height(), pageH);
                img = vips.cropPages(resized, pages, pageH, (pageW - cw) / 2, (pageH - ch) / 2, cw, ch, arena);
            } finally {
                vips.unref(resized);
            }
        } else {
            img = vips.thumbnail(buf, s.width(), height(s), sizeOption(s), Vips.CROP_NONE, hdr.manageColour(), true, arena);
        }
        try {
            return save(img, s, true, arena);
        } finally {
            vips.unref(img);
        }
    }

    /** 8-bit sRGB, metadata removed, WebP. */
    private RenderedVariant save(MemorySegment img, VariantSpec spec, Arena arena) throws Vips.VipsException {
        return save(img, spec, false, arena);
    }

    /**
     * 8-bit sRGB, metadata removed (but for the frame layout, delays and loop count of an animation),
     * WebP; the height reported is one frame's.
     */
    private RenderedVariant save(MemorySegment img, VariantSpec spec, boolean animation, Arena arena) throws Vips.VipsException {
        MemorySegment clean = vips.srgb8(img, arena);
        try {
            vips.removeMetadata(clean, animation);
            // libvips 8.14 webpsave writes a fresh EXIF chunk (resolution, dimensions) even when the image has
            // no metadata left, and ignores strip: the lossless container strip drops it
            byte[] webp = MetadataStripper.strip(vips.webp(clean, spec.quality()));
            int h = animation ? vips.pageHeight(clean) : vips.height(clean);
            return new RenderedVariant(webp, vips.width(clean), h, spec.contentType(), spec.format());
        } finally {
            vips.unref(clean);
        }
    }

    /** A libvips failure on an image {@link ImageProbe} recognised as {@code format}. */
    private static IOException failure(Vips.VipsException e, String format) {
        String m = e.getMessage();
        String name = format.equals(ImageProbe.HEIF) ? "HEIF/AVIF" : format.toUpperCase(java.util.Locale.ROOT);
        if (m.contains("not a known") || m.contains("is not in a known format")) {
            return new UnsupportedImageException("libvips cannot decode this " + name + " image: " + m);
        }
        return new CorruptImageException("damaged " + name + " data (libvips: " + m + ")", e);
    }
}

package dev.stowage.images;

import com.luciad.imageio.webp.WebPReadParam;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import javax.imageio.IIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ImageWriterSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * The pure-Java {@link ImageEngine}: ImageIO with the TwelveMonkeys JPEG reader (CMYK/YCCK, embedded
 * ICC profiles converted to sRGB), the JDK PNG/GIF/BMP/TIFF readers, libwebp (bundled with
 * {@code com.github.usefulness:webp-imageio}, JNI) to decode and encode WebP. No HEIC/AVIF decoder:
 * those are {@link UnsupportedImageException}.
 *
 * <h2>Pipeline</h2>
 * <ol>
 *   <li><b>Sniff</b> the format from the magic bytes; read the EXIF orientation from the container
 *       (JPEG APP1, PNG {@code eXIf}, WebP {@code EXIF}, TIFF IFD0).
 *   <li><b>Header</b>: the reader's width/height; over {@link #DEFAULT_MAX_PIXELS} (Sharp's default
 *       {@code limitInputPixels}) is refused before decoding. Callers check {@link DecodeLimits} first;
 *       this is only a backstop.
 *   <li><b>Shrink on load</b>: decode at 1/f of the size, f the largest integer that keeps the decoded
 *       image at least {@link #DEFAULT_LOAD_GAP} (3) times the size the variant is resized to, on both
 *       axes (3 rather than 2 because subsampling does not average; measurements at
 *       {@link #DEFAULT_LOAD_GAP}). JPEG/PNG/GIF use ImageIO source subsampling (keeps every f-th pixel:
 *       the decoded raster is 1/f² of the full size, the decoder still reads all the data); WebP uses
 *       libwebp's scaled decoding (area-averaging). An 8000×6000 JPEG made into the 800-wide medium is
 *       decoded as 2667×2000 (16 MB instead of 144 MB).
 *   <li><b>To sRGB, 8-bit, ARGB</b>: TwelveMonkeys has already converted CMYK and ICC-tagged JPEGs to
 *       sRGB (a CMYK/YCCK JPEG without a usable CMYK profile is given the standard one first,
 *       {@link CmykProfiles}); an ICC profile in a PNG ({@code iCCP}) or WebP ({@code ICCP}) is applied here with
 *       {@link ColorConvertOp}; 16-bit samples are rounded to 8; grey is expanded (its values taken as
 *       sRGB-encoded, as libvips does); palettes are looked up (tRNS alpha kept).
 *   <li><b>Resize</b> in the stored orientation to the target (computed in display space):
 *       the structure of libvips' {@code vips_resize}: an integer box (area-average) shrink by
 *       {@code floor(reduction / 2)} when the reduction is 4× or more, then a separable Lanczos-3 (its
 *       support widened by the remaining reduction, so it filters as it shrinks) on premultiplied alpha,
 *       edges extended. Lanczos-3 is Sharp's default kernel.
 *   <li><b>Orient</b> (the eight EXIF cases, on the small result), <b>crop</b> the centre for cover
 *       (Sharp's offsets: {@code (in - out + 1) / 2}).
 *   <li><b>Encode</b> WebP lossy at the spec's quality (libwebp defaults otherwise: method 4, alpha
 *       lossless — as Sharp). Alpha is written only when some pixel is not opaque. No metadata chunk.
 * </ol>
 *
 * <p><b>Damaged data</b>: a JPEG decoder warning about the entropy-coded data (premature end, missing
 * EOI, corrupt data, resync — what Sharp's default {@code failOn: 'warning'} rejects) and any decoder
 * exception end as {@link CorruptImageException}; warnings about metadata (an odd ICC rendering intent)
 * are ignored.
 *
 * <p>Stateless and thread-safe.
 */
public final class JavaImageEngine implements ImageEngine {

    /** Sharp's default {@code limitInputPixels} (0x3FFF²): a backstop behind {@link DecodeLimits}. */
    public static final long DEFAULT_MAX_PIXELS = 0x3FFFL * 0x3FFFL;

    /**
     * Shrink-on-load rule: the decoded image stays at least this many times the resize target on both
     * axes. ImageIO subsampling keeps every f-th pixel (no averaging), so detail finer than the decoded
     * grid aliases; the Lanczos reduction that follows hides it better the more of it remains. Measured
     * on the 15 photos against a full-size decode (same resampler), thumb / medium PSNR, worst and median:
     * gap 1: 20.9 / 30.3 dB and 24.3 / 39.7 dB; gap 2: 25.9 / 37.7 dB and 36.8 dB / identical;
     * gap 3: 33.9 / 43.6 dB and 48.0 dB / identical; gap 4: 35.9 / 48.9 dB. The worst case is a photo of a
     * painting's canvas texture (moiré at gap 2). Time differs little (the JPEG decoder does the full
     * IDCT whatever f is; subsampling saves memory and the work after it): gap 3 took 6% more than
     * gap 2 for thumbs, 16% more for mediums (the progressive photo decodes at f = 1 instead of 2; measured
     * before {@link ProgressiveJpeg}, when the JDK decoder repeated its output for every progressive scan). Memory: an 8000×6000 JPEG for the medium decodes as 2667×2000 (16 MB instead
     * of 144 MB), for the thumb (f = 13) as 616×462.
     */
    public static final double DEFAULT_LOAD_GAP = 3.0;

    private static final String TWELVEMONKEYS_JPEG = "com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReader";
    private static final String TWELVEMONKEYS_WEBP = "com.twelvemonkeys.imageio.plugins.webp.WebPImageReader";
    private static final String LIBWEBP_READER = "com.luciad.imageio.webp.WebPReader";

    /** Decoder warnings that mean the pixel data is damaged (libjpeg JWRN_* texts, TwelveMonkeys' EOI check). */
    private static final Pattern FATAL_WARNING = Pattern.compile(
            "(?i)corrupt|premature|truncat|missing eoi|end of (file|data)|invalid sos|bogus|resync|unexpected end");

    private final long maxPixels;
    private final double loadGap;

    /** An engine with {@link #DEFAULT_MAX_PIXELS} and {@link #DEFAULT_LOAD_GAP}. */
    public JavaImageEngine() {
        this(DEFAULT_MAX_PIXELS, DEFAULT_LOAD_GAP);
    }

    /**
     * @param maxPixels most pixels of an image this engine decodes
     * @param loadGap   shrink-on-load gap (see {@link #DEFAULT_LOAD_GAP}); 0 decodes at full size
     */
    public JavaImageEngine(long maxPixels, double loadGap) {
        if (maxPixels <= 0) throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        if (loadGap != 0 && loadGap < 1) throw new IllegalArgumentException("loadGap must be 0 or at least 1: " + loadGap);
        this.maxPixels = maxPixels;
        this.loadGap = loadGap;
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public RenderedVariant render(byte[] source, VariantSpec spec) throws IOException {
        return renderAll(source, List.of(spec)).getFirst();
    }

    /** Decodes once, at the scale the largest of {@code specs} needs. */
    @Override
    public List<RenderedVariant> renderAll(byte[] source, List<VariantSpec> specs) throws IOException {
        if (specs.isEmpty()) return List.of();
        ContainerBounds.checkForEngine(source);
        Decoded d = decode(source, specs);
        List<RenderedVariant> out = new ArrayList<>(specs.size());
        for (VariantSpec spec : specs) out.add(render(d, spec));
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // geometry

    /**
     * Where a spec puts an image of {@code w × h} (display space): resized to {@code rw × rh}, then the
     * {@code cw × ch} rectangle at {@code (cx, cy)} kept.
     */
    record Geometry(int rw, int rh, int cx, int cy, int cw, int ch) {}

    static Geometry geometry(int w, int h, VariantSpec spec) {
        int rw;
        int rh;
        if (spec.fit() == VariantSpec.Fit.COVER) {
            double sx = (double) spec.width() / w;
            double sy = (double) spec.height() / h;
            double s = Math.max(sx, sy);
            if (!spec.upscale() && s > 1) s = 1;
            rw = s == sx ? spec.width() : Math.max(1, (int) Math.round(w * s));
            rh = s == sy ? spec.height() : Math.max(1, (int) Math.round(h * s));
            if (s == 1) {
                rw = w;
                rh = h;
            }
        } else if (!spec.upscale() && w <= spec.width()) {
            rw = w;
            rh = h;
        } else {
            rw = spec.width();
            rh = Math.max(1, (int) Math.round(h * (double) spec.width() / w));
        }
        int cw = spec.fit() == VariantSpec.Fit.COVER ? Math.min(spec.width(), rw) : rw;
        int ch = spec.fit() == VariantSpec.Fit.COVER ? Math.min(spec.height(), rh) : rh;
        return new Geometry(rw, rh, (rw - cw + 1) / 2, (rh - ch + 1) / 2, cw, ch);
    }

    /** The size a spec resizes the stored (not yet oriented) image to. */
    private static int[] storedTarget(int storedW, int storedH, int orientation, VariantSpec spec) {
        boolean swap = orientation >= 5;
        Geometry g = geometry(swap ? storedH : storedW, swap ? storedW : storedH, spec);
        return swap ? new int[] {g.rh(), g.rw()} : new int[] {g.rw(), g.rh()};
    }

    /**
     * The shrink-on-load factor: the largest integer f such that the image decoded at 1/f is still at
     * least {@code loadGap} times every target, on both axes.
     */
    static int loadFactor(int w, int h, int orientation, List<VariantSpec> specs, double loadGap) {
        if (loadGap == 0) return 1;
        int f = Integer.MAX_VALUE;
        for (VariantSpec spec : specs) {
            int[] t = storedTarget(w, h, orientation, spec);
            double r = Math.min(w / (loadGap * t[0]), h / (loadGap * t[1]));
            f = Math.min(f, (int) Math.max(1, Math.floor(r)));
        }
        return f;
    }

    private RenderedVariant render(Decoded d, VariantSpec spec) throws IOException {
        boolean swap = d.orientation() >= 5;
        Geometry g = geometry(swap ? d.height() : d.width(), swap ? d.width() : d.height(), spec);
        // resize in the stored orientation (the decoded pixels), then turn the small result upright
        Pixels resized = Resampler.resize(d.pixels(), d.extentX(), d.extentY(), swap ? g.rh() : g.rw(), swap ? g.rw() : g.rh());
        Pixels upright = orient(resized, d.orientation());
        Pixels out = crop(upright, g.cx(), g.cy(), g.cw(), g.ch());
        byte[] bytes = encodeWebp(out, spec.quality());
        return new RenderedVariant(bytes, out.width(), out.height(), spec.contentType(), spec.format());
    }

    // ---------------------------------------------------------------------------------------------
    // decoding

    /** 8-bit sRGB pixels, {@code 0xAARRGGBB} (not premultiplied), row-major. */
    record Pixels(int[] argb, int width, int height, boolean alpha) {}

    /**
     * A decoded source.
     *
     * @param width       stored width of the source (full size)
     * @param height      stored height of the source
     * @param orientation EXIF orientation 1-8
     * @param factor      shrink-on-load factor used
     * @param pixels      the decoded pixels (about {@code width/factor × height/factor})
     * @param extentX     the source's width in units of decoded pixels ({@code width / factor} when
     *                    subsampled: the last decoded column stands for a partial block)
     * @param extentY     the source's height in units of decoded pixels
     */
    record Decoded(int width, int height, int orientation, int factor, Pixels pixels, double extentX, double extentY) {}

    enum Format { JPEG, PNG, GIF, WEBP, BMP, TIFF }

    static Format sniff(byte[] b) throws UnsupportedImageException {
        if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) return Format.JPEG;
        if (startsWith(b, 0, new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'})) return Format.PNG;
        if (startsWith(b, 0, ascii("GIF87a")) || startsWith(b, 0, ascii("GIF89a"))) return Format.GIF;
        if (startsWith(b, 0, ascii("RIFF")) && startsWith(b, 8, ascii("WEBP"))) return Format.WEBP;
        if (startsWith(b, 0, ascii("BM"))) return Format.BMP;
        if (startsWith(b, 0, new byte[] {'I', 'I', 42, 0}) || startsWith(b, 0, new byte[] {'M', 'M', 0, 42})) return Format.TIFF;
        if (startsWith(b, 4, ascii("ftyp")) && b.length >= 12) {
            String brand = new String(b, 8, 4, StandardCharsets.ISO_8859_1);
            String kind = brand.startsWith("avi") ? "AVIF" : "HEIF/HEIC";
            throw new UnsupportedImageException(kind + " (brand " + brand.strip() + ") cannot be decoded by the pure-Java engine");
        }
        throw new UnsupportedImageException("not a recognised image format");
    }

    /** Decodes {@code source} at the scale {@code specs} need. Package-private for tests. */
    Decoded decode(byte[] source, List<VariantSpec> specs) throws IOException {
        Format format = sniff(source);
        int orientation = Containers.orientation(source, format);
        try {
            return format == Format.WEBP ? decodeWebp(source, orientation, specs) : decodeImageIO(source, format, orientation, specs);
        } catch (CorruptImageException | UnsupportedImageException e) {
            throw e;
        } catch (IIOException e) {
            throw new CorruptImageException(format.name() + " data could not be decoded: " + oneLine(e), e);
        } catch (IOException e) {
            throw new CorruptImageException(format.name() + " data could not be read: " + oneLine(e), e);
        } catch (RuntimeException e) {
            // decoders signal damaged data with IndexOutOfBounds, IllegalArgument, NegativeArraySize, CMMException...
            throw new CorruptImageException(format.name() + " data is damaged: " + oneLine(e), e);
        }
    }

    private Decoded decodeImageIO(byte[] source, Format format, int orientation, List<VariantSpec> specs) throws IOException {
        // CMYK/YCCK: always through a usable CMYK profile, the embedded one or the standard one
        if (format == Format.JPEG) source = CmykProfiles.withUsableProfile(source);
        boolean singlePass = format == Format.JPEG && ProgressiveJpeg.applies(source);
        ImageReader reader = singlePass ? ProgressiveJpeg.reader() : Readers.create(format);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(source))) {
            reader.setInput(in, true, false);
            int frameW = reader.getWidth(0);
            int frameH = reader.getHeight(0);
            GifFrame gif = format == Format.GIF ? GifFrame.of(reader, frameW, frameH) : null;
            int w = gif != null ? gif.canvasW() : frameW;
            int h = gif != null ? gif.canvasH() : frameH;
            checkSize(w, h);
            int f = loadFactor(w, h, orientation, specs, loadGap);
            ImageReadParam param = reader.getDefaultReadParam();
            if (f > 1) param.setSourceSubsampling(f, f, 0, 0);
            if (singlePass) ProgressiveJpeg.requestSinglePass(param);
            BufferedImage img = reader.read(0, param);
            for (String warning : warnings) {
                if (FATAL_WARNING.matcher(warning).find()) {
                    throw new CorruptImageException(format.name() + " data is damaged: " + warning);
                }
            }
            byte[] icc = format == Format.PNG ? Containers.pngIcc(source) : null;
            Pixels px = toSrgb(img, icc);
            if (gif != null) px = gif.compose(px, f);
            return new Decoded(w, h, orientation, f, px, (double) w / f, (double) h / f);
        } finally {
            reader.dispose();
        }
    }

    private Decoded decodeWebp(byte[] source, int orientation, List<VariantSpec> specs) throws IOException {
        byte[] icc = Containers.webpIcc(source);
        ImageReader reader = Readers.create(Format.WEBP);
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(source))) {
            reader.setInput(in, true, true);
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            checkSize(w, h);
            int f = loadFactor(w, h, orientation, specs, loadGap);
            ImageReadParam param = reader.getDefaultReadParam();
            int dw = ceilDiv(w, f);
            int dh = ceilDiv(h, f);
            boolean libwebp = reader.getClass().getName().equals(LIBWEBP_READER);
            BufferedImage img;
            if (libwebp && Containers.riffChunk(source, "ANIM") != null) {
                // libwebp's simple decoding API does not decode animations: the first frame with TwelveMonkeys
                img = decodeFirstFrameTwelveMonkeys(source, f);
                libwebp = false;
            } else {
                if (f > 1 && param instanceof WebPReadParam p) {
                    p.setUseScaling(true);
                    p.setScaledWidth(dw);
                    p.setScaledHeight(dh);
                } else if (f > 1) {
                    param.setSourceSubsampling(f, f, 0, 0);
                }
                img = reader.read(0, param);
            }
            Pixels px = toSrgb(img, icc);
            // libwebp scales exactly to dw × dh, covering the whole source; subsampling is like the other formats
            boolean scaled = libwebp && f > 1 && px.width() == dw && px.height() == dh;
            double ex = scaled ? dw : (double) w / f;
            double ey = scaled ? dh : (double) h / f;
            return new Decoded(w, h, orientation, f, px, ex, ey);
        } finally {
            reader.dispose();
        }
    }

    private static BufferedImage decodeFirstFrameTwelveMonkeys(byte[] source, int f) throws IOException {
        ImageReader reader = Readers.byClass("webp", TWELVEMONKEYS_WEBP);
        if (reader == null) throw new UnsupportedImageException("this WebP cannot be decoded (no fallback decoder)");
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(source))) {
            reader.setInput(in, true, false);
            ImageReadParam param = reader.getDefaultReadParam();
            if (f > 1) param.setSourceSubsampling(f, f, 0, 0);
            return reader.read(0, param);
        } finally {
            reader.dispose();
        }
    }

    private void checkSize(int w, int h) throws IOException {
        if (w <= 0 || h <= 0) throw new CorruptImageException("the header declares " + w + "x" + h + " pixels");
        if ((long) w * h > maxPixels) {
            throw new UnsupportedImageException(w + "x" + h + " is " + ((long) w * h) + " pixels, over the engine's ceiling of " + maxPixels);
        }
    }

    /** The first frame of a GIF placed on its logical screen (frames may be smaller and offset). */
    private record GifFrame(int canvasW, int canvasH, int left, int top, int frameW, int frameH) {

        static GifFrame of(ImageReader reader, int frameW, int frameH) throws IOException {
            int sw = 0;
            int sh = 0;
            int left = 0;
            int top = 0;
            IIOMetadata stream = reader.getStreamMetadata();
            if (stream != null) {
                Node lsd = child(stream.getAsTree("javax_imageio_gif_stream_1.0"), "LogicalScreenDescriptor");
                sw = intAttr(lsd, "logicalScreenWidth");
                sh = intAttr(lsd, "logicalScreenHeight");
            }
            IIOMetadata image = reader.getImageMetadata(0);
            if (image != null) {
                Node desc = child(image.getAsTree("javax_imageio_gif_image_1.0"), "ImageDescriptor");
                left = intAttr(desc, "imageLeftPosition");
                top = intAttr(desc, "imageTopPosition");
            }
            // a screen smaller than the frame (or absent) is ignored, as browsers do
            if (sw < frameW || sh < frameH) return new GifFrame(frameW, frameH, 0, 0, frameW, frameH);
            left = Math.min(Math.max(0, left), sw - frameW);
            top = Math.min(Math.max(0, top), sh - frameH);
            return new GifFrame(sw, sh, left, top, frameW, frameH);
        }

        Pixels compose(Pixels frame, int f) {
            if (canvasW == frameW && canvasH == frameH) return frame;
            int cw = ceilDiv(canvasW, f);
            int ch = ceilDiv(canvasH, f);
            int[] out = new int[cw * ch]; // transparent
            int x0 = ceilDiv(left, f);
            int y0 = ceilDiv(top, f);
            for (int y = 0; y < frame.height() && y0 + y < ch; y++) {
                int n = Math.min(frame.width(), cw - x0);
                if (n > 0) System.arraycopy(frame.argb(), y * frame.width(), out, (y0 + y) * cw + x0, n);
            }
            return new Pixels(out, cw, ch, true);
        }

        private static Node child(Node n, String name) {
            for (Node c = n == null ? null : n.getFirstChild(); c != null; c = c.getNextSibling()) {
                if (c.getNodeName().equals(name)) return c;
            }
            return null;
        }

        private static int intAttr(Node n, String name) {
            if (n == null) return 0;
            NamedNodeMap attrs = n.getAttributes();
            Node a = attrs == null ? null : attrs.getNamedItem(name);
            try {
                return a == null ? 0 : Integer.parseInt(a.getNodeValue());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }

    /** Reader choice: TwelveMonkeys for JPEG, libwebp for WebP, the JDK for the rest. */
    private static final class Readers {
        private static final ImageReaderSpi JPEG = spi("jpeg", TWELVEMONKEYS_JPEG);
        private static final ImageReaderSpi PNG = spi("png", null);
        private static final ImageReaderSpi GIF = spi("gif", null);
        private static final ImageReaderSpi BMP = spi("bmp", null);
        private static final ImageReaderSpi TIFF = spi("tiff", null);
        private static final ImageReaderSpi WEBP = spi("webp", LIBWEBP_READER);

        static ImageReader create(Format format) throws IOException {
            ImageReaderSpi spi = switch (format) {
                case JPEG -> JPEG;
                case PNG -> PNG;
                case GIF -> GIF;
                case WEBP -> WEBP;
                case BMP -> BMP;
                case TIFF -> TIFF;
            };
            if (spi == null) throw new UnsupportedImageException("no " + format + " decoder is installed");
            return spi.createReaderInstance();
        }

        static ImageReader byClass(String formatName, String className) {
            for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(formatName); it.hasNext(); ) {
                ImageReader r = it.next();
                if (r.getClass().getName().equals(className)) return r;
            }
            return null;
        }

        /** The reader of {@code className} if installed, else the first for the format. */
        private static ImageReaderSpi spi(String formatName, String className) {
            ImageReaderSpi first = null;
            for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(formatName); it.hasNext(); ) {
                ImageReader r = it.next();
                if (first == null) first = r.getOriginatingProvider();
                if (r.getClass().getName().equals(className)) return r.getOriginatingProvider();
            }
            return first;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // colour

    /**
     * Converts a decoded image to 8-bit sRGB ARGB.
     *
     * @param icc an embedded profile the reader did not apply (PNG iCCP, WebP ICCP), or null
     */
    static Pixels toSrgb(BufferedImage img, byte[] icc) {
        if (img.getColorModel().isAlphaPremultiplied()) img.coerceData(false);
        ColorModel cm = img.getColorModel();
        ColorSpace cs = cm.getColorSpace();
        int w = img.getWidth();
        int h = img.getHeight();
        boolean alpha = cm.hasAlpha();
        boolean grey = cs.getType() == ColorSpace.TYPE_GRAY;
        if (!(cm instanceof IndexColorModel) && !grey && !cs.isCS_sRGB()) {
            // an ICC space the reader left in place (Adobe RGB, CMYK...): convert to sRGB
            BufferedImage dst = new BufferedImage(w, h, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
            new ColorConvertOp(null).filter(img, dst);
            img = dst;
            icc = null;
        }
        int[] out = new int[w * h];
        Raster r = img.getRaster();
        int type = img.getType();
        if ((type == BufferedImage.TYPE_INT_RGB || type == BufferedImage.TYPE_INT_ARGB) && packedWhole(r, w)) {
            int[] data = ((DataBufferInt) r.getDataBuffer()).getData();
            int or = alpha ? 0 : 0xFF000000;
            for (int i = 0; i < out.length; i++) out[i] = data[i] | or;
        } else if (cm instanceof IndexColorModel icm) {
            int[] lut = new int[Math.max(256, icm.getMapSize())]; // indices past the palette: transparent black
            icm.getRGBs(lut);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int i = row[x];
                    out[y * w + x] = i >= 0 && i < lut.length ? lut[i] : 0;
                }
            }
            alpha = icm.getTransparency() != Transparency.OPAQUE;
        } else if (cm instanceof ComponentColorModel && (grey || cs.isCS_sRGB())) {
            componentsToArgb(r, w, h, grey, alpha, out);
        } else {
            img.getRGB(0, 0, w, h, out, 0, w);
            if (!alpha) for (int i = 0; i < out.length; i++) out[i] |= 0xFF000000;
        }
        if (icc != null && !grey) applyIcc(out, w, h, icc);
        return new Pixels(out, w, h, alpha);
    }

    private static boolean packedWhole(Raster r, int w) {
        return r.getSampleModel() instanceof SinglePixelPackedSampleModel sm && sm.getScanlineStride() == w
                && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0 && r.getDataBuffer().getNumBanks() == 1;
    }

    /** Grey, grey+alpha, RGB, RGBA in 8 or 16 bits (any band order the sample model says). */
    private static void componentsToArgb(Raster r, int w, int h, boolean grey, boolean alpha, int[] out) {
        int bands = r.getNumBands();
        int bits = r.getSampleModel().getSampleSize(0);
        if (bits == 8 && r.getDataBuffer() instanceof DataBufferByte db && r.getSampleModel() instanceof PixelInterleavedSampleModel sm
                && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0) {
            // the common case (TYPE_3BYTE_BGR, TYPE_4BYTE_ABGR, TYPE_BYTE_GRAY): straight from the bytes
            byte[] data = db.getData();
            int[] off = sm.getBandOffsets();
            int ps = sm.getPixelStride();
            int ss = sm.getScanlineStride();
            for (int y = 0; y < h; y++) {
                int p = y * ss;
                int o = y * w;
                for (int x = 0; x < w; x++, p += ps) {
                    int a = alpha ? data[p + off[bands - 1]] & 0xFF : 0xFF;
                    int rr = data[p + off[0]] & 0xFF;
                    int gg = grey ? rr : data[p + off[1]] & 0xFF;
                    int bb = grey ? rr : data[p + off[2]] & 0xFF;
                    out[o + x] = a << 24 | rr << 16 | gg << 8 | bb;
                }
            }
            return;
        }
        int max = (1 << bits) - 1;
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            r.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int p = x * bands;
                int rr = to8(row[p], max);
                int gg = grey ? rr : to8(row[p + 1], max);
                int bb = grey ? rr : to8(row[p + 2], max);
                int a = alpha ? to8(row[p + bands - 1], max) : 0xFF;
                out[y * w + x] = a << 24 | rr << 16 | gg << 8 | bb;
            }
        }
    }

    private static int to8(int v, int max) {
        return max == 255 ? v : (int) ((v * 255L + max / 2) / max);
    }

    /** Converts RGB pixels from an embedded profile to sRGB in place; alpha is untouched. */
    private static void applyIcc(int[] argb, int w, int h, byte[] iccBytes) {
        ICC_Profile profile;
        try {
            profile = ICC_Profile.getInstance(iccBytes);
        } catch (IllegalArgumentException e) {
            return; // an unreadable profile: treat the pixels as sRGB, as browsers do
        }
        if (profile.getColorSpaceType() != ColorSpace.TYPE_RGB || profile.getNumComponents() != 3) return;
        ColorSpace src = new ICC_ColorSpace(profile);
        ComponentColorModel cm = new ComponentColorModel(src, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
        byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
        for (int i = 0, p = 0; i < argb.length; i++, p += 3) {
            int v = argb[i];
            data[p] = (byte) (v >> 16);
            data[p + 1] = (byte) (v >> 8);
            data[p + 2] = (byte) v;
        }
        BufferedImage in = new BufferedImage(cm, raster, false, null);
        BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        try {
            new ColorConvertOp(null).filter(in, dst);
        } catch (java.awt.color.CMMException | IllegalArgumentException e) {
            return; // a profile the colour engine rejects: leave the pixels as they are
        }
        int[] rgb = ((DataBufferInt) dst.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < argb.length; i++) argb[i] = (argb[i] & 0xFF000000) | (rgb[i] & 0xFFFFFF);
    }

    // ---------------------------------------------------------------------------------------------
    // orientation and crop

    /** Applies EXIF orientation {@code o}: the result is the image as it is meant to be seen. */
    static Pixels orient(Pixels p, int o) {
        if (o <= 1 || o > 8) return p;
        int w = p.width();
        int h = p.height();
        boolean swap = o >= 5;
        int dw = swap ? h : w;
        int dh = swap ? w : h;
        int[] s = p.argb();
        int[] d = new int[s.length];
        for (int y = 0; y < dh; y++) {
            for (int x = 0; x < dw; x++) {
                int sx;
                int sy;
                switch (o) {
                    case 2 -> { sx = w - 1 - x; sy = y; }               // mirrored
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }       // upside down
                    case 4 -> { sx = x; sy = h - 1 - y; }               // flipped vertically
                    case 5 -> { sx = y; sy = x; }                       // transposed
                    case 6 -> { sx = y; sy = h - 1 - x; }               // turn 90° clockwise to view
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }       // transversed
                    default -> { sx = w - 1 - y; sy = x; }              // 8: turn 90° counter-clockwise to view
                }
                d[y * dw + x] = s[sy * w + sx];
            }
        }
        return new Pixels(d, dw, dh, p.alpha());
    }

    private static Pixels crop(Pixels p, int x0, int y0, int cw, int ch) {
        if (x0 == 0 && y0 == 0 && cw == p.width() && ch == p.height()) return p;
        int[] out = new int[cw * ch];
        for (int y = 0; y < ch; y++) System.arraycopy(p.argb(), (y0 + y) * p.width() + x0, out, y * cw, cw);
        return new Pixels(out, cw, ch, p.alpha());
    }

    // ---------------------------------------------------------------------------------------------
    // encoding

    private static final class WebpWriter {
        static final ImageWriterSpi SPI = find();

        private static ImageWriterSpi find() {
            Iterator<ImageWriter> it = ImageIO.getImageWritersByMIMEType("image/webp");
            return it.hasNext() ? it.next().getOriginatingProvider() : null;
        }
    }

    static byte[] encodeWebp(Pixels p, int quality) throws IOException {
        if (WebpWriter.SPI == null) throw new IOException("no WebP encoder is installed (com.github.usefulness:webp-imageio)");
        boolean alpha = p.alpha() && anyTranslucent(p.argb());
        BufferedImage img = new BufferedImage(p.width(), p.height(), alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        int[] data = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        System.arraycopy(p.argb(), 0, data, 0, data.length);
        ImageWriter writer = WebpWriter.SPI.createWriterInstance();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(1024, data.length / 4));
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType(compressionType(param, "lossy"));
            param.setCompressionQuality(quality / 100f);
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static String compressionType(ImageWriteParam param, String wanted) throws IOException {
        for (String t : param.getCompressionTypes()) if (t.equalsIgnoreCase(wanted)) return t;
        throw new IOException("the WebP encoder has no " + wanted + " mode");
    }

    private static boolean anyTranslucent(int[] argb) {
        for (int v : argb) if (v >>> 24 != 0xFF) return true;
        return false;
    }

    // ---------------------------------------------------------------------------------------------
    // resampling

    /**
     * Box shrink by {@code floor(reduction / 2)} per axis, then a separable Lanczos-3 whose support is
     * widened by the remaining reduction (so it also filters), on alpha-premultiplied floats, edge pixels
     * extended. Enlarging uses the same kernel at unit support. Vertical pass first: it runs along rows
     * (vectorisable) on the larger image; the horizontal pass then works on fewer rows.
     */
    static final class Resampler {
        private Resampler() {}

        /**
         * @param src     the decoded image
         * @param extentX how many source pixels' worth the decoded width stands for (≤ width)
         * @param extentY the same for the height
         * @param ow      output width
         * @param oh      output height
         */
        static Pixels resize(Pixels src, double extentX, double extentY, int ow, int oh) {
            if (ow == src.width() && oh == src.height() && extentX == src.width() && extentY == src.height()) return src;
            int bx = Math.max(1, (int) Math.floor(extentX / (2.0 * ow)));
            int by = Math.max(1, (int) Math.floor(extentY / (2.0 * oh)));
            Planes box = bx > 1 || by > 1 ? boxShrink(src, bx, by) : null;
            int w = box == null ? src.width() : box.w;
            int h = box == null ? src.height() : box.h;
            double ex = extentX / bx;
            double ey = extentY / by;
            // vertical first: it runs on the wider image and its inner loop (along a row) vectorises
            Planes p;
            if (h != oh || ey != h) {
                Weights wy = Weights.of(h, ey, oh);
                p = box == null ? vertical(src, wy) : vertical(box, wy);
            } else {
                p = box == null ? boxShrink(src, 1, 1) : box;
            }
            if (w != ow || ex != w) p = horizontal(p, Weights.of(w, ex, ow));
            return p.pack(src.alpha());
        }

        /** Float planes: R, G, B (premultiplied when there is alpha) and A. */
        private static final class Planes {
            final float[][] c;
            final int w;
            final int h;

            Planes(int n, int w, int h) {
                this.c = new float[n][w * h];
                this.w = w;
                this.h = h;
            }

            Pixels pack(boolean alpha) {
                int[] out = new int[w * h];
                float[] r = c[0];
                float[] g = c[1];
                float[] b = c[2];
                float[] a = alpha ? c[3] : null;
                for (int i = 0; i < out.length; i++) {
                    if (a == null) {
                        out[i] = 0xFF000000 | clamp(r[i]) << 16 | clamp(g[i]) << 8 | clamp(b[i]);
                    } else {
                        int av = clamp(a[i]);
                        if (av == 0) {
                            out[i] = 0;
                            continue;
                        }
                        float k = 255f / a[i];
                        out[i] = av << 24 | clamp(r[i] * k) << 16 | clamp(g[i] * k) << 8 | clamp(b[i] * k);
                    }
                }
                return new Pixels(out, w, h, alpha);
            }
        }

        private static int clamp(float v) {
            int i = Math.round(v);
            return i < 0 ? 0 : Math.min(i, 255);
        }

        /** Area-averages {@code bx × by} blocks (partial blocks at the right/bottom edge average what they have). */
        private static Planes boxShrink(Pixels src, int bx, int by) {
            int w = src.width();
            int h = src.height();
            int ow = ceilDiv(w, bx);
            int oh = ceilDiv(h, by);
            boolean alpha = src.alpha();
            Planes p = new Planes(alpha ? 4 : 3, ow, oh);
            float[] r = p.c[0];
            float[] g = p.c[1];
            float[] b = p.c[2];
            float[] a = alpha ? p.c[3] : null;
            int[] s = src.argb();
            if (bx == 1 && by == 1) {
                for (int i = 0; i < s.length; i++) {
                    int v = s[i];
                    if (a == null) {
                        r[i] = v >> 16 & 0xFF;
                        g[i] = v >> 8 & 0xFF;
                        b[i] = v & 0xFF;
                    } else {
                        float av = v >>> 24;
                        float k = av / 255f;
                        a[i] = av;
                        r[i] = (v >> 16 & 0xFF) * k;
                        g[i] = (v >> 8 & 0xFF) * k;
                        b[i] = (v & 0xFF) * k;
                    }
                }
                return p;
            }
            long[] sr = new long[ow];
            long[] sg = new long[ow];
            long[] sb = new long[ow];
            long[] sa = new long[ow];
            for (int oy = 0; oy < oh; oy++) {
                java.util.Arrays.fill(sr, 0);
                java.util.Arrays.fill(sg, 0);
                java.util.Arrays.fill(sb, 0);
                java.util.Arrays.fill(sa, 0);
                int y1 = Math.min(h, (oy + 1) * by);
                int rows = y1 - oy * by;
                for (int y = oy * by; y < y1; y++) {
                    int row = y * w;
                    for (int x = 0; x < w; x++) {
                        int v = s[row + x];
                        int ox = x / bx;
                        if (a == null) {
                            sr[ox] += v >> 16 & 0xFF;
                            sg[ox] += v >> 8 & 0xFF;
                            sb[ox] += v & 0xFF;
                        } else {
                            int av = v >>> 24;
                            sa[ox] += av;
                            sr[ox] += (v >> 16 & 0xFF) * av;
                            sg[ox] += (v >> 8 & 0xFF) * av;
                            sb[ox] += (v & 0xFF) * av;
                        }
                    }
                }
                for (int ox = 0; ox < ow; ox++) {
                    int cols = Math.min(w, (ox + 1) * bx) - ox * bx;
                    float n = (float) cols * rows;
                    int i = oy * ow + ox;
                    if (a == null) {
                        r[i] = sr[ox] / n;
                        g[i] = sg[ox] / n;
                        b[i] = sb[ox] / n;
                    } else {
                        a[i] = sa[ox] / n;
                        float n255 = n * 255f;
                        r[i] = sr[ox] / n255;
                        g[i] = sg[ox] / n255;
                        b[i] = sb[ox] / n255;
                    }
                }
            }
            return p;
        }

        /** Lanczos-3 weights from {@code in} samples (standing for {@code extent}) to {@code out}. */
        private record Weights(int[] start, int[] len, float[] w, int taps) {
            static Weights of(int in, double extent, int out) {
                double scale = extent / out;
                double fs = Math.max(1.0, scale);
                double support = 3.0 * fs;
                int taps = (int) Math.ceil(2 * support) + 2;
                int[] start = new int[out];
                int[] len = new int[out];
                float[] w = new float[out * taps];
                double[] tmp = new double[taps];
                for (int j = 0; j < out; j++) {
                    double centre = (j + 0.5) * scale - 0.5;
                    int left = (int) Math.ceil(centre - support);
                    int right = (int) Math.floor(centre + support);
                    int lo = Math.max(0, Math.min(in - 1, left));
                    int hi = Math.min(in - 1, Math.max(0, right));
                    java.util.Arrays.fill(tmp, 0);
                    double sum = 0;
                    for (int x = left; x <= right; x++) {
                        double k = lanczos3((x - centre) / fs);
                        int idx = Math.max(lo, Math.min(hi, x)); // edges extended
                        tmp[idx - lo] += k;
                        sum += k;
                    }
                    start[j] = lo;
                    len[j] = hi - lo + 1;
                    for (int k = 0; k < len[j]; k++) w[j * taps + k] = (float) (sum == 0 ? (k == 0 ? 1 : 0) : tmp[k] / sum);
                }
                return new Weights(start, len, w, taps);
            }

            private static double lanczos3(double x) {
                if (x == 0) return 1;
                if (x <= -3 || x >= 3) return 0;
                double px = Math.PI * x;
                return 3 * Math.sin(px) * Math.sin(px / 3) / (px * px);
            }
        }

        /** Horizontal pass; the channels share the weights and run as independent sums. */
        private static Planes horizontal(Planes in, Weights wt) {
            int ow = wt.start().length;
            int n = in.c.length;
            Planes out = new Planes(n, ow, in.h);
            int taps = wt.taps();
            int[] start = wt.start();
            int[] len = wt.len();
            float[] wts = wt.w();
            float[] s0 = in.c[0];
            float[] s1 = in.c[1];
            float[] s2 = in.c[2];
            float[] s3 = n > 3 ? in.c[3] : null;
            float[] d0 = out.c[0];
            float[] d1 = out.c[1];
            float[] d2 = out.c[2];
            float[] d3 = n > 3 ? out.c[3] : null;
            for (int y = 0; y < in.h; y++) {
                int row = y * in.w;
                int orow = y * ow;
                for (int j = 0; j < ow; j++) {
                    int st = row + start[j];
                    int cnt = len[j];
                    int wo = j * taps;
                    float a0 = 0;
                    float a1 = 0;
                    float a2 = 0;
                    float a3 = 0;
                    if (s3 == null) {
                        for (int k = 0; k < cnt; k++) {
                            float f = wts[wo + k];
                            a0 += s0[st + k] * f;
                            a1 += s1[st + k] * f;
                            a2 += s2[st + k] * f;
                        }
                    } else {
                        for (int k = 0; k < cnt; k++) {
                            float f = wts[wo + k];
                            a0 += s0[st + k] * f;
                            a1 += s1[st + k] * f;
                            a2 += s2[st + k] * f;
                            a3 += s3[st + k] * f;
                        }
                        d3[orow + j] = a3;
                    }
                    d0[orow + j] = a0;
                    d1[orow + j] = a1;
                    d2[orow + j] = a2;
                }
            }
            return out;
        }

        /** Vertical pass over float planes. */
        private static Planes vertical(Planes in, Weights wt) {
            int oh = wt.start().length;
            int w = in.w;
            Planes out = new Planes(in.c.length, w, oh);
            int taps = wt.taps();
            for (int ch = 0; ch < in.c.length; ch++) {
                float[] s = in.c[ch];
                float[] d = out.c[ch];
                for (int j = 0; j < oh; j++) {
                    int orow = j * w;
                    int n = wt.len()[j];
                    for (int k = 0; k < n; k++) {
                        float f = wt.w()[j * taps + k];
                        int srow = (wt.start()[j] + k) * w;
                        for (int x = 0; x < w; x++) d[orow + x] += s[srow + x] * f;
                    }
                }
            }
            return out;
        }

        /**
         * Vertical pass straight from packed pixels (no full-size float copy of the decoded image):
         * one output row at a time, unpacking (and premultiplying) each contributing source row.
         */
        private static Planes vertical(Pixels src, Weights wt) {
            int oh = wt.start().length;
            int w = src.width();
            boolean alpha = src.alpha();
            Planes out = new Planes(alpha ? 4 : 3, w, oh);
            int taps = wt.taps();
            int[] s = src.argb();
            float[] r = out.c[0];
            float[] g = out.c[1];
            float[] b = out.c[2];
            float[] a = alpha ? out.c[3] : null;
            for (int j = 0; j < oh; j++) {
                int orow = j * w;
                int n = wt.len()[j];
                for (int k = 0; k < n; k++) {
                    float f = wt.w()[j * taps + k];
                    int srow = (wt.start()[j] + k) * w;
                    if (a == null) {
                        for (int x = 0; x < w; x++) {
                            int v = s[srow + x];
                            r[orow + x] += (v >> 16 & 0xFF) * f;
                            g[orow + x] += (v >> 8 & 0xFF) * f;
                            b[orow + x] += (v & 0xFF) * f;
                        }
                    } else {
                        for (int x = 0; x < w; x++) {
                            int v = s[srow + x];
                            float av = v >>> 24;
                            float fa = av * f;
                            float fp = fa / 255f;
                            a[orow + x] += fa;
                            r[orow + x] += (v >> 16 & 0xFF) * fp;
                            g[orow + x] += (v >> 8 & 0xFF) * fp;
                            b[orow + x] += (v & 0xFF) * fp;
                        }
                    }
                }
            }
            return out;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // container parsing: EXIF orientation, embedded ICC profiles

    /** Reads what the decoders do not give: orientation from EXIF; ICC profiles of PNG and WebP. */
    static final class Containers {
        private static final int MAX_ICC = 4 << 20;

        private Containers() {}

        /** The EXIF orientation 1-8 of an image, 1 when absent or unreadable. */
        static int orientation(byte[] b, Format format) {
            try {
                int o = switch (format) {
                    case JPEG -> jpegOrientation(b);
                    case PNG -> {
                        int[] c = pngChunk(b, "eXIf");
                        yield c == null ? 1 : tiffOrientation(b, c[0], c[1]);
                    }
                    case WEBP -> webpOrientation(b);
                    case TIFF -> tiffOrientation(b, 0, b.length);
                    default -> 1;
                };
                return o >= 1 && o <= 8 ? o : 1;
            } catch (RuntimeException e) {
                return 1;
            }
        }

        private static int jpegOrientation(byte[] b) {
            int i = 2;
            while (i + 4 <= b.length) {
                if ((b[i] & 0xFF) != 0xFF) return 1;
                int m = b[i + 1] & 0xFF;
                if (m == 0xFF) {
                    i++;
                    continue;
                }
                if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
                    i += 2;
                    continue;
                }
                if (m == 0xDA || m == 0xD9) return 1;
                int len = u16be(b, i + 2);
                if (len < 2) return 1;
                int seg = i + 4;
                if (m == 0xE1 && len >= 8 && startsWith(b, seg, ascii("Exif\0\0"))) {
                    return tiffOrientation(b, seg + 6, Math.min(b.length, i + 2 + len));
                }
                i += 2 + len;
            }
            return 1;
        }

        private static int webpOrientation(byte[] b) {
            int[] chunk = riffChunk(b, "EXIF");
            if (chunk == null) return 1;
            int off = chunk[0];
            if (startsWith(b, off, ascii("Exif\0\0"))) off += 6; // some writers keep the JPEG prefix
            return tiffOrientation(b, off, chunk[1]);
        }

        /** Orientation (tag 0x0112) from IFD0 of the TIFF structure in {@code b[start, end)}. */
        private static int tiffOrientation(byte[] b, int start, int end) {
            if (end - start < 8) return 1;
            boolean le;
            if (b[start] == 'I' && b[start + 1] == 'I') le = true;
            else if (b[start] == 'M' && b[start + 1] == 'M') le = false;
            else return 1;
            if (u16(b, start + 2, le) != 42) return 1;
            long ifd = u32(b, start + 4, le);
            if (ifd < 8 || start + ifd + 2 > end) return 1;
            int p = (int) (start + ifd);
            int n = u16(b, p, le);
            for (int k = 0; k < n; k++) {
                int e = p + 2 + 12 * k;
                if (e + 12 > end) return 1;
                if (u16(b, e, le) == 0x0112) {
                    int type = u16(b, e + 2, le);
                    return type == 3 ? u16(b, e + 8, le) : type == 4 ? (int) u32(b, e + 8, le) : 1;
                }
            }
            return 1;
        }

        /** The ICC profile of a PNG ({@code iCCP}, zlib), or null. */
        static byte[] pngIcc(byte[] b) {
            try {
                int[] c = pngChunk(b, "iCCP");
                if (c == null) return null;
                int nul = c[0];
                while (nul < c[1] && b[nul] != 0) nul++;
                if (nul + 2 > c[1] || b[nul + 1] != 0) return null; // compression method 0 only
                return inflate(b, nul + 2, c[1] - nul - 2);
            } catch (RuntimeException e) {
                return null;
            }
        }

        /** The ICC profile of a WebP ({@code ICCP} chunk), or null. */
        static byte[] webpIcc(byte[] b) {
            try {
                int[] c = riffChunk(b, "ICCP");
                if (c == null || c[1] - c[0] > MAX_ICC) return null;
                return java.util.Arrays.copyOfRange(b, c[0], c[1]);
            } catch (RuntimeException e) {
                return null;
            }
        }

        /** {@code [dataStart, dataEnd]} of the first PNG chunk of this type (before IDAT/IEND), or null. */
        private static int[] pngChunk(byte[] b, String type) {
            byte[] t = ascii(type);
            int i = 8;
            while (i + 8 <= b.length) {
                long len = u32(b, i, false);
                int data = i + 8;
                if (len > b.length - data) return null;
                if (startsWith(b, i + 4, t)) return new int[] {data, data + (int) len};
                if (startsWith(b, i + 4, ascii("IDAT")) || startsWith(b, i + 4, ascii("IEND"))) return null;
                i = data + (int) len + 4;
            }
            return null;
        }

        /** {@code [dataStart, dataEnd]} of the first RIFF chunk of this FourCC in a WebP, or null. */
        static int[] riffChunk(byte[] b, String fourcc) {
            byte[] t = ascii(fourcc);
            int i = 12;
            while (i + 8 <= b.length) {
                long len = u32(b, i + 4, true);
                int data = i + 8;
                if (len > b.length - data) return null;
                if (startsWith(b, i, t)) return new int[] {data, data + (int) len};
                i = data + (int) len + (int) (len & 1);
            }
            return null;
        }

        private static byte[] inflate(byte[] b, int off, int len) {
            Inflater inf = new Inflater();
            try {
                inf.setInput(b, off, len);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                while (!inf.finished()) {
                    int n = inf.inflate(buf);
                    if (n == 0 && (inf.needsInput() || inf.needsDictionary())) return null;
                    out.write(buf, 0, n);
                    if (out.size() > MAX_ICC) return null;
                }
                return out.toByteArray();
            } catch (DataFormatException e) {
                return null;
            } finally {
                inf.end();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // small helpers

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static boolean startsWith(byte[] b, int off, byte[] prefix) {
        if (off < 0 || b.length - off < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (b[off + i] != prefix[i]) return false;
        return true;
    }

    private static int u16be(byte[] b, int i) {
        return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static int u16(byte[] b, int i, boolean le) {
        return le ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : u16be(b, i);
    }

    private static long u32(byte[] b, int i, boolean le) {
        long v = le
                ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (long) (b[i + 3] & 0xFF) << 24
                : (long) (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
        return v & 0xFFFFFFFFL;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        String s = m == null ? e.getClass().getSimpleName() : m;
        return s.replaceAll("\\s+", " ").strip();
    }
}

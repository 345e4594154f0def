package dev.stowage.images;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The few libvips calls the {@link VipsImageEngine} needs, bound through the Foreign Function & Memory
 * API (JEP 454). libvips' C API (libvips 8.x, {@code vips/vips.h}) takes its optional arguments as a
 * variadic list of name/value pairs ended by {@code NULL}; each call shape used here has its own
 * downcall handle with {@link Linker.Option#firstVariadicArg(int)} at the first optional argument
 * (varargs promotion: {@code int}, enums and {@code gboolean} pass as C {@code int}).
 *
 * <p><b>Ownership.</b> Every {@code VipsImage *} returned by a call is a new reference that the caller
 * gives back with {@link #unref(MemorySegment)} ({@code g_object_unref}); every output buffer is
 * {@code g_malloc}ed by libvips and given back with {@code g_free} here, after it has been copied to the
 * Java heap. An image made from a buffer ({@code *_buffer} loaders) keeps pointing into that buffer: the
 * buffer's {@link Arena} must outlive the image.
 *
 * <p><b>Errors.</b> A call that returns non-zero (or {@code NULL}) throws {@link VipsException} with
 * libvips' error buffer text ({@code vips_error_buffer_copy}, which also clears it). libvips keeps one
 * error buffer per process, so two threads failing at the same instant may see each other's text.
 *
 * <p><b>Start-up.</b> {@link #load(String)} opens the shared library, calls {@code vips_init} once per
 * process, turns off the operation cache ({@code vips_cache_set_max(0)}: every render is new work, and a
 * cache would only hold memory) and sets the threads per pipeline ({@code vips_concurrency_set}).
 * Instances are thread-safe: libvips is.
 */
final class Vips {

    /** {@code VipsInterpretation}: {@code VIPS_INTERPRETATION_sRGB} (vips/image.h). */
    static final int INTERPRETATION_SRGB = 22;
    /** {@code VipsBandFormat}: {@code VIPS_FORMAT_UCHAR}. */
    static final int FORMAT_UCHAR = 0;
    /** {@code VipsSize}: {@code VIPS_SIZE_BOTH} (up or down), {@code VIPS_SIZE_DOWN} (never enlarge). */
    static final int SIZE_BOTH = 0, SIZE_DOWN = 2;
    /** {@code VipsInteresting}: {@code VIPS_INTERESTING_NONE} (no crop), {@code VIPS_INTERESTING_CENTRE}. */
    static final int CROP_NONE = 0, CROP_CENTRE = 1;
    /** {@code VIPS_INTERPRETATION_CMYK}. */
    static final int INTERPRETATION_CMYK = 15;
    /** {@code VipsFailOn}: {@code VIPS_FAIL_ON_WARNING} — stop at the first decoder warning (Sharp's default). */
    static final int FAIL_ON_WARNING = 3;
    /** {@code VipsIntent}: {@code VIPS_INTENT_PERCEPTUAL}. */
    static final int INTENT_PERCEPTUAL = 0;
    /** {@code VIPS_MAX_COORD}: the largest image side libvips accepts (10,000,000 px). */
    static final int MAX_COORD = 10_000_000;

    /** The name of the shared library on this platform ({@code libvips.so.42} on Linux). */
    static String defaultLibrary() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("mac")) return "libvips.42.dylib";
        if (os.contains("win")) return "libvips-42.dll";
        return "libvips.so.42";
    }

    private static final Map<String, Vips> LOADED = new ConcurrentHashMap<>();
    private static final Linker LINKER = Linker.nativeLinker();

    private final String library;
    private final String version;
    private final SymbolLookup lookup;
    private final Arena names = Arena.global();

    private final MethodHandle errorBufferCopy;
    private final MethodHandle gFree;
    private final MethodHandle gStrfreev;
    private final MethodHandle unref;
    private final MethodHandle newFromBuffer;
    private final MethodHandle width;
    private final MethodHandle height;
    private final MethodHandle interpretation;
    private final MethodHandle format;
    private final MethodHandle typeOf;
    private final MethodHandle thumbnailBuffer;
    private final MethodHandle thumbnailImage;
    private final MethodHandle iccTransform;
    private final MethodHandle extractArea;
    private final MethodHandle arrayjoin;
    private final MethodHandle getPageHeight;
    private final MethodHandle setInt;
    private final MethodHandle colourspace;
    private final MethodHandle castUchar;
    private final MethodHandle copy;
    private final MethodHandle copyMemory;
    private final MethodHandle getFields;
    private final MethodHandle remove;
    private final MethodHandle webpsaveBuffer;
    private final MethodHandle jpegsaveBuffer;
    private final MethodHandle trackedAllocs;
    private final MethodHandle trackedMem;

    private final MemorySegment sHeight;
    private final MemorySegment sSize;
    private final MemorySegment sCrop;
    private final MemorySegment sExportProfile;
    private final MemorySegment sFailOn;
    private final MemorySegment sOptionString;
    private final MemorySegment sLoadOptions;
    private final MemorySegment sSrgb;
    private final MemorySegment sEmpty;
    private final MemorySegment sQ;
    private final MemorySegment sStrip;
    private final MemorySegment sNoRotate;
    private final MemorySegment sIccName;
    private final MemorySegment sInputProfile;
    private final MemorySegment sCmyk;
    private final MemorySegment sEmbedded;
    private final MemorySegment sIntent;
    private final MemorySegment sAnimatedLoadOptions;
    private final MemorySegment sAcross;
    private final MemorySegment sPageHeight;

    /**
     * Opens libvips and starts it (once per library name and process).
     *
     * @param library     a file name the dynamic linker finds ({@code libvips.so.42}) or a path; {@code null}
     *                    or blank for {@link #defaultLibrary()}
     * @param concurrency worker threads per libvips pipeline ({@code vips_concurrency_set}), at least 1; only
     *                    the first load in a process sets it
     * @return the binding
     * @throws VipsUnavailableException the library cannot be opened, lacks a symbol, or {@code vips_init} fails
     */
    static Vips load(String library, int concurrency) {
        String name = library == null || library.isBlank() ? defaultLibrary() : library.strip();
        return LOADED.computeIfAbsent(name, n -> new Vips(n, concurrency));
    }

    private Vips(String library, int concurrency) {
        this.library = library;
        try {
            this.lookup = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new VipsUnavailableException("cannot load libvips '" + library + "': " + e.getMessage()
                    + " (install libvips: Debian/Ubuntu 'apt install libvips42', Fedora 'dnf install vips', macOS 'brew install vips')", e);
        }
        try {
            MethodHandle init = fn("vips_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            MethodHandle versionString = fn("vips_version_string", FunctionDescriptor.of(ADDRESS));
            MethodHandle concurrencySet = fn("vips_concurrency_set", FunctionDescriptor.ofVoid(JAVA_INT));
            MethodHandle cacheSetMax = fn("vips_cache_set_max", FunctionDescriptor.ofVoid(JAVA_INT));
            errorBufferCopy = fn("vips_error_buffer_copy", FunctionDescriptor.of(ADDRESS));
            gFree = fn("g_free", FunctionDescriptor.ofVoid(ADDRESS));
            gStrfreev = fn("g_strfreev", FunctionDescriptor.ofVoid(ADDRESS));
            unref = fn("g_object_unref", FunctionDescriptor.ofVoid(ADDRESS));
            // VipsImage *vips_image_new_from_buffer(const void *buf, size_t len, const char *option_string, ...)
            newFromBuffer = variadic("vips_image_new_from_buffer", ADDRESS, 3, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
            width = fn("vips_image_get_width", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            height = fn("vips_image_get_height", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            interpretation = fn("vips_image_get_interpretation", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            format = fn("vips_image_get_format", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            typeOf = fn("vips_image_get_typeof", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS));
            // int vips_thumbnail_buffer(void *buf, size_t len, VipsImage **out, int width, ...)
            // height, size, crop, option_string (loader options), then export_profile last: its name is passed as
            // NULL, which ends the option list, when no colour management is wanted
            thumbnailBuffer = variadic("vips_thumbnail_buffer", JAVA_INT, 4, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT,
                    ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
            // int vips_thumbnail_image(VipsImage *in, VipsImage **out, int width, ...)
            thumbnailImage = variadic("vips_thumbnail_image", JAVA_INT, 3, ADDRESS, ADDRESS, JAVA_INT,
                    ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
            // int vips_icc_transform(VipsImage *in, VipsImage **out, const char *output_profile, ...)
            // input_profile, embedded, intent
            iccTransform = variadic("vips_icc_transform", JAVA_INT, 3, ADDRESS, ADDRESS, ADDRESS,
                    ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
            // int vips_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width, int height, ...)
            extractArea = variadic("vips_extract_area", JAVA_INT, 6, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
            // int vips_arrayjoin(VipsImage **in, VipsImage **out, int n, ...) with "across", 1
            arrayjoin = variadic("vips_arrayjoin", JAVA_INT, 3, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
            getPageHeight = fn("vips_image_get_page_height", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            setInt = fn("vips_image_set_int", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT));
            // int vips_colourspace(VipsImage *in, VipsImage **out, VipsInterpretation space, ...)
            colourspace = variadic("vips_colourspace", JAVA_INT, 3, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
            castUchar = variadic("vips_cast_uchar", JAVA_INT, 2, ADDRESS, ADDRESS, ADDRESS);
            copy = variadic("vips_copy", JAVA_INT, 2, ADDRESS, ADDRESS, ADDRESS);
            copyMemory = fn("vips_image_copy_memory", FunctionDescriptor.of(ADDRESS, ADDRESS));
            getFields = fn("vips_image_get_fields", FunctionDescriptor.of(ADDRESS, ADDRESS));
            remove = fn("vips_image_remove", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            // int vips_webpsave_buffer(VipsImage *in, void **buf, size_t *len, ...)
            webpsaveBuffer = variadic("vips_webpsave_buffer", JAVA_INT, 3, ADDRESS, ADDRESS, ADDRESS,
                    ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
            jpegsaveBuffer = variadic("vips_jpegsave_buffer", JAVA_INT, 3, ADDRESS, ADDRESS, ADDRESS,
                    ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
            trackedAllocs = fn("vips_tracked_get_allocs", FunctionDescriptor.of(JAVA_INT));
            trackedMem = fn("vips_tracked_get_mem", FunctionDescriptor.of(JAVA_LONG));

            sHeight = names.allocateFrom("height");
            sSize = names.allocateFrom("size");
            sCrop = names.allocateFrom("crop");
            sExportProfile = names.allocateFrom("export_profile");
            sFailOn = names.allocateFrom("fail_on");
            sOptionString = names.allocateFrom("option_string");
            // thumbnail's own fail_on property is not passed to buffer loaders in libvips 8.14: give it as a
            // loader option, so a truncated JPEG fails instead of coming out grey-filled
            sLoadOptions = names.allocateFrom("fail_on=warning");
            sSrgb = names.allocateFrom("srgb");
            sEmpty = names.allocateFrom("");
            sQ = names.allocateFrom("Q");
            sStrip = names.allocateFrom("strip");
            sNoRotate = names.allocateFrom("no_rotate");
            sIccName = names.allocateFrom("icc-profile-data");
            sInputProfile = names.allocateFrom("input_profile");
            sCmyk = names.allocateFrom("cmyk");
            sEmbedded = names.allocateFrom("embedded");
            sIntent = names.allocateFrom("intent");
            sAnimatedLoadOptions = names.allocateFrom("n=-1,fail_on=warning");
            sAcross = names.allocateFrom("across");
            sPageHeight = names.allocateFrom("page-height");

            if ((int) init.invoke(names.allocateFrom("stowage")) != 0) {
                throw new VipsUnavailableException("vips_init failed: " + errorText(), null);
            }
            cacheSetMax.invoke(0);
            concurrencySet.invoke(Math.max(1, concurrency));
            this.version = ((MemorySegment) versionString.invoke()).reinterpret(64).getString(0);
        } catch (VipsUnavailableException e) {
            throw e;
        } catch (Throwable e) {
            throw new VipsUnavailableException("libvips '" + library + "' cannot be used: " + e, e);
        }
    }

    private MethodHandle fn(String symbol, FunctionDescriptor d) {
        MemorySegment addr = lookup.find(symbol)
                .orElseThrow(() -> new VipsUnavailableException("libvips '" + library + "' has no " + symbol + " (libvips 8.14 or later is needed)", null));
        return LINKER.downcallHandle(addr, d);
    }

    /** A variadic function: {@code fixed} declared parameters, then the optional name/value pairs and NULL. */
    private MethodHandle variadic(String symbol, MemoryLayout ret, int fixed, MemoryLayout... args) {
        MemorySegment addr = lookup.find(symbol)
                .orElseThrow(() -> new VipsUnavailableException("libvips '" + library + "' has no " + symbol, null));
        return LINKER.downcallHandle(addr, FunctionDescriptor.of(ret, args), Linker.Option.firstVariadicArg(fixed));
    }

    /** The library name this binding opened. */
    String library() {
        return library;
    }

    /** libvips' version, e.g. {@code 8.14.1}. */
    String version() {
        return version;
    }

    // ---- calls -------------------------------------------------------------------------------------

    /**
     * The header of an image held in native memory, read without decoding pixels
     * ({@code vips_image_new_from_buffer} is lazy): {width, height, interpretation, 1 when an ICC profile is
     * embedded else 0}.
     *
     * @throws VipsException libvips finds no loader or cannot read the header
     */
    int[] header(MemorySegment buf) throws VipsException {
        MemorySegment img = (MemorySegment) call(() -> newFromBuffer.invoke(buf, buf.byteSize(), sEmpty, sFailOn, FAIL_ON_WARNING, MemorySegment.NULL));
        if (img.equals(MemorySegment.NULL)) throw error("vips_image_new_from_buffer");
        try {
            boolean icc = (long) call(() -> typeOf.invoke(img, sIccName)) != 0;
            return new int[] {(int) call(() -> width.invoke(img)), (int) call(() -> height.invoke(img)),
                    (int) call(() -> interpretation.invoke(img)), icc ? 1 : 0};
        } finally {
            unref(img);
        }
    }

    /**
     * {@code vips_thumbnail_buffer}: loads with shrink-on-load, applies the EXIF orientation, imports an
     * embedded profile (or a CMYK default) and exports sRGB when asked, resizes (Lanczos-3) to {@code w} wide and at
     * most {@code h} high, cropping the centre when {@code crop}.
     *
     * @param buf  the whole file, in memory that outlives the returned image
     * @param size {@link #SIZE_BOTH} or {@link #SIZE_DOWN}
     * @param crop {@link #CROP_NONE} or {@link #CROP_CENTRE}
     * @param toSrgbProfile colour-manage: import the embedded profile (or libvips' CMYK default) and export
     *             sRGB ({@code export_profile=srgb}). Only for images that have a profile or are CMYK: libvips
     *             8.14 also transforms an untagged RGB image (assumed sRGB) through lcms, which shifts its
     *             colours (mean |ΔRGB| 5.5 measured on an untagged photo) and costs time
     * @return a new image reference
     */
    MemorySegment thumbnail(MemorySegment buf, int w, int h, int size, int crop, boolean toSrgbProfile, Arena arena) throws VipsException {
        return thumbnail(buf, w, h, size, crop, toSrgbProfile, false, arena);
    }

    /**
     * {@link #thumbnail(MemorySegment, int, int, int, int, boolean, Arena)}; with {@code allFrames}, every
     * frame is loaded ({@code n=-1}) as a vertical strip of pages ({@code page-height}), each page resized
     * alike, delays and loop count kept as metadata.
     */
    MemorySegment thumbnail(MemorySegment buf, int w, int h, int size, int crop, boolean toSrgbProfile, boolean allFrames, Arena arena) throws VipsException {
        MemorySegment out = arena.allocate(ADDRESS);
        MemorySegment export = toSrgbProfile ? sExportProfile : MemorySegment.NULL;
        MemorySegment options = allFrames ? sAnimatedLoadOptions : sLoadOptions;
        int rc = (int) call(() -> thumbnailBuffer.invoke(buf, buf.byteSize(), out, w,
                sHeight, h, sSize, size, sCrop, crop, sOptionString, options, export, sSrgb, MemorySegment.NULL));
        if (rc != 0) throw error("vips_thumbnail_buffer");
        return out.get(ADDRESS, 0);
    }

    /**
     * {@code vips_thumbnail_image}: resizes an image already decoded (no shrink-on-load, no orientation or
     * colour handling: {@code in} is already upright sRGB).
     *
     * @return a new image reference
     */
    MemorySegment thumbnailImage(MemorySegment in, int w, int h, int size, int crop, Arena arena) throws VipsException {
        return thumbnailImage(in, w, h, size, crop, false, arena);
    }

    /**
     * {@code vips_thumbnail_image}, applying the EXIF orientation of {@code in} when {@code rotate}.
     *
     * @return a new image reference
     */
    MemorySegment thumbnailImage(MemorySegment in, int w, int h, int size, int crop, boolean rotate, Arena arena) throws VipsException {
        MemorySegment out = arena.allocate(ADDRESS);
        int noRotate = rotate ? 0 : 1;
        int rc = (int) call(() -> thumbnailImage.invoke(in, out, w, sHeight, h, sSize, size, sCrop, crop, sNoRotate, noRotate, MemorySegment.NULL));
        if (rc != 0) throw error("vips_thumbnail_image");
        return out.get(ADDRESS, 0);
    }

    /**
     * An image loaded lazily from a buffer ({@code vips_image_new_from_buffer}) with loader options, e.g.
     * {@code shrink=2} for JPEG's DCT-domain shrink, and {@code fail_on=warning}.
     *
     * @param options the loader's option string ({@code ""} for none)
     * @return a new image reference
     */
    MemorySegment load(MemorySegment buf, String options, Arena arena) throws VipsException {
        MemorySegment opts = arena.allocateFrom(options);
        MemorySegment img = (MemorySegment) call(() -> newFromBuffer.invoke(buf, buf.byteSize(), opts, sFailOn, FAIL_ON_WARNING, MemorySegment.NULL));
        if (img.equals(MemorySegment.NULL)) throw error("vips_image_new_from_buffer");
        return img;
    }

    /**
     * {@code vips_icc_transform} to libvips' built-in sRGB profile, perceptual intent (LittleCMS' and
     * libvips 8.14's default, as the Java engine's {@code ColorConvertOp}), through the
     * embedded profile when it is usable for the image ({@code embedded=TRUE}), else through libvips'
     * built-in CMYK profile ({@code input_profile=cmyk}, "Chemical proof", public domain). For CMYK images:
     * {@code vips_thumbnail} in libvips 8.14 rejects an embedded CMYK profile ("profile incompatible with
     * image") and always uses the built-in one.
     *
     * @return a new image reference: 8-bit sRGB, the orientation and other metadata kept
     */
    MemorySegment cmykToSrgb(MemorySegment in, Arena arena) throws VipsException {
        MemorySegment out = arena.allocate(ADDRESS);
        int rc = (int) call(() -> iccTransform.invoke(in, out, sSrgb, sInputProfile, sCmyk, sEmbedded, 1, sIntent, INTENT_PERCEPTUAL, MemorySegment.NULL));
        if (rc != 0) throw error("vips_icc_transform");
        return out.get(ADDRESS, 0);
    }

    /** The height of one page (frame) of a multi-page image; the image's height when it has one page. */
    int pageHeight(MemorySegment img) {
        return (int) call(() -> getPageHeight.invoke(img));
    }

    /**
     * The same {@code w × h} rectangle at {@code (left, top)} of every page of a vertical strip of
     * {@code pages} pages, joined again into a strip whose {@code page-height} is {@code h}: an animation
     * cropped frame by frame.
     *
     * @return a new image reference, the input's metadata (delays, loop count) kept
     */
    MemorySegment cropPages(MemorySegment in, int pages, int pageHeight, int left, int top, int w, int h, Arena arena) throws VipsException {
        MemorySegment parts = arena.allocate(ADDRESS, pages);
        int made = 0;
        try {
            for (int i = 0; i < pages; i++) {
                MemorySegment out = arena.allocate(ADDRESS);
                int y = i * pageHeight + top;
                if ((int) call(() -> extractArea.invoke(in, out, left, y, w, h, MemorySegment.NULL)) != 0) throw error("vips_extract_area");
                parts.setAtIndex(ADDRESS, i, out.get(ADDRESS, 0));
                made++;
            }
            MemorySegment joined = arena.allocate(ADDRESS);
            if ((int) call(() -> arrayjoin.invoke(parts, joined, pages, sAcross, 1, MemorySegment.NULL)) != 0) throw error("vips_arrayjoin");
            MemorySegment result = joined.get(ADDRESS, 0);
            call(() -> {
                setInt.invoke(result, sPageHeight, h);
                return null;
            });
            return result;
        } finally {
            for (int i = 0; i < made; i++) unref(parts.getAtIndex(ADDRESS, i));
        }
    }

    /** The image computed into memory ({@code vips_image_copy_memory}): later reads do not run the pipeline again. */
    MemorySegment copyMemory(MemorySegment in) throws VipsException {
        MemorySegment out = (MemorySegment) call(() -> copyMemory.invoke(in));
        if (out.equals(MemorySegment.NULL)) throw error("vips_image_copy_memory");
        return out;
    }

    /**
     * An 8-bit sRGB version of {@code in} (alpha kept): {@code vips_colourspace} to sRGB when the
     * interpretation is another (16-bit RGB, grey, CMYK without a profile...), {@code vips_cast_uchar} when
     * samples are still wider than 8 bits. Always a new reference (a {@code vips_copy} when nothing changes),
     * whose metadata may be changed.
     */
    MemorySegment srgb8(MemorySegment in, Arena arena) throws VipsException {
        MemorySegment cur = in;
        boolean owned = false;
        try {
            if ((int) call(() -> interpretation.invoke(in)) != INTERPRETATION_SRGB) {
                MemorySegment out = arena.allocate(ADDRESS);
                MemorySegment src = cur;
                if ((int) call(() -> colourspace.invoke(src, out, INTERPRETATION_SRGB, MemorySegment.NULL)) != 0) throw error("vips_colourspace");
                cur = out.get(ADDRESS, 0);
                owned = true;
            }
            MemorySegment src = cur;
            if ((int) call(() -> format.invoke(src)) != FORMAT_UCHAR) {
                MemorySegment out = arena.allocate(ADDRESS);
                if ((int) call(() -> castUchar.invoke(src, out, MemorySegment.NULL)) != 0) throw error("vips_cast_uchar");
                if (owned) unref(cur);
                cur = out.get(ADDRESS, 0);
                owned = true;
            }
            // a private copy: metadata is changed on it, never on an image another reference may share
            MemorySegment out = arena.allocate(ADDRESS);
            MemorySegment last = cur;
            if ((int) call(() -> copy.invoke(last, out, MemorySegment.NULL)) != 0) throw error("vips_copy");
            return out.get(ADDRESS, 0);
        } finally {
            if (owned) unref(cur);
        }
    }

    /**
     * Removes every metadata item of an image ({@code vips_image_get_fields}, then {@code vips_image_remove}
     * of each): EXIF ({@code exif-data} and the {@code exif-ifd*} fields), XMP, IPTC, the ICC profile,
     * orientation, resolution notes, PNG comments... The header fields (width, height, bands, format,
     * coding, interpretation, offsets, resolution) are not metadata items and stay. Needed because
     * libvips 8.14.0-8.14.1 {@code webpsave} ignores {@code strip} and writes EXIF and XMP chunks.
     *
     * @param img an image reference no one else holds (see {@link #srgb8})
     * @return the names removed
     */
    List<String> removeMetadata(MemorySegment img) throws VipsException {
        return removeMetadata(img, false);
    }

    /**
     * {@link #removeMetadata(MemorySegment)}, keeping what an animation needs ({@code page-height},
     * {@code delay}, {@code loop}) when {@code keepAnimation}.
     */
    List<String> removeMetadata(MemorySegment img, boolean keepAnimation) throws VipsException {
        List<String> removed = new ArrayList<>();
        MemorySegment fields = (MemorySegment) call(() -> getFields.invoke(img));
        if (fields.equals(MemorySegment.NULL)) return removed;
        try {
            MemorySegment array = fields.reinterpret(Long.MAX_VALUE);
            List<String> names = new ArrayList<>();
            for (long i = 0; ; i++) {
                MemorySegment p = array.getAtIndex(ADDRESS, i);
                if (p.equals(MemorySegment.NULL)) break;
                names.add(p.reinterpret(Integer.MAX_VALUE).getString(0));
            }
            try (Arena arena = Arena.ofConfined()) {
                for (String n : names) {
                    if (HEADER_FIELDS.contains(n)) continue;
                    if (keepAnimation && ANIMATION_FIELDS.contains(n)) continue;
                    MemorySegment cn = arena.allocateFrom(n);
                    if ((int) call(() -> remove.invoke(img, cn)) != 0) removed.add(n);
                }
            }
        } finally {
            call(() -> {
                gStrfreev.invoke(fields);
                return null;
            });
        }
        return removed;
    }

    /** The metadata an animated WebP is written from. */
    private static final java.util.Set<String> ANIMATION_FIELDS = java.util.Set.of("page-height", "delay", "loop");

    /** The built-in header fields {@code vips_image_get_fields} lists first; they are not metadata items. */
    private static final java.util.Set<String> HEADER_FIELDS = java.util.Set.of("width", "height", "bands", "format",
            "coding", "interpretation", "xoffset", "yoffset", "xres", "yres", "filename");

    /** {@code vips_webpsave_buffer} (lossy, quality {@code q}, {@code strip}), copied to the heap. */
    byte[] webp(MemorySegment img, int q) throws VipsException {
        return save(webpsaveBuffer, "vips_webpsave_buffer", img, q);
    }

    /** {@code vips_jpegsave_buffer} (quality {@code q}, {@code strip}), copied to the heap. */
    byte[] jpeg(MemorySegment img, int q) throws VipsException {
        return save(jpegsaveBuffer, "vips_jpegsave_buffer", img, q);
    }

    private byte[] save(MethodHandle h, String what, MemorySegment img, int q) throws VipsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bufp = arena.allocate(ADDRESS);
            MemorySegment lenp = arena.allocate(JAVA_LONG);
            int rc = (int) call(() -> h.invoke(img, bufp, lenp, sQ, q, sStrip, 1, MemorySegment.NULL));
            if (rc != 0) throw error(what);
            MemorySegment buf = bufp.get(ADDRESS, 0);
            try {
                return buf.reinterpret(lenp.get(JAVA_LONG, 0)).toArray(JAVA_BYTE);
            } finally {
                gFree(buf);
            }
        }
    }

    int width(MemorySegment img) {
        return (int) call(() -> width.invoke(img));
    }

    int height(MemorySegment img) {
        return (int) call(() -> height.invoke(img));
    }

    /** Gives back an image reference; {@code NULL} is ignored. */
    void unref(MemorySegment img) {
        if (img == null || img.equals(MemorySegment.NULL)) return;
        call(() -> {
            unref.invoke(img);
            return null;
        });
    }

    private void gFree(MemorySegment p) {
        call(() -> {
            gFree.invoke(p);
            return null;
        });
    }

    /** Pixel buffers libvips has allocated and not yet freed ({@code vips_tracked_get_allocs}). */
    int trackedAllocs() {
        return (int) call(() -> trackedAllocs.invoke());
    }

    /** Bytes in those buffers ({@code vips_tracked_get_mem}). */
    long trackedMem() {
        return (long) call(() -> trackedMem.invoke());
    }

    // ---- errors ------------------------------------------------------------------------------------

    private VipsException error(String call) {
        return new VipsException(call, errorText());
    }

    /** libvips' error buffer, one line, and clears it. */
    private String errorText() {
        MemorySegment p = (MemorySegment) call(() -> errorBufferCopy.invoke());
        if (p.equals(MemorySegment.NULL)) return "";
        try {
            return p.reinterpret(Integer.MAX_VALUE).getString(0).strip().replaceAll("\\s*\\n\\s*", "; ");
        } finally {
            gFree(p);
        }
    }

    @FunctionalInterface
    private interface NativeCall {
        Object run() throws Throwable;
    }

    private static Object call(NativeCall c) {
        try {
            return c.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** A libvips call failed; {@link #getMessage()} is libvips' error text. */
    static final class VipsException extends IOException {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        final String call;
        final String text;

        VipsException(String call, String text) {
            super(text.isEmpty() ? call + " failed" : text);
            this.call = call;
            this.text = text;
        }
    }
}

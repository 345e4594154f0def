package dev.stowage.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stowage.testing.TestServers;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine suite: every {@link ImageEngine} must pass these same tests — {@link JavaImageEngine} and
 * {@link VipsImageEngine} — on the fixture set ({@code src/test/resources/fixtures/images}): sizes, WebP
 * validity, no metadata, orientation, colour, alpha, frames, damaged, unsupported and oversized input.
 * Where the engines differ by design (HEIC and AVIF decode only with libvips) the test says what each
 * must do.
 *
 * <p>Both engines run unless {@code -Dstowage.test.engines=java} (or {@code vips}) names one; the libvips
 * engine's run fails, naming the package to install, when libvips does not load.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("engines")
class ImageEngineTest {

    static final List<VariantSpec> BOTH = List.of(VariantSpec.THUMB, VariantSpec.MEDIUM);
    static final Set<String> HEIF = Set.of("special/heic_Wood.heic", "special/heic_irot1_Wood.heic", "special/avif_Garden.avif");

    @Parameter
    ImageEngine engine;

    static Stream<Named<ImageEngine>> engines() {
        String wanted = System.getProperty("stowage.test.engines", "java,vips");
        List<Named<ImageEngine>> out = new ArrayList<>();
        if (wanted.contains("java")) out.add(Named.of("java", new JavaImageEngine()));
        if (wanted.contains("vips")) out.add(Named.of("vips", vips()));
        return out.stream();
    }

    /** The libvips engine, or a clear failure when libvips is not installed. */
    static VipsImageEngine vips() {
        try {
            return VipsImageEngine.load();
        } catch (VipsUnavailableException e) {
            throw new AssertionError("the libvips engine's tests need libvips (Debian: apt-get install libvips42), "
                    + "or run only the Java engine's with -Dstowage.test.engines=java: " + e.getMessage(), e);
        }
    }

    private boolean decodesHeif() {
        return engine instanceof VipsImageEngine;
    }

    // ---- fixtures ---------------------------------------------------------------------------------

    /** The {@code images} fixture folder (committed and generated files). */
    static Path images() {
        return TestServers.fixture("images");
    }

    static byte[] bytes(String relative) {
        Path p = images().resolve(relative);
        if (!Files.isRegularFile(p)) fail("fixture missing: " + p);
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Every file of {@code photos/} and {@code special/}. */
    static Stream<String> fixtures() throws IOException {
        List<String> out = new ArrayList<>();
        for (String dir : List.of("photos", "special")) {
            try (Stream<Path> files = Files.list(images().resolve(dir))) {
                files.map(p -> dir + "/" + p.getFileName()).sorted().forEach(out::add);
            }
        }
        assertThat(out).as("fixtures").hasSizeGreaterThan(45);
        return out.stream();
    }

    // ---- sizes, validity, metadata ---------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("fixtures")
    void everyFixtureGivesA150SquareThumbAndAMediumAtMost800WideOrAClearError(String fixture) throws IOException {
        byte[] src = bytes(fixture);
        String file = fixture.substring(fixture.indexOf('/') + 1);
        if (file.startsWith("bomb_")) {
            assertThatThrownBy(() -> engine.renderAll(src, BOTH)).isInstanceOf(UnsupportedImageException.class).hasMessageContaining("50000x50000");
            return;
        }
        if (file.startsWith("truncated_")) {
            assertThatThrownBy(() -> engine.renderAll(src, BOTH)).isInstanceOf(CorruptImageException.class);
            return;
        }
        if (HEIF.contains(fixture) && !decodesHeif()) {
            assertThatThrownBy(() -> engine.renderAll(src, BOTH)).isInstanceOf(UnsupportedImageException.class)
                    .hasMessageContaining(fixture.endsWith(".avif") ? "AVIF" : "HEIC");
            return;
        }
        int[] display = displaySize(src);
        List<RenderedVariant> out = engine.renderAll(src, BOTH);

        RenderedVariant thumb = out.get(0);
        assertThat(thumb.width()).as("thumb width").isEqualTo(150);
        assertThat(thumb.height()).as("thumb height").isEqualTo(150);
        assertValidWebp(thumb);

        RenderedVariant medium = out.get(1);
        int expectedW = Math.min(800, display[0]);
        assertThat(medium.width()).as("medium width of a %dx%d image", display[0], display[1]).isEqualTo(expectedW);
        double expectedH = (double) display[1] * expectedW / display[0];
        assertThat((double) medium.height()).as("medium height (aspect kept)").isCloseTo(expectedH, org.assertj.core.data.Offset.offset(1.0));
        assertValidWebp(medium);
        assertNoMetadata(fixture, thumb);
        assertNoMetadata(fixture, medium);
    }

    @Test
    void renderOneAtATimeGivesTheSameSizesAsRenderAll() throws IOException {
        byte[] src = bytes("photos/derived_phone_o6_gps.jpg");
        RenderedVariant thumb = engine.render(src, VariantSpec.THUMB);
        RenderedVariant medium = engine.render(src, VariantSpec.MEDIUM);
        assertThat(List.of(thumb.width(), thumb.height(), medium.width(), medium.height())).containsExactly(150, 150, 800, 600);
        assertThat(medium.contentType()).isEqualTo("image/webp");
        assertThat(medium.extension()).isEqualTo("webp");
        assertThat(engine.name()).isIn("java", "vips");
    }

    @Test
    void aOnePixelImageIsEnlargedToCoverTheThumbAndKeptAsIsForMedium() throws IOException {
        for (String f : List.of("special/1x1.jpg", "special/1x1.png")) {
            List<RenderedVariant> out = engine.renderAll(bytes(f), BOTH);
            assertThat(List.of(out.get(0).width(), out.get(0).height())).as(f).containsExactly(150, 150);
            assertThat(List.of(out.get(1).width(), out.get(1).height())).as(f).containsExactly(1, 1);
            BufferedImage thumb = pixels(out.get(0).bytes());
            int[] px = thumb.getRGB(0, 0, 150, 150, null, 0, 150);
            assertThat(Stream.of(px[0], px[75 * 150 + 75], px[px.length - 1]).distinct().count()).as("a flat colour").isEqualTo(1);
        }
    }

    @Test
    void outputsCarryNoMetadataEvenWhenTheSourceHasGpsAndXmp() throws IOException {
        // (on Debian 12's libvips 8.14.1, webpsave ignores strip: without removing the metadata from the image
        // first, every one of these would carry an EXIF chunk with the GPS IFD — see VipsImageEngineTest)
        for (String f : List.of("photos/derived_phone_o6_gps.jpg", "special/exiftool_GPS.jpg", "special/exiftool_ExifTool.jpg",
                "special/exiftool_XMP.jpg", "special/exiftool_Google.jpg", "special/exiftool_IPTC.jpg", "special/exiftool_MWG.jpg",
                "special/exiftool_PNG.png", "special/exiftool_GIF.gif", "special/adobergb_LadyBird.jpg")) {
            assertThat(new String(bytes(f), StandardCharsets.ISO_8859_1)).as("the source %s has metadata", f)
                    .containsAnyOf("Exif", "http://ns.adobe.com", "ICC_PROFILE", "iCCP", "XMP");
            for (RenderedVariant v : engine.renderAll(bytes(f), BOTH)) assertNoMetadata(f, v);
            for (VariantSpec s : BOTH) assertNoMetadata(f, engine.render(bytes(f), s));
        }
    }

    // ---- orientation -------------------------------------------------------------------------------

    @Test
    void everyExifOrientationComesOutUpright() throws IOException {
        for (VariantSpec spec : BOTH) {
            RenderedVariant ref = engine.render(bytes("special/orient_1.jpg"), spec);
            double[][] upright = grey(pixels(ref.bytes()), 32, spec == VariantSpec.THUMB ? 32 : 20);
            // the ways the reference can be mis-turned while keeping its size
            List<double[][]> wrong = new ArrayList<>();
            for (int t = 1; t < 8; t++) {
                double[][] g = dihedral(upright, t);
                if (g.length == upright.length && g[0].length == upright[0].length) wrong.add(g);
            }
            assertThat(wrong).as("mis-turned candidates").hasSize(spec == VariantSpec.THUMB ? 7 : 3);
            for (double[][] g : wrong) {
                assertThat(mad(upright, g)).as("the reference is not symmetric, so a wrong turn is detectable").isGreaterThan(15);
            }
            for (int o = 1; o <= 8; o++) {
                RenderedVariant v = engine.render(bytes("special/orient_" + o + ".jpg"), spec);
                // and the same when both variants come from one call (the thumb may be cut from the medium)
                RenderedVariant together = engine.renderAll(bytes("special/orient_" + o + ".jpg"), BOTH).get(spec == VariantSpec.THUMB ? 0 : 1);
                assertThat(mad(grey(pixels(together.bytes()), 32, spec == VariantSpec.THUMB ? 32 : 20), upright))
                        .as("orientation %d %s from renderAll", o, spec.name()).isLessThan(3);
                assertThat(List.of(v.width(), v.height())).as("orientation %d %s size", o, spec.name()).containsExactly(ref.width(), ref.height());
                double[][] got = grey(pixels(v.bytes()), 32, spec == VariantSpec.THUMB ? 32 : 20);
                // measured: < 1 against the upright reference, 19-32 against every wrong turn
                assertThat(mad(got, upright)).as("orientation %d %s against the upright reference", o, spec.name()).isLessThan(3);
                for (double[][] g : wrong) assertThat(mad(got, g)).as("orientation %d %s against a wrong turn", o, spec.name()).isGreaterThan(15);
            }
        }
    }


    // ---- colour ------------------------------------------------------------------------------------

    @Test
    void cmykWithAProfileComesOutAsTheSrgbOriginal() throws IOException {
        double d = rgbDiff(engine.render(bytes("special/cmyk_Garden.jpg"), VariantSpec.MEDIUM),
                engine.render(bytes("photos/mate_Garden.jpg"), VariantSpec.MEDIUM));
        // the fixture went sRGB → SWOP CMYK → here: SWOP's smaller gamut desaturates the saturated flowers,
        // so ≈ 14 is the round trip itself (median pixel 10); ignoring the profile (naive 1-C, 1-K) gives ≈ 23
        assertThat(d).as("mean |ΔRGB| CMYK vs sRGB source").isLessThan(17);
    }

    @Test
    void adobeRgbIsConvertedToSrgb() throws IOException {
        RenderedVariant srgb = engine.render(bytes("photos/mate_LadyBird.jpg"), VariantSpec.MEDIUM);
        double converted = rgbDiff(engine.render(bytes("special/adobergb_LadyBird.jpg"), VariantSpec.MEDIUM), srgb);
        assertThat(converted).as("mean |ΔRGB| Adobe RGB (converted) vs sRGB source").isLessThan(2.5);

        // the same pixels taken as sRGB (the profile removed) are far off: the check can fail
        byte[] untagged = withoutIccProfile(bytes("special/adobergb_LadyBird.jpg"));
        double ignored = rgbDiff(engine.render(untagged, VariantSpec.MEDIUM), srgb);
        assertThat(ignored).as("mean |ΔRGB| with the profile ignored").isGreaterThan(3 * converted).isGreaterThan(5);
    }

    @Test
    void anIccProfileInAPngIsApplied() throws IOException {
        // the Adobe RGB pixels of the fixture, as a PNG with and without the profile in an iCCP chunk
        byte[] adobe = bytes("special/adobergb_LadyBird.jpg");
        BufferedImage raw;
        ImageReader r = ImageIO.getImageReadersByFormatName("jpeg").next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(withoutIccProfile(adobe)))) {
            r.setInput(in);
            raw = r.read(0);
        } finally {
            r.dispose();
        }
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        ImageIO.write(raw, "png", png);
        byte[] untagged = png.toByteArray();
        byte[] tagged = withIccp(untagged, iccProfile(adobe));

        RenderedVariant srgb = engine.render(bytes("photos/mate_LadyBird.jpg"), VariantSpec.MEDIUM);
        double converted = rgbDiff(engine.render(tagged, VariantSpec.MEDIUM), srgb);
        double ignored = rgbDiff(engine.render(untagged, VariantSpec.MEDIUM), srgb);
        assertThat(converted).as("mean |ΔRGB| with iCCP (ignored: %.1f)", ignored).isLessThan(2.5);
        assertThat(ignored).as("mean |ΔRGB| without iCCP").isGreaterThan(3 * converted).isGreaterThan(5);
    }

    @Test
    void sixteenBitPngComesOutLikeItsEightBitSource() throws IOException {
        double d = rgbDiff(engine.render(bytes("special/png16_Storm.png"), VariantSpec.MEDIUM),
                engine.render(bytes("photos/mate_Storm.jpg"), VariantSpec.MEDIUM));
        assertThat(d).as("mean |ΔRGB| 16-bit PNG vs its JPEG source").isLessThan(2);
    }

    // ---- alpha, frames -----------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"special/alpha_YellowFlower.png", "special/palette_trns_YellowFlower.png"})
    void alphaIsKept(String fixture) throws IOException {
        for (RenderedVariant v : engine.renderAll(bytes(fixture), BOTH)) {
            assertThat(riffChunks(v.bytes())).as("%s %dx%d", fixture, v.width(), v.height()).contains("VP8X", "ALPH");
            BufferedImage img = decodeWebp(v.bytes());
            int[] px = img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
            long translucent = java.util.Arrays.stream(px).filter(p -> p >>> 24 < 255).count();
            long opaque = java.util.Arrays.stream(px).filter(p -> p >>> 24 == 255).count();
            assertThat(translucent).as("pixels with alpha < 255").isGreaterThan(px.length / 20);
            assertThat(opaque).as("opaque pixels").isGreaterThan(px.length / 20);
        }
    }

    @Test
    void opaqueImagesGetNoAlphaChunk() throws IOException {
        for (RenderedVariant v : engine.renderAll(bytes("photos/mate_Aqua.jpg"), BOTH)) {
            assertThat(riffChunks(v.bytes())).doesNotContain("ALPH");
        }
    }

    @Test
    void animatedGifGivesItsFirstFrame() throws IOException {
        byte[] gif = bytes("special/animated_LadyBird.gif");
        if (engine.writesAnimation()) {
            // this engine keeps the animation (AnimatedVariantsTest checks frames, delays, loop)
            for (RenderedVariant v : engine.renderAll(gif, BOTH)) assertThat(AnimatedVariantsTest.Anim.parse(v.bytes()).animated()).isTrue();
            return;
        }
        BufferedImage frame0;
        BufferedImage frame1;
        ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(gif))) {
            r.setInput(in);
            assertThat(r.getNumImages(true)).as("frames").isGreaterThan(1);
            frame0 = r.read(0);
            frame1 = r.read(1);
        } finally {
            r.dispose();
        }
        RenderedVariant medium = engine.render(gif, VariantSpec.MEDIUM);
        assertThat(List.of(medium.width(), medium.height())).as("480x300, not enlarged").containsExactly(480, 300);
        BufferedImage out = pixels(medium.bytes());
        double first = rgbDiff(out, frame0);
        double second = rgbDiff(out, frame1);
        // a dithered palette image through lossy WebP: ≈ 5 (Java) and 7.5 (libvips) against its own frame
        assertThat(first).as("against frame 0 (frame 1: %.1f)", second).isLessThan(9);
        assertThat(second).as("against frame 1").isGreaterThan(4 * first);
    }

    // ---- damaged, unsupported, too large -------------------------------------------------------------

    @Test
    void aTruncatedJpegIsCorruptNotGrey() {
        byte[] src = bytes("special/truncated_Storm.jpg");
        for (VariantSpec spec : BOTH) {
            assertThatThrownBy(() -> engine.render(src, spec)).isInstanceOf(CorruptImageException.class)
                    .hasMessageContaining("JPEG");
        }
    }

    @Test
    void truncatingAPngOrAJpegAnywhereIsCorrupt() {
        for (String f : List.of("photos/mate_Storm.jpg", "special/palette_trns_YellowFlower.png", "special/png16_Storm.png")) {
            byte[] full = bytes(f);
            for (double cut : new double[] {0.9, 0.5, 0.1}) {
                byte[] part = java.util.Arrays.copyOf(full, (int) (full.length * cut));
                assertThatThrownBy(() -> engine.render(part, VariantSpec.MEDIUM)).as("%s cut at %.0f%%", f, cut * 100)
                        .isInstanceOf(CorruptImageException.class);
            }
        }
    }

    /**
     * A 200-byte PNG whose {@code tEXt} chunk, before IDAT, claims 0x7FFFFFFF bytes: the same outcome on every
     * engine ({@code corrupt_image}, from {@link ContainerBounds} before any decoder reads it) and no memory taken
     * for the length it claims. The peak resident set of this JVM (libvips runs in it) is reset through
     * {@code /proc/self/clear_refs} and read back as {@code VmHWM}.
     */
    @Test
    void aChunkClaimingMoreBytesThanTheFileHasIsCorruptOnEveryEngineAndTakesNoMemory() throws IOException {
        byte[] src = Files.readAllBytes(dev.stowage.testing.Fixtures.path(dev.stowage.testing.Fixtures.LYING_TEXT_LENGTH));
        assertThat(src).hasSize(200);
        engine.renderAll(bytes("special/1x1.png"), BOTH); // the engine's own start-up (libvips' threads, caches) not counted
        long before = procStatusKib("VmRSS");
        Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // VmHWM := VmRSS
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> engine.renderAll(src, BOTH)).isInstanceOf(CorruptImageException.class)
                    .hasMessageContaining("tEXt").hasMessageContaining("2147483647");
            assertThatThrownBy(() -> engine.original(src)).isInstanceOfSatisfying(ImageRejectedException.class,
                    e -> assertThat(e.code()).isEqualTo(ImageRejectedException.CORRUPT_IMAGE));
        }
        long peak = procStatusKib("VmHWM");
        System.out.printf("[ImageEngineTest] %s engine, lying-length PNG: resident set %d KiB before, peak %d KiB (+%d KiB)%n",
                engine.name(), before, peak, peak - before);
        assertThat(peak - before).as("growth of the resident set in KiB").isLessThan(64 * 1024);
    }

    /** A {@code /proc/self/status} line's value in KiB, e.g. {@code VmRSS}. */
    static long procStatusKib(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) return Long.parseLong(line.substring(key.length() + 1).replace("kB", "").strip());
        }
        throw new AssertionError("no " + key + " in /proc/self/status");
    }

    @ParameterizedTest
    @ValueSource(strings = {"special/heic_Wood.heic", "special/avif_Garden.avif"})
    void heifAndAvifGetVariantsWithLibvipsAndAreUnsupportedWithoutIt(String fixture) throws IOException {
        byte[] src = bytes(fixture);
        if (!decodesHeif()) {
            assertThatThrownBy(() -> engine.render(src, VariantSpec.THUMB)).isInstanceOf(UnsupportedImageException.class)
                    .hasMessageContaining(fixture.endsWith(".avif") ? "AVIF" : "HEIC");
            assertThatThrownBy(() -> engine.original(src)).isInstanceOf(UnsupportedImageException.class);
            return;
        }
        ProbeResult p = ImageProbe.probe(src);
        List<RenderedVariant> out = engine.renderAll(src, BOTH);
        assertThat(List.of(out.get(0).width(), out.get(0).height())).containsExactly(150, 150);
        assertThat(out.get(1).width()).isEqualTo(Math.min(800, p.displayWidth()));
        // not a flat or grey-filled picture: the luma varies across the medium
        BufferedImage medium = pixels(out.get(1).bytes());
        double[][] g = grey(medium, 8, 8);
        double min = java.util.Arrays.stream(g).flatMapToDouble(java.util.Arrays::stream).min().orElseThrow();
        double max = java.util.Arrays.stream(g).flatMapToDouble(java.util.Arrays::stream).max().orElseThrow();
        assertThat(max - min).as("luma range over an 8x8 grid").isGreaterThan(20);
        // the original becomes an upright full-size JPEG without metadata
        RenderedVariant original = engine.original(src);
        assertThat(original.contentType()).isEqualTo("image/jpeg");
        assertThat(original.extension()).isEqualTo("jpg");
        assertThat(List.of(original.width(), original.height())).containsExactly(p.displayWidth(), p.displayHeight());
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(original.bytes()));
        assertThat(List.of(decoded.getWidth(), decoded.getHeight())).containsExactly(p.displayWidth(), p.displayHeight());
        assertThat(new String(original.bytes(), 0, Math.min(original.bytes().length, 4096), StandardCharsets.ISO_8859_1))
                .doesNotContain("Exif", "http://ns.adobe.com", "ICC_PROFILE");
    }

    @Test
    void notAnImageIsUnsupported() {
        assertThatThrownBy(() -> engine.render("%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII), VariantSpec.THUMB))
                .isInstanceOf(UnsupportedImageException.class);
        assertThatThrownBy(() -> engine.render(new byte[0], VariantSpec.THUMB)).isInstanceOf(UnsupportedImageException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"special/bomb_header_only_50000x50000.png", "special/bomb_50000x50000_1bit.png"})
    void decompressionBombsAreRefusedFromTheHeader(String fixture) {
        byte[] src = bytes(fixture);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> engine.render(src, VariantSpec.THUMB)).isInstanceOf(UnsupportedImageException.class)
                .hasMessageContaining("50000x50000");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("ms").isLessThan(2000);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /** Display size from ImageIO's header and the EXIF orientation. */
    private static int[] displaySize(byte[] src) throws IOException {
        if (ImageProbe.probe(src).format().equals(ImageProbe.HEIF)) {
            // no ImageIO reader: the container's ispe and irot/imir (ImageProbeTest checks them against the manifest)
            ProbeResult p = ImageProbe.probe(src);
            return new int[] {p.displayWidth(), p.displayHeight()};
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(src))) {
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            assertThat(it.hasNext()).as("a reader").isTrue();
            ImageReader r = it.next();
            try {
                r.setInput(in);
                int w = r.getWidth(0);
                int h = r.getHeight(0);
                int o = JavaImageEngine.Containers.orientation(src, JavaImageEngine.sniff(src));
                return o >= 5 ? new int[] {h, w} : new int[] {w, h};
            } finally {
                r.dispose();
            }
        }
    }

    /** Only image chunks in the RIFF container, and no trace of EXIF, GPS or XMP text anywhere in the file. */
    static void assertNoMetadata(String source, RenderedVariant v) {
        Set<String> chunks = new HashSet<>(riffChunks(v.bytes()));
        Set<String> allowed = Set.of("VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF"); // animation chunks are image data
        assertThat(allowed).as("chunks of the %s variant of %s", v.width() + "x" + v.height(), source).containsAll(chunks);
        assertThat(chunks).as(source).doesNotContain("EXIF", "XMP ", "ICCP");
        assertThat(new String(v.bytes(), StandardCharsets.ISO_8859_1)).as(source).doesNotContain("Exif", "GPS", "xmpmeta", "http://ns.adobe.com");
        if (chunks.contains("VP8X")) {
            int flags = v.bytes()[20] & 0xFF;
            assertThat(flags & 0x2C).as("VP8X ICC (0x20), EXIF (0x08), XMP (0x04) flags of %s", source).isZero();
        }
    }

    /** RIFF/WEBP structure, sizes consistent, only image chunks, decodable at the stated size. */
    private static void assertValidWebp(RenderedVariant v) throws IOException {
        byte[] b = v.bytes();
        assertThat(new String(b, 0, 4, StandardCharsets.ISO_8859_1)).isEqualTo("RIFF");
        assertThat(new String(b, 8, 4, StandardCharsets.ISO_8859_1)).isEqualTo("WEBP");
        assertThat(le32(b, 4) + 8L).as("RIFF size").isEqualTo(b.length);
        assertThat(Set.of("VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF")).containsAll(riffChunks(b));
        AnimatedVariantsTest.Anim anim = AnimatedVariantsTest.Anim.parse(b);
        if (anim.animated()) {
            // an animated variant (libvips engine): the canvas is the stated size
            assertThat(List.of(anim.canvasW(), anim.canvasH())).containsExactly(v.width(), v.height());
            assertThat(anim.durationsMs()).as("frames").hasSizeGreaterThan(1);
            return;
        }
        BufferedImage img = decodeWebp(b);
        assertThat(List.of(img.getWidth(), img.getHeight())).containsExactly(v.width(), v.height());
        assertThat(v.contentType()).isEqualTo("image/webp");
    }

    static List<String> riffChunks(byte[] b) {
        List<String> out = new ArrayList<>();
        int i = 12;
        while (i + 8 <= b.length) {
            out.add(new String(b, i, 4, StandardCharsets.ISO_8859_1));
            long len = le32(b, i + 4);
            assertThat(i + 8 + len).as("chunk inside the file").isLessThanOrEqualTo(b.length);
            i += 8 + (int) len + (int) (len & 1);
        }
        assertThat(i).as("chunks fill the file").isEqualTo(b.length);
        return out;
    }

    private static long le32(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
    }

    /** Decodes WebP with the TwelveMonkeys reader (pure Java, independent of the libwebp encoder): validity. */
    private static BufferedImage decodeWebp(byte[] webp) throws IOException {
        return decodeWebp(webp, "com.twelvemonkeys.imageio.plugins.webp.WebPImageReader");
    }

    /**
     * Decodes WebP with libwebp, the reference decoder, for pixel comparisons: TwelveMonkeys 3.14 decodes
     * lossy WebP with a colour bias (measured here: mean |Δ| 7 / 4 / 10 on R / G / B against libwebp).
     */
    static BufferedImage pixels(byte[] webp) throws IOException {
        return decodeWebp(webp, "com.luciad.imageio.webp.WebPReader");
    }

    private static BufferedImage decodeWebp(byte[] webp, String readerClass) throws IOException {
        ImageReader reader = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("webp"); it.hasNext(); ) {
            ImageReader r = it.next();
            if (r.getClass().getName().equals(readerClass)) reader = r;
        }
        assertThat(reader).as(readerClass).isNotNull();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(webp))) {
            reader.setInput(in);
            return reader.read(0);
        } finally {
            reader.dispose();
        }
    }

    /** The ICC profile of a JPEG (its APP2 ICC_PROFILE segments joined). */
    private static byte[] iccProfile(byte[] jpeg) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int i = 2;
        while ((jpeg[i + 1] & 0xFF) != 0xDA) {
            int len = (jpeg[i + 2] & 0xFF) << 8 | (jpeg[i + 3] & 0xFF);
            if ((jpeg[i + 1] & 0xFF) == 0xE2 && new String(jpeg, i + 4, 11, StandardCharsets.ISO_8859_1).equals("ICC_PROFILE")) {
                out.write(jpeg, i + 4 + 14, len - 2 - 14); // after "ICC_PROFILE\0", sequence number, count
            }
            i += 2 + len;
        }
        assertThat(out.size()).as("ICC profile bytes").isPositive();
        return out.toByteArray();
    }

    /** A PNG with an iCCP chunk (zlib-compressed profile) inserted after IHDR. */
    private static byte[] withIccp(byte[] png, byte[] profile) {
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        data.writeBytes("ICC\0".getBytes(StandardCharsets.ISO_8859_1));
        data.write(0); // compression method: zlib
        java.util.zip.Deflater d = new java.util.zip.Deflater();
        d.setInput(profile);
        d.finish();
        byte[] buf = new byte[8192];
        while (!d.finished()) data.write(buf, 0, d.deflate(buf));
        d.end();
        byte[] body = data.toByteArray();
        java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(12 + body.length);
        chunk.putInt(body.length).put("iCCP".getBytes(StandardCharsets.ISO_8859_1)).put(body);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(chunk.array(), 4, 4 + body.length);
        chunk.putInt((int) crc.getValue());
        int afterIhdr = 8 + 8 + 13 + 4;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(png, 0, afterIhdr);
        out.writeBytes(chunk.array());
        out.write(png, afterIhdr, png.length - afterIhdr);
        return out.toByteArray();
    }

    /** A JPEG without its APP2 ICC_PROFILE segments. */
    private static byte[] withoutIccProfile(byte[] jpeg) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(jpeg.length);
        out.write(jpeg, 0, 2);
        int i = 2;
        int dropped = 0;
        while (true) {
            int marker = jpeg[i + 1] & 0xFF;
            if (marker == 0xDA) break;
            int len = (jpeg[i + 2] & 0xFF) << 8 | (jpeg[i + 3] & 0xFF);
            boolean icc = marker == 0xE2 && new String(jpeg, i + 4, 11, StandardCharsets.ISO_8859_1).equals("ICC_PROFILE");
            if (icc) dropped++;
            else out.write(jpeg, i, 2 + len);
            i += 2 + len;
        }
        assertThat(dropped).as("ICC segments").isPositive();
        out.write(jpeg, i, jpeg.length - i);
        return out.toByteArray();
    }

    private static double rgbDiff(RenderedVariant a, RenderedVariant b) throws IOException {
        assertThat(List.of(a.width(), a.height())).containsExactly(b.width(), b.height());
        return rgbDiff(pixels(a.bytes()), pixels(b.bytes()));
    }

    /** Mean absolute difference over R, G and B, 0-255. */
    private static double rgbDiff(BufferedImage a, BufferedImage b) {
        assertThat(List.of(a.getWidth(), a.getHeight())).containsExactly(b.getWidth(), b.getHeight());
        int w = a.getWidth();
        int h = a.getHeight();
        int[] pa = a.getRGB(0, 0, w, h, null, 0, w);
        int[] pb = b.getRGB(0, 0, w, h, null, 0, w);
        long sum = 0;
        for (int i = 0; i < pa.length; i++) {
            for (int s = 0; s <= 16; s += 8) sum += Math.abs((pa[i] >> s & 0xFF) - (pb[i] >> s & 0xFF));
        }
        return sum / (3.0 * pa.length);
    }

    /** Luma averaged over a {@code gw × gh} grid. */
    private static double[][] grey(BufferedImage img, int gw, int gh) {
        double[][] g = new double[gh][gw];
        int[][] n = new int[gh][gw];
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                double l = 0.299 * (p >> 16 & 0xFF) + 0.587 * (p >> 8 & 0xFF) + 0.114 * (p & 0xFF);
                int gy = y * gh / img.getHeight();
                int gx = x * gw / img.getWidth();
                g[gy][gx] += l;
                n[gy][gx]++;
            }
        }
        for (int y = 0; y < gh; y++) for (int x = 0; x < gw; x++) g[y][x] /= n[y][x];
        return g;
    }

    /** One of the 8 rotations/mirrors of a grid (0 = identity). */
    private static double[][] dihedral(double[][] g, int t) {
        double[][] r = g;
        if (t >= 4) r = mirror(r);
        for (int i = 0; i < t % 4; i++) r = rotate(r);
        return r;
    }

    private static double[][] mirror(double[][] g) {
        double[][] r = new double[g.length][g[0].length];
        for (int y = 0; y < g.length; y++) for (int x = 0; x < g[0].length; x++) r[y][x] = g[y][g[0].length - 1 - x];
        return r;
    }

    private static double[][] rotate(double[][] g) {
        int h = g.length;
        int w = g[0].length;
        double[][] r = new double[w][h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) r[x][h - 1 - y] = g[y][x];
        return r;
    }

    private static double mad(double[][] a, double[][] b) {
        double s = 0;
        for (int y = 0; y < a.length; y++) for (int x = 0; x < a[0].length; x++) s += Math.abs(a[y][x] - b[y][x]);
        return s / (a.length * a[0].length);
    }
}


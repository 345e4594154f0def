package dev.stowage.images;

import static dev.stowage.images.ImageEngineTest.BOTH;
import static dev.stowage.images.ImageEngineTest.bytes;
import static dev.stowage.images.ImageEngineTest.riffChunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.ConfigException;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What is particular to {@link VipsImageEngine} and its selection: the Debian 12 libvips WebP metadata
 * leak it works around, native memory given back, the pixel limit enforced before libvips decodes, and
 * {@link Engines#select} with and without libvips. What every engine must do is in
 * {@link ImageEngineTest}, which runs this engine too.
 */
class VipsImageEngineTest {

    private static final VipsImageEngine ENGINE = ImageEngineTest.vips();
    private static final String MISSING = "libvips-missing-for-test.so.0";

    // ---- metadata ----------------------------------------------------------------------------------

    @Test
    void libvipsWebpSaveAloneKeepsExifOnThisLibvipsAndTheEngineRemovesIt() throws IOException {
        byte[] src = bytes("special/exiftool_GPS.jpg");
        assertThat(gpsIfdTag(src)).as("the source's EXIF has a GPS IFD").isTrue();

        // the plain libvips route: thumbnail, then webpsave with strip — what 8.14.1 does with it
        Vips vips = Vips.load(null, 1);
        byte[] plain;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(src.length);
            MemorySegment.copy(src, 0, buf, ValueLayout.JAVA_BYTE, 0, src.length);
            MemorySegment img = vips.thumbnail(buf, 150, 150, Vips.SIZE_BOTH, Vips.CROP_CENTRE, false, arena);
            try {
                plain = vips.webp(img, 80);
            } finally {
                vips.unref(img);
            }
        }
        List<String> plainChunks = riffChunks(plain);
        System.out.printf("[VipsImageEngineTest] libvips %s: webpsave(strip) of %s writes chunks %s, GPS IFD %s%n",
                vips.version(), "exiftool_GPS.jpg", plainChunks, gpsIfdTag(plain));
        if (vips.version().startsWith("8.14.0") || vips.version().startsWith("8.14.1")) {
            // the bug the engine works around is really there, so the checks below can fail
            assertThat(plainChunks).as("libvips %s ignores strip", vips.version()).contains("EXIF");
            assertThat(gpsIfdTag(plain)).as("GPS leaks with plain webpsave").isTrue();
        }

        for (RenderedVariant v : ENGINE.renderAll(src, BOTH)) {
            ImageEngineTest.assertNoMetadata("exiftool_GPS.jpg", v);
            assertThat(gpsIfdTag(v.bytes())).isFalse();
        }
    }

    /** Whether the bytes hold the EXIF GPS IFD pointer (tag 0x8825, type LONG) in either byte order. */
    private static boolean gpsIfdTag(byte[] b) {
        for (int i = 0; i + 4 <= b.length; i++) {
            if ((b[i] & 0xFF) == 0x88 && (b[i + 1] & 0xFF) == 0x25 && b[i + 2] == 0 && b[i + 3] == 4) return true;
            if ((b[i] & 0xFF) == 0x25 && (b[i + 1] & 0xFF) == 0x88 && b[i + 2] == 4 && b[i + 3] == 0) return true;
        }
        return false;
    }

    // ---- limits and memory ---------------------------------------------------------------------------

    @Test
    void theConfiguredPixelLimitIsCheckedBeforeLibvipsDecodes() throws IOException {
        byte[] huge = bytes("special/huge_8000x6000.jpg");
        VipsImageEngine strict = VipsImageEngine.load(null, new DecodeLimits(40_000_000L, 30_000, 60L << 20), 1);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> strict.render(huge, VariantSpec.THUMB)).isInstanceOf(UnsupportedImageException.class)
                .hasMessageContaining("8000x6000").hasMessageContaining("40000000");
        long t1 = System.nanoTime();
        assertThat(ENGINE.render(huge, VariantSpec.THUMB).width()).as("within the default limits").isEqualTo(150);
        System.out.println("[VipsImageEngineTest] 8000x6000: refused in " + (t1 - t0) / 1_000_000 + " ms, rendered in " + (System.nanoTime() - t1) / 1_000_000 + " ms");
    }

    @Test
    void libvipsPixelBuffersAreAllGivenBackAfterRendersAndFailures() throws Exception {
        List<byte[]> sources = SOAK.stream().map(ImageEngineTest::bytes).toList();
        for (int round = 0; round < 3; round++) {
            for (byte[] s : sources) {
                try {
                    ENGINE.renderAll(s, BOTH);
                } catch (CorruptImageException | UnsupportedImageException e) {
                    // the truncated JPEG and the bomb: their failure paths must give memory back too
                }
            }
        }
        // after a failure libvips' workers may still be finishing the abandoned pipeline for a moment
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (ENGINE.trackedAllocations() != 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(ENGINE.trackedAllocations()).as("libvips pixel buffers alive after the renders (%d bytes)", ENGINE.trackedBytes()).isZero();
    }

    /** Formats, colour models and failure paths; small enough for a test (the 10,000-image run is in bench/images). */
    private static final List<String> SOAK = List.of("special/orient_6.jpg", "special/palette_trns_YellowFlower.png",
            "special/cmyk_Garden.jpg", "special/animated_LadyBird.gif", "special/wood-d.webp", "special/heic_Wood.heic",
            "special/exiftool_GPS.jpg", "special/1x1.png", "special/truncated_Storm.jpg", "special/bomb_50000x50000_1bit.png");

    @Test
    void nativeMemoryInUseStaysFlatOverManyRenders() throws Exception {
        Path list = Files.createTempFile("soak", ".txt");
        try {
            Files.write(list, SOAK.stream().map(f -> ImageEngineTest.images().resolve(f).toString()).toList());
            // a fixed, pre-touched heap: the resident set then moves only with native memory
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    "dev.stowage.bench.ImageSoak", "--engine", "vips", "--images", "300", "--threads", "1", "--every", "60",
                    "--list", list.toString());
            pb.environment().put("MALLOC_ARENA_MAX", "2");
            Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished").isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            List<Long> rss = field(out, "rssKiB");
            List<Long> heap = field(out, "mallocKiB");
            System.out.println("[VipsImageEngineTest] every 60 renders, KiB: RSS " + rss + ", malloc in use " + heap);
            assertThat(heap).as(out).hasSize(6).allMatch(k -> k > 0, "glibc's mallinfo2 answered");
            // the C allocator's bytes in use, not the RSS: the RSS also moves with arena fragmentation and with
            // pages kept for reuse (a plateau of +30 to +80 MB over the first 200 renders when the machine is
            // busy). A leak of one 150×150 RGBA buffer per render adds 16 MB by render 240 (tried: 15.1 MB); measured
            // noise, idle and with both cores busy: -2 to +4 MB. Both of the last two samples must stay near.
            long grown = Math.min(heap.get(4), heap.get(5)) - heap.get(1);
            assertThat(grown).as("malloc'd bytes grown from render 60 to 240/300, KiB; %s", heap).isLessThan(8 * 1024);
        } finally {
            Files.deleteIfExists(list);
        }
    }

    private static List<Long> field(String soakOutput, String name) {
        return soakOutput.lines().filter(l -> l.startsWith("soak n="))
                .map(l -> Long.parseLong(l.replaceAll(".*" + name + "=(-?\\d+).*", "$1"))).toList();
    }

    // ---- selection -------------------------------------------------------------------------------------

    @Test
    void autoUsesLibvipsWhenItLoadsAndJavaWhenItDoesNot() {
        assertThat(Engines.select(images(Map.of()))).isInstanceOf(VipsImageEngine.class);
        assertThat(Engines.select(images(Map.of("STOWAGE_VIPS_LIBRARY", MISSING)))).isInstanceOf(JavaImageEngine.class);
        assertThat(Engines.select(images(Map.of("STOWAGE_IMAGE_ENGINE", "java")))).isInstanceOf(JavaImageEngine.class);
        assertThat(Engines.select(images(Map.of("STOWAGE_IMAGE_ENGINE", "vips")))).isInstanceOf(VipsImageEngine.class);
    }

    @Test
    void vipsWithoutLibvipsIsAConfigurationErrorThatSaysHowToInstallIt() {
        var images = images(Map.of("STOWAGE_IMAGE_ENGINE", "vips", "STOWAGE_VIPS_LIBRARY", MISSING));
        assertThat(images.vipsLibrary()).isEqualTo(MISSING);
        assertThatThrownBy(() -> Engines.select(images)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("images.engine").hasMessageContaining(MISSING).hasMessageContaining("apt install libvips42");
        assertThatThrownBy(() -> VipsImageEngine.load(MISSING, DecodeLimits.DEFAULTS, 1)).isInstanceOf(VipsUnavailableException.class);
    }

    private static StowageConfig.Images images(Map<String, String> env) {
        return ConfigLoader.load(null, env, StowageConfig.Mode.DEV).images();
    }
    /**
     * A HEIF whose primary item carries {@code irot} 1 (a quarter turn anticlockwise, ISO/IEC 23008-12 §6.5.10; the
     * fixture is {@code heic_Wood.heic} with only that property added): both previews are upright, i.e. the
     * previews of the unrotated file turned anticlockwise, not clockwise and not twice.
     */
    @Test
    void aHeifWithIrotOneGivesUprightPreviews() throws IOException {
        byte[] plain = bytes("special/heic_Wood.heic");
        byte[] turned = bytes("special/heic_irot1_Wood.heic");
        ProbeResult p = ImageProbe.probe(turned);
        assertThat(p.orientation()).as("irot 1 read as EXIF orientation 8").isEqualTo(8);
        assertThat(new int[] {p.displayWidth(), p.displayHeight()}).containsExactly(1920, 2560);

        List<RenderedVariant> a = ENGINE.renderAll(plain, BOTH), b = ENGINE.renderAll(turned, BOTH);
        // medium is at most 800 px wide: the upright portrait is 800x1067, the plain landscape 800x600
        assertThat(new int[] {b.get(1).width(), b.get(1).height()}).as("medium, portrait").containsExactly(800, 1067);
        assertThat(new int[] {b.get(0).width(), b.get(0).height()}).containsExactly(150, 150);
        for (int i = 0; i < 2; i++) {
            var want = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(a.get(i).bytes()));
            var got = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(b.get(i).bytes()));
            if (got.getWidth() != want.getHeight()) got = scaled(got, want.getHeight(), want.getWidth()); // medium: 800x1067 to 600x800
            double anticlockwise = meanDifference(got, want, true), clockwise = meanDifference(got, want, false);
            System.out.printf("[VipsImageEngineTest] irot 1 %s: mean difference %.2f anticlockwise, %.2f clockwise%n", BOTH.get(i).name(),
                    anticlockwise, clockwise);
            // the figures depend on which ImageIO WebP reader decodes (1.5-4.6 anticlockwise, 12.7-16.2 clockwise
            // measured): the turn is right when it is far closer than the other one, and close in itself
            assertThat(anticlockwise).as("%s: mean difference to the plain preview turned anticlockwise (clockwise: %.1f)",
                    BOTH.get(i).name(), clockwise).isLessThan(6.0).isLessThan(clockwise / 2.5);
        }
    }

    private static java.awt.image.BufferedImage scaled(java.awt.image.BufferedImage img, int w, int h) {
        var out = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        var g = out.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img.getScaledInstance(w, h, java.awt.Image.SCALE_AREA_AVERAGING), 0, 0, null);
        g.dispose();
        return out;
    }

    /** Mean absolute difference per channel (0-255) between {@code got} and {@code want} turned a quarter. */
    private static double meanDifference(java.awt.image.BufferedImage got, java.awt.image.BufferedImage want, boolean anticlockwise) {
        assertThat(got.getWidth()).isEqualTo(want.getHeight());
        assertThat(got.getHeight()).isEqualTo(want.getWidth());
        long sum = 0;
        for (int y = 0; y < got.getHeight(); y++) {
            for (int x = 0; x < got.getWidth(); x++) {
                // turning W×H anticlockwise: (x, y) of the result is (W-1-y, x) of the source; clockwise: (y, H-1-x)
                int g = got.getRGB(x, y);
                int w = anticlockwise ? want.getRGB(want.getWidth() - 1 - y, x) : want.getRGB(y, want.getHeight() - 1 - x);
                for (int sh = 0; sh <= 16; sh += 8) sum += Math.abs(((g >> sh) & 255) - ((w >> sh) & 255));
            }
        }
        return sum / (3.0 * got.getWidth() * got.getHeight());
    }
}

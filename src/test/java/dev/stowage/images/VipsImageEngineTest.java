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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms: refused from the header, nothing decoded").isLessThan(200);
        assertThat(ENGINE.render(huge, VariantSpec.THUMB).width()).as("within the default limits").isEqualTo(150);
    }

    @Test
    void nativeMemoryIsGivenBackAfterRendersAndFailures() throws IOException {
        List<String> files = List.of("special/orient_6.jpg", "special/alpha_YellowFlower.png", "special/cmyk_Garden.jpg",
                "special/animated_LadyBird.gif", "special/wood-d.webp", "special/heic_Wood.heic", "special/png16_Storm.png");
        List<byte[]> sources = files.stream().map(ImageEngineTest::bytes).toList();
        byte[] truncated = bytes("special/truncated_Storm.jpg");
        // warm up: libvips' and the allocator's one-time structures, and the per-thread buffer caches of
        // libvips' worker threads, which are kept for reuse while the threads live
        for (int i = 0; i < 3; i++) {
            for (byte[] s : sources) ENGINE.renderAll(s, BOTH);
            assertThatThrownBy(() -> ENGINE.renderAll(truncated, BOTH)).isInstanceOf(CorruptImageException.class);
        }
        long rss0 = rssKiB();
        int allocs0 = ENGINE.trackedAllocations();
        long bytes0 = ENGINE.trackedBytes();
        long maxBytes = bytes0;
        int renders = 0;
        for (int round = 0; round < 20; round++) {
            for (byte[] s : sources) {
                ENGINE.renderAll(s, BOTH);
                renders++;
            }
            assertThatThrownBy(() -> ENGINE.renderAll(truncated, BOTH)).isInstanceOf(CorruptImageException.class);
            System.out.printf("[VipsImageEngineTest] round %d: libvips tracked allocations %d, %d bytes%n", round, ENGINE.trackedAllocations(), ENGINE.trackedBytes());
            maxBytes = Math.max(maxBytes, ENGINE.trackedBytes());
        }
        long grown = rssKiB() - rss0;
        System.out.printf("[VipsImageEngineTest] %d renders and 20 failures: RSS %+d KiB, libvips tracked allocations %d (%d bytes)%n",
                renders, grown, ENGINE.trackedAllocations(), ENGINE.trackedBytes());
        // a leak of one 150x150 output per render would already be 140 × 90 KB; the long run is in bench/images
        assertThat(grown).as("RSS growth over %d renders, KiB", renders).isLessThan(48 * 1024);
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmRSS");
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
}

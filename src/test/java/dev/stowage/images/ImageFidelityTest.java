package dev.stowage.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.testing.TestServers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Colour fidelity of both engines: the thumb and medium of every fidelity fixture
 * ({@code fixtures/images/fidelity}: CMYK and YCCK JPEGs with a SWOP profile, without one and with an
 * unusable one, Adobe RGB, untagged sRGB, grey, EXIF orientation 6, 16-bit PNG, RGBA PNG, palette PNG with
 * transparency, GIF, WebP, HEIC) against the committed reference renderings in {@code fidelity/ref}, made
 * with LittleCMS through {@code vips icc_transform} (recipe: {@code fidelity/README.md}).
 *
 * <p>Per variant: the same width and height as the reference (the orientation applied: a wrong turn
 * shows as both a size and a colour failure), alpha present exactly where the reference has it, and
 * ΔE2000 ({@link Ciede2000}, both images composited on white and low-passed alike, {@link #blur}) with a mean ≤ {@value #MAX_MEAN} and a 95th
 * percentile ≤ {@value #MAX_P95} — or, where lossy WebP alone (the reference encoded at the same quality,
 * {@link #codecFloor}) already comes near that, at most {@value #P95_OVER_FLOOR} over the codec's own
 * 95th percentile. Each figure is printed as a table row; a failure names the fixture, the
 * engine, the variant and the figure.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("engines")
class ImageFidelityTest {

    static final double MAX_MEAN = 1.5;
    static final double MAX_P95 = 3.0;
    /**
     * Where lossy WebP alone already puts the 95th percentile near or over {@link #MAX_P95} (detailed
     * 150×150 thumbs at q80: 2.5-3.5), the engine may be this much over the codec's own figure.
     */
    static final double P95_OVER_FLOOR = 1.0;
    /** Mean |Δalpha| (0-255) allowed between an output's alpha and the reference's. */
    static final double MAX_ALPHA_MEAN = 2.0;

    @Parameter
    ImageEngine engine;

    static Stream<Named<ImageEngine>> engines() {
        return ImageEngineTest.engines();
    }

    /** Fixture paths under {@code fixtures/images}; the reference's name is the file's base name. */
    static List<String> fixtures() {
        return List.of("fidelity/cmyk_swop.jpg", "fidelity/cmyk_noprofile.jpg", "fidelity/ycck_swop.jpg",
                "fidelity/ycck_noprofile.jpg", "fidelity/cmyk_rgbprofile.jpg", "fidelity/adobergb.jpg",
                "fidelity/srgb.jpg", "fidelity/grey.jpg", "fidelity/orient6.jpg", "fidelity/png16.png",
                "fidelity/alpha.png", "fidelity/photo.webp", "fidelity/c100_swop.jpg",
                "special/still_TwoWings.gif", "special/palette_trns_YellowFlower.png", "special/heic_Wood.heic");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void thumbAndMediumMatchTheReference(String fixture) throws IOException {
        byte[] source = Files.readAllBytes(TestServers.fixture("images/" + fixture));
        if (fixture.endsWith(".heic") && !(engine instanceof VipsImageEngine)) {
            // only the libvips engine decodes HEIF; the Java engine says so
            assertThatThrownBy(() -> engine.renderAll(source, ImageEngineTest.BOTH)).isInstanceOf(UnsupportedImageException.class);
            return;
        }
        List<RenderedVariant> out = engine.renderAll(source, ImageEngineTest.BOTH);
        String name = Path.of(fixture).getFileName().toString().replaceFirst("\\.[^.]+$", "");
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %s |", name, engine.name()));
        String failure = null;
        for (int i = 0; i < 2; i++) {
            String variant = i == 0 ? "thumb" : "medium";
            String what = fixture + " on the " + engine.name() + " engine, " + variant;
            BufferedImage ref = ImageIO.read(TestServers.fixture("images/fidelity/ref/" + name + "." + variant + ".png").toFile());
            BufferedImage got = ImageEngineTest.pixels(out.get(i).bytes());
            assertThat(new int[] {got.getWidth(), got.getHeight()}).as(what + ": size").containsExactly(ref.getWidth(), ref.getHeight());
            assertThat(new int[] {out.get(i).width(), out.get(i).height()}).as(what + ": reported size").containsExactly(ref.getWidth(), ref.getHeight());
            Figures f = compare(ref, got);
            Figures floor = codecFloor(ref, ImageEngineTest.BOTH.get(i).quality());
            double maxP95 = Math.max(MAX_P95, floor.p95 + P95_OVER_FLOOR);
            row.append(String.format(Locale.ROOT, " %.2f / %.2f (codec %.2f / %.2f) |", f.mean, f.p95, floor.mean, floor.p95));
            assertThat(f.refAlpha).as(what + ": alpha (reference has alpha: %s)", f.refAlpha).isEqualTo(f.gotAlpha);
            if (f.refAlpha) assertThat(f.alphaMean).as(what + ": mean |Δalpha|").isLessThanOrEqualTo(MAX_ALPHA_MEAN);
            if (failure == null && f.mean > MAX_MEAN) failure = String.format(Locale.ROOT, "%s: mean ΔE2000 %.2f > %.1f", what, f.mean, MAX_MEAN);
            if (failure == null && f.p95 > maxP95) {
                failure = String.format(Locale.ROOT, "%s: p95 ΔE2000 %.2f > %.2f (the WebP codec alone: %.2f)", what, f.p95, maxP95, floor.p95);
            }
        }
        System.out.println("fidelity " + row);
        assertThat(failure).as(failure == null ? "" : failure).isNull();
    }

    /**
     * The solid C=100% M=Y=K=0 patch with the SWOP profile: sRGB (0, 176, 240) through a colour-managed
     * conversion; the thumb on both engines within ΔE2000 2 of it (mean and every pixel).
     */
    @Test
    void solidCyanPatchComesOutAsTheProfileSays() throws IOException {
        byte[] source = Files.readAllBytes(TestServers.fixture("images/fidelity/c100_swop.jpg"));
        BufferedImage thumb = ImageEngineTest.pixels(engine.render(source, VariantSpec.THUMB).bytes());
        double sum = 0, max = 0;
        int n = thumb.getWidth() * thumb.getHeight();
        int centre = thumb.getRGB(thumb.getWidth() / 2, thumb.getHeight() / 2) & 0xFFFFFF;
        for (int y = 0; y < thumb.getHeight(); y++) {
            for (int x = 0; x < thumb.getWidth(); x++) {
                double d = Ciede2000.deltaE(thumb.getRGB(x, y) & 0xFFFFFF, 0x00B0F0);
                sum += d;
                max = Math.max(max, d);
            }
        }
        String what = String.format(Locale.ROOT, "C=100%% patch on the %s engine: centre (%d,%d,%d)", engine.name(),
                centre >> 16, (centre >> 8) & 0xFF, centre & 0xFF);
        assertThat(sum / n).as(what + ", mean ΔE2000 to (0,176,240)").isLessThanOrEqualTo(2.0);
        assertThat(max).as(what + ", max ΔE2000 to (0,176,240)").isLessThanOrEqualTo(2.0);
    }

    /**
     * What lossy WebP alone does to the reference: the reference encoded with libwebp at {@code quality}
     * ({@link JavaImageEngine#encodeWebp}) and decoded, compared with itself.
     */
    static Figures codecFloor(BufferedImage ref, int quality) throws IOException {
        int w = ref.getWidth(), h = ref.getHeight();
        int[] argb = ref.getRGB(0, 0, w, h, null, 0, w);
        byte[] webp = JavaImageEngine.encodeWebp(new JavaImageEngine.Pixels(argb, w, h, ref.getColorModel().hasAlpha()), quality);
        return compare(ref, ImageEngineTest.pixels(webp));
    }

    /** The ruler sees a wrong CMYK profile: the SWOP and the standard-profile renderings of one file differ. */
    @Test
    void theRulerTellsTwoCmykProfilesApart() throws IOException {
        BufferedImage swop = ImageIO.read(TestServers.fixture("images/fidelity/ref/cmyk_swop.medium.png").toFile());
        BufferedImage standard = ImageIO.read(TestServers.fixture("images/fidelity/ref/cmyk_noprofile.medium.png").toFile());
        assertThat(compare(swop, standard).mean()).as("mean ΔE2000, SWOP vs standard CMYK profile").isGreaterThan(2 * MAX_MEAN);
    }

    record Figures(double mean, double p95, boolean refAlpha, boolean gotAlpha, double alphaMean) {}

    /**
     * ΔE2000 per pixel of both images composited on white and low-passed alike ({@link #blur}); alpha
     * compared apart.
     */
    static Figures compare(BufferedImage ref, BufferedImage got) {
        int w = ref.getWidth(), h = ref.getHeight();
        int[] r = new int[w * h], g = new int[w * h];
        boolean refAlpha = false, gotAlpha = false;
        double alphaSum = 0;
        for (int y = 0, k = 0; y < h; y++) {
            for (int x = 0; x < w; x++, k++) {
                int rp = ref.getRGB(x, y), gp = got.getRGB(x, y);
                int ra = rp >>> 24, ga = gp >>> 24;
                refAlpha |= ra != 255;
                gotAlpha |= ga != 255;
                alphaSum += Math.abs(ra - ga);
                r[k] = onWhite(rp);
                g[k] = onWhite(gp);
            }
        }
        r = blur(r, w, h);
        g = blur(g, w, h);
        double[] d = new double[w * h];
        for (int k = 0; k < d.length; k++) d[k] = Ciede2000.deltaE(r[k], g[k]);
        double mean = Arrays.stream(d).sum() / d.length;
        Arrays.sort(d);
        double p95 = d[Math.min(d.length - 1, (int) Math.ceil(0.95 * d.length) - 1)];
        return new Figures(mean, p95, refAlpha, gotAlpha, alphaSum / d.length);
    }

    /** Standard deviation, in pixels, of the Gaussian both images are low-passed with before ΔE. */
    static final double BLUR_SIGMA = 1.0;

    /**
     * A separable Gaussian ({@link #BLUR_SIGMA}, radius 3σ, edges clamped) on each sRGB channel: the
     * spatial pre-filter of S-CIELAB (Zhang and Wandell 1996) in its simplest form. Lossy WebP (q80, 4:2:0
     * chroma) and the resampler move single pixels by several ΔE where a colour-management error moves
     * whole areas; the filter keeps the second and damps the first (measured: an untagged sRGB thumb's
     * p95 ΔE falls from 4.9 to about 2, a CMYK file converted through the wrong profile stays at 4-5).
     */
    static int[] blur(int[] rgb, int w, int h) {
        int rad = (int) Math.ceil(3 * BLUR_SIGMA);
        double[] k = new double[2 * rad + 1];
        double sum = 0;
        for (int i = -rad; i <= rad; i++) sum += k[i + rad] = Math.exp(-i * i / (2 * BLUR_SIGMA * BLUR_SIGMA));
        for (int i = 0; i < k.length; i++) k[i] /= sum;
        double[][] tmp = new double[3][w * h];
        for (int c = 0; c < 3; c++) {
            int shift = 16 - 8 * c;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = 0;
                    for (int i = -rad; i <= rad; i++) {
                        int xx = Math.max(0, Math.min(w - 1, x + i));
                        v += k[i + rad] * ((rgb[y * w + xx] >> shift) & 0xFF);
                    }
                    tmp[c][y * w + x] = v;
                }
            }
        }
        int[] out = new int[w * h];
        for (int c = 0; c < 3; c++) {
            int shift = 16 - 8 * c;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = 0;
                    for (int i = -rad; i <= rad; i++) {
                        int yy = Math.max(0, Math.min(h - 1, y + i));
                        v += k[i + rad] * tmp[c][yy * w + x];
                    }
                    out[y * w + x] |= (int) Math.max(0, Math.min(255, Math.round(v))) << shift;
                }
            }
        }
        return out;
    }

    private static int onWhite(int argb) {
        int a = argb >>> 24;
        if (a == 255) return argb & 0xFFFFFF;
        int out = 0;
        for (int s = 16; s >= 0; s -= 8) {
            int c = (argb >> s) & 0xFF;
            out |= Math.round((c * a + 255 * (255 - a)) / 255f) << s;
        }
        return out;
    }
}

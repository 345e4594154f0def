package dev.stowage.images;

import static dev.stowage.images.ImageEngineTest.BOTH;
import static dev.stowage.images.ImageEngineTest.bytes;
import static dev.stowage.images.ImageEngineTest.images;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What is particular to {@link JavaImageEngine}: its container parsing, orientation maths, shrink-on-load
 * factor, geometry and heap use. What every engine must do is in {@link ImageEngineTest}, which runs
 * this engine too.
 */
class JavaImageEngineTest {

    private static final JavaImageEngine ENGINE = new JavaImageEngine();

    // ---- orientation -------------------------------------------------------------------------------

    @Test
    void orientationIsReadFromTheExifOfJpegs() {
        for (int o = 1; o <= 8; o++) {
            assertThat(JavaImageEngine.Containers.orientation(bytes("special/orient_" + o + ".jpg"), JavaImageEngine.Format.JPEG)).isEqualTo(o);
        }
        assertThat(JavaImageEngine.Containers.orientation(bytes("photos/derived_phone_o6_gps.jpg"), JavaImageEngine.Format.JPEG)).isEqualTo(6);
        assertThat(JavaImageEngine.Containers.orientation(bytes("special/exiftool_MWG.jpg"), JavaImageEngine.Format.JPEG)).isEqualTo(6);
        assertThat(JavaImageEngine.Containers.orientation(bytes("photos/mate_Dune.jpg"), JavaImageEngine.Format.JPEG)).isEqualTo(1);
    }

    @Test
    void orientationsMapStoredPixelsAsExifSpecifies() {
        // stored 3x2:  a b c / d e f
        int[] s = {1, 2, 3, 4, 5, 6};
        JavaImageEngine.Pixels p = new JavaImageEngine.Pixels(s, 3, 2, false);
        assertThat(JavaImageEngine.orient(p, 1).argb()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(JavaImageEngine.orient(p, 2).argb()).containsExactly(3, 2, 1, 6, 5, 4);
        assertThat(JavaImageEngine.orient(p, 3).argb()).containsExactly(6, 5, 4, 3, 2, 1);
        assertThat(JavaImageEngine.orient(p, 4).argb()).containsExactly(4, 5, 6, 1, 2, 3);
        assertThat(JavaImageEngine.orient(p, 5).argb()).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(JavaImageEngine.orient(p, 6).argb()).containsExactly(4, 1, 5, 2, 6, 3);
        assertThat(JavaImageEngine.orient(p, 7).argb()).containsExactly(6, 3, 5, 2, 4, 1);
        assertThat(JavaImageEngine.orient(p, 8).argb()).containsExactly(3, 6, 2, 5, 1, 4);
        assertThat(JavaImageEngine.orient(p, 6).width()).isEqualTo(2);
    }

    // ---- memory ------------------------------------------------------------------------------------

    @Test
    void a48MegapixelJpegIsDecodedSubsampled() throws IOException {
        byte[] src = bytes("special/huge_8000x6000.jpg");
        JavaImageEngine.Decoded medium = ENGINE.decode(src, List.of(VariantSpec.MEDIUM));
        assertThat(medium.factor()).isEqualTo(3);
        assertThat(List.of(medium.pixels().width(), medium.pixels().height())).containsExactly(2667, 2000);
        JavaImageEngine.Decoded thumb = ENGINE.decode(src, List.of(VariantSpec.THUMB));
        assertThat(thumb.factor()).isEqualTo(13);
        assertThat((long) thumb.pixels().width() * thumb.pixels().height()).isLessThan(8000L * 6000 / 150);
        // both at once decode at the scale the larger one needs
        assertThat(ENGINE.decode(src, BOTH).factor()).isEqualTo(3);
    }

    @Test
    void a48MegapixelJpegRendersIn256MegabytesOfHeap() throws Exception {
        Path fixture = images().resolve("special/huge_8000x6000.jpg");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RenderInSmallHeap.class.getName(), fixture.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished").isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("thumb 150x150", "medium 800x600");
    }

    /** Renders both variants of one file, one at a time then together; run with a small heap. */
    static final class RenderInSmallHeap {
        public static void main(String[] args) throws Exception {
            byte[] src = Files.readAllBytes(Path.of(args[0]));
            JavaImageEngine engine = new JavaImageEngine();
            RenderedVariant thumb = engine.render(src, VariantSpec.THUMB);
            RenderedVariant medium = engine.render(src, VariantSpec.MEDIUM);
            engine.renderAll(src, BOTH);
            System.out.println("thumb " + thumb.width() + "x" + thumb.height() + " medium " + medium.width() + "x" + medium.height());
        }
    }

    // ---- geometry and specs ------------------------------------------------------------------------------

    @Test
    void geometryFollowsSharp() {
        // cover: the short side fills, the centre is kept (Sharp's offset rounds up)
        assertThat(JavaImageEngine.geometry(6028, 3391, VariantSpec.THUMB)).isEqualTo(new JavaImageEngine.Geometry(267, 150, 59, 0, 150, 150));
        assertThat(JavaImageEngine.geometry(1, 1, VariantSpec.THUMB)).isEqualTo(new JavaImageEngine.Geometry(150, 150, 0, 0, 150, 150));
        assertThat(JavaImageEngine.geometry(100, 40, VariantSpec.THUMB)).isEqualTo(new JavaImageEngine.Geometry(375, 150, 113, 0, 150, 150));
        // medium: never enlarged
        assertThat(JavaImageEngine.geometry(640, 400, VariantSpec.MEDIUM)).isEqualTo(new JavaImageEngine.Geometry(640, 400, 0, 0, 640, 400));
        assertThat(JavaImageEngine.geometry(1600, 1203, VariantSpec.MEDIUM)).isEqualTo(new JavaImageEngine.Geometry(800, 602, 0, 0, 800, 602));
        // cover without enlargement only cuts
        VariantSpec noUp = new VariantSpec("t", 150, 150, VariantSpec.Fit.COVER, false, "webp", 80);
        assertThat(JavaImageEngine.geometry(100, 40, noUp)).isEqualTo(new JavaImageEngine.Geometry(100, 40, 0, 0, 100, 40));
    }

    @Test
    void theShrinkOnLoadFactorKeepsThreeTimesTheTarget() {
        assertThat(JavaImageEngine.loadFactor(2560, 1600, 1, List.of(VariantSpec.THUMB), 3)).isEqualTo(3);
        assertThat(JavaImageEngine.loadFactor(2560, 1600, 1, List.of(VariantSpec.MEDIUM), 3)).isEqualTo(1);
        assertThat(JavaImageEngine.loadFactor(8000, 6000, 1, List.of(VariantSpec.MEDIUM), 3)).isEqualTo(3);
        // stored sideways (orientation 6): the 800 px of the medium's width run along the stored height
        assertThat(JavaImageEngine.loadFactor(6000, 8000, 6, List.of(VariantSpec.MEDIUM), 3)).isEqualTo(3);
        assertThat(JavaImageEngine.loadFactor(6000, 8000, 1, List.of(VariantSpec.MEDIUM), 3)).isEqualTo(2);
        assertThat(JavaImageEngine.loadFactor(8000, 6000, 1, List.of(VariantSpec.MEDIUM), 0)).isEqualTo(1);
    }

    @Test
    void theRecipeNamesEveryParameter() {
        assertThat(VariantSpec.THUMB).isEqualTo(new VariantSpec("thumb", 150, 150, VariantSpec.Fit.COVER, true, "webp", 80));
        assertThat(VariantSpec.MEDIUM).isEqualTo(new VariantSpec("medium", 800, 0, VariantSpec.Fit.INSIDE_WIDTH, false, "webp", 80));
        VariantSpec t = VariantSpec.THUMB;
        List<VariantSpec> changed = List.of(
                new VariantSpec("thumb2", t.width(), t.height(), t.fit(), t.upscale(), t.format(), t.quality()),
                new VariantSpec(t.name(), 151, t.height(), t.fit(), t.upscale(), t.format(), t.quality()),
                new VariantSpec(t.name(), t.width(), 151, t.fit(), t.upscale(), t.format(), t.quality()),
                new VariantSpec(t.name(), t.width(), t.height(), t.fit(), false, t.format(), t.quality()),
                new VariantSpec(t.name(), t.width(), t.height(), t.fit(), t.upscale(), t.format(), 81),
                new VariantSpec(t.name(), t.width(), 0, VariantSpec.Fit.INSIDE_WIDTH, t.upscale(), t.format(), t.quality()));
        Set<String> recipes = new HashSet<>();
        recipes.add(t.recipe());
        for (VariantSpec c : changed) recipes.add(c.recipe());
        assertThat(recipes).hasSize(changed.size() + 1);
        assertThat(t.recipe()).contains("v" + VariantSpec.RULES_VERSION).isEqualTo(VariantSpec.THUMB.recipe());
        assertThat(t.recipeDigest()).hasSize(64).isNotEqualTo(VariantSpec.MEDIUM.recipeDigest());
        assertThatThrownBy(() -> new VariantSpec("x", 100, 0, VariantSpec.Fit.COVER, true, "webp", 80)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VariantSpec("x", 100, 0, VariantSpec.Fit.INSIDE_WIDTH, true, "png", 80)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VariantSpec("x", 100, 0, VariantSpec.Fit.INSIDE_WIDTH, true, "webp", 0)).isInstanceOf(IllegalArgumentException.class);
    }

}

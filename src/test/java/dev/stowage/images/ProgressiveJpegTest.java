package dev.stowage.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;

/** {@link ProgressiveJpeg}: the single-output-pass decode of progressive JPEGs on the fixtures. */
class ProgressiveJpegTest {

    private static final String FIXTURE = "special/progressive_Kleiber.jpg";

    /** The standard decode: one output pass per scan, as the JDK reader does by default. */
    private static BufferedImage standardDecode(byte[] jpeg, boolean firstScanOnly) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg))) {
            reader.setInput(in, true, true);
            ImageReadParam p = reader.getDefaultReadParam();
            if (firstScanOnly) p.setSourceProgressivePasses(0, 1);
            return reader.read(0, p);
        } finally {
            reader.dispose();
        }
    }

    @Test
    void theSinglePassDecodeIsAvailableOnThisJdk() {
        // without it, progressive photos cost about five times a baseline decode (see bench/images)
        assertThat(ProgressiveJpeg.available()).isTrue();
    }

    @Test
    void theEngineDecodesTheFixtureLikeTheStandardDecodeAndNotLikeItsFirstScan() throws IOException {
        byte[] src = ImageEngineTest.bytes(FIXTURE);
        assertThat(ImageProbe.probe(src).progressive()).isTrue();
        var fullSize = new JavaImageEngine(JavaImageEngine.DEFAULT_MAX_PIXELS, 0);
        JavaImageEngine.Decoded d = fullSize.decode(src, List.of(VariantSpec.MEDIUM));
        assertThat(d.factor()).isEqualTo(1);
        var engine = new BufferedImage(d.pixels().width(), d.pixels().height(), BufferedImage.TYPE_INT_RGB);
        engine.setRGB(0, 0, d.pixels().width(), d.pixels().height(), d.pixels().argb(), 0, d.pixels().width());

        double vsStandard = ProgressiveJpeg.meanAbsoluteDifference(engine, standardDecode(src, false));
        double vsFirstScan = ProgressiveJpeg.meanAbsoluteDifference(engine, standardDecode(src, true));
        // measured: 0.11 against the standard decode (block smoothing), 2.9 against the first scan alone
        assertThat(vsStandard).isLessThan(0.3);
        assertThat(vsFirstScan).isGreaterThan(1.5);
    }

    @Test
    void onlyProgressiveJpegsWithOneOrThreeComponentsTakeTheSinglePassRoute() {
        assertThat(ProgressiveJpeg.applies(ImageEngineTest.bytes(FIXTURE))).isTrue();
        assertThat(ProgressiveJpeg.startOfFrame(ImageEngineTest.bytes(FIXTURE))).containsExactly(0xC2, 3);
        assertThat(ProgressiveJpeg.applies(ImageEngineTest.bytes("special/orient_1.jpg"))).isFalse();
        int[] cmyk = ProgressiveJpeg.startOfFrame(ImageEngineTest.bytes("special/cmyk_Garden.jpg"));
        assertThat(cmyk[1]).isEqualTo(4);
        assertThat(ProgressiveJpeg.applies(new byte[] {(byte) 0xFF, (byte) 0xD8})).isFalse();
        assertThat(ProgressiveJpeg.applies("not a jpeg at all".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isFalse();
    }

    @Test
    void aTruncatedProgressiveJpegIsStillCorrupt() {
        byte[] full = ImageEngineTest.bytes(FIXTURE);
        for (double cut : new double[] {0.95, 0.6, 0.2}) {
            byte[] part = Arrays.copyOf(full, (int) (full.length * cut));
            assertThatThrownBy(() -> new JavaImageEngine().render(part, VariantSpec.THUMB)).as("cut at %.0f%%", cut * 100)
                    .isInstanceOf(CorruptImageException.class);
        }
    }
}

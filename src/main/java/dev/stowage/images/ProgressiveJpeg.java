package dev.stowage.images;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One output pass instead of one per scan when the JDK's JPEG reader decodes a progressive JPEG.
 *
 * <p>The JDK reader (IJG libjpeg 6b in buffered-image mode, {@code imageioJPEG.c}) runs a complete
 * output pass (IDCT, upsampling, colour conversion of the whole image) after every scan of a
 * progressive JPEG: a typical camera file has about ten scans, so decoding costs about five times a
 * baseline decode (measured: 1.9 s against 0.45 s for a 6028×3391 photo). The reader starts its scan
 * counter at {@code minProgressivePass + 1}; with {@code minProgressivePass = Integer.MAX_VALUE} that
 * counter wraps to a negative number, libjpeg's {@code jpeg_start_output} clamps the requested scan to
 * 1, so the decoder consumes every scan before its single output pass (libjpeg clamps the output scan
 * to the last one at EOI, {@code jdinput.c consume_markers}). The result is the final image.
 *
 * <p>It is not bit-identical to the multi-pass decode: libjpeg's block smoothing ({@code
 * jdcoefct.c decompress_smooth_data}) decides which AC coefficients are still unknown when the output
 * pass starts, i.e. after the first scan, and estimates some that are really zero. Measured on the
 * progressive fixture (6028×3391) against Sharp/libjpeg-turbo: mean absolute difference 0.11 levels
 * of 255, at most 36 in a few pixels; invisible in previews, which are downscaled. Originals are never
 * re-encoded from this decode.
 *
 * <p>Because this depends on how the JDK's native code treats the pass range, {@link #available()}
 * checks it once per process on a generated 96×96 progressive JPEG: the single-pass decode must be
 * at most {@value #MAX_RATIO} times as far from the standard decode as the first scan alone is (so the
 * check tells a full decode from one that stopped early). When the check fails, callers decode the standard way.
 */
final class ProgressiveJpeg {
    private static final Logger log = LoggerFactory.getLogger(ProgressiveJpeg.class);
    private static final String JDK_READER = "com.sun.imageio.plugins.jpeg.JPEGImageReader";
    /**
     * Largest accepted ratio of the self-check's two differences from the standard decode: single-pass
     * decode over first scan alone. Measured 1.24 / 8.0 levels = 0.15 on the check's image (block
     * smoothing weighs more on a small smooth image than on a photo); a decoder that stopped after the
     * first scan gives 1.0, one that stopped half-way somewhere between.
     */
    private static final double MAX_RATIO = 0.25;
    private static final boolean AVAILABLE = selfCheck();

    private ProgressiveJpeg() {}

    /** Whether the single-pass decode works on this JDK (checked once, at first use). */
    static boolean available() {
        return AVAILABLE;
    }

    /**
     * Whether {@code jpeg} should be decoded with {@link #reader()} and {@link #requestSinglePass}: a
     * progressive JPEG with one or three components (greyscale, YCbCr or RGB) on a JDK where the
     * self-check passed. Four-component (CMYK/YCCK) files stay with the decoder that converts them.
     *
     * @param jpeg a complete JPEG file
     */
    static boolean applies(byte[] jpeg) {
        if (!AVAILABLE) return false;
        int[] sof = startOfFrame(jpeg);
        return sof != null && sof[1] != 4 && (sof[0] == 0xC2 || sof[0] == 0xC6 || sof[0] == 0xCA || sof[0] == 0xCE);
    }

    /**
     * A new instance of the JDK's own JPEG reader. It must be used without progress or update
     * listeners: with them, the reader's progress arithmetic divides by zero on the wrapped scan
     * counter (warning listeners are fine).
     *
     * @throws IOException when the JDK's reader is not installed
     */
    static ImageReader reader() throws IOException {
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext(); ) {
            ImageReader r = it.next();
            if (r.getClass().getName().equals(JDK_READER)) return r;
        }
        throw new IOException("the JDK's JPEG reader is not installed");
    }

    /**
     * Asks the JDK reader for a single output pass on a progressive JPEG.
     *
     * @param param the read parameter of a reader from {@link #reader()}
     */
    static void requestSinglePass(ImageReadParam param) {
        param.setSourceProgressivePasses(Integer.MAX_VALUE, 1);
    }

    /**
     * The first start-of-frame marker and its component count (ITU-T T.81 B.2.2), or {@code null}.
     *
     * @return {marker (0xC0-0xCF, not C4/C8/CC), number of components}
     */
    static int[] startOfFrame(byte[] b) {
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) return null;
            int m = b[i + 1] & 0xFF;
            if (m == 0xFF) {
                i++;
                continue;
            }
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {
                i += 2;
                continue;
            }
            if (m == 0xDA || m == 0xD9) return null;
            int len = (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                return i + 9 < b.length ? new int[] {m, b[i + 9] & 0xFF} : null;
            }
            i += 2 + len;
        }
        return null;
    }

    private static boolean selfCheck() {
        try {
            byte[] jpeg = sample();
            BufferedImage standard = decode(jpeg, Mode.STANDARD);
            BufferedImage fast = decode(jpeg, Mode.SINGLE_PASS);
            BufferedImage firstScan = decode(jpeg, Mode.FIRST_SCAN);
            double diff = meanAbsoluteDifference(standard, fast);
            double firstScanDiff = meanAbsoluteDifference(standard, firstScan);
            if (firstScanDiff > 0 && diff <= MAX_RATIO * firstScanDiff) {
                log.debug("progressive JPEG single-pass decode available (self-check: {} levels, first scan alone {})", diff, firstScanDiff);
                return true;
            }
            log.info("progressive JPEG single-pass decode disabled: on this JDK it differs from the standard decode by {} levels "
                    + "(the first scan alone by {})", diff, firstScanDiff);
        } catch (IOException | RuntimeException e) {
            log.info("progressive JPEG single-pass decode disabled: self-check failed: {}", e.toString());
        }
        return false;
    }

    private static byte[] sample() throws IOException {
        int n = 96;
        var img = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        var rnd = new Random(42);
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int edge = ((x / 24) + (y / 24)) % 2 == 0 ? 60 : 0;
                int r = Math.min(255, x * 180 / n + edge + rnd.nextInt(12));
                int g = Math.min(255, y * 180 / n + rnd.nextInt(12));
                int b = Math.min(255, (x + y) * 90 / n + edge + rnd.nextInt(12));
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        var out = new ByteArrayOutputStream();
        try (var ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private enum Mode { STANDARD, SINGLE_PASS, FIRST_SCAN }

    private static BufferedImage decode(byte[] jpeg, Mode mode) throws IOException {
        ImageReader reader = reader();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg))) {
            reader.setInput(in, true, true);
            ImageReadParam param = reader.getDefaultReadParam();
            if (mode == Mode.SINGLE_PASS) requestSinglePass(param);
            if (mode == Mode.FIRST_SCAN) param.setSourceProgressivePasses(0, 1);
            return reader.read(0, param);
        } finally {
            reader.dispose();
        }
    }

    /** Mean absolute difference per 8-bit RGB sample; {@code Double.MAX_VALUE} when the sizes differ. */
    static double meanAbsoluteDifference(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) return Double.MAX_VALUE;
        long sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y), q = b.getRGB(x, y);
                for (int s = 0; s < 24; s += 8) sum += Math.abs(((p >> s) & 0xFF) - ((q >> s) & 0xFF));
            }
        }
        return (double) sum / (3L * a.getWidth() * a.getHeight());
    }
}

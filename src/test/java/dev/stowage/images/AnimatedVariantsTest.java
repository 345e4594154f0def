package dev.stowage.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Animated GIF in, animated WebP out: the libvips engine keeps every frame (resized and, for the thumb,
 * cropped alike), the delays and the loop count; the Java engine writes the first frame and says so
 * ({@link ImageEngine#writesAnimation()}). The WebP's RIFF chunks (VP8X, ANIM, ANMF) are read here.
 */
class AnimatedVariantsTest {

    static final int[] DELAYS_CS = {10, 20, 30};

    @Test
    void vipsEngineKeepsFramesDelaysAndLoop() throws IOException {
        VipsImageEngine vips = ImageEngineTest.vips();
        assertThat(vips.writesAnimation()).isTrue();
        byte[] gif = animatedGif(200, 200, DELAYS_CS, 3);
        ProbeResult p = ImageProbe.probe(gif);
        assertThat(p.frames()).isEqualTo(3);
        assertThat(VipsImageEngine.animates(p)).isTrue();

        List<RenderedVariant> out = vips.renderAll(gif, ImageEngineTest.BOTH);
        Anim thumb = Anim.parse(out.get(0).bytes());
        Anim medium = Anim.parse(out.get(1).bytes());
        for (Anim a : List.of(thumb, medium)) {
            assertThat(a.animated).as("VP8X animation flag").isTrue();
            // GIF's NETSCAPE count is repeats after the first play (3: 4 plays); WebP's is plays (4)
            assertThat(a.loops).as("ANIM loop count").isEqualTo(4);
            assertThat(a.durationsMs).as("ANMF durations, ms").containsExactly(100, 200, 300);
        }
        assertThat(new int[] {thumb.canvasW, thumb.canvasH}).containsExactly(150, 150);
        assertThat(new int[] {out.get(0).width(), out.get(0).height()}).containsExactly(150, 150);
        assertThat(new int[] {medium.canvasW, medium.canvasH}).as("never enlarged").containsExactly(200, 200);
        assertThat(new int[] {out.get(1).width(), out.get(1).height()}).containsExactly(200, 200);
    }

    @Test
    void tooManyPixelsGiveTheFirstFrameOnly() throws IOException {
        // frames × width × height over the limit: one frame
        ProbeResult big = new ProbeResult(ImageProbe.GIF, 4000, 4000, 1, 10, false, 8);
        assertThat(VipsImageEngine.animates(big)).isFalse();
        ProbeResult many = new ProbeResult(ImageProbe.GIF, 10, 10, 1, VipsImageEngine.MAX_ANIMATION_FRAMES + 1, false, 8);
        assertThat(VipsImageEngine.animates(many)).isFalse();
        ProbeResult ok = new ProbeResult(ImageProbe.WEBP, 200, 200, 1, 3, false, 8);
        assertThat(VipsImageEngine.animates(ok)).isTrue();
    }

    @Test
    void javaEngineWritesTheFirstFrameAndSaysSo() throws IOException {
        JavaImageEngine java = new JavaImageEngine();
        assertThat(java.writesAnimation()).isFalse();
        List<RenderedVariant> out = java.renderAll(animatedGif(200, 200, DELAYS_CS, 0), ImageEngineTest.BOTH);
        assertThat(Anim.parse(out.get(0).bytes()).animated).isFalse();
    }

    /** The parts of a WebP's RIFF chunks the test checks. */
    record Anim(boolean animated, boolean alpha, int canvasW, int canvasH, int loops, List<Integer> durationsMs) {
        static Anim parse(byte[] b) {
            assertThat(new String(b, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
            assertThat(new String(b, 8, 4, StandardCharsets.US_ASCII)).isEqualTo("WEBP");
            boolean animated = false, alpha = false;
            int w = 0, h = 0, loops = -1;
            List<Integer> durations = new ArrayList<>();
            int i = 12;
            while (i + 8 <= b.length) {
                String type = new String(b, i, 4, StandardCharsets.US_ASCII);
                int size = u(b, i + 4, 4);
                int d = i + 8;
                switch (type) {
                    case "VP8X" -> {
                        animated = (b[d] & 0x02) != 0;
                        alpha = (b[d] & 0x10) != 0;
                        w = u(b, d + 4, 3) + 1;
                        h = u(b, d + 7, 3) + 1;
                    }
                    case "ANIM" -> loops = u(b, d + 4, 2);
                    case "ANMF" -> durations.add(u(b, d + 12, 3));
                    default -> { }
                }
                i = d + size + (size & 1);
            }
            return new Anim(animated, alpha, w, h, loops, durations);
        }

        private static int u(byte[] b, int at, int n) {
            int v = 0;
            for (int k = n - 1; k >= 0; k--) v = (v << 8) | (b[at + k] & 0xFF);
            return v;
        }
    }

    /**
     * An animated GIF: {@code delays.length} frames of {@code w × h}, each a different colour square on a
     * transparent background, the given delays (1/100 s), NETSCAPE2.0 loop count {@code loops}.
     */
    static byte[] animatedGif(int w, int h, int[] delays, int loops) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.ORANGE};
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int f = 0; f < delays.length; f++) {
                // palette: index 0 transparent, index 1 this frame's colour
                Color c = colours[f % colours.length];
                java.awt.image.IndexColorModel cm = new java.awt.image.IndexColorModel(8, 2,
                        new byte[] {0, (byte) c.getRed()}, new byte[] {0, (byte) c.getGreen()}, new byte[] {0, (byte) c.getBlue()}, 0);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, cm);
                for (int y = h / 4; y < h * 3 / 4; y++) {
                    for (int x = w / 4 + f * 10; x < w * 3 / 4 + f * 10 && x < w; x++) img.getRaster().setSample(x, y, 0, 1);
                }
                ImageTypeSpecifier type = ImageTypeSpecifier.createFromRenderedImage(img);
                IIOMetadata meta = writer.getDefaultImageMetadata(type, null);
                String fmt = meta.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
                IIOMetadataNode gce = child(root, "GraphicControlExtension");
                gce.setAttribute("disposalMethod", "restoreToBackgroundColor");
                gce.setAttribute("userInputFlag", "FALSE");
                gce.setAttribute("transparentColorFlag", "TRUE");
                gce.setAttribute("delayTime", Integer.toString(delays[f]));
                gce.setAttribute("transparentColorIndex", "0");
                if (f == 0) {
                    IIOMetadataNode apps = child(root, "ApplicationExtensions");
                    IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
                    app.setAttribute("applicationID", "NETSCAPE");
                    app.setAttribute("authenticationCode", "2.0");
                    app.setUserObject(new byte[] {1, (byte) (loops & 0xFF), (byte) (loops >> 8)});
                    apps.appendChild(app);
                }
                meta.setFromTree(fmt, root);
                writer.writeToSequence(new IIOImage(img, null, meta), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equals(name)) return (IIOMetadataNode) root.item(i);
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }
}

package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.uploads.TypeDetector;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The quick check names the common types exactly as Tika does, and leaves everything else to Tika. */
class QuickTypeTest {
    static final TypeDetector TIKA = new TypeDetector();

    static byte[] file(String head, int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(h, 0, b, 0, h.length);
        return b;
    }

    static String tika(byte[] b) throws Exception {
        return TIKA.detect(new ByteArrayInputStream(b));
    }

    @Test
    void commonTypesAreNamedAsTikaNamesThem() throws Exception {
        String[][] cases = {
                {"\u00ff\u00d8\u00ff\u00e0\u0000\u0010JFIF\u0000", "image/jpeg"},
                {"\u00ff\u00d8\u00ff\u00e1\u0000\u0018Exif\u0000\u0000", "image/jpeg"},
                {"\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR", "image/png"},
                {"GIF89a", "image/gif"},
                {"GIF87a", "image/gif"},
                {"RIFF\u0000\u0010\u0000\u0000WEBPVP8 ", "image/webp"},
                {"%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n", "application/pdf"},
        };
        for (String[] c : cases) {
            for (long seed = 1; seed <= 20; seed++) {
                byte[] b = file(c[0], 20_000, seed);
                // keep random bytes from spelling %AI, which sends a PDF to Tika
                for (int i = 0; i + 2 < b.length; i++) if (b[i] == '%' && b[i + 1] == 'A') b[i] = ' ';
                assertThat(QuickType.of(b, b.length)).as(c[1]).isEqualTo(c[1]).isEqualTo(tika(b));
            }
        }
    }

    @Test
    void anythingElseIsLeftToTika() {
        assertThat(QuickType.of(file("PK\u0003\u0004", 1000, 1), 1000)).as("zip (docx, …)").isNull();
        assertThat(QuickType.of(file("<!DOCTYPE html>", 1000, 1), 1000)).isNull();
        assertThat(QuickType.of("hello".getBytes(), 5)).isNull();
        assertThat(QuickType.of(new byte[0], 0)).isNull();
        assertThat(QuickType.of(new byte[] {(byte) 0xff, (byte) 0xd8}, 2)).as("too short").isNull();
        byte[] jpegPastN = Arrays.copyOf(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff}, 10);
        assertThat(QuickType.of(jpegPastN, 2)).as("only the first n bytes count").isNull();
        assertThat(QuickType.of(file("%PDF-1.4\n%AI5_FileFormat 3\n", 1000, 1), 1000)).as("Illustrator: Tika decides").isNull();
    }
}

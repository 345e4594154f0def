package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw path bytes survive the round trip through Java paths; names that are not UTF-8 get a readable text. */
class LegacyPathTest {
    @TempDir
    Path dir;

    @Test
    void rawBytesRoundTripThroughPathsEvenWhenNotUtf8() throws Exception {
        byte[] latin1 = {'r', (byte) 0xE9, 's', 'u', 'm', (byte) 0xE9, '.', 'p', 'd', 'f'};
        Path root = dir.toRealPath();
        Path file = LegacyPath.resolve(root, latin1);
        Files.writeString(file, "x");
        try (var listing = Files.list(root)) {
            Path listed = listing.findFirst().orElseThrow();
            assertThat(LegacyPath.relative(root, listed)).isEqualTo(latin1);
            assertThat(Files.readString(LegacyPath.resolve(root, LegacyPath.relative(root, listed)))).isEqualTo("x");
        }
        assertThat(LegacyPath.isUtf8(latin1)).isFalse();
        assertThat(LegacyPath.display(latin1)).isEqualTo("résumé.pdf");
        assertThat(LegacyPath.fromUri(LegacyPath.uri(root))).isEqualTo(root);
    }

    @Test
    void percentEncodingIsExactAndStrict() {
        byte[] nfd = "1/Cafe\u0301 #1+2%.jpg".getBytes(StandardCharsets.UTF_8);
        String enc = LegacyPath.percentEncode(nfd);
        assertThat(enc).isEqualTo("1/Cafe%CC%81%20%231%2B2%25.jpg");
        assertThat(LegacyPath.percentDecode(enc)).isEqualTo(nfd);
        assertThat(LegacyPath.percentDecode("a+b")).isEqualTo("a+b".getBytes(StandardCharsets.UTF_8));
        assertThat(LegacyPath.percentDecode("é")).isEqualTo("é".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> LegacyPath.percentDecode("bad%E")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LegacyPath.percentDecode("bad%zz")).isInstanceOf(IllegalArgumentException.class);
        assertThat(LegacyPath.segments("a//b/c".getBytes(StandardCharsets.UTF_8))).extracting(b -> new String(b, StandardCharsets.UTF_8))
                .containsExactly("a", "b", "c");
    }

    @Test
    void ignoreGlobsMatchWholeNames() {
        var dsStore = TreeWalker.glob(".DS_Store");
        var appleDouble = TreeWalker.glob("._*");
        assertThat(dsStore.matcher(".DS_Store").matches()).isTrue();
        assertThat(dsStore.matcher("x.DS_Store").matches()).isFalse();
        assertThat(appleDouble.matcher("._photo.jpg").matches()).isTrue();
        assertThat(appleDouble.matcher("a._b").matches()).isFalse();
        assertThat(TreeWalker.glob("IMG_????.JPG").matcher("IMG_0042.JPG").matches()).isTrue();
        assertThat(List.of("1000", "a.b_c-d").stream().allMatch(TreeWalker::isUserId)).isTrue();
        assertThat(List.of("lost+found", "..", "quarantine", "").stream().noneMatch(TreeWalker::isUserId)).isTrue();
    }
}

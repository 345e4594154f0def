package dev.stowage.storage;

import static dev.stowage.storage.FilenameSanitizer.decodeMetadataValue;
import static dev.stowage.storage.FilenameSanitizer.metadataValue;
import static dev.stowage.storage.FilenameSanitizer.sanitize;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FilenameSanitizerTest {

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Fails unless {@code s} round-trips through strict UTF-8 and has no lone surrogate. */
    private static void assertWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertThat(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
                        .as("high surrogate at %d is paired", i).isTrue();
                i++;
            } else {
                assertThat(Character.isSurrogate(c)).as("lone surrogate at %d", i).isFalse();
            }
        }
        try {
            String back = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8))).toString();
            assertThat(back).isEqualTo(s);
        } catch (CharacterCodingException e) {
            throw new AssertionError("not valid UTF-8: " + s, e);
        }
    }

    @Test
    void nfdInputBecomesNfc() {
        String nfd = "Cafe\u0301.txt";
        assertThat(sanitize(nfd)).isEqualTo("Caf\u00e9.txt").isEqualTo("Café.txt");
        assertThat(sanitize("Caf\u00e9.txt")).isEqualTo(sanitize(nfd));
    }

    @Test
    void pathSeparatorsBecomeUnderscores() {
        assertThat(sanitize("a/b.txt")).isEqualTo("a_b.txt");
        assertThat(sanitize("a\\b")).isEqualTo("a_b");
        assertThat(sanitize("../../etc/passwd")).isEqualTo("_.._etc_passwd").doesNotContain("/");
        assertThat(sanitize("C:\\Users\\me\\photo.jpg")).isEqualTo("C:_Users_me_photo.jpg");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "...", " ", " . . ", "\t\n", "\u202E", "\u0001\u007F\u0085", "\u200D.\u200B"})
    void emptyOrDotsOnlyNamesAreRejected(String name) {
        assertThatThrownBy(() -> sanitize(name))
                .isInstanceOf(InvalidFilenameException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(((InvalidFilenameException) e).code()).isEqualTo("invalid_filename"));
    }

    @Test
    void nullIsRejected() {
        assertThatThrownBy(() -> sanitize(null)).isInstanceOf(InvalidFilenameException.class);
    }

    @Test
    void nulIsRejectedWithItsOwnMessage() {
        assertThatThrownBy(() -> sanitize("photo\0.jpg"))
                .isInstanceOf(InvalidFilenameException.class)
                .hasMessageContaining("NUL")
                .satisfies(e -> assertThat(((InvalidFilenameException) e).code()).isEqualTo("invalid_filename"));
    }

    @Test
    void unpairedSurrogateIsRejected() {
        assertThatThrownBy(() -> sanitize("a\uD83D.txt")).isInstanceOf(InvalidFilenameException.class)
                .hasMessageContaining("surrogate");
        assertThatThrownBy(() -> sanitize("a\uDE00.txt")).isInstanceOf(InvalidFilenameException.class);
    }

    @Test
    void bidiOverrideAndInvisibleFormatCharactersAreRemoved() {
        // "invoice<RLO>fdp.exe" displays as "invoiceexe.pdf"
        assertThat(sanitize("invoice\u202Efdp.exe")).isEqualTo("invoicefdp.exe");
        assertThat(sanitize("\uFEFFa\u200Bb\u00ADc\u2066d\u2069.txt")).isEqualTo("abcd.txt");
    }

    @Test
    void controlCharactersAreRemovedAndWhitespaceBecomesOneSpace() {
        assertThat(sanitize("report\t2024\r\n\nfinal.pdf")).isEqualTo("report 2024 final.pdf");
        assertThat(sanitize("a\u0001b\u007Fc\u0080d\u009F.txt")).isEqualTo("abcd.txt");
        assertThat(sanitize("a\u00A0\u3000\u2028b.txt")).isEqualTo("a b.txt");
        assertThat(sanitize("  my   file .txt. ")).isEqualTo("my file .txt");
        assertThat(sanitize(".bashrc")).isEqualTo("bashrc");
        assertThat(sanitize("name\u0007")).isEqualTo("name");
    }

    @Test
    void removingAControlCharacterBetweenBaseAndMarkStillGivesNfc() {
        assertThat(sanitize("e\u202E\u0301.txt")).isEqualTo("\u00e9.txt");
    }

    @Test
    void emojiNamesSurvive() {
        for (String name : new String[] {
                "🎉 party 🥳.png", "👨‍👩‍👧‍👦 family.jpg", "🇫🇷.png", "❤️.gif", "👍🏽.webp", "日本語のファイル.pdf"}) {
            assertThat(sanitize(name)).as(name).isEqualTo(name);
        }
    }

    @Test
    void longAsciiNameIsCutKeepingTheExtension() {
        String name = "x".repeat(295) + ".jpeg";
        assertThat(utf8(name)).isEqualTo(300);
        String safe = sanitize(name);
        assertThat(utf8(safe)).isLessThanOrEqualTo(FilenameSanitizer.MAX_SAFE_NAME_BYTES);
        assertThat(safe).isEqualTo("x".repeat(195) + ".jpeg");
    }

    @Test
    void longEmojiNameIsCutOnCodePointsKeepingTheExtension() {
        String name = "😀".repeat(74) + ".png";
        assertThat(utf8(name)).isEqualTo(300);
        String safe = sanitize(name);
        assertWellFormed(safe);
        assertThat(utf8(safe)).isLessThanOrEqualTo(200);
        assertThat(safe).endsWith(".png").isEqualTo("😀".repeat(49) + ".png");
    }

    @Test
    void longNameIsCutOnGraphemeClusters() {
        String family = "👨‍👩‍👧‍👦"; // 7 code points joined by ZWJ, 25 bytes
        assertThat(utf8(family)).isEqualTo(25);
        String safe = sanitize(family.repeat(10) + ".png");
        assertWellFormed(safe);
        assertThat(safe).isEqualTo(family.repeat(7) + ".png"); // 175 + 4 bytes; an 8th would need 204
    }

    @Test
    void aSingleHugeGraphemeClusterIsCutOnCodePoints() {
        String zalgo = "a" + "\u0301".repeat(200) + ".txt";
        String safe = sanitize(zalgo);
        assertWellFormed(safe);
        assertThat(utf8(safe)).isLessThanOrEqualTo(200);
        assertThat(safe).startsWith("\u00e1\u0301").endsWith(".txt");
    }

    @Test
    void cutDoesNotLeaveTrailingSpaceOrDotBeforeTheExtension() {
        String safe = sanitize("a".repeat(194) + " . " + "b".repeat(100) + ".jpeg");
        assertThat(safe).isEqualTo("a".repeat(194) + ".jpeg");
    }

    @Test
    void aLongSuffixIsNotTreatedAsAnExtension() {
        String safe = sanitize("a".repeat(250) + "." + "b".repeat(30));
        assertThat(safe).isEqualTo("a".repeat(200));
        String spaced = sanitize("a".repeat(250) + ". see notes");
        assertThat(spaced).isEqualTo("a".repeat(200));
    }

    @Test
    void overlongOriginalIsRejected() {
        assertThat(sanitize("x".repeat(508) + ".txt")).hasSize(200);
        assertThatThrownBy(() -> sanitize("x".repeat(509) + ".txt"))
                .isInstanceOf(InvalidFilenameException.class)
                .hasMessageContaining("512");
    }

    @Test
    void sanitizeIsIdempotentAndItsOutputKeepsTheInvariants() {
        var random = new Random(20240611);
        int[] pool = {
            'a', 'Z', '0', '.', ' ', '/', '\\', '\t', '\n', 0x01, 0x7F, 0x85, 0xA0, 0x202E, 0x200B, 0x200D, 0x200C,
            0x0301, 0x0323, 0x1100, 0x1161, 0x11A8, 0xAC00, 0x00E9, 0x65E5, 0x1F600, 0x1F3FD, 0xFE0F, 0x1F1EB,
            0x1F1F7, 0x1F468, 0x2126, 0xFB2C, 0x3000, 0xFFFD};
        for (int round = 0; round < 5_000; round++) {
            var sb = new StringBuilder();
            IntStream.range(0, 1 + random.nextInt(150))
                    .forEach(i -> sb.appendCodePoint(pool[random.nextInt(pool.length)]));
            String original = sb.toString();
            String safe;
            try {
                safe = sanitize(original);
            } catch (InvalidFilenameException e) {
                continue;
            }
            assertThat(sanitize(safe)).as("idempotent for %s", original).isEqualTo(safe);
            assertThat(FilenameSanitizer.isSafeName(safe)).isTrue();
            assertThat(utf8(safe)).isBetween(1, 200);
            assertThat(Normalizer.isNormalized(safe, Normalizer.Form.NFC)).isTrue();
            assertThat(safe).doesNotContain("/", "\\", "\0", "\u202E", "  ").doesNotStartWith(" ").doesNotEndWith(".");
            assertWellFormed(safe);
        }
    }

    @Test
    void isSafeNameRejectsUncleanNames() {
        assertThat(FilenameSanitizer.isSafeName("Café.txt")).isTrue();
        assertThat(FilenameSanitizer.isSafeName("Cafe\u0301.txt")).isFalse();
        assertThat(FilenameSanitizer.isSafeName("a/b")).isFalse();
        assertThat(FilenameSanitizer.isSafeName(" a")).isFalse();
        assertThat(FilenameSanitizer.isSafeName("a  b")).isFalse();
        assertThat(FilenameSanitizer.isSafeName("..")).isFalse();
        assertThat(FilenameSanitizer.isSafeName("x".repeat(201))).isFalse();
        assertThat(FilenameSanitizer.isSafeName(null)).isFalse();
    }

    @Test
    void metadataValueIsAsciiPercentEncodingOfUtf8() {
        assertThat(metadataValue("Café 100% +1.txt")).isEqualTo("Caf%C3%A9%20100%25%20%2B1.txt");
        assertThat(metadataValue("AZaz09-._~")).isEqualTo("AZaz09-._~");
        assertThat(metadataValue("😀")).isEqualTo("%F0%9F%98%80");
        assertThat(metadataValue("a b")).doesNotContain("+").isEqualTo("a%20b");
    }

    @Test
    void metadataValueRoundTripsExactOriginals() {
        for (String original : new String[] {
                "Cafe\u0301 .txt", "Café.txt", "100%.txt", "a+b c.txt", "%2B", "../../etc/passwd",
                "invoice\u202Efdp.exe", "👨‍👩‍👧‍👦 日本語\t.jpg", "  spaced  ", "~!*'();:@&=$,?#[]"}) {
            String encoded = metadataValue(original);
            assertThat(encoded).as(original).matches("[A-Za-z0-9._~%-]*");
            assertThat(decodeMetadataValue(encoded)).as(original).isEqualTo(original);
        }
    }

    @Test
    void decodeAcceptsLowerCaseHexAndRejectsMalformedValues() {
        assertThat(decodeMetadataValue("caf%c3%a9")).isEqualTo("café");
        for (String bad : new String[] {"%", "%2", "%G0", "a b", "a+b", "%C3", "%FF", "é"}) {
            assertThatThrownBy(() -> decodeMetadataValue(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void metadataValueRejectsUnpairedSurrogate() {
        assertThatThrownBy(() -> metadataValue("a\uD800")).isInstanceOf(InvalidFilenameException.class);
    }

    // ---- the display name (files.original_name) -----------------------------------------------

    @Test
    void displayNameOfAnNfdNameIsItsNfcTwin() {
        String nfd = "Re\u0301sume\u0301.pdf";
        String nfc = "R\u00e9sum\u00e9.pdf";
        assertThat(FilenameSanitizer.displayName(nfd)).isEqualTo(nfc).isEqualTo(FilenameSanitizer.displayName(nfc));
    }

    @Test
    void displayNameRemovesC0C1DelAndLineSeparatorsAndNothingElse() {
        assertThat(FilenameSanitizer.displayName("a\r\nb\tc\u0000d\u007Fe\u0085f\u009Fg\u2028h\u2029i.txt")).isEqualTo("abcdefghi.txt");
        // separators, spaces, bidi and zero-width characters are the safe name's business, not the display name's
        assertThat(FilenameSanitizer.displayName("my  dir/a\u202Eb.txt")).isEqualTo("my  dir/a\u202Eb.txt");
    }

    @Test
    void displayNameOfOnlyControlCharactersOrNullIsRejected() {
        assertThatThrownBy(() -> FilenameSanitizer.displayName("\r\n\u2028")).isInstanceOf(InvalidFilenameException.class);
        assertThatThrownBy(() -> FilenameSanitizer.displayName(null)).isInstanceOf(InvalidFilenameException.class);
    }

    @Test
    void originalBytesAreKeptOnlyWhenTheDisplayNameDoesNotSpellThem() {
        String nfd = "Re\u0301sume\u0301.pdf";
        byte[] nfdBytes = nfd.getBytes(StandardCharsets.UTF_8);
        assertThat(FilenameSanitizer.keepsOriginalBytes(nfdBytes, FilenameSanitizer.displayName(nfd))).isTrue();
        byte[] crlf = "a\r\n.txt".getBytes(StandardCharsets.UTF_8);
        assertThat(FilenameSanitizer.keepsOriginalBytes(crlf, FilenameSanitizer.displayName("a\r\n.txt"))).isTrue();
        byte[] plain = "R\u00e9sum\u00e9.pdf".getBytes(StandardCharsets.UTF_8);
        assertThat(FilenameSanitizer.keepsOriginalBytes(plain, FilenameSanitizer.displayName("R\u00e9sum\u00e9.pdf"))).isFalse();
    }

    @Test
    void stripControlsNeverThrows() {
        assertThat(FilenameSanitizer.stripControls(null)).isEmpty();
        assertThat(FilenameSanitizer.stripControls("\u0001\u001F")).isEmpty();
        assertThat(FilenameSanitizer.stripControls("caf\u00e9 \uD83D\uDE00")).isEqualTo("caf\u00e9 \uD83D\uDE00");
    }
}

package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ContentDispositionTest {

    @Test
    void aNonAsciiNameHasAnAsciiFallbackAndAnRfc8187Value() {
        assertThat(ContentDisposition.of("Caf\u00e9.txt", true))
                .isEqualTo("attachment; filename=\"Cafe.txt\"; filename*=UTF-8''Caf%C3%A9.txt");
        assertThat(ContentDisposition.of("a.pdf", false)).isEqualTo("inline; filename=\"a.pdf\"; filename*=UTF-8''a.pdf");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\r", "\n", "\r\n", "\t", "\u0000", "\u007F", "\u0085", "\u009B", "\u2028", "\u2029"})
    void noControlCharacterReachesEitherParameter(String control) {
        String cd = ContentDisposition.of("a" + control + "Set-Cookie: x=1.txt", true);
        assertThat(cd).isEqualTo("attachment; filename=\"aSet-Cookie: x=1.txt\"; filename*=UTF-8''aSet-Cookie%3A%20x%3D1.txt");
        assertThat(cd.chars()).allMatch(c -> c >= 0x20 && c < 0x7F);
    }

    @Test
    void anNfdNameIsServedAsItsNfcTwin() {
        assertThat(ContentDisposition.of("Re\u0301sume\u0301.pdf", false))
                .isEqualTo(ContentDisposition.of("R\u00e9sum\u00e9.pdf", false))
                .endsWith("filename*=UTF-8''R%C3%A9sum%C3%A9.pdf");
    }

    @Test
    void quotesAndBackslashesAreReplacedInTheFallback() {
        assertThat(ContentDisposition.of("a\"b\\c%.txt", true))
                .isEqualTo("attachment; filename=\"a_b_c_.txt\"; filename*=UTF-8''a%22b%5Cc%25.txt");
    }

    @Test
    void aNameOfOnlyControlCharactersIsServedAsDownload() {
        assertThat(ContentDisposition.of("\r\n", true)).isEqualTo("attachment; filename=\"download\"; filename*=UTF-8''download");
        assertThat(ContentDisposition.of(null, true)).isEqualTo("attachment; filename=\"download\"; filename*=UTF-8''download");
    }
}

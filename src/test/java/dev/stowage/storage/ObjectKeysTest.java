package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ObjectKeysTest {

    private static final String FILE_ID = "0190a6f2-3b4c-7d5e-8f60-718293a4b5c6";
    private static final String SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static long millisOf(UUID id) {
        return id.getMostSignificantBits() >>> 16;
    }

    @Test
    void rawKeyHasTheDocumentedLayout() {
        assertThat(ObjectKeys.rawKey("user-42", FILE_ID, "Café.txt")).isEqualTo("user-42/" + FILE_ID + "/Café.txt");
    }

    @Test
    void namesThatDifferOnlyByNormalisationShareASafeNameButNotAKey() {
        String nfd = FilenameSanitizer.sanitize("Cafe\u0301.txt");
        String nfc = FilenameSanitizer.sanitize("Caf\u00e9.txt");
        assertThat(nfd).isEqualTo(nfc);
        String first = ObjectKeys.rawKey("u1", ObjectKeys.newFileId().toString(), nfd);
        String second = ObjectKeys.rawKey("u1", ObjectKeys.newFileId().toString(), nfc);
        assertThat(first).isNotEqualTo(second).endsWith("/Café.txt");
        assertThat(second).endsWith("/Café.txt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "a b", "ü", "quarantine", "Quarantine", "staging", "STAGING", "a\nb"})
    void rawKeyRejectsInvalidUserIds(String userId) {
        assertThatThrownBy(() -> ObjectKeys.rawKey(userId, FILE_ID, "a.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("userId");
    }

    @Test
    void userIdLengthIsLimitedTo128() {
        assertThat(ObjectKeys.rawKey("u".repeat(128), FILE_ID, "a")).startsWith("u".repeat(128) + "/");
        assertThatThrownBy(() -> ObjectKeys.rawKey("u".repeat(129), FILE_ID, "a"))
                .hasMessageContaining("userId");
        assertThatThrownBy(() -> ObjectKeys.rawKey(null, FILE_ID, "a")).hasMessageContaining("userId");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not-a-uuid", "1-1-1-1-1", "0190A6F2-3B4C-7D5E-8F60-718293A4B5C6",
            "0190a6f23b4c7d5e8f60718293a4b5c6", "0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/x"})
    void rawKeyRejectsInvalidFileIds(String fileId) {
        assertThatThrownBy(() -> ObjectKeys.rawKey("u1", fileId, "a.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fileId");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", " a.txt", "a.txt.", "..", "Cafe\u0301.txt", "a\tb"})
    void rawKeyRejectsUnsanitizedNames(String safeName) {
        assertThatThrownBy(() -> ObjectKeys.rawKey("u1", FILE_ID, safeName))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("safeName");
    }

    @Test
    void longestKeysStayWithinS3AndS3ProxyLimits() {
        String userId = "u".repeat(ObjectKeys.MAX_USER_ID_LENGTH);
        String safeName = FilenameSanitizer.sanitize("😀".repeat(100) + ".jpeg");
        String raw = ObjectKeys.rawKey(userId, ObjectKeys.newFileId().toString(), safeName);
        String quarantine = ObjectKeys.quarantineKey(raw);
        for (String key : List.of(raw, quarantine)) {
            assertThat(key.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
            assertThat(key).doesNotContain("//").doesNotEndWith("/").doesNotStartWith("/");
            for (String segment : key.split("/")) {
                assertThat(segment.getBytes(StandardCharsets.UTF_8).length).isBetween(1, 255);
            }
        }
    }

    @Test
    void processedKeyHasTheDocumentedLayout() {
        String digest = ObjectKeys.recipeDigest(SHA, "thumb:150x150:cover:webp:q80");
        assertThat(ObjectKeys.processedKey("u1", FILE_ID, "thumb", digest, "webp"))
                .isEqualTo("u1/" + FILE_ID + "/thumb-" + digest + ".webp")
                .matches("u1/" + FILE_ID + "/thumb-[0-9a-f]{12}\\.webp");
    }

    @Test
    void processedKeyRejectsInvalidParts() {
        String digest = "0123456789ab";
        assertThatThrownBy(() -> ObjectKeys.processedKey("u1", FILE_ID, "large", digest, "webp"))
                .hasMessageContaining("variant");
        assertThatThrownBy(() -> ObjectKeys.processedKey("u1", FILE_ID, "thumb", "0123456789AB", "webp"))
                .hasMessageContaining("digest12");
        assertThatThrownBy(() -> ObjectKeys.processedKey("u1", FILE_ID, "thumb", "0123456789", "webp"))
                .hasMessageContaining("digest12");
        assertThatThrownBy(() -> ObjectKeys.processedKey("u1", FILE_ID, "thumb", digest, ".webp"))
                .hasMessageContaining("extension");
        assertThatThrownBy(() -> ObjectKeys.processedKey("..", FILE_ID, "thumb", digest, "webp"))
                .hasMessageContaining("userId");
    }

    @Test
    void recipeDigestIsTheFirst12HexOfSha256OverSourceNewlineRecipe() {
        // printf '%s\n%s' "$SHA" 'thumb:150x150:cover:webp:q80' | sha256sum
        assertThat(ObjectKeys.recipeDigest(SHA, "thumb:150x150:cover:webp:q80")).isEqualTo("6b4bb0c52580");
        assertThat(ObjectKeys.recipeDigest(SHA.toUpperCase(), "thumb:150x150:cover:webp:q80")).isEqualTo("6b4bb0c52580");
    }

    @Test
    void digestAndProcessedKeyChangeWhenTheRecipeOrSourceChanges() {
        String q80 = ObjectKeys.recipeDigest(SHA, "thumb:150x150:cover:webp:q80");
        String q81 = ObjectKeys.recipeDigest(SHA, "thumb:150x150:cover:webp:q81");
        assertThat(q81).isEqualTo("41d278515a01").isNotEqualTo(q80);
        assertThat(ObjectKeys.processedKey("u1", FILE_ID, "thumb", q80, "webp"))
                .isNotEqualTo(ObjectKeys.processedKey("u1", FILE_ID, "thumb", q81, "webp"));
        String otherSource = "f".repeat(64);
        assertThat(ObjectKeys.recipeDigest(otherSource, "thumb:150x150:cover:webp:q80")).isNotEqualTo(q80);
    }

    @Test
    void recipeDigestRejectsABadChecksum() {
        assertThatThrownBy(() -> ObjectKeys.recipeDigest("abc", "r")).hasMessageContaining("sourceSha256Hex");
        assertThatThrownBy(() -> ObjectKeys.recipeDigest("g".repeat(64), "r")).hasMessageContaining("sourceSha256Hex");
        assertThatThrownBy(() -> ObjectKeys.recipeDigest(SHA, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void quarantineKeyPrefixesARawKey() {
        String raw = ObjectKeys.rawKey("u1", FILE_ID, "eicar.com");
        assertThat(ObjectKeys.quarantineKey(raw)).isEqualTo("quarantine/u1/" + FILE_ID + "/eicar.com");
        assertThatThrownBy(() -> ObjectKeys.quarantineKey("quarantine/" + raw))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectKeys.quarantineKey("uploads/photo.jpg"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stagingKeyPrefixesARawKeyAndParsesBack() {
        String raw = ObjectKeys.rawKey("u1", FILE_ID, "Café report.pdf");
        String staging = ObjectKeys.stagingKey(raw);
        assertThat(staging).isEqualTo("staging/u1/" + FILE_ID + "/Café report.pdf");
        assertThat(ObjectKeys.parseStagingKey(staging)).contains(new ObjectKeys.ParsedRawKey("u1", FILE_ID, "Café report.pdf"));
        // a staging key is never a raw key, so no URL for it can name a file's final object
        assertThat(ObjectKeys.parseRawKey(staging)).isEmpty();
        assertThat(ObjectKeys.parseStagingKey(raw)).isEmpty();
        assertThat(ObjectKeys.parseStagingKey("staging/" + ObjectKeys.quarantineKey(raw))).isEmpty();
        assertThat(ObjectKeys.parseStagingKey(null)).isEmpty();
        assertThatThrownBy(() -> ObjectKeys.stagingKey(staging)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectKeys.stagingKey("uploads/photo.jpg")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectKeys.rawKey("Staging", FILE_ID, "a.txt"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("staging");
    }

    @Test
    void prefixesMatchTheKeysTheyCover() {
        String raw = ObjectKeys.rawKey("u1", FILE_ID, "a.txt");
        String processed = ObjectKeys.processedKey("u1", FILE_ID, "medium", "0123456789ab", "webp");
        assertThat(ObjectKeys.filePrefix("u1", FILE_ID)).isEqualTo("u1/" + FILE_ID + "/");
        assertThat(raw).startsWith(ObjectKeys.filePrefix("u1", FILE_ID)).startsWith(ObjectKeys.userPrefix("u1"));
        assertThat(processed).startsWith(ObjectKeys.filePrefix("u1", FILE_ID));
        assertThat(ObjectKeys.userPrefix("u1")).isEqualTo("u1/");
        assertThatThrownBy(() -> ObjectKeys.userPrefix("")).hasMessageContaining("userId");
    }

    @Test
    void parseRawKeyRoundTrips() {
        String safeName = FilenameSanitizer.sanitize("👨‍👩‍👧 été 2024 (1).jpg");
        String fileId = ObjectKeys.newFileId().toString();
        String key = ObjectKeys.rawKey("User_1.x", fileId, safeName);
        var parsed = ObjectKeys.parseRawKey(key).orElseThrow();
        assertThat(parsed).isEqualTo(new ObjectKeys.ParsedRawKey("User_1.x", fileId, safeName));
        assertThat(parsed.key()).isEqualTo(key);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "photo.jpg", "u1/photo.jpg", "uploads/u1/photo.jpg",
        "u1/not-a-uuid/photo.jpg",
        "u1/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/",
        "u1/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a/b.jpg",
        "u1//photo.jpg",
        "/u1/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a.jpg",
        "..//0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a.jpg",
        "bad user/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a.jpg",
        "u1/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/ a.jpg",
        "u1/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a\u0000.jpg",
        "u1/0190A6F2-3B4C-7D5E-8F60-718293A4B5C6/a.jpg",
        "quarantine/u1/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a.jpg",
        "quarantine/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a.jpg",
        "staging/u1/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a.jpg",
        "Staging/0190a6f2-3b4c-7d5e-8f60-718293a4b5c6/a.jpg"})
    void parseRawKeyRejectsForeignKeys(String key) {
        assertThat(ObjectKeys.parseRawKey(key)).as(key).isEmpty();
    }

    @Test
    void parseRawKeyRejectsNull() {
        assertThat(ObjectKeys.parseRawKey(null)).isEmpty();
    }

    @Test
    void newFileIdIsAVersion7UuidWithTheCurrentTime() {
        long before = System.currentTimeMillis();
        UUID id = ObjectKeys.newFileId();
        long after = System.currentTimeMillis();
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2); // binary 10, RFC 9562 §4.1
        assertThat(millisOf(id)).isBetween(before, after);
        assertThat(id.toString()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    }

    @Test
    void newFileIdPutsTheTimestampInTheTop48Bits() {
        long millis = 0x0190_A6F2_3B4CL;
        UUID id = ObjectKeys.newFileId(millis);
        assertThat(id.toString()).startsWith("0190a6f2-3b4c-7");
        assertThat(millisOf(id)).isEqualTo(millis);
    }

    @Test
    void idsMadeMillisecondsApartSortInTimeOrder() throws InterruptedException {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(ObjectKeys.newFileId());
            Thread.sleep(2);
        }
        for (int i = 1; i < ids.size(); i++) {
            UUID earlier = ids.get(i - 1);
            UUID later = ids.get(i);
            assertThat(millisOf(later)).isGreaterThan(millisOf(earlier));
            assertThat(later).isGreaterThan(earlier);
            assertThat(later.toString()).isGreaterThan(earlier.toString());
        }
    }

    @Test
    void idsFromConsecutiveMillisecondsSortAndIdsAreUnique() {
        var seen = new HashSet<UUID>();
        long base = System.currentTimeMillis();
        for (int i = 0; i < 2_000; i++) {
            UUID a = ObjectKeys.newFileId(base + i);
            UUID b = ObjectKeys.newFileId(base + i + 1);
            assertThat(b.toString()).isGreaterThan(a.toString());
            assertThat(b).isGreaterThan(a);
            assertThat(seen.add(a)).isTrue();
        }
        // Same millisecond: the random bits still differ.
        assertThat(ObjectKeys.newFileId(base)).isNotEqualTo(ObjectKeys.newFileId(base));
    }
}

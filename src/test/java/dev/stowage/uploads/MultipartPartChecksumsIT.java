package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every multipart part carries its SHA-256 (docs/architecture.md §4): a part is signed only with its
 * checksum, the latest declaration of a part wins, a store that keeps checksums refuses other bytes
 * through the part's URL, and verification checks every part's byte range, so a file assembled from
 * mixed bytes never becomes {@code ready} — on the embedded store (checksums kept and enforced) and on
 * Ceph RGW (checksums ignored: verification alone decides).
 */
class MultipartPartChecksumsIT {
    /** The found file: 12,582,912 bytes of text/plain, parts 5,242,880 / 5,242,880 / 2,097,152. */
    private static final int SIZE = 12_582_912;
    private static final int PART = 5_242_880;

    /** One Stowage per store for the class (a start on Ceph RGW costs seconds): each test uses a user of its own. */
    private static Harness embedded, ceph;

    @AfterAll
    static void close() {
        if (embedded != null) embedded.close();
        if (ceph != null) ceph.close();
    }

    private static synchronized Harness embedded() {
        if (embedded == null) embedded = new Harness();
        return embedded;
    }

    private static synchronized Harness rgw() {
        if (ceph == null) ceph = Harness.onCephRgw();
        return ceph;
    }

    /** Text lines, exactly {@link #SIZE} bytes, every line different (so a shifted slice hashes differently). */
    private static byte[] text() {
        var sb = new StringBuilder(SIZE + 32);
        for (int i = 0; sb.length() < SIZE; i++) sb.append("line ").append(i).append(" of the found file\n");
        return Arrays.copyOf(sb.toString().getBytes(StandardCharsets.US_ASCII), SIZE);
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    private static Map<String, Object> part(int n, String sha256) {
        return Map.of("parts", List.of(Map.of("partNumber", n, "sha256", sha256)));
    }

    /** Signs one part declaring {@code sha256}; answers the signed part. */
    private static JsonNode sign(Harness h, String user, String id, int n, String sha256) {
        var r = h.call("POST", "/v1/uploads/" + id + "/parts", user, part(n, sha256));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r.json().path("parts").get(0);
    }

    private static String initiate(Harness h, String user) {
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", "found.txt", "size", SIZE, "contentType", "text/plain"));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(init.json().path("partSize").asLong()).isEqualTo(PART);
        assertThat(init.json().path("partCount").asInt()).isEqualTo(3);
        return init.json().path("fileId").asText();
    }

    /**
     * The stale-part scenario: parts 1 and 3 sent; part 2 signed (URL A), signed again (URL B) and sent
     * right through B; then A is used late with {@code source[5242881:10485761]} (same length, off by
     * one). Either the store refuses that PUT, or the file ends {@code rejected/checksum_mismatch}
     * naming part 2; never {@code ready} with other bytes than the source's.
     */
    private static void staleFirstUrlOfPart2(Harness h) {
        byte[] src = text();
        String user = "stella";
        String id = initiate(h, user);
        for (int n : new int[] {1, 3}) {
            var p = sign(h, user, id, n, Harness.sha256(slice(src, (n - 1) * PART, Math.min(SIZE, n * PART))));
            assertThat(Harness.put(p.path("url").asText(), p.path("headers"), slice(src, (n - 1) * PART, Math.min(SIZE, n * PART))).statusCode())
                    .isEqualTo(200);
        }
        String part2 = Harness.sha256(slice(src, PART, 2 * PART));
        var urlA = sign(h, user, id, 2, part2);
        var urlB = sign(h, user, id, 2, part2);
        if (h.stowage.s3().profile().has(dev.stowage.storage.Capability.STORED_CHECKSUMS)) {
            assertThat(urlA.path("headers").path("x-amz-checksum-sha256").asText()).as("signed where the store keeps checksums")
                    .isEqualTo(java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(part2)));
        }
        assertThat(Harness.put(urlB.path("url").asText(), urlB.path("headers"), slice(src, PART, 2 * PART)).statusCode()).isEqualTo(200);
        byte[] offByOne = slice(src, PART + 1, 2 * PART + 1);
        var stale = Harness.put(urlA.path("url").asText(), urlA.path("headers"), offByOne);

        var done = h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        if (stale.statusCode() >= 400) {
            // the store refused the stale bytes: part 2 is still the right one and the file is the source
            assertThat(done.status()).as(done.raw().body()).isEqualTo(202);
            JsonNode f = h.awaitSettled(user, id, Duration.ofSeconds(90));
            assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
            assertThat(f.path("sha256").asText()).isEqualTo(Harness.sha256(src));
            return;
        }
        assertThat(stale.statusCode()).isEqualTo(200);
        if (done.status() == 409) {
            assertThat(done.json().path("code").asText()).isEqualTo("part_checksum_mismatch");
            assertThat(done.json().path("detail").asText()).contains("part 2");
            return;
        }
        assertThat(done.status()).as(done.raw().body()).isEqualTo(202);
        JsonNode f = h.awaitSettled(user, id, Duration.ofSeconds(90));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("rejected");
        assertThat(f.path("reason").path("code").asText()).isEqualTo("checksum_mismatch");
        assertThat(f.path("reason").path("message").asText()).contains("part 2 (bytes 5242880–10485759)", part2);
        assertThat(h.call("GET", "/v1/usage", user, null).json().path("reservedBytes").asLong()).isZero();
        assertThat(declaredRows(h, id)).as("part checksums are removed once the file leaves verification").isZero();
    }

    @Test
    void theLateStalePutOfPart2NeverMakesTheFileReady() {
        var h = embedded();
        staleFirstUrlOfPart2(h);
    }

    @Test
    void theLateStalePutOfPart2NeverMakesTheFileReadyOnCephRgw() {
        var h = rgw();
        staleFirstUrlOfPart2(h);
    }

    /**
     * URL A of part 2 was signed with the checksum of the shifted bytes (a client that cut the part wrong),
     * then part 2 was declared again with the right checksum and sent. A late PUT through A matches what A
     * signed, so every store takes it; the latest declaration is what counts: complete refuses the part
     * where the store reports part checksums, otherwise verification rejects the file naming part 2.
     */
    private static void theLatestDeclarationWins(Harness h) {
        byte[] src = text();
        String user = "lena";
        String id = initiate(h, user);
        for (int n : new int[] {1, 3}) {
            byte[] bytes = slice(src, (n - 1) * PART, Math.min(SIZE, n * PART));
            var p = sign(h, user, id, n, Harness.sha256(bytes));
            assertThat(Harness.put(p.path("url").asText(), p.path("headers"), bytes).statusCode()).isEqualTo(200);
        }
        byte[] offByOne = slice(src, PART + 1, 2 * PART + 1);
        var urlA = sign(h, user, id, 2, Harness.sha256(offByOne));
        String part2 = Harness.sha256(slice(src, PART, 2 * PART));
        var urlB = sign(h, user, id, 2, part2.toUpperCase(java.util.Locale.ROOT)); // hex in either case
        assertThat(latestDeclaration(h, id, 2)).isEqualTo(part2);
        assertThat(Harness.put(urlB.path("url").asText(), urlB.path("headers"), slice(src, PART, 2 * PART)).statusCode()).isEqualTo(200);
        var stale = Harness.put(urlA.path("url").asText(), urlA.path("headers"), offByOne);
        assertThat(stale.statusCode()).as("the bytes match what URL A signed: " + stale.body()).isEqualTo(200);

        var done = h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        if (done.status() == 409) {
            assertThat(done.json().path("code").asText()).as(done.raw().body()).isEqualTo("part_checksum_mismatch");
            assertThat(done.json().path("detail").asText()).contains("part 2", part2);
            assertThat(h.call("GET", "/v1/files/" + id, user, null).json().path("status").asText()).isEqualTo("pending");
            return;
        }
        assertThat(done.status()).as(done.raw().body()).isEqualTo(202);
        JsonNode f = h.awaitSettled(user, id, Duration.ofSeconds(90));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("rejected");
        assertThat(f.path("reason").path("code").asText()).isEqualTo("checksum_mismatch");
        assertThat(f.path("reason").path("message").asText()).contains("part 2 (bytes 5242880–10485759) has SHA-256 "
                + Harness.sha256(offByOne) + ", declared " + part2);
        String raw = h.config.storage().buckets().raw();
        assertThat(h.awaitNoObjects(raw, key(h, id), Duration.ofSeconds(10))).as("a rejected object is deleted").isEmpty();
        assertThat(declaredRows(h, id)).as("part checksums are removed once the file leaves verification").isZero();
    }

    @Test
    void theLatestDeclarationOfAPartIsWhatCounts() {
        var h = embedded();
        theLatestDeclarationWins(h);
    }

    @Test
    void theLatestDeclarationOfAPartIsWhatCountsOnCephRgw() {
        var h = rgw();
        theLatestDeclarationWins(h);
    }

    @Test
    void aPartCannotBeSignedWithoutItsChecksumAndAWrongHexIsRefused() {
        var h = embedded();
        String user = "nico";
        String id = initiate(h, user);
        String path = "/v1/uploads/" + id + "/parts";

        var old = h.call("POST", path, user, Map.of("partNumbers", List.of(1)));
        assertThat(old.status()).isEqualTo(400);
        assertThat(old.raw().headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
        assertThat(old.json().path("code").asText()).isEqualTo("part_checksum_required");
        assertThat(old.json().path("type").asText()).isEqualTo("urn:stowage:problem:part_checksum_required");
        assertThat(old.json().path("detail").asText()).contains("part 1", "sha256");

        var without = h.call("POST", path, user, Map.of("parts", List.of(Map.of("partNumber", 2))));
        assertThat(without.json().path("code").asText()).as(without.raw().body()).isEqualTo("part_checksum_required");

        String good = "ab".repeat(32);
        for (String bad : List.of("ab".repeat(31) + "a", "zz".repeat(32), "ab".repeat(33), "")) {
            var r = h.call("POST", path, user, Map.of("parts", List.of(Map.of("partNumber", 1, "sha256", good), Map.of("partNumber", 3, "sha256", bad))));
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.json().path("code").asText()).as(bad).isEqualTo(bad.isEmpty() ? "part_checksum_required" : "invalid_checksum");
        }
        assertThat(declaredRows(h, id)).as("a refused call declares nothing, not even its valid parts").isZero();

        var both = h.call("POST", path, user, Map.of("parts", List.of(Map.of("partNumber", 1, "sha256", good)), "partNumbers", List.of(1)));
        assertThat(both.json().path("code").asText()).isEqualTo("invalid_json");

        var ok = h.call("POST", path, user, Map.of("parts", List.of(Map.of("partNumber", 1, "sha256", good))));
        assertThat(ok.status()).as(ok.raw().body()).isEqualTo(200);
        assertThat(latestDeclaration(h, id, 1)).isEqualTo(good);

        // complete with parts that were never declared is refused with the same code, before anything is assembled
        byte[] src = text();
        var signed = h.call("POST", path, user, Harness.parts(src, PART, 1, 2, 3)).json().path("parts");
        for (JsonNode p : signed) {
            int n = p.path("partNumber").asInt();
            assertThat(Harness.put(p.path("url").asText(), p.path("headers"), slice(src, (n - 1) * PART, Math.min(SIZE, n * PART))).statusCode())
                    .isEqualTo(200);
        }
        h.stowage.files().jdbi().useHandle(x -> x.execute("delete from upload_part_checksums where file_id = ? and part_number = 3", UUID.fromString(id)));
        var done = h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        assertThat(done.json().path("code").asText()).as(done.raw().body()).isEqualTo("part_checksum_required");
        assertThat(done.json().path("detail").asText()).contains("parts 3 ");
        h.call("POST", path, user, Harness.parts(src, PART, 3));
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", user, null).status()).isEqualTo(202);
        JsonNode f = h.awaitSettled(user, id, Duration.ofSeconds(90));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(f.path("sha256").asText()).isEqualTo(Harness.sha256(src));
        assertThat(declaredRows(h, id)).isZero();
    }

    private static int declaredRows(Harness h, String id) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select count(*) from upload_part_checksums where file_id = :id")
                .bind("id", UUID.fromString(id)).mapTo(Integer.class).one());
    }

    private static String latestDeclaration(Harness h, String id, int n) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select sha256 from upload_part_checksums where file_id = :id and part_number = :n")
                .bind("id", UUID.fromString(id)).bind("n", n).mapTo(String.class).one());
    }

    private static String key(Harness h, String id) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select object_key from files where id = :id")
                .bind("id", UUID.fromString(id)).mapTo(String.class).one());
    }
}

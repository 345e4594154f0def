package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Uploads whose client cannot tell the type (a file without an extension: the browser's {@code File.type} is
 * empty, so it declares {@code application/octet-stream} or nothing): initiation lets them through under the
 * size and quota checks, and verification decides the type from the bytes — an allowed type becomes the
 * file's type (stored, shown and served), anything else is rejected as a declared upload of it would be.
 */
class UndecidedTypesIT {
    static Harness h;

    @BeforeAll
    static void start() {
        // plan "tiny" has a 50 KB quota
        h = new Harness(Map.of(), c -> c.withUploads(new StowageConfig.Uploads(c.uploads().maxSizeBytes(),
                c.uploads().multipartThresholdBytes(), c.uploads().partSizeBytes(), c.uploads().urlTtl(), c.uploads().sessionTtl(),
                c.uploads().downloadUrlTtl(), List.of(), Map.of("free", 100_000_000L, "tiny", 50_000L), Duration.ofHours(1))));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    /** Initiates (with {@code contentType} left out when null), PUTs with the signed headers, completes; the initiation's answer. */
    private static JsonNode upload(String user, String name, String contentType, byte[] bytes) {
        Map<String, Object> body = new HashMap<>(Map.of("filename", name, "size", bytes.length));
        if (contentType != null) body.put("contentType", contentType);
        var init = h.call("POST", "/v1/uploads", user, body);
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        var put = Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        String id = init.json().path("fileId").asText();
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", user, null).status()).isEqualTo(202);
        return init.json();
    }

    private static String column(String id, String column) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select " + column + " from files where id = cast(:id as uuid)")
                .bind("id", id).mapTo(String.class).one());
    }

    /** Follows {@code /v1/files/{id}/content} to the object store; the answer. */
    private static java.net.http.HttpResponse<byte[]> download(String user, String id) {
        var redirect = h.call("GET", "/v1/files/" + id + "/content", user, null);
        assertThat(redirect.status()).as(redirect.raw().body()).isEqualTo(302);
        return Harness.getBytes(redirect.raw().headers().firstValue("Location").orElseThrow());
    }

    private static JsonNode awaitVariants(String user, String id) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode f = h.call("GET", "/v1/files/" + id, user, null).json();
            if (!f.path("variantsStatus").asText().equals("pending")) return f;
            Thread.sleep(100);
        }
        throw new AssertionError("variants of " + id + " did not settle");
    }

    @Test
    void pngBytesDeclaredAsOctetStreamBecomeAReadyPngWithVariants() throws Exception {
        byte[] png = Files.readAllBytes(TestServers.fixture("images/special/exiftool_PNG.png"));
        JsonNode init = upload("olga", "scan", "application/octet-stream", png);
        // the single PUT is signed with the declared application/octet-stream, and the store took it
        assertThat(init.at("/upload/headers/content-type").asText()).isEqualTo("application/octet-stream");
        String id = init.path("fileId").asText();

        JsonNode f = h.awaitSettled("olga", id, Duration.ofSeconds(30));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(f.path("contentType").asText()).isEqualTo("image/png");
        assertThat(column(id, "detected_type")).isEqualTo("image/png");
        assertThat(column(id, "declared_type")).isEqualTo("application/octet-stream");
        assertThat(h.call("GET", "/v1/usage", "olga", null).json().path("usedBytes").asLong()).isEqualTo(png.length);

        f = awaitVariants("olga", id);
        assertThat(f.path("variantsStatus").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(f.path("variants")).extracting(v -> v.path("name").asText()).contains("thumb", "medium", "original");
        var thumb = h.call("GET", "/v1/files/" + id + "/variants/thumb", "olga", null);
        assertThat(thumb.status()).isIn(200, 302);

        // the download carries the type told from the bytes, not the declared one
        var got = download("olga", id);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("image/png");
        assertThat(got.body()).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    }

    @Test
    void textWithoutADeclaredTypeIsServedAsText() {
        // no contentType at all: stored and signed as application/octet-stream, decided text/plain
        byte[] text = "a note without an extension\n".getBytes(StandardCharsets.UTF_8);
        JsonNode init = upload("pavel", "README", null, text);
        String id = init.path("fileId").asText();
        JsonNode f = h.awaitSettled("pavel", id, Duration.ofSeconds(30));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(f.path("contentType").asText()).isEqualTo("text/plain");
        // the raw object was written as declared; the presigned GET overrides its Content-Type with the decided one
        var head = h.stowage.s3().client().headObject(r -> r.bucket(h.config.storage().buckets().raw()).key("pavel/" + id + "/README"));
        assertThat(head.contentType()).isEqualTo("application/octet-stream");
        var got = download("pavel", id);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("text/plain");
        assertThat(got.body()).isEqualTo(text);
    }

    @Test
    void executableBytesDeclaredAsOctetStreamAreRejectedAndLeaveNothing() throws Exception {
        String raw = h.config.storage().buckets().raw();
        byte[] elf = java.util.Arrays.copyOf(Files.readAllBytes(Path.of("/bin/ls")), 20_000);
        byte[] exe = new byte[4096]; // a PE header: "MZ", e_lfanew → "PE\0\0"
        exe[0] = 'M';
        exe[1] = 'Z';
        exe[0x3c] = (byte) 0x80;
        exe[0x80] = 'P';
        exe[0x81] = 'E';
        for (byte[] bytes : List.of(elf, exe)) {
            String id = upload("quinn", "installer", "application/octet-stream", bytes).path("fileId").asText();
            JsonNode f = h.awaitSettled("quinn", id, Duration.ofSeconds(30));
            assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("rejected");
            assertThat(f.at("/reason/code").asText()).isEqualTo("type_not_allowed");
            assertThat(f.at("/reason/message").asText()).contains("which is not an allowed type (declared application/octet-stream)")
                    .doesNotContain("content is image/", "content is application/pdf");
            assertThat(h.awaitNoObjects(raw, "quinn/" + id, Duration.ofSeconds(10))).isEmpty();
            assertThat(h.awaitNoObjects(raw, "staging/quinn/" + id, Duration.ofSeconds(10))).isEmpty();
            assertThat(h.call("GET", "/v1/files/" + id + "/content", "quinn", null).status()).isEqualTo(409);
        }
        JsonNode usage = h.call("GET", "/v1/usage", "quinn", null).json();
        assertThat(usage.path("reservedBytes").asLong()).as(usage.toString()).isZero();
        assertThat(usage.path("usedBytes").asLong()).isZero();
    }

    @Test
    void undecidedUploadsPassTheSameChecksAsDeclaredOnes() {
        // an empty file has no bytes to decide from; an empty one named as an image stays empty_image
        assertRefused(Map.of("filename", "notes", "size", 0, "contentType", "application/octet-stream"), 415, "type_not_allowed");
        assertRefused(Map.of("filename", "notes", "size", 0), 415, "type_not_allowed");
        assertRefused(Map.of("filename", "a.jpg", "size", 0, "contentType", "application/octet-stream"), 400, "empty_image");
        // the size limit and the quota hold as for any type
        assertRefused(Map.of("filename", "big", "size", h.config.uploads().maxSizeBytes() + 1, "contentType", "application/octet-stream"),
                413, "too_large");
        assertRefused(Map.of("filename", "big", "size", 50_001, "contentType", ""), 403, "quota_exceeded",
                Harness.token("rhea", "tiny"));
        // a named type still has to be on the list
        assertRefused(Map.of("filename", "a", "size", 10, "contentType", "application/x-msdownload"), 415, "type_not_allowed");
        JsonNode usage = h.call("GET", "/v1/usage", "rhea", null).json();
        assertThat(usage.path("reservedBytes").asLong()).isZero();
        assertThat(h.call("GET", "/v1/files", "rhea", null).json().path("items")).isEmpty();
    }

    private static void assertRefused(Map<String, Object> body, int status, String code) {
        assertRefused(body, status, code, Harness.token("rhea", "free"));
    }

    private static void assertRefused(Map<String, Object> body, int status, String code, String token) {
        var r = h.callWithToken("POST", "/v1/uploads", token, body);
        assertThat(r.status()).as(body + " → " + r.raw().body()).isEqualTo(status);
        assertThat(r.json().path("code").asText()).isEqualTo(code);
    }
}

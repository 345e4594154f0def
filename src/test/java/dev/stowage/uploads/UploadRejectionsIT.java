package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Bad input and lost signals: each refusal is a problem document with a stable code, and nothing is left
 * behind — no row in flight, no object, no reserved byte.
 */
class UploadRejectionsIT {
    static Harness h;

    @BeforeAll
    static void start() {
        // plan "tiny" has a 50 KB quota; sessions expire when a test moves their clock (see expireSessions)
        h = new Harness(Map.of(), c -> c.withUploads(new StowageConfig.Uploads(c.uploads().maxSizeBytes(),
                c.uploads().multipartThresholdBytes(), c.uploads().partSizeBytes(), Duration.ofMinutes(5), Duration.ofMinutes(5),
                c.uploads().downloadUrlTtl(), List.of(), Map.of("free", 100_000_000L, "tiny", 50_000L), Duration.ofHours(1))));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private JsonNode usage(String user) {
        return h.call("GET", "/v1/usage", user, null).json();
    }

    private List<String> objects(String prefix) {
        return h.stowage.s3().client().listObjectsV2Paginator(r -> r.bucket(h.config.storage().buckets().raw()).prefix(prefix))
                .contents().stream().map(S3Object::key).toList();
    }

    private void refusedAtInitiation(Object body, int status, String code) {
        var r = h.call("POST", "/v1/uploads", "erin", body);
        assertThat(r.status()).as(body + " → " + r.raw().body()).isEqualTo(status);
        assertThat(r.raw().headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(r.json().path("code").asText()).isEqualTo(code);
    }

    @Test
    void invalidInitiationsAreRefusedBeforeAnythingIsSigned() {
        refusedAtInitiation(Map.of("filename", "a.exe", "size", 10, "contentType", "application/x-msdownload"), 415, "type_not_allowed");
        refusedAtInitiation(Map.of("filename", "a.svg", "size", 10, "contentType", "image/svg+xml"), 415, "type_not_allowed");
        refusedAtInitiation(Map.of("filename", "big.pdf", "size", 50_000_001L, "contentType", "application/pdf"), 413, "too_large");
        refusedAtInitiation(Map.of("filename", "", "size", 10, "contentType", "text/plain"), 400, "invalid_filename");
        refusedAtInitiation(Map.of("filename", "...", "size", 10, "contentType", "text/plain"), 400, "invalid_filename");
        refusedAtInitiation(Map.of("filename", "a\u0000b.txt", "size", 10, "contentType", "text/plain"), 400, "invalid_filename");
        refusedAtInitiation(Map.of("filename", "a.txt", "size", -1, "contentType", "text/plain"), 400, "invalid_size");
        refusedAtInitiation(Map.of("filename", "a.jpg", "size", 0, "contentType", "image/jpeg"), 400, "empty_image");
        refusedAtInitiation(Map.of("filename", "a.txt", "size", 10, "contentType", "text/plain", "sha256", "abc"), 400, "invalid_checksum");
        refusedAtInitiation(Map.of("filename", "a.txt", "size", "ten", "contentType", "text/plain"), 400, "invalid_json");
        refusedAtInitiation(Map.of("filename", "a.txt", "size", 10, "contentType", "text/plain", "colour", "red"), 400, "invalid_json");
        refusedAtInitiation("not json", 400, "invalid_json");
        // no silent coercion: a fractional size is not truncated, a number is not a file name
        refusedAtInitiation(Map.of("filename", "a.txt", "size", 14.5, "contentType", "text/plain"), 400, "invalid_json");
        refusedAtInitiation(Map.of("filename", 123, "size", 10, "contentType", "text/plain"), 400, "invalid_json");
        refusedAtInitiation("{\"filename\":\"a.txt\",\"size\":99999999999999999999,\"contentType\":\"text/plain\"}", 400, "invalid_json");
        assertThat(usage("erin").path("reservedBytes").asLong()).isZero();
        assertThat(h.call("GET", "/v1/files", "erin", null).json().path("items")).isEmpty();
        assertThat(h.call("POST", "/v1/uploads", null, Map.of("filename", "a.txt", "size", 1, "contentType", "text/plain")).status()).isEqualTo(401);
    }

    @Test
    void quotaIsNeverExceededByAHundredParallelInitiations() throws Exception {
        // plan "tiny": 50,000 bytes; 100 initiations of 1,000 bytes at once → exactly 50 succeed
        String token = Harness.token("race", "tiny");
        var http = java.net.http.HttpClient.newHttpClient();
        List<Future<Integer>> results = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 100; i++) {
                String body = "{\"filename\":\"f" + i + ".txt\",\"size\":1000,\"contentType\":\"text/plain\"}";
                results.add(pool.submit(() -> http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(h.base + "/v1/uploads"))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()));
            }
        }
        long created = 0, refused = 0;
        List<Integer> statuses = new ArrayList<>();
        for (Future<Integer> f : results) {
            statuses.add(f.get());
            if (f.get() == 201) created++;
            else if (f.get() == 403) refused++;
        }
        assertThat(created).as("statuses %s", statuses).isEqualTo(50);
        assertThat(refused).as("statuses %s", statuses).isEqualTo(50);
        var u = h.stowage.files().usage("race").orElseThrow();
        assertThat(u.reservedBytes()).isEqualTo(50_000);
        assertThat(u.usedBytes() + u.reservedBytes()).isLessThanOrEqualTo(u.quotaBytes());
        var over = h.call("POST", "/v1/uploads", null, null); // (keeps the harness client warm)
        assertThat(over.status()).isIn(401, 405, 400);
    }

    private JsonNode initiate(String user, String name, String type, byte[] bytes) {
        var r = h.call("POST", "/v1/uploads", user, Map.of("filename", name, "size", bytes.length, "contentType", type));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
        return r.json();
    }

    private JsonNode uploadAndSettle(String user, String name, String type, byte[] bytes) {
        JsonNode init = initiate(user, name, type, bytes);
        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        String id = init.path("fileId").asText();
        h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        return h.awaitSettled(user, id, Duration.ofSeconds(30));
    }

    @Test
    void spoofedTypesAreRejectedAndLeaveNothingBehind() throws Exception {
        byte[] elf = java.util.Arrays.copyOf(Files.readAllBytes(java.nio.file.Path.of("/bin/ls")), 20_000);
        JsonNode exe = uploadAndSettle("frank", "holiday.jpg", "image/jpeg", elf);
        assertThat(exe.path("status").asText()).isEqualTo("rejected");
        assertThat(exe.at("/reason/code").asText()).isEqualTo("type_not_allowed");

        byte[] svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".getBytes(StandardCharsets.UTF_8);
        JsonNode script = uploadAndSettle("frank", "cat.jpg", "image/jpeg", svg);
        assertThat(script.path("status").asText()).isEqualTo("rejected");
        assertThat(script.at("/reason/code").asText()).isIn("type_not_allowed", "type_mismatch");

        byte[] png = Files.readAllBytes(TestServers.fixture("images/special/exiftool_PNG.png"));
        // (a PNG declared as another image format is taken as the PNG it is: EdgeInputsIT)
        JsonNode mismatch = uploadAndSettle("frank", "scan.pdf", "application/pdf", png);
        assertThat(mismatch.at("/reason/code").asText()).isEqualTo("type_mismatch");

        assertThat(h.awaitNoObjects(h.config.storage().buckets().raw(), "frank/", Duration.ofSeconds(10))).isEmpty();
        assertThat(usage("frank").path("reservedBytes").asLong()).isZero();
        assertThat(usage("frank").path("usedBytes").asLong()).isZero();
        assertThat(h.call("GET", "/v1/files/" + exe.path("id").asText() + "/content", "frank", null).json().path("code").asText())
                .isEqualTo("file_not_ready");
    }

    @Test
    void anObjectOfAnotherSizeThanDeclaredIsRejectedAfterUpload() {
        // the presigned PUT signs the length, so only a writer with bucket credentials can do this:
        // verification still catches it
        byte[] declared = "twelve bytes".getBytes(StandardCharsets.UTF_8);
        JsonNode init = initiate("jack", "size.txt", "text/plain", declared);
        h.stowage.s3().client().putObject(r -> r.bucket(h.config.storage().buckets().raw()).key(init.path("key").asText()),
                software.amazon.awssdk.core.sync.RequestBody.fromString("a different, longer body"));
        String id = init.path("fileId").asText();
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", "jack", null).status()).isEqualTo(202);
        JsonNode f = h.awaitSettled("jack", id, Duration.ofSeconds(30));
        assertThat(f.path("status").asText()).isEqualTo("rejected");
        assertThat(f.at("/reason/code").asText()).isEqualTo("size_mismatch");
        assertThat(h.awaitNoObjects(h.config.storage().buckets().raw(), "jack/", Duration.ofSeconds(10))).isEmpty();
        assertThat(usage("jack").path("reservedBytes").asLong()).isZero();

        // a removal cut off after the status moved (store down, worker killed): the retried task finishes it
        var row = h.stowage.files().find(java.util.UUID.fromString(id)).orElseThrow();
        for (String k : List.of(row.objectKey(), UploadService.stagingKey(row))) {
            h.stowage.s3().client().putObject(r -> r.bucket(row.bucket()).key(k), software.amazon.awssdk.core.sync.RequestBody.fromString("left over"));
        }
        assertThat(objects("jack/")).hasSize(1);
        try {
            assertThat(h.stowage.verifier().verify(row.id())).isEqualTo(dev.stowage.files.FileStatus.REJECTED);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(h.stowage.s3().client().listObjectsV2(r -> r.bucket(row.bucket())).contents())
                .extracting(o -> o.key()).noneMatch(k -> k.contains(id));
        assertThat(h.call("GET", "/v1/files/" + id, "jack", null).json().at("/reason/code").asText()).isEqualTo("size_mismatch");
    }

    @Test
    void aChecksumThatDoesNotMatchIsRefused() throws Exception {
        byte[] body = "checksummed content\n".getBytes(StandardCharsets.UTF_8);
        String wrong = "0".repeat(64);
        var r = h.call("POST", "/v1/uploads", "kate", Map.of("filename", "c.txt", "size", body.length, "contentType", "text/plain", "sha256", wrong));
        assertThat(r.status()).isEqualTo(201);
        // the store verifies the signed checksum itself (400 BadDigest) where it can, so nothing is stored
        assertThat(Harness.put(r.json().at("/upload/url").asText(), r.json().at("/upload/headers"), body).statusCode()).isEqualTo(400);
        assertThat(objects("kate/")).isEmpty();
    }

    @Test
    void thePresignedPutRefusesAnotherTypeOrLength() {
        byte[] text = "hello, presigned world\n".getBytes(StandardCharsets.UTF_8);
        JsonNode init = initiate("gina", "hello.txt", "text/plain", text);
        var headers = (com.fasterxml.jackson.databind.node.ObjectNode) init.at("/upload/headers").deepCopy();
        headers.put("content-type", "text/html");
        assertThat(Harness.put(init.at("/upload/url").asText(), headers, text).statusCode()).isEqualTo(403);
        byte[] longer = "hello, presigned world, and more\n".getBytes(StandardCharsets.UTF_8);
        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), longer).statusCode()).isIn(400, 403);
        String id = init.path("fileId").asText();
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", "gina", null).json().path("code").asText()).isEqualTo("object_missing");
        assertThat(objects("gina/")).isEmpty();
        // the right request still works
        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);
    }

    @Test
    void anExpiredUploadUrlIsRefused() throws Exception {
        try (var shortLived = new Harness(Map.of(), c -> c.withUploads(new StowageConfig.Uploads(c.uploads().maxSizeBytes(),
                c.uploads().multipartThresholdBytes(), c.uploads().partSizeBytes(), Duration.ofSeconds(1), Duration.ofSeconds(1),
                c.uploads().downloadUrlTtl(), List.of(), c.uploads().quotas(), Duration.ofHours(1))))) {
            byte[] text = "too late\n".getBytes(StandardCharsets.UTF_8);
            var init = shortLived.call("POST", "/v1/uploads", "liam", Map.of("filename", "late.txt", "size", text.length, "contentType", "text/plain")).json();
            Thread.sleep(2_500);
            assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(403);
            assertThat(shortLived.stowage.s3().client().listObjectsV2(r -> r.bucket(shortLived.config.storage().buckets().raw()).prefix("liam/"))
                    .contents()).isEmpty();
        }
    }

    @Test
    void anUploadWhoseObjectTheStagingExpiryRemovedBeforeVerificationEndsExpiredNotMissing() throws Exception {
        byte[] text = "waited too long\n".getBytes(StandardCharsets.UTF_8);
        JsonNode init = initiate("olga", "old.txt", "text/plain", text);
        var id = java.util.UUID.fromString(init.path("fileId").asText());
        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);
        // a store outage longer than the staging life: the upload is two days old and the expiry rule took its object
        h.stowage.files().jdbi().useHandle(x -> x.execute("update files set created_at = now() - interval '2 days' where id = ?", id));
        var row = h.stowage.files().find(id).orElseThrow();
        h.stowage.s3().client().deleteObject(r -> r.bucket(row.bucket()).key(UploadService.stagingKey(row)));
        assertThat(usage("olga").path("reservedBytes").asLong()).isEqualTo(text.length);

        h.stowage.uploads().markUploaded(id); // the event that arrived before the outage
        JsonNode f = h.awaitSettled("olga", id.toString(), Duration.ofSeconds(30));
        assertThat(f.path("status").asText()).isEqualTo("expired");
        assertThat(f.at("/reason/code").asText()).isEqualTo("expired");
        assertThat(f.at("/reason/message").asText()).contains("staging expiry removed it");
        assertThat(usage("olga").path("reservedBytes").asLong()).as("reservation released").isZero();
        assertThat(usage("olga").path("usedBytes").asLong()).isZero();

        // a young upload whose object is gone is still object_missing: nothing but a removal explains it
        JsonNode young = initiate("olga", "young.txt", "text/plain", text);
        var yid = java.util.UUID.fromString(young.path("fileId").asText());
        assertThat(Harness.put(young.at("/upload/url").asText(), young.at("/upload/headers"), text).statusCode()).isEqualTo(200);
        var yrow = h.stowage.files().find(yid).orElseThrow();
        h.stowage.s3().client().deleteObject(r -> r.bucket(yrow.bucket()).key(UploadService.stagingKey(yrow)));
        h.stowage.uploads().markUploaded(yid);
        JsonNode yf = h.awaitSettled("olga", yid.toString(), Duration.ofSeconds(30));
        assertThat(yf.path("status").asText()).isEqualTo("rejected");
        assertThat(yf.at("/reason/code").asText()).isEqualTo("object_missing");
    }

    /** Moves a user's upload sessions past their expiry, as if their lifetime had passed. */
    private void expireSessions(String user) {
        h.stowage.files().jdbi().useHandle(x -> x.execute("""
                update upload_sessions set created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
                where file_id in (select id from files where owner_id = ?)""", user));
    }

    @Test
    void theReconcilerRecoversLostEventsAndExpiresAbandonedSessions() throws Exception {
        byte[] text = "arrived, but nobody said so\n".getBytes(StandardCharsets.UTF_8);
        JsonNode lost = initiate("hank", "lost.txt", "text/plain", text);
        assertThat(Harness.put(lost.at("/upload/url").asText(), lost.at("/upload/headers"), text).statusCode()).isEqualTo(200);
        JsonNode abandoned = initiate("hank", "never.txt", "text/plain", text);
        JsonNode multi = h.call("POST", "/v1/uploads", "hank", Map.of("filename", "big.csv", "size", 12_000_000, "contentType", "text/csv")).json();
        assertThat(usage("hank").path("reservedBytes").asLong()).isEqualTo(text.length * 2L + 12_000_000);
        expireSessions("hank");

        var report = h.stowage.reconciler().run(Duration.ZERO, Duration.ofMinutes(5));
        assertThat(report.recovered()).isEqualTo(1);
        assertThat(report.expired()).isEqualTo(2);
        assertThat(h.awaitSettled("hank", lost.path("fileId").asText(), Duration.ofSeconds(30)).path("status").asText()).isEqualTo("ready");
        JsonNode never = h.call("GET", "/v1/files/" + abandoned.path("fileId").asText(), "hank", null).json();
        assertThat(never.path("status").asText()).isEqualTo("expired");
        assertThat(h.call("GET", "/v1/files/" + multi.path("fileId").asText(), "hank", null).json().path("status").asText()).isEqualTo("expired");
        assertThat(h.stowage.s3().client().listMultipartUploads(r -> r.bucket(h.config.storage().buckets().raw()).prefix("hank/")).uploads()).isEmpty();
        assertThat(usage("hank").path("reservedBytes").asLong()).isZero();
        assertThat(usage("hank").path("usedBytes").asLong()).isEqualTo(text.length);
        // a second pass finds nothing to do
        assertThat(h.stowage.reconciler().run(Duration.ZERO, Duration.ofMinutes(5))).isEqualTo(new Reconciler.Report(0, 0, 0));
    }

    @Test
    void cancellingReleasesTheReservationAndOnlyTheOwnerCanTouchAnUpload() {
        JsonNode up = h.call("POST", "/v1/uploads", "ivy", Map.of("filename", "big.csv", "size", 12_000_000, "contentType", "text/csv")).json();
        String id = up.path("fileId").asText();
        assertThat(h.call("GET", "/v1/uploads/" + id, "mallory", null).status()).isEqualTo(404);
        assertThat(h.call("POST", "/v1/uploads/" + id + "/parts", "mallory", Map.of("parts", List.of(Map.of("partNumber", 1, "sha256", "ab".repeat(32))))).status()).isEqualTo(404);
        assertThat(h.call("DELETE", "/v1/uploads/" + id, "mallory", null).status()).isEqualTo(404);
        assertThat(h.call("POST", "/v1/uploads/" + id + "/parts", "ivy", Map.of("parts", List.of(Map.of("partNumber", 0, "sha256", "ab".repeat(32))))).json().path("code").asText())
                .isEqualTo("invalid_part_number");
        assertThat(h.call("POST", "/v1/uploads/" + id + "/parts", "ivy", Map.of("parts", List.of(Map.of("partNumber", 4, "sha256", "ab".repeat(32))))).json().path("code").asText())
                .isEqualTo("invalid_part_number");
        assertThat(h.call("DELETE", "/v1/uploads/" + id, "ivy", null).status()).isEqualTo(204);
        assertThat(h.call("DELETE", "/v1/uploads/" + id, "ivy", null).status()).isEqualTo(204);
        assertThat(h.call("GET", "/v1/uploads/" + id, "ivy", null).json().path("status").asText()).isEqualTo("cancelled");
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", "ivy", null).json().path("code").asText()).isEqualTo("upload_closed");
        assertThat(usage("ivy").path("reservedBytes").asLong()).isZero();
        assertThat(h.call("GET", "/v1/uploads/not-a-uuid", "ivy", null).status()).isEqualTo(404);
    }
}

package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestClamd;
import dev.stowage.testing.TestServers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No upload URL outlives its purpose (docs/architecture.md §3, §4): clients write only {@code staging/} keys, the
 * verifier promotes the object to a final key no URL names, and the reconciler's staging sweep removes whatever a
 * still-valid URL writes afterwards. Each case runs on the embedded S3Proxy and on Ceph RGW (with clamd there).
 */
class StagingUploadsIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final int MIB = 1 << 20;

    /** The EICAR anti-virus test file (68 bytes), built here so this source file is not itself flagged. */
    static final byte[] EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").getBytes(StandardCharsets.US_ASCII);

    /** Multipart above 5 MiB in 5 MiB parts, the reconciler every second, webhook off. */
    private static StowageConfig config(Map<String, String> env) {
        StowageConfig base = TestServers.embeddedConfig(new HashMap<>(env));
        var u = base.uploads();
        return base.withUploads(new StowageConfig.Uploads(u.maxSizeBytes(), 5L * MIB, 5L * MIB, u.urlTtl(), u.sessionTtl(), u.downloadUrlTtl(),
                u.allowedTypes(), u.quotas(), Duration.ofSeconds(1)));
    }

    private static Harness embedded() {
        return new Harness(config(Map.of()), TestServers.embeddedCredentials());
    }

    /** Ceph RGW (versioned raw bucket, tags, checksums ignored) with a real clamd. */
    private static Harness rgw() {
        var rgw = TestServers.rgw();
        var clamd = TestClamd.clamd();
        StowageConfig c = config(Map.of("STORAGE_PROVIDER", "ceph", "S3_ENDPOINT", rgw.endpoint().toString()))
                .withScanner(new StowageConfig.Scanner(clamd.host(), clamd.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(30)));
        return new Harness(c, rgw.credentials());
    }

    // ---- overwrite after ready

    @Test
    void anOverwriteAfterReadyIsNeverServed() throws Exception {
        try (var h = embedded()) {
            overwriteAfterReady(h, "unscanned");
        }
    }

    @Test
    void anOverwriteAfterReadyIsNeverServedOnCephRgw() throws Exception {
        try (var h = rgw()) {
            overwriteAfterReady(h, "clean");
        }
    }

    /** With and without a declared SHA-256: the original URL PUTs other bytes of the same length (EICAR, then text). */
    private static void overwriteAfterReady(Harness h, String scan) throws Exception {
        byte[] verified = "quarterly numbers, all fine, nothing to see in this plain text file\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(verified).hasSameSizeAs(EICAR);
        byte[] other = "QUARTERLY NUMBERS, ALL FINE, NOTHING TO SEE IN THIS PLAIN TEXT FILE\n".getBytes(StandardCharsets.US_ASCII);
        List<String> finals = new ArrayList<>();
        for (boolean declared : List.of(false, true)) {
            var body = new HashMap<String, Object>(Map.of("filename", "numbers.txt", "size", verified.length, "contentType", "text/plain"));
            if (declared) body.put("sha256", sha256(verified));
            var init = h.call("POST", "/v1/uploads", "vera", body);
            assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
            String id = init.json().path("fileId").asText();
            String finalKey = h.stowage.files().find(UUID.fromString(id)).orElseThrow().objectKey();
            assertThat(init.json().path("key").asText()).as("the client is given the staging key").isEqualTo(ObjectKeys.stagingKey(finalKey));
            String url = init.json().at("/upload/url").asText();
            JsonNode headers = init.json().at("/upload/headers");
            assertThat(URI.create(url).getRawPath()).doesNotEndWith("/" + h.config.storage().buckets().raw() + "/" + finalKey);
            assertThat(Harness.put(url, headers, verified).statusCode()).isEqualTo(200);
            assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", "vera", null).status()).isEqualTo(202);
            JsonNode f = h.awaitSettled("vera", id, Duration.ofSeconds(60));
            assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
            assertThat(f.at("/scan/result").asText()).isEqualTo(scan);
            assertThat(f.path("sha256").asText()).isEqualTo(sha256(verified));

            for (byte[] overwrite : List.of(EICAR, other)) {
                // the URL is still valid: a provider that checks the signed checksum refuses, others store it under staging/
                int put = Harness.put(url, headers, overwrite).statusCode();
                assertThat(put).as("PUT after ready").isIn(200, 400);
                byte[] served = download(h, "vera", id);
                assertThat(sha256(served)).as("served bytes after an overwrite (declared sha256: %s)", declared).isEqualTo(sha256(verified));
                assertThat(served).isEqualTo(verified);
            }
            var file = h.call("GET", "/v1/files/" + id, "vera", null).json();
            assertThat(file.path("status").asText()).isEqualTo("ready");
            assertThat(file.at("/scan/result").asText()).isEqualTo(scan);
            finals.add(finalKey);
        }
        assertThat(h.call("GET", "/v1/usage", "vera", null).json().path("usedBytes").asLong()).isEqualTo(2L * verified.length);
        // what the URLs wrote after ready is swept: only the two verified objects are left
        awaitBucket(h, finals);
        assertThat(download(h, "vera", h.stowage.files().findByKey(h.config.storage().buckets().raw(), finals.get(1)).orElseThrow().id().toString()))
                .isEqualTo(verified);
    }

    // ---- closed uploads

    @Test
    void putsAfterCancelRejectionExpiryAndCompleteLeaveNothingBehind() throws Exception {
        try (var h = embedded()) {
            closedUploads(h);
        }
    }

    @Test
    void putsAfterCancelRejectionExpiryAndCompleteLeaveNothingBehindOnCephRgw() throws Exception {
        try (var h = rgw()) {
            closedUploads(h);
        }
    }

    private static void closedUploads(Harness h) throws Exception {
        String user = "cleo";
        byte[] text = "cancelled before it arrived\n".getBytes(StandardCharsets.UTF_8);

        // cancelled: the URL still answers, nothing is served
        var cancelled = h.call("POST", "/v1/uploads", user, Map.of("filename", "c.txt", "size", text.length, "contentType", "text/plain")).json();
        String cancelledId = cancelled.path("fileId").asText();
        assertThat(h.call("DELETE", "/v1/uploads/" + cancelledId, user, null).status()).isEqualTo(204);
        assertThat(Harness.put(cancelled.at("/upload/url").asText(), cancelled.at("/upload/headers"), text).statusCode()).isEqualTo(200);

        // rejected (a PNG declared as a PDF): PUT again through its URL afterwards
        byte[] png = Files.readAllBytes(TestServers.fixture("images/special/exiftool_PNG.png"));
        var rejected = h.call("POST", "/v1/uploads", user, Map.of("filename", "scan.pdf", "size", png.length, "contentType", "application/pdf")).json();
        String rejectedId = rejected.path("fileId").asText();
        assertThat(Harness.put(rejected.at("/upload/url").asText(), rejected.at("/upload/headers"), png).statusCode()).isEqualTo(200);
        h.call("POST", "/v1/uploads/" + rejectedId + "/complete", user, null);
        JsonNode r = h.awaitSettled(user, rejectedId, Duration.ofSeconds(60));
        assertThat(r.at("/reason/code").asText()).as(r.toString()).isEqualTo("type_mismatch");
        assertThat(Harness.put(rejected.at("/upload/url").asText(), rejected.at("/upload/headers"), png).statusCode()).isEqualTo(200);

        // expired multipart upload: its part URL is used after the reconciler ended the session
        byte[] big = random(5 * MIB + 1000, 1);
        var expiring = h.call("POST", "/v1/uploads", user, Map.of("filename", "late.txt", "size", big.length, "contentType", "text/plain")).json();
        String expiringId = expiring.path("fileId").asText();
        JsonNode lateParts = signParts(h, user, expiringId, big);
        h.stowage.files().jdbi().useHandle(x -> x.execute(
                "update upload_sessions set created_at = now() - interval '2 seconds', expires_at = now() - interval '1 second' "
                        + "where file_id = cast(? as uuid)", expiringId));
        await(() -> status(h, user, expiringId).equals("expired"), "the reconciler expires the session");
        // the pass aborts the multipart uploads of the sessions it expired just after committing them
        String rawBucket = h.config.storage().buckets().raw();
        await(() -> h.stowage.store().multipartUploads(rawBucket, dev.stowage.storage.ObjectKeys.STAGING_PREFIX, 1000).stream().noneMatch(u -> u.key().contains(expiringId)),
                "the reconciler aborts the expired session's multipart upload");
        for (JsonNode p : lateParts) {
            assertThat(putPart(big, p).statusCode()).as("a part after expiry").isEqualTo(404);
        }

        // completed multipart upload: its part URLs are used again afterwards
        byte[] done = random(5 * MIB + 2000, 2);
        var completed = h.call("POST", "/v1/uploads", user, Map.of("filename", "done.txt", "size", done.length, "contentType", "text/plain")).json();
        String completedId = completed.path("fileId").asText();
        JsonNode parts = signParts(h, user, completedId, done);
        for (JsonNode p : parts) assertThat(putPart(done, p).statusCode()).isEqualTo(200);
        assertThat(h.call("POST", "/v1/uploads/" + completedId + "/complete", user, null).status()).isEqualTo(202);
        JsonNode c = h.awaitSettled(user, completedId, Duration.ofSeconds(60));
        assertThat(c.path("status").asText()).as(c.toString()).isEqualTo("ready");
        byte[] other = random(done.length, 3);
        for (JsonNode p : parts) {
            assertThat(putPart(done, p).statusCode()).as("a part after complete (NoSuchUpload, as AWS answers)").isEqualTo(404);
            // other bytes: refused for the upload that is gone or, first, for the part's signed checksum
            assertThat(putPart(other, p).statusCode()).as("other bytes through a part URL after complete").isIn(400, 404);
        }

        // nothing of it is served or counted
        for (String id : List.of(cancelledId, rejectedId, expiringId)) {
            assertThat(h.call("GET", "/v1/files/" + id + "/content", user, null).json().path("code").asText()).isEqualTo("file_not_ready");
        }
        assertThat(download(h, user, completedId)).isEqualTo(done);
        JsonNode usage = h.call("GET", "/v1/usage", user, null).json();
        assertThat(usage.path("reservedBytes").asLong()).isZero();
        assertThat(usage.path("usedBytes").asLong()).isEqualTo(done.length);

        // and within a few reconciler passes the bucket holds only the completed file's object
        String finalKey = h.stowage.files().find(UUID.fromString(completedId)).orElseThrow().objectKey();
        awaitBucket(h, List.of(finalKey));
        assertThat(h.stowage.store().multipartUploads(h.config.storage().buckets().raw(), null)).isEmpty();
    }

    // ---- helpers

    /** Signs parts 1 and 2 of {@code data}'s upload, each with the SHA-256 of its bytes. */
    private static JsonNode signParts(Harness h, String user, String id, byte[] data) {
        var r = h.call("POST", "/v1/uploads/" + id + "/parts", user, Harness.parts(data, 5L * MIB, 1, 2));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r.json().path("parts");
    }

    private static HttpResponse<String> putPart(byte[] whole, JsonNode p) {
        int n = p.path("partNumber").asInt();
        int from = (n - 1) * 5 * MIB, to = (int) Math.min(whole.length, (long) from + 5 * MIB);
        return Harness.put(p.path("url").asText(), p.path("headers"), java.util.Arrays.copyOfRange(whole, from, to));
    }

    /** The bytes the API serves for a file: its content link followed. */
    private static byte[] download(Harness h, String user, String id) throws Exception {
        var content = h.call("GET", "/v1/files/" + id + "/content", user, null);
        assertThat(content.status()).as(content.raw().body()).isEqualTo(302);
        String location = content.raw().headers().firstValue("Location").orElseThrow();
        var r = HTTP.send(HttpRequest.newBuilder(URI.create(location)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static String status(Harness h, String user, String id) {
        return h.call("GET", "/v1/files/" + id, user, null).json().path("status").asText();
    }

    /**
     * Waits until the raw bucket holds exactly {@code keys}: every object and, where the store versions, every
     * version and delete marker; on the embedded store also every file in the bucket's folder (S3Proxy keeps
     * multipart parts there as hidden {@code .mpus-…} files that no listing shows).
     */
    private static void awaitBucket(Harness h, List<String> keys) {
        String raw = h.config.storage().buckets().raw();
        var want = new TreeSet<>(keys);
        await(() -> contents(h, raw).equals(want), "the raw bucket holds only " + want + " (now: " + contents(h, raw) + ")");
        if (h.stowage.store().profile().provider() == dev.stowage.config.Provider.EMBEDDED) {
            assertThat(filesOnDisk(raw)).as("files in the embedded store's folder").isEqualTo(want);
        }
    }

    private static TreeSet<String> contents(Harness h, String raw) {
        var store = h.stowage.store();
        var out = new TreeSet<String>();
        for (var o : store.list(raw, null, 0)) out.add(o.key());
        if (store.profile().has(Capability.VERSIONING)) {
            for (var v : store.versions(raw, "")) out.add(v.key() + (v.deleteMarker() ? " (delete marker)" : ""));
        }
        return out;
    }

    private static TreeSet<String> filesOnDisk(String bucket) {
        Path dir = TestServers.embeddedS3Directory().resolve(bucket);
        try (Stream<Path> s = Files.walk(dir)) {
            var out = new TreeSet<String>();
            s.filter(Files::isRegularFile).forEach(p -> out.add(dir.relativize(p).toString().replace('\\', '/')));
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot walk " + dir + ": " + e, e);
        }
    }

    private static void await(BooleanSupplier done, String what) {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            if (done.getAsBoolean()) return;
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("not within 60 s: " + what);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        // printable, so the bytes are text/plain as declared
        for (int i = 0; i < n; i++) b[i] = (byte) ('a' + Math.floorMod(b[i], 26));
        return b;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}

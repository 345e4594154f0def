package dev.stowage.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Events are hints (docs/architecture.md §5): the webhook acts on an {@code ObjectCreated} event only once a HEAD
 * shows the object, never rejects a file because of one, and answers 2xx for every well-formed shape the gateways
 * send, including a bare record without the {@code Records} wrapper.
 */
class EventsAreHintsIT {
    static final String EVENTS_SECRET = "events-secret-0123456789";

    /** The test configuration with the webhook on and the reconciler out of the way (an hour between passes). */
    private static StowageConfig config(Map<String, String> extraEnv) {
        var env = new HashMap<String, String>(extraEnv);
        env.put("STOWAGE_EVENTS_SECRET", EVENTS_SECRET);
        StowageConfig base = TestServers.embeddedConfig(env);
        var u = base.uploads();
        return base.withUploads(new StowageConfig.Uploads(u.maxSizeBytes(), u.multipartThresholdBytes(), u.partSizeBytes(),
                u.urlTtl(), u.sessionTtl(), u.downloadUrlTtl(), List.of(), u.quotas(), Duration.ofHours(1)));
    }

    private static Harness embedded() {
        return new Harness(config(Map.of()), TestServers.embeddedCredentials());
    }

    private static Harness rgw() {
        var rgw = TestServers.rgw();
        return new Harness(config(Map.of("STORAGE_PROVIDER", "ceph", "S3_ENDPOINT", rgw.endpoint().toString())), rgw.credentials());
    }

    /** One {@code ObjectCreated:Put} record as {@code source} sends it (AWS and MinIO form-encode the key, Ceph does not). */
    static String record(String source, String bucket, String key, long size) {
        String sent = source.equals("ceph:s3") ? key : URLEncoder.encode(key, StandardCharsets.UTF_8);
        return """
                {"eventVersion":"2.2","eventSource":"%s","eventName":"ObjectCreated:Put","eventTime":"2026-12-01T10:00:00.000Z",
                 "s3":{"s3SchemaVersion":"1.0","bucket":{"name":"%s"},"object":{"key":%s,"size":%d,"eTag":"0123456789abcdef0123456789abcdef"}}}"""
                .formatted(source, bucket, com.fasterxml.jackson.databind.node.TextNode.valueOf(sent), size);
    }

    private static Harness.Resp post(Harness h, String body) {
        return h.call("POST", "/v1/events/s3?token=" + EVENTS_SECRET, null, body);
    }

    private static String status(Harness h, String user, String id) {
        return h.call("GET", "/v1/files/" + id, user, null).json().path("status").asText();
    }

    /** Initiates, announces the object before it exists, then PUTs and completes. */
    private static void eventBeforeThePut(Harness h, String source) {
        String raw = h.config.storage().buckets().raw();
        byte[] text = "announced before it arrived\n".getBytes(StandardCharsets.UTF_8);
        var init = h.call("POST", "/v1/uploads", "olga", Map.of("filename", "early + bird.txt", "size", text.length, "contentType", "text/plain")).json();
        String id = init.path("fileId").asText();
        String key = init.path("key").asText();

        var r = post(h, "{\"Records\":[" + record(source, raw, key, text.length) + "]}");
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.json().path("accepted").asInt()).isZero();
        assertThat(r.json().path("ignored").asInt()).isEqualTo(1);
        assertThat(status(h, "olga", id)).isEqualTo("pending");

        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);
        var done = h.call("POST", "/v1/uploads/" + id + "/complete", "olga", null);
        assertThat(done.status()).as(done.raw().body()).isLessThan(300);
        JsonNode f = h.awaitSettled("olga", id, Duration.ofSeconds(60));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(h.call("GET", "/v1/usage", "olga", null).json().path("reservedBytes").asLong()).isZero();
    }

    @Test
    void anEventBeforeTheObjectIsIgnoredAndThePutStillCompletes() {
        try (var h = embedded()) {
            eventBeforeThePut(h, "aws:s3");
        }
    }

    @Test
    void anEventBeforeTheObjectIsIgnoredAndThePutStillCompletesOnCephRgw() {
        try (var h = rgw()) {
            eventBeforeThePut(h, "ceph:s3");
        }
    }

    /** A bare Ceph record (no {@code Records} wrapper, a wrong size) is 2xx and, after a HEAD, moves the upload on. */
    private static void bareSingleRecord(Harness h) {
        String raw = h.config.storage().buckets().raw();
        byte[] text = "a bare record finishes me\n".getBytes(StandardCharsets.UTF_8);
        var init = h.call("POST", "/v1/uploads", "pia", Map.of("filename", "bare & plain+.txt", "size", text.length, "contentType", "text/plain")).json();
        String id = init.path("fileId").asText();
        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);

        // Ceph's record without the Records wrapper; its size is wrong, and the HEAD is what is believed
        var r = post(h, record("ceph:s3", raw, init.path("key").asText(), 1));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.json().path("accepted").asInt()).isEqualTo(1);
        // no complete call: the event alone moves it on
        JsonNode f = h.awaitSettled("pia", id, Duration.ofSeconds(60));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
    }

    @Test
    void aBareSingleRecordBodyIsAccepted() {
        try (var h = embedded()) {
            bareSingleRecord(h);
        }
    }

    @Test
    void aBareSingleRecordBodyIsAcceptedOnCephRgw() {
        try (var h = rgw()) {
            bareSingleRecord(h);
        }
    }

    @Test
    void wellFormedEventsThatChangeNothingAre2xx() {
        try (var h = embedded()) {
            String raw = h.config.storage().buckets().raw();
            for (String body : List.of(
                    record("ceph:s3", raw, "nobody/unknown/x\ny.txt", 1),
                    record("aws:s3", raw, "nobody/unknown/caf\u00e9 + more.txt", 1),
                    "{\"Records\":[" + record("minio:s3", "some-other-bucket", "k.txt", 1) + "]}",
                    "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2026-12-01T10:00:00.000Z\",\"Bucket\":\"" + raw + "\"}",
                    "{}",
                    "")) {
                var r = post(h, body);
                assertThat(r.status()).as(body + " → " + r.raw().body()).isEqualTo(200);
                assertThat(r.json().path("accepted").asInt()).isZero();
            }
            assertThat(post(h, "{\"Records\":5}").status()).isEqualTo(400);
            assertThat(h.call("POST", "/v1/events/s3", null, "{}").status()).isEqualTo(401);
        }
    }
}

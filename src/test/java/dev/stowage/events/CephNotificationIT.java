package dev.stowage.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * A real Ceph RGW bucket notification reaches the webhook and finishes an upload that the client never
 * completed; duplicates and events for objects Stowage wrote itself change nothing.
 */
class CephNotificationIT {
    static final String EVENTS_SECRET = "events-secret-0123456789";

    @Test
    void anRgwNotificationCompletesAnUploadWithoutTheClientsCompleteCall() throws Exception {
        var rgw = TestServers.rgw();
        var env = new java.util.HashMap<String, String>();
        env.put("STORAGE_PROVIDER", "ceph");
        env.put("S3_ENDPOINT", rgw.endpoint().toString());
        env.put("STOWAGE_EVENTS_SECRET", EVENTS_SECRET);
        StowageConfig base = TestServers.embeddedConfig(env);
        // the reconciler stays out of it: an hour between passes
        StowageConfig config = base.withUploads(new StowageConfig.Uploads(base.uploads().maxSizeBytes(), base.uploads().multipartThresholdBytes(),
                base.uploads().partSizeBytes(), base.uploads().urlTtl(), base.uploads().sessionTtl(), base.uploads().downloadUrlTtl(),
                java.util.List.of(), base.uploads().quotas(), Duration.ofHours(1)));
        try (var h = new Harness(config, rgw.credentials())) {
            String raw = config.storage().buckets().raw();
            String push = h.base.replace("127.0.0.1", "127.0.0.1") + "/v1/events/s3?token=" + EVENTS_SECRET;
            try (SnsClient sns = SnsClient.builder().endpointOverride(rgw.endpoint()).region(Region.US_EAST_1)
                    .credentialsProvider(rgw.credentials()).build()) {
                String topicArn = sns.createTopic(r -> r.name("stowage-" + raw).attributes(Map.of("push-endpoint", push, "persistent", "false"))).topicArn();
                h.stowage.s3().client().putBucketNotificationConfiguration(r -> r.bucket(raw).notificationConfiguration(n -> n
                        .topicConfigurations(t -> t.id("stowage").topicArn(topicArn).events(Event.S3_OBJECT_CREATED))));
            }
            byte[] text = "delivered by the gateway\n".getBytes(StandardCharsets.UTF_8);
            String name = "with space & plus+.txt";
            var init = h.call("POST", "/v1/uploads", "nina", Map.of("filename", name, "size", text.length, "contentType", "text/plain")).json();
            assertThat(init.path("key").asText()).endsWith("/with space & plus+.txt");
            assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);
            String id = init.path("fileId").asText();
            // no complete call: the notification alone moves it on
            JsonNode f = h.awaitSettled("nina", id, Duration.ofSeconds(60));
            assertThat(f.path("status").asText()).isEqualTo("ready");
            assertThat(f.path("name").asText()).isEqualTo(name);
            // the pending tag signed into the URL (which lifecycle rules expire) stays on the staging object; the final
            // object Stowage copied it to is tagged "ready"
            String finalKey = h.stowage.files().find(java.util.UUID.fromString(id)).orElseThrow().objectKey();
            assertThat(h.stowage.s3().client().getObjectTagging(r -> r.bucket(raw).key(finalKey)).tagSet())
                    .singleElement().satisfies(t -> assertThat(t.key() + "=" + t.value()).isEqualTo("stowage-state=ready"));

            // a replayed event (duplicate, late) for the ready file and an event for an unknown key change nothing
            String replay = """
                    {"Records":[{"eventVersion":"2.2","eventSource":"ceph:s3","eventName":"ObjectCreated:Put",
                      "s3":{"bucket":{"name":"%s"},"object":{"key":"%s","size":%d}}},
                     {"eventVersion":"2.2","eventSource":"ceph:s3","eventName":"ObjectCreated:Put",
                      "s3":{"bucket":{"name":"%s"},"object":{"key":"nina/unknown/x.txt","size":1}}},
                     {"eventVersion":"2.2","eventSource":"ceph:s3","eventName":"ObjectCreated:Put",
                      "s3":{"bucket":{"name":"%s"},"object":{"key":"nina/%s/thumb-0123456789ab.webp","size":1}}}]}"""
                    .formatted(raw, init.path("key").asText(), text.length, raw, config.storage().buckets().processed(), id);
            var r = h.call("POST", "/v1/events/s3?token=" + EVENTS_SECRET, null, replay);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().path("accepted").asInt()).isZero();
            assertThat(r.json().path("ignored").asInt()).isEqualTo(3);
            assertThat(h.call("GET", "/v1/files/" + id, "nina", null).json().path("status").asText()).isEqualTo("ready");

            // the webhook's own refusals
            assertThat(h.call("POST", "/v1/events/s3", null, replay).status()).isEqualTo(401);
            assertThat(h.call("POST", "/v1/events/s3?token=wrong-secret-0000000", null, replay).status()).isEqualTo(401);
            var bad = h.call("POST", "/v1/events/s3?token=" + EVENTS_SECRET, null, "{\"Records\":5}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.json().path("code").asText()).isEqualTo("malformed_event");
            var test = h.call("POST", "/v1/events/s3?token=" + EVENTS_SECRET, null,
                    "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2026-11-29T10:00:00.000Z\",\"Bucket\":\"" + raw + "\"}");
            assertThat(test.status()).isEqualTo(200);
            var sub = h.call("POST", "/v1/events/s3?token=" + EVENTS_SECRET, null, """
                    {"Type":"SubscriptionConfirmation","MessageId":"m","Token":"t","TopicArn":"arn:aws:sns:us-east-1:1:x",
                     "Message":"confirm","SubscribeURL":"https://evil.example.com/confirm","Timestamp":"2026-11-29T10:00:00.000Z",
                     "SignatureVersion":"1","Signature":"x","SigningCertURL":"https://sns.us-east-1.amazonaws.com/c.pem"}""");
            // SNS delivery is not enabled here: every SNS message is refused before anything is fetched
            assertThat(sub.status()).isEqualTo(403);
            assertThat(sub.json().path("code").asText()).isEqualTo("sns_not_enabled");
        }
    }
}

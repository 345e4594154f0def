package dev.stowage.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SNS messages on the real {@code POST /v1/events/s3} (embedded S3 and PostgreSQL, no worker, so an accepted
 * event leaves its file {@code uploaded}): a message signed as SNS signs (versions 1 and 2) with the key of the
 * certificate at an SNS URL moves a pending upload on; every forgery — another key, a garbage signature, a
 * certificate URL that is plain http, on S3 or on a look-alike host, another topic, an old timestamp — is
 * refused with its code, leaves the file pending and fetches nothing it should not; a subscription is confirmed
 * only when signed; an unsubscription raises the alert. The certificate is served by a test fetcher (any
 * {@code .pem} URL it is asked for gets the test certificate, so only the URL rule keeps the others out).
 */
class SnsSignatureIT {
    static final String SECRET = "events-secret-0123456789";
    static final String TOPIC = "arn:aws:sns:us-east-1:123456789012:stowage-events";
    static final String CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem";

    static Harness h;
    static SnsTestKeys good;
    static SnsTestKeys other;
    static SnsTestKeys.Fetcher fetcher;

    @BeforeAll
    static void start() {
        good = SnsTestKeys.first();
        other = SnsTestKeys.second();
        StowageConfig config = TestServers.embeddedConfig(Map.of("STOWAGE_EVENTS_SECRET", SECRET,
                "STOWAGE_SNS_ENABLED", "true", "STOWAGE_SNS_TOPIC_ARNS", TOPIC));
        h = Harness.withoutWorker(config);
        fetcher = new SnsTestKeys.Fetcher(good);
        h.stowage.events().snsFetcher(fetcher);
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
    }

    /** Starts an upload and PUTs its bytes without completing it: pending, its object there. Returns {fileId, key}. */
    private static String[] pendingUpload(String user) {
        byte[] text = ("sns " + UUID.randomUUID() + "\n").getBytes(StandardCharsets.UTF_8);
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", "via sns.txt", "size", text.length, "contentType", "text/plain")).json();
        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);
        String id = init.path("fileId").asText();
        assertThat(status(user, id)).isEqualTo("pending");
        return new String[] {id, init.path("key").asText()};
    }

    private static String status(String user, String id) {
        return h.call("GET", "/v1/files/" + id, user, null).json().path("status").asText();
    }

    /** An unsigned SNS Notification carrying an AWS ObjectCreated event for {@code key}, timestamped {@code at}. */
    private static Map<String, String> notification(String key, Instant at) {
        String raw = h.config.storage().buckets().raw();
        String event = """
                {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"%s",
                  "eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"%s"},"object":{"key":"%s","size":1}}}]}"""
                .formatted(at, raw, URLEncoder.encode(key, StandardCharsets.UTF_8));
        var m = new HashMap<String, String>();
        m.put("Type", "Notification");
        m.put("MessageId", UUID.randomUUID().toString());
        m.put("TopicArn", TOPIC);
        m.put("Subject", "Amazon S3 Notification");
        m.put("Message", event);
        m.put("Timestamp", at.toString());
        m.put("SigningCertURL", CERT_URL);
        return m;
    }

    private static Map<String, String> confirmation(String type, Instant at) {
        var m = new HashMap<String, String>();
        String token = UUID.randomUUID().toString().replace("-", "");
        m.put("Type", type);
        m.put("MessageId", UUID.randomUUID().toString());
        m.put("TopicArn", TOPIC);
        m.put("Message", "You have chosen to subscribe to the topic " + TOPIC + ".");
        m.put("Token", token);
        m.put("SubscribeURL", "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + TOPIC + "&Token=" + token);
        m.put("Timestamp", at.toString());
        m.put("SigningCertURL", CERT_URL);
        return m;
    }

    private static Harness.Resp post(Map<String, String> message) {
        try {
            return h.call("POST", "/v1/events/s3?token=" + SECRET, null, Harness.JSON.writeValueAsString(message));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertRefused(Map<String, String> message, int status, String code) {
        var r = post(message);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
        assertThat(r.json().path("code").asText()).as(r.raw().body()).isEqualTo(code);
        assertThat(r.raw().headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    }

    @Test
    void genuineNotificationsOfBothSignatureVersionsMovePendingFiles() {
        for (String version : List.of("1", "2")) {
            String[] f = pendingUpload("sigrid");
            var r = post(good.sign(notification(f[1], Instant.now()), version));
            assertThat(r.status()).as("v" + version + ": " + r.raw().body()).isEqualTo(200);
            assertThat(r.json().path("accepted").asInt()).isEqualTo(1);
            assertThat(status("sigrid", f[0])).as("v" + version).isEqualTo("uploaded");
        }
    }

    @Test
    void forgeriesAreRefusedAndChangeNothing() {
        String[] f = pendingUpload("fiona");
        Instant now = Instant.now();
        int fetchesBefore = fetcher.fetched.size();

        assertRefused(other.sign(notification(f[1], now), "2"), 403, "sns_signature_invalid");
        var garbage = good.sign(notification(f[1], now), "1");
        garbage.put("Signature", "Z2FyYmFnZSBzaWduYXR1cmUgZ2FyYmFnZSBzaWduYXR1cmU=");
        assertRefused(garbage, 403, "sns_signature_invalid");
        var unsigned = notification(f[1], now);
        assertRefused(unsigned, 403, "sns_signature_invalid");
        for (String url : List.of("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
                "https://s3.amazonaws.com/attacker-bucket/SimpleNotificationService-0123456789abcdef.pem",
                "https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-0123456789abcdef.pem")) {
            var m = notification(f[1], now);
            m.put("SigningCertURL", url);
            assertRefused(good.sign(m, "2"), 403, "untrusted_signing_cert_url");
        }
        var otherTopic = notification(f[1], now);
        otherTopic.put("TopicArn", "arn:aws:sns:us-east-1:210987654321:stowage-events");
        assertRefused(good.sign(otherTopic, "2"), 403, "sns_topic_not_allowed");
        assertRefused(good.sign(notification(f[1], now.minus(Duration.ofMinutes(61))), "2"), 403, "sns_timestamp_out_of_range");

        assertThat(status("fiona", f[0])).as("no forgery moved the file").isEqualTo("pending");
        assertThat(fetcher.urls().subList(fetchesBefore, fetcher.fetched.size()))
                .as("nothing but the SNS certificate URL was fetched").allMatch(CERT_URL::equals);

        // the same file, genuinely announced, moves: it was movable all along
        assertThat(post(good.sign(notification(f[1], Instant.now()), "2")).status()).isEqualTo(200);
        assertThat(status("fiona", f[0])).isEqualTo("uploaded");
    }

    @Test
    void aSubscriptionIsConfirmedOnlyWhenSigned() {
        var forged = good.sign(confirmation("SubscriptionConfirmation", Instant.now()), "2");
        forged.put("Signature", "Z2FyYmFnZSBzaWduYXR1cmUgZ2FyYmFnZSBzaWduYXR1cmU=");
        assertRefused(forged, 403, "sns_signature_invalid");
        assertThat(fetcher.urls()).as("its SubscribeURL was not fetched").doesNotContain(forged.get("SubscribeURL"));

        var elsewhere = confirmation("SubscriptionConfirmation", Instant.now());
        elsewhere.put("SubscribeURL", "https://sns.us-east-1.amazonaws.com.attacker.example/?Action=ConfirmSubscription&Token=1");
        assertRefused(good.sign(elsewhere, "2"), 400, "untrusted_subscribe_url");
        assertThat(fetcher.urls()).doesNotContain(elsewhere.get("SubscribeURL"));

        var genuine = good.sign(confirmation("SubscriptionConfirmation", Instant.now()), "1");
        var r = post(genuine);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.json().path("note").asText()).isEqualTo("subscription confirmed");
        assertThat(fetcher.urls().stream().filter(genuine.get("SubscribeURL")::equals)).as("fetched once").hasSize(1);
    }

    @Test
    void anUnsubscriptionRaisesTheAlertOnlyWhenSigned() {
        int fetchesBefore = fetcher.fetched.size();
        var forged = other.sign(confirmation("UnsubscribeConfirmation", Instant.now()), "2");
        assertRefused(forged, 403, "sns_signature_invalid");
        assertThat(alerts()).isEmpty();

        var r = post(good.sign(confirmation("UnsubscribeConfirmation", Instant.now()), "2"));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.json().path("note").asText()).isEqualTo("unsubscribed");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (alerts().isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertThat(alerts()).as("raised in the background").singleElement().satisfies(a -> {
            assertThat(a.subject()).isEqualTo(TOPIC);
            assertThat(a.message()).contains(TOPIC).contains("unsubscribed");
        });
        assertThat(fetcher.urls().subList(fetchesBefore, fetcher.fetched.size())).as("an unsubscription visits nothing but the certificate")
                .allMatch(CERT_URL::equals);
    }

    private static List<dev.stowage.costs.CostReport.Alert> alerts() {
        return h.stowage.costs().latestOrSnapshot().alerts().stream().filter(a -> a.kind().equals(EventService.UNSUBSCRIBED_ALERT)).toList();
    }
}

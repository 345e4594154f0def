package dev.stowage.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pure parts of SNS verification: the string to sign per message type, the certificate URL rule, the
 * timestamp window, and the checks on a certificate served by a test fetcher (its key, its dates, its cache).
 */
class SnsVerifierTest {
    static final String TOPIC = "arn:aws:sns:us-east-1:123456789012:stowage-events";
    static final String CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem";
    static final Instant NOW = Instant.parse("2026-12-07T02:00:00.000Z");
    static SnsTestKeys good;
    static SnsTestKeys other;
    static SnsTestKeys expired;

    @BeforeAll
    static void keys() {
        good = SnsTestKeys.first();
        other = SnsTestKeys.second();
        expired = good.recertified(NOW.minus(Duration.ofDays(400)), NOW.minus(Duration.ofDays(370)));
    }

    private static SnsEnvelope envelope(Map<String, String> f) {
        return new SnsEnvelope(f.get("Type"), f.get("MessageId"), f.get("TopicArn"), f.get("Message"), f.get("Subject"), f.get("Timestamp"),
                f.get("SubscribeURL"), f.get("Token"), f.get("SignatureVersion"), f.get("Signature"), f.get("SigningCertURL"));
    }

    private static Map<String, String> notification(String timestamp) {
        var m = new HashMap<String, String>();
        m.put("Type", "Notification");
        m.put("MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324");
        m.put("TopicArn", TOPIC);
        m.put("Message", "{\"Records\":[]}");
        m.put("Timestamp", timestamp);
        m.put("SigningCertURL", CERT_URL);
        return m;
    }

    private static SnsVerifier verifier(SnsFetcher fetcher) {
        return new SnsVerifier(List.of(TOPIC), fetcher, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static void assertRefused(SnsVerifier v, Map<String, String> fields, ProblemCode code) {
        assertThatThrownBy(() -> v.verify(envelope(fields))).isInstanceOfSatisfying(Problem.class, p -> assertThat(p.problemCode()).as(p.getMessage()).isEqualTo(code));
    }

    @Test
    void stringToSignOfANotificationWithAndWithoutSubject() {
        var f = notification("2026-12-07T01:59:00.000Z");
        f.put("Subject", "Amazon S3 Notification");
        assertThat(SnsVerifier.stringToSign(envelope(f))).isEqualTo("""
                Message
                {"Records":[]}
                MessageId
                22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324
                Subject
                Amazon S3 Notification
                Timestamp
                2026-12-07T01:59:00.000Z
                TopicArn
                arn:aws:sns:us-east-1:123456789012:stowage-events
                Type
                Notification
                """);
        f.remove("Subject");
        assertThat(SnsVerifier.stringToSign(envelope(f))).as("no Subject line; the Timestamp's .000 kept as sent").isEqualTo("""
                Message
                {"Records":[]}
                MessageId
                22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324
                Timestamp
                2026-12-07T01:59:00.000Z
                TopicArn
                arn:aws:sns:us-east-1:123456789012:stowage-events
                Type
                Notification
                """);
    }

    @Test
    void stringToSignOfConfirmations() {
        for (String type : List.of("SubscriptionConfirmation", "UnsubscribeConfirmation")) {
            var f = notification("2026-12-07T01:59:00.123Z");
            f.put("Type", type);
            f.put("Message", "You have chosen to subscribe to the topic.");
            f.put("Subject", "ignored for confirmations");
            f.put("SubscribeURL", "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + TOPIC + "&Token=2336");
            f.put("Token", "2336");
            assertThat(SnsVerifier.stringToSign(envelope(f))).isEqualTo("""
                    Message
                    You have chosen to subscribe to the topic.
                    MessageId
                    22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324
                    SubscribeURL
                    https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:stowage-events&Token=2336
                    Timestamp
                    2026-12-07T01:59:00.123Z
                    Token
                    2336
                    TopicArn
                    arn:aws:sns:us-east-1:123456789012:stowage-events
                    Type
                    %s
                    """.formatted(type));
        }
    }

    @Test
    void certificateUrlRule() {
        for (String ok : List.of(CERT_URL,
                "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
                "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-x.pem",
                "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem",
                "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-x.pem")) {
            assertThat(SnsVerifier.trustedCertUrl(ok)).as(ok).isNotNull();
        }
        for (String bad : List.of(
                "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
                "https://s3.amazonaws.com/my-bucket/SimpleNotificationService-x.pem",
                "https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-x.pem",
                "https://sns.us-east-1.amazonaws.com@attacker.example/x.pem",
                "https://user@sns.us-east-1.amazonaws.com/x.pem",
                "https://sns.us-east-1.amazonaws.com:8443/x.pem",
                "https://sns.us-east-1.amazonaws.com./x.pem",
                "https://SNS.US-EAST-1.AMAZONAWS.COM/x.pem",
                "HTTPS://sns.us-east-1.amazonaws.com/x.pem",
                "https://sns.amazonaws.com/x.pem",
                "https://attacker.example/sns.us-east-1.amazonaws.com/x.pem",
                "https://sns.us-east-1.amazonaws.com/x.pem?x=1",
                "https://sns.us-east-1.amazonaws.com/x.pem#f",
                "https://sns.us-east-1.amazonaws.com/x.crt",
                "https://sns.us-east-1.amazonaws.com/",
                "https://sns.us_east-1.amazonaws.com/x.pem",
                "//sns.us-east-1.amazonaws.com/x.pem",
                "https:sns.us-east-1.amazonaws.com/x.pem",
                "not a url",
                "")) {
            assertThat(SnsVerifier.trustedCertUrl(bad)).as(bad).isNull();
        }
        assertThat(SnsVerifier.trustedCertUrl(null)).isNull();
        // the subscribe URL rule: the same hosts, any path and query
        assertThat(SnsVerifier.snsUrl("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=1")).isNotNull();
        assertThat(SnsVerifier.snsUrl("https://sns.us-east-1.amazonaws.com.attacker.example/?Action=ConfirmSubscription")).isNull();
        assertThat(SnsVerifier.snsUrl("http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription")).isNull();
    }

    @Test
    void genuineMessagesOfBothVersionsVerifyAndTheCertificateIsFetchedOnce() {
        var fetcher = new SnsTestKeys.Fetcher(good);
        var v = verifier(fetcher);
        v.verify(envelope(good.sign(notification("2026-12-07T01:59:00.000Z"), "1")));
        v.verify(envelope(good.sign(notification("2026-12-07T01:00:00.001Z"), "2")));
        var f = notification("2026-12-07T02:04:00.000Z");
        f.put("Subject", "with a subject");
        v.verify(envelope(good.sign(f, "2")));
        assertThat(fetcher.urls()).as("cached after the first fetch").containsExactly(CERT_URL);
    }

    @Test
    void forgeriesAreRefused() {
        var fetcher = new SnsTestKeys.Fetcher(good);
        var v = verifier(fetcher);
        String ts = "2026-12-07T01:59:00.000Z";
        assertRefused(v, other.sign(notification(ts), "2"), ProblemCode.SNS_SIGNATURE_INVALID);
        var garbage = good.sign(notification(ts), "1");
        garbage.put("Signature", "bm90IGEgc2lnbmF0dXJl");
        assertRefused(v, garbage, ProblemCode.SNS_SIGNATURE_INVALID);
        garbage.put("Signature", "%%% not base64 %%%");
        assertRefused(v, garbage, ProblemCode.SNS_SIGNATURE_INVALID);
        var tampered = good.sign(notification(ts), "2");
        tampered.put("Message", "{\"Records\":[{}]}");
        assertRefused(v, tampered, ProblemCode.SNS_SIGNATURE_INVALID);
        var v1AsV2 = good.sign(notification(ts), "1");
        v1AsV2.put("SignatureVersion", "2");
        assertRefused(v, v1AsV2, ProblemCode.SNS_SIGNATURE_INVALID);
        var v3 = good.sign(notification(ts), "2");
        v3.put("SignatureVersion", "3");
        assertRefused(v, v3, ProblemCode.SNS_SIGNATURE_INVALID);
        var unsigned = notification(ts);
        assertRefused(v, unsigned, ProblemCode.SNS_SIGNATURE_INVALID);
        for (String url : List.of("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
                "https://s3.amazonaws.com/my-bucket/SimpleNotificationService-x.pem",
                "https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-x.pem")) {
            var f = notification(ts);
            f.put("SigningCertURL", url);
            assertRefused(v, good.sign(f, "2"), ProblemCode.UNTRUSTED_SIGNING_CERT_URL);
        }
        var otherTopic = notification(ts);
        otherTopic.put("TopicArn", "arn:aws:sns:us-east-1:210987654321:stowage-events");
        assertRefused(v, good.sign(otherTopic, "2"), ProblemCode.SNS_TOPIC_NOT_ALLOWED);
        assertRefused(v, good.sign(notification("2026-12-07T00:59:59.999Z"), "2"), ProblemCode.SNS_TIMESTAMP_OUT_OF_RANGE);
        assertRefused(v, good.sign(notification("2026-12-07T02:05:00.001Z"), "2"), ProblemCode.SNS_TIMESTAMP_OUT_OF_RANGE);
        assertRefused(v, good.sign(notification("yesterday"), "2"), ProblemCode.MALFORMED_EVENT);
        assertThat(fetcher.urls()).as("only the trusted URL was ever fetched").containsOnly(CERT_URL);
    }

    @Test
    void aCertificateOutsideItsDatesOrUnreadableOrUnavailableIsRefused() {
        assertRefused(verifier(new SnsTestKeys.Fetcher(expired)), expired.sign(notification("2026-12-07T01:59:00.000Z"), "2"),
                ProblemCode.SNS_SIGNATURE_INVALID);
        assertRefused(verifier((url, max) -> "not a certificate".getBytes()), good.sign(notification("2026-12-07T01:59:00.000Z"), "2"),
                ProblemCode.SNS_SIGNATURE_INVALID);
        assertRefused(verifier((url, max) -> {
            throw new IOException("HTTP 404");
        }), good.sign(notification("2026-12-07T01:59:00.000Z"), "2"), ProblemCode.SNS_CERTIFICATE_UNAVAILABLE);
    }
}

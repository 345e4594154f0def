package dev.stowage.costs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Alert signatures (a published test vector) and the webhook's retry rules against a local receiver. */
class AlertsTest {
    @Test
    void theSignatureIsHmacSha256OverTimestampDotBody() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"; Stowage signs "<timestamp>.<body>",
        // so timestamp 0 and a body of the rest must give HMAC("Jefe", "0." + body)
        byte[] body = "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII);
        assertThat(hmacOnly("Jefe", body)).isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assertThat(AlertSignature.sign("Jefe", 0, body)).isEqualTo("v1=" + hmacOnly("Jefe", ("0." + new String(body, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII)));
        // freshness and tampering
        Instant now = Instant.ofEpochSecond(1_800_000_000L);
        String ok = AlertSignature.sign("s3cret", now.getEpochSecond(), body);
        assertThat(AlertSignature.verify("s3cret", "1800000000", ok, body, now, Duration.ofMinutes(5))).isTrue();
        assertThat(AlertSignature.verify("s3cret", "1800000000", ok, "tampered".getBytes(), now, Duration.ofMinutes(5))).isFalse();
        assertThat(AlertSignature.verify("s3cret", "1800000000", ok, body, now.plus(Duration.ofMinutes(6)), Duration.ofMinutes(5))).as("replayed later").isFalse();
        assertThat(AlertSignature.verify("s3cret", "1799999999", ok, body, now, Duration.ofMinutes(5))).as("another timestamp").isFalse();
        assertThat(AlertSignature.verify("s3cret", null, ok, body, now, Duration.ofMinutes(5))).isFalse();
    }

    private static String hmacOnly(String key, byte[] data) {
        try {
            var mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal(data));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static HttpServer receiver(int... statuses) throws Exception {
        AtomicInteger n = new AtomicInteger();
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            int i = n.getAndIncrement();
            ex.sendResponseHeaders(statuses[Math.min(i, statuses.length - 1)], -1);
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void serverErrorsAndTooManyRequestsAreRetriedOtherClientErrorsAreNot() throws Exception {
        HttpServer s = receiver(503, 429, 200);
        try {
            var n = new AlertNotifier(URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/"), "k", 5, Duration.ofMillis(50), Clock.systemUTC());
            var o = n.send(1, "{}");
            assertThat(o.delivered()).isTrue();
            assertThat(o.attempts()).isEqualTo(3);
        } finally {
            s.stop(0);
        }
        HttpServer bad = receiver(400, 200);
        try {
            var o = new AlertNotifier(URI.create("http://127.0.0.1:" + bad.getAddress().getPort() + "/"), "k", 5, Duration.ofMillis(50), Clock.systemUTC()).send(2, "{}");
            assertThat(o.delivered()).isFalse();
            assertThat(o.attempts()).isEqualTo(1);
            assertThat(o.lastError()).isEqualTo("HTTP 400");
        } finally {
            bad.stop(0);
        }
        // nobody listening: network errors are retried until the attempts run out
        int port;
        try (var sock = new java.net.ServerSocket(0)) {
            port = sock.getLocalPort();
        }
        var o = new AlertNotifier(URI.create("http://127.0.0.1:" + port + "/"), "k", 3, Duration.ofMillis(20), Clock.systemUTC()).send(3, "{}");
        assertThat(o.delivered()).isFalse();
        assertThat(o.attempts()).isEqualTo(3);
    }

    @Test
    void priceTablesPriceClassesPerGibMonth() {
        long gib = 1L << 30;
        assertThat(PriceTable.AWS.storageMonthly("STANDARD", 100 * gib)).isCloseTo(2.3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PriceTable.AWS.storageMonthly("GLACIER", 100 * gib)).isCloseTo(0.36, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PriceTable.AWS.storageMonthly("DEEP_ARCHIVE", 1000 * gib)).isCloseTo(0.99, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PriceTable.R2.storageMonthly("STANDARD", 10 * gib)).isCloseTo(0.15, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PriceTable.R2.storageMonthly("GLACIER", 10 * gib)).as("a class R2 lacks is priced as STANDARD").isCloseTo(0.15, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PriceTable.selfHosted(0.02).storageMonthly("STANDARD_IA", 50 * gib)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PriceTable.named("self-hosted", 0.02).of("STANDARD").writesPer1000()).isZero();
    }
}

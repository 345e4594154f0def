package dev.stowage.costs;

import dev.stowage.metrics.StowageMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one alert to the configured webhook: a JSON {@code POST} signed as {@link AlertSignature}
 * describes, with {@code Stowage-Delivery} (the alert id, the same on every retry, so receivers can
 * de-duplicate). Retries on network errors, 429 and 5xx, with exponential backoff (the configured delay,
 * doubled each time) up to the configured number of attempts; any other 4xx is final.
 */
public final class AlertNotifier {
    private static final Logger log = LoggerFactory.getLogger(AlertNotifier.class);
    private final URI url;
    private final String secret;
    private final int attempts;
    private final Duration backoff;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** How a delivery ended. */
    public record Outcome(boolean delivered, int attempts, String lastError) {}

    /**
     * @param url      the receiver
     * @param secret   the HMAC key
     * @param attempts tries, at least 1
     * @param backoff  delay before the first retry
     */
    public AlertNotifier(URI url, String secret, int attempts, Duration backoff, Clock clock) {
        this.url = url;
        this.secret = secret;
        this.attempts = Math.max(1, attempts);
        this.backoff = backoff;
        this.clock = clock;
    }

    /**
     * Delivers a body (blocking, through the retries).
     *
     * @param deliveryId the alert id
     * @param json       the JSON body
     * @return the outcome
     */
    public Outcome send(long deliveryId, String json) {
        byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String error = null;
        int made = 0;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            made = attempt;
            long ts = clock.instant().getEpochSecond();
            var req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "Stowage-Alerts/1")
                    .header("Stowage-Delivery", Long.toString(deliveryId))
                    .header(AlertSignature.TIMESTAMP_HEADER, Long.toString(ts))
                    .header(AlertSignature.SIGNATURE_HEADER, AlertSignature.sign(secret, ts, body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            boolean retry;
            try {
                int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status >= 200 && status < 300) {
                    StowageMetrics.alertWebhook("delivered");
                    return new Outcome(true, attempt, null);
                }
                error = "HTTP " + status;
                retry = status == 429 || status >= 500;
            } catch (java.io.IOException e) {
                error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                retry = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "interrupted";
                retry = false;
            }
            if (!retry || attempt == attempts) break;
            Duration wait = backoff.multipliedBy(1L << Math.min(attempt - 1, 20));
            log.info("alert webhook {} attempt {} failed ({}); retrying in {} ms", deliveryId, attempt, error, wait.toMillis());
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        StowageMetrics.alertWebhook("failed");
        log.warn("alert webhook {} not delivered to {}: {}", deliveryId, url, error);
        return new Outcome(false, made, error);
    }
}

package dev.stowage.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.Harness;
import dev.stowage.testing.Http;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Stowage's own meters show at {@code /metrics} after real uploads, with the names the Grafana dashboard uses. */
class MetricsEndpointIT {
    static Harness h;

    @BeforeAll
    static void start() {
        h = new Harness();
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void uploadsVerificationAndJobQueueShowAtTheMetricsEndpoint() {
        String before = h.metrics();
        byte[] bytes = "metrics are counted\n".getBytes();
        var init = h.call("POST", "/v1/uploads", "mia", Map.of("filename", "m.txt", "size", bytes.length, "contentType", "text/plain"));
        assertThat(init.status()).isEqualTo(201);
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        String id = init.json().path("fileId").asText();
        h.call("POST", "/v1/uploads/" + id + "/complete", "mia", null);
        assertThat(h.awaitSettled("mia", id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");
        var refused = h.call("POST", "/v1/uploads", "mia", Map.of("filename", "x.exe", "size", 10, "contentType", "application/x-msdownload"));
        assertThat(refused.status()).isEqualTo(415);

        String after = h.metrics();
        assertThat(value(after, "stowage_uploads_initiated_total") - value(before, "stowage_uploads_initiated_total")).isGreaterThanOrEqualTo(1);
        assertThat(value(after, "stowage_uploads_completed_total") - value(before, "stowage_uploads_completed_total")).isGreaterThanOrEqualTo(1);
        assertThat(value(after, "stowage_uploads_rejected_total{reason=\"type_not_allowed\",stage=\"initiate\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(after, "stowage_verification_seconds_count{outcome=\"ready\"}")).isGreaterThanOrEqualTo(1);
        assertThat(after).contains("stowage_verification_seconds_bucket{outcome=\"ready\"", "stowage_jobs_queue_depth{task=\"verify-file\"}",
                "stowage_jobs_queue_oldest_age_seconds{task=\"make-variants\"}");
        System.out.println("[MetricsEndpointIT] " + after.lines().filter(l -> l.startsWith("stowage_uploads") || l.startsWith("stowage_jobs")).toList());
    }
}

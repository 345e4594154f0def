package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A store URL is short-lived, the API link is the one to keep: a file view links to {@code GET /v1/files/{id}/content},
 * which signs a fresh URL on every call; once a store URL has expired the store answers {@code 403} (S3's XML
 * {@code AccessDenied}) and the API link still serves the file. The download lifetime is shortened to 2 s here,
 * below what the configuration accepts, to see expiry without waiting a minute.
 */
class ExpiredDownloadLinkIT {
    @Test
    void anExpiredStoreUrlIsRefusedAndTheApiLinkSignsAFreshOne() throws Exception {
        try (Harness h = new Harness(Map.of(), c -> {
            var u = c.uploads();
            return c.withUploads(new StowageConfig.Uploads(u.maxSizeBytes(), u.multipartThresholdBytes(), u.partSizeBytes(), u.urlTtl(),
                    u.sessionTtl(), Duration.ofSeconds(2), u.allowedTypes(), u.quotas(), u.reconcileInterval(), u.stagingTtl()));
        })) {
            String id = h.uploadText("gwen", "kept behind the API link\n");
            String link = h.call("GET", "/v1/files/" + id, "gwen", null).json().at("/links/content").asText();
            assertThat(link).isEqualTo("/v1/files/" + id + "/content");

            var first = h.call("GET", link, "gwen", null);
            assertThat(first.status()).isEqualTo(302);
            assertThat(first.raw().headers().firstValue("Cache-Control")).contains("private, no-store");
            String storeUrl = first.raw().headers().firstValue("Location").orElseThrow();
            assertThat(Harness.getBytes(storeUrl).statusCode()).isEqualTo(200);

            Thread.sleep(3_500);
            var expired = Harness.getBytes(storeUrl);
            String body = new String(expired.body(), StandardCharsets.UTF_8);
            System.out.printf("[ExpiredDownloadLinkIT] expired store URL: %d %s%n", expired.statusCode(), body.replaceAll("\\s+", " "));
            assertThat(expired.statusCode()).isEqualTo(403);
            assertThat(body).contains("<Code>AccessDenied</Code>");

            Instant before = Instant.now();
            var again = h.call("GET", link, "gwen", null);
            assertThat(again.status()).isEqualTo(302);
            String fresh = again.raw().headers().firstValue("Location").orElseThrow();
            assertThat(fresh).isNotEqualTo(storeUrl);
            var served = Harness.getBytes(fresh);
            assertThat(served.statusCode()).as("fetched %s after %s", fresh, before).isEqualTo(200);
            assertThat(new String(served.body(), StandardCharsets.UTF_8)).isEqualTo("kept behind the API link\n");
        }
    }
}

package dev.stowage.costs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.ConfigException;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code costs} section: defaults by provider, thresholds, and the webhook secret kept out of the file. */
class CostsConfigTest {
    static Map<String, String> env(String provider) {
        Map<String, String> e = new HashMap<>(Map.of("STORAGE_PROVIDER", provider, "STOWAGE_DATABASE_URL", "jdbc:postgresql://db/stowage",
                "STOWAGE_JWT_SECRET", "0123456789abcdef0123456789abcdef", "STOWAGE_ALLOW_UNSCANNED", "true"));
        if (!provider.equals("aws")) e.put("S3_ENDPOINT", "http://s3.example:9000");
        return e;
    }

    @Test
    void thePriceTableFollowsTheProviderAndThresholdsAreRead() {
        assertThat(ConfigLoader.fromTree(new LinkedHashMap<>(), env("aws"), StowageConfig.Mode.PRODUCTION).costs().priceTable()).isEqualTo("aws");
        assertThat(ConfigLoader.fromTree(new LinkedHashMap<>(), env("r2"), StowageConfig.Mode.PRODUCTION).costs().priceTable()).isEqualTo("r2");
        assertThat(ConfigLoader.fromTree(new LinkedHashMap<>(), env("ceph"), StowageConfig.Mode.PRODUCTION).costs().priceTable()).isEqualTo("self-hosted");
        Map<String, Object> tree = new LinkedHashMap<>(Map.of("costs", Map.of("self_hosted_usd_per_gb_month", "0.02",
                "thresholds", Map.of("monthly_usd", 250.5, "bucket_bytes", 1_000_000_000_000L, "growth_bytes_per_day", 5_000_000_000L))));
        Map<String, String> e = env("minio");
        e.put("STOWAGE_COSTS_WEBHOOK_URL", "https://hooks.example.com/stowage");
        e.put("STOWAGE_COSTS_WEBHOOK_SECRET", "a-webhook-secret-of-at-least-32-bytes!");
        var c = ConfigLoader.fromTree(tree, e, StowageConfig.Mode.PRODUCTION).costs();
        assertThat(c.selfHostedUsdPerGbMonth()).isEqualTo(0.02);
        assertThat(c.maxMonthlyUsd()).isEqualTo(250.5);
        assertThat(c.maxBucketBytes()).isEqualTo(1_000_000_000_000L);
        assertThat(c.maxGrowthBytesPerDay()).isEqualTo(5_000_000_000L);
        assertThat(c.toString()).doesNotContain("a-webhook-secret");
        var none = ConfigLoader.fromTree(new LinkedHashMap<>(), env("aws"), StowageConfig.Mode.PRODUCTION).costs();
        assertThat(none.maxMonthlyUsd()).isNull();
        assertThat(none.webhookUrl()).isNull();
        assertThat(none.storeSize()).as("the provider's count where it has one").isEqualTo("auto");
        var listing = ConfigLoader.fromTree(new LinkedHashMap<>(Map.of("costs", Map.of("store_size", "listing"))), env("ceph"),
                StowageConfig.Mode.PRODUCTION).costs();
        assertThat(listing.storeSize()).isEqualTo("listing");
    }

    @Test
    void aWebhookNeedsASecretFromTheEnvironmentAndBadValuesAreAllReported() {
        Map<String, Object> tree = new LinkedHashMap<>(Map.of("costs", Map.of("price_table", "gcs", "webhook_url", "https://hooks.example.com/x",
                "webhook_secret", "in-the-file-in-the-file-in-the-file-0123", "thresholds", Map.of("monthly_usd", "lots"), "snapshot_interval_seconds", 5,
                "store_size", "inventory")));
        assertThatThrownBy(() -> ConfigLoader.fromTree(tree, env("aws"), StowageConfig.Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(String.join("\n", ex.problems())).contains(
                        "costs.price_table: 'gcs' is not a price table",
                        "costs.webhook_secret: a secret does not belong in stowage.yaml",
                        "costs.thresholds.monthly_usd: 'lots' is not a number",
                        "costs.snapshot_interval_seconds: 5 is too short",
                        "costs.store_size: 'inventory' is not a way to size the store (expected auto | listing)"));
        Map<String, Object> noSecret = new LinkedHashMap<>(Map.of("costs", Map.of("webhook_url", "https://hooks.example.com/x")));
        assertThatThrownBy(() -> ConfigLoader.fromTree(noSecret, env("aws"), StowageConfig.Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.problems()).anyMatch(p -> p.startsWith("costs.webhook_secret: is required")));
    }
}

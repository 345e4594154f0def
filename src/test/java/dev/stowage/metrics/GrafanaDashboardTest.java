package dev.stowage.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ops/grafana/stowage.json} charts only series that Stowage exports: every metric name in its
 * queries appears in a Prometheus scrape after each {@link StowageMetrics} meter has recorded once, and
 * every Stowage meter has a panel.
 */
class GrafanaDashboardTest {
    @Test
    void everyQueriedSeriesIsExportedAndEveryMeterIsCharted() throws Exception {
        JsonNode dash = new ObjectMapper().readTree(Path.of("ops/grafana/stowage.json").toFile());
        Set<String> queried = new TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:stowage|http_server)_[a-z_]+)").matcher("");
        dash.findValues("expr").forEach(e -> {
            m.reset(e.asText());
            while (m.find()) queried.add(m.group(1));
        });
        assertThat(queried).hasSizeGreaterThan(15);

        var reg = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Runnable detach = StowageMetrics.attach(reg);
        try {
            StowageMetrics.uploadInitiated();
            StowageMetrics.uploadCompleted();
            StowageMetrics.uploadRejected("verify", "size_mismatch");
            StowageMetrics.uploadQuarantined();
            StowageMetrics.verification(Duration.ofMillis(5), "ready");
            StowageMetrics.scan(Duration.ofMillis(5), "clean");
            StowageMetrics.variantGenerated("java", "thumb", Duration.ofMillis(5));
            StowageMetrics.variantFallback("thumb");
            StowageMetrics.reconcilerActions("expired", 1);
            StowageMetrics.reconcilerPass(Duration.ofMillis(5), false);
            StowageMetrics.migrationFile("copied", 10);
            StowageMetrics.migrationRemaining("r1", 5);
            StowageMetrics.costProjected(1.5);
            StowageMetrics.storage("b", "STANDARD", 10, 1);
            StowageMetrics.costAlert("growth");
            StowageMetrics.alertWebhook("delivered");
            StowageMetrics.leftovers("b", "incomplete_uploads", 2);
            StowageMetrics.jobQueue(reg, "verify-file", () -> 1, () -> 2);
            Timer.builder("http.server.requests").tag("status", "200").register(reg).record(Duration.ofMillis(1));
            String scrape = reg.scrape();
            Set<String> exported = new TreeSet<>();
            Matcher s = Pattern.compile("(?m)^([a-z_]+)[{ ]").matcher(scrape);
            while (s.find()) exported.add(s.group(1));
            assertThat(exported).as("series the dashboard queries").containsAll(queried);
            Set<String> stowage = new TreeSet<>(exported);
            stowage.removeIf(n -> !n.startsWith("stowage_") || n.endsWith("_max") || n.endsWith("_sum"));
            Set<String> uncharted = new TreeSet<>();
            for (String n : stowage) {
                String base = n.replaceAll("_(total|count|bucket)$", "");
                if (queried.stream().noneMatch(q -> q.startsWith(base))) uncharted.add(n);
            }
            assertThat(uncharted).as("Stowage meters without a panel").isEmpty();
        } finally {
            detach.run();
            reg.close();
        }
    }
}

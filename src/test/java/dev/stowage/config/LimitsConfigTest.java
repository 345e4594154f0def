package dev.stowage.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code uploads.limits} per plan and the reconciler's bounds: defaults, overrides, and refusals named by key. */
class LimitsConfigTest {
    @TempDir
    Path dir;

    private static final String BASE = """
            storage:
              provider: ceph
              endpoint: http://rgw.internal:7480
            database:
              url: jdbc:postgresql://db:5432/stowage
            auth:
              jwt_secret: 0123456789abcdef0123456789abcdef
            scanner:
              clamd_host: clamd.internal
            """;

    private StowageConfig load(String uploads) throws Exception {
        Path f = dir.resolve("stowage.yaml");
        Files.writeString(f, BASE + uploads);
        return ConfigLoader.load(f, Map.of(), Mode.PRODUCTION);
    }

    @Test
    void defaultsGiveEveryPlanLimitsAndUnknownPlansFreesOnes() throws Exception {
        var u = load("").uploads();
        assertThat(u.limitsFor("free")).isEqualTo(new StowageConfig.Limits(100, 10, 50));
        assertThat(u.limitsFor("premium").maxOpenUploads()).isGreaterThan(100);
        assertThat(u.limitsFor("no-such-plan")).isEqualTo(u.limitsFor("free"));
        assertThat(u.reconcile()).isEqualTo(new StowageConfig.Reconcile(10, 500, 1000, Duration.ofSeconds(30)));
    }

    @Test
    void aPlanTakesWhatItSetsAndFreesDefaultsForWhatItLeavesOut() throws Exception {
        var u = load("""
                uploads:
                  reconcile_per_user: 3
                  reconcile_batch: 50
                  expire_batch: 200
                  reconcile_pass_seconds: 5
                  limits:
                    free: {max_open_uploads: 20}
                    gold: {max_open_uploads: 1000, initiations_per_second: 100, initiation_burst: 400}
                """).uploads();
        assertThat(u.limitsFor("free")).isEqualTo(new StowageConfig.Limits(20, 10, 50));
        assertThat(u.limitsFor("gold")).isEqualTo(new StowageConfig.Limits(1000, 100, 400));
        assertThat(u.limitsFor("premium")).as("not configured: free's").isEqualTo(u.limitsFor("free"));
        assertThat(u.reconcile()).isEqualTo(new StowageConfig.Reconcile(3, 50, 200, Duration.ofSeconds(5)));
    }

    @Test
    void badLimitsAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> load("""
                uploads:
                  reconcile_pass_seconds: 0
                  limits:
                    gold: {max_open_uploads: 0, initiations_per_second: lots, burst: 5}
                    "bad plan": {max_open_uploads: 5}
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                .anySatisfy(p -> assertThat(p).startsWith("uploads.limits.gold.max_open_uploads: 0 is out of range"))
                .anySatisfy(p -> assertThat(p).startsWith("uploads.limits.gold.initiations_per_second: 'lots' is not a whole number"))
                .anySatisfy(p -> assertThat(p).startsWith("uploads.limits.gold.burst"))
                .anySatisfy(p -> assertThat(p).startsWith("uploads.limits.bad plan: is not a plan name"))
                .anySatisfy(p -> assertThat(p).startsWith("uploads.limits: must set the limits of plan 'free'"))
                .anySatisfy(p -> assertThat(p).startsWith("uploads.reconcile_pass_seconds: must be at least 1 second")));
    }
}

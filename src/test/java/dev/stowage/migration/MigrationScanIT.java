package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.testing.TestClamd;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code migrate run --scan} with a real clamd (the project's test signatures): infected files end quarantined, the run goes on. */
class MigrationScanIT {
    static final String EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    @TempDir
    Path dir;

    @Test
    void infectedFilesAreQuarantinedAndTheRunGoesOn() throws Exception {
        var clamd = TestClamd.clamd();
        StowageConfig config = TestServers.embeddedConfig(Map.of()).withScanner(
                new StowageConfig.Scanner(clamd.host(), clamd.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(30)));
        Path tree = dir.resolve("uploads");
        Files.createDirectories(tree.resolve("7"));
        Files.writeString(tree.resolve("7/notes.txt"), EICAR, StandardCharsets.US_ASCII);
        Files.writeString(tree.resolve("7/clean.txt"), "nothing to see here\n");
        try (Stowage s = new Stowage(config, TestServers.embeddedCredentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            var summary = s.migration().run(new MigrationService.Options(tree, 2, null, true), Progress.none());
            assertThat(summary.copiedFiles()).isEqualTo(2);
            assertThat(summary.counts().files()).containsEntry("done", 1L).containsEntry("quarantined", 1L);
            var rows = s.db().jdbi().withHandle(h -> h.createQuery("""
                            select i.display_path, i.state, i.outcome, f.status, f.scan_result, f.scan_signature, f.object_key
                            from migration_items i join files f on f.id = i.file_id order by i.display_path""").mapToMap().list());
            var clean = rows.get(0);
            var infected = rows.get(1);
            assertThat(clean.get("status")).isEqualTo("ready");
            assertThat(clean.get("scan_result")).isEqualTo("clean");
            assertThat(infected.get("display_path")).isEqualTo("7/notes.txt");
            assertThat(infected.get("state")).isEqualTo("quarantined");
            assertThat(infected.get("outcome")).isEqualTo("malware");
            assertThat(infected.get("status")).isEqualTo("quarantined");
            assertThat(infected.get("scan_result")).isEqualTo("infected");
            assertThat(infected.get("scan_signature")).isEqualTo(TestClamd.EICAR_SIGNATURE);
            assertThat((String) infected.get("object_key")).startsWith("quarantine/7/");
            String raw = config.storage().buckets().raw();
            assertThat(s.s3().client().listObjectsV2(b -> b.bucket(raw)).contents()).extracting(o -> o.key())
                    .containsExactlyInAnyOrder((String) clean.get("object_key"), (String) infected.get("object_key"));
            // a quarantined file is never served and does not count against the quota
            assertThat(s.files().usage("7").orElseThrow().usedBytes()).isEqualTo(Files.size(tree.resolve("7/clean.txt")));
            var report = new MigrationVerifier(s.store(), s.migration().journal(), config).verify(s.migration().journal().runs().getFirst(), true, 2);
            assertThat(report.clean()).as(report.toString()).isTrue();
            assertThat(report.quarantined()).isEqualTo(1);
            assertThat(report.matched()).isEqualTo(1);
        }
    }
}

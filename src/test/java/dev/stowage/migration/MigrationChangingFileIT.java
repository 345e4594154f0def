package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file appended to while it is copied is copied again and ends correct (never half old, half new); a
 * file that never stops changing ends failed, with no row and no object left behind. The append happens
 * at a fixed point (after the bytes went up, before the file is checked again) through the copier's hook.
 */
class MigrationChangingFileIT {
    @TempDir
    Path dir;

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void aFileAppendedToDuringItsCopyIsRetriedAndEndsCorrect() throws Exception {
        StowageConfig config = TestServers.embeddedConfig(Map.of())
                .withMigration(new StowageConfig.Migration(List.of(".DS_Store"), 2, 5L << 20, 5L << 20, 3));
        Path tree = dir.resolve("uploads");
        Files.createDirectories(tree.resolve("42"));
        Random r = new Random(1);
        byte[] small = new byte[1 << 20], large = new byte[12 << 20], restless = new byte[4096];
        r.nextBytes(small);
        r.nextBytes(large);
        Files.write(tree.resolve("42/small.bin"), small);
        Files.write(tree.resolve("42/large.bin"), large);   // multipart: 3 parts of 5 MiB
        Files.write(tree.resolve("42/restless.log"), restless);
        try (Stowage s = new Stowage(config, TestServers.embeddedCredentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            s.migration().hook((item, file, attempt) -> {
                if (attempt == 1 || item.display().endsWith("restless.log")) {
                    Files.write(file, "appended while copying\n".getBytes(), StandardOpenOption.APPEND);
                }
            });
            var summary = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            assertThat(summary.copiedFiles()).isEqualTo(2);
            assertThat(summary.failed()).isEqualTo(1);
            String raw = config.storage().buckets().raw();
            for (String name : List.of("small.bin", "large.bin")) {
                byte[] now = Files.readAllBytes(tree.resolve("42").resolve(name));
                var row = s.db().jdbi().withHandle(h -> h.createQuery("""
                                select i.attempts, i.state, i.sha256, f.size_bytes, f.sha256 as fsha, f.object_key from migration_items i
                                join files f on f.id = i.file_id where i.display_path = :p""")
                        .bind("p", "42/" + name).mapToMap().one());
                assertThat(row.get("state")).isEqualTo("done");
                assertThat(((Number) row.get("attempts")).intValue()).as(name + " was copied twice").isEqualTo(2);
                assertThat(((Number) row.get("size_bytes")).longValue()).isEqualTo(now.length);
                assertThat(row.get("fsha")).isEqualTo(sha256(now)).isEqualTo(row.get("sha256"));
                byte[] stored = s.s3().client().getObjectAsBytes(b -> b.bucket(raw).key((String) row.get("object_key"))).asByteArray();
                assertThat(stored).as(name + ": the object is the file as it is now").isEqualTo(now);
            }
            var restlessItem = s.db().jdbi().withHandle(h -> h.createQuery(
                    "select state, outcome, attempts, file_id, object_key from migration_items where display_path = '42/restless.log'").mapToMap().one());
            assertThat(restlessItem.get("state")).isEqualTo("failed");
            assertThat(restlessItem.get("outcome")).isEqualTo("changed_during_copy");
            assertThat(((Number) restlessItem.get("attempts")).intValue()).isEqualTo(3);
            assertThat(s.files().find((UUID) restlessItem.get("file_id"))).isEmpty();
            assertThat(s.s3().client().listObjectsV2(b -> b.bucket(raw)).contents()).hasSize(2);
            assertThat(s.files().usage("42").orElseThrow().usedBytes())
                    .isEqualTo(Files.size(tree.resolve("42/small.bin")) + Files.size(tree.resolve("42/large.bin")));
        }
    }
}

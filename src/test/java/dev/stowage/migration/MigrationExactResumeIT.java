package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An exact resume: files changed in place with their size and modification time restored are invisible
 * to the walk, so {@code run} alone copies nothing; {@code run --checksum} finds them by SHA-256, and a
 * file {@code verify} reported different is copied again by the next plain {@code run}. After both,
 * {@code verify --deep} is clean and the stored objects are the files as they are now.
 */
class MigrationExactResumeIT {
    @TempDir
    Path dir;

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Overwrites a file with bytes of the same length and restores its modification time. */
    static void changeInPlace(Path f, byte fill) throws Exception {
        FileTime mtime = Files.getLastModifiedTime(f);
        byte[] b = Files.readAllBytes(f);
        b[0] = fill;
        b[b.length - 1] = fill;
        Files.write(f, b);
        Files.setLastModifiedTime(f, mtime);
    }

    @Test
    void filesChangedInPlaceAreCopiedAgainByRunChecksumAndAfterVerifyReportedThem() throws Exception {
        StowageConfig config = TestServers.embeddedConfig(Map.of())
                .withMigration(new StowageConfig.Migration(List.of(".DS_Store"), 2, 5L << 20, 5L << 20, 3));
        Path tree = dir.resolve("uploads");
        Files.createDirectories(tree.resolve("7"));
        for (String n : List.of("a.txt", "b.txt", "c.txt", "d.txt")) Files.write(tree.resolve("7").resolve(n), ("first " + n + "\n").repeat(50).getBytes());
        try (Stowage s = new Stowage(config, TestServers.embeddedCredentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            var first = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            assertThat(first.copiedFiles()).isEqualTo(4);
            var verifier = new MigrationVerifier(s.store(), s.migration().journal(), config);

            // a.txt changed in place, mtime restored: a plain run sees nothing, --checksum copies it again
            changeInPlace(tree.resolve("7/a.txt"), (byte) 'X');
            assertThat(s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none()).copiedFiles())
                    .as("size and mtime unchanged: the walk queues nothing").isZero();
            var checksum = s.migration().run(new MigrationService.Options(tree, 2, null, false, true), Progress.none());
            assertThat(checksum.copiedFiles()).as("run --checksum copies the changed file only").isEqualTo(1);
            assertStored(s, config, tree, "a.txt");

            // b.txt changed the same way: verify reports it and marks it, the next plain run copies it
            changeInPlace(tree.resolve("7/b.txt"), (byte) 'Y');
            var report = verifier.verify(first.run(), false, 2);
            assertThat(report.differ()).isEqualTo(1);
            assertThat(report.findings()).singleElement().satisfies(f -> assertThat(f.path()).isEqualTo("7/b.txt"));
            var next = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            assertThat(next.copiedFiles()).as("the file verify reported is copied again").isEqualTo(1);
            assertStored(s, config, tree, "b.txt");
            assertThat(s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none()).copiedFiles())
                    .as("copied once: the mark is cleared").isZero();

            var deep = verifier.verify(first.run(), true, 2);
            assertThat(deep.findings()).isEmpty();
            assertThat(deep.clean()).isTrue();
            assertThat(deep.matched()).isEqualTo(4);
            assertThat(s.files().usage("7").orElseThrow().usedBytes()).isEqualTo(4L * Files.size(tree.resolve("7/a.txt")));
        }
    }

    static void assertStored(Stowage s, StowageConfig config, Path tree, String name) throws Exception {
        byte[] now = Files.readAllBytes(tree.resolve("7").resolve(name));
        var row = s.db().jdbi().withHandle(h -> h.createQuery("""
                        select i.state, i.sha256, i.recopy, f.sha256 as fsha, f.object_key from migration_items i
                        join files f on f.id = i.file_id where i.display_path = :p""")
                .bind("p", "7/" + name).mapToMap().one());
        assertThat(row.get("state")).isEqualTo("done");
        assertThat(row.get("recopy")).isEqualTo(false);
        assertThat(row.get("sha256")).isEqualTo(sha256(now)).isEqualTo(row.get("fsha"));
        byte[] stored = s.s3().client().getObjectAsBytes(b -> b.bucket(config.storage().buckets().raw()).key((String) row.get("object_key"))).asByteArray();
        assertThat(stored).as(name + ": the object is the file as it is now").isEqualTo(now);
    }
}

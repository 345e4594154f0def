package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate verify} goes one user folder at a time: the journal items it holds at once are those of
 * the largest user folder, not the run's, and the report is still the whole tree's — top-level entries,
 * a user folder removed since the run (its files extra), a new file (missing), a changed one (differ), and
 * with {@code --users} only those users.
 */
class MigrationVerifyBoundsIT {
    @TempDir
    Path dir;

    @Test
    void verifyHoldsOneUserFolderAtATimeAndReportsTheWholeTree() throws Exception {
        StowageConfig config = TestServers.embeddedConfig(Map.of());
        Path tree = dir.resolve("uploads");
        Map<String, Integer> users = Map.of("u1", 3, "u2", 5, "u3", 8, "u4", 2, "u5", 4);
        for (var u : users.entrySet()) {
            Path folder = Files.createDirectories(tree.resolve(u.getKey()).resolve("docs"));
            for (int i = 0; i < u.getValue(); i++) Files.writeString(folder.resolve("f" + i + ".txt"), u.getKey() + " file " + i + "\n");
        }
        Files.writeString(tree.resolve("readme.txt"), "a file outside every user's folder\n");
        Files.createDirectories(tree.resolve("lost+found"));
        try (Stowage s = new Stowage(config, TestServers.embeddedCredentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            var summary = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            assertThat(summary.copiedFiles()).isEqualTo(22);

            // u4 is gone from the tree, u1 has a new file, one of u2's files changed, u5 is a file now
            delete(tree.resolve("u4"));
            Files.writeString(tree.resolve("u1/docs/new.txt"), "new\n");
            Files.writeString(tree.resolve("u2/docs/f0.txt"), "changed\n");
            delete(tree.resolve("u5"));
            Files.writeString(tree.resolve("u5"), "not a folder any more\n");

            var verifier = new MigrationVerifier(s.store(), s.migration().journal(), config);
            var report = verifier.verify(summary.run(), false, 2);
            assertThat(verifier.peakItems()).as("journal items held at once: the largest user folder's (u3), of 24 journalled")
                    .isEqualTo(8);
            assertThat(report.matched()).isEqualTo(3 + 4 + 8);
            assertThat(report.differ()).isEqualTo(1);
            assertThat(report.missing()).isEqualTo(1);
            assertThat(report.extra()).as("u4's and u5's files").isEqualTo(2 + 4);
            assertThat(report.findings()).filteredOn(f -> f.result().equals("extra")).extracting(MigrationVerifier.Finding::path)
                    .containsExactly("u4/docs/f0.txt", "u4/docs/f1.txt", "u5/docs/f0.txt", "u5/docs/f1.txt", "u5/docs/f2.txt", "u5/docs/f3.txt");
            assertThat(report.findings()).filteredOn(f -> !f.result().equals("extra"))
                    .extracting(MigrationVerifier.Finding::path, MigrationVerifier.Finding::result)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("u2/docs/f0.txt", "differ"),
                            org.assertj.core.groups.Tuple.tuple("u1/docs/new.txt", "missing"));
            assertThat(report.notMigrated()).isEqualTo(Map.of("not_a_user_dir", 1L, "top_level_file", 2L));
            assertThat(report.skipped()).extracting(MigrationVerifier.NotMigrated::path).containsExactly("lost+found", "readme.txt", "u5");

            var some = verifier.verify(summary.run(), false, 2, Set.of("u2", "u4"));
            assertThat(verifier.peakItems()).isEqualTo(5);
            assertThat(some.matched()).isEqualTo(4);
            assertThat(some.differ()).isEqualTo(1);
            assertThat(some.missing()).isZero();
            assertThat(some.findings()).filteredOn(f -> f.result().equals("extra")).extracting(MigrationVerifier.Finding::path)
                    .containsExactly("u4/docs/f0.txt", "u4/docs/f1.txt");
        }
    }

    private static void delete(Path p) throws Exception {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}

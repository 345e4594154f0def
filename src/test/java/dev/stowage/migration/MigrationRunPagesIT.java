package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The passes of {@code migrate run} over the whole run — {@code --checksum}'s re-hash and the end-of-run
 * queueing of image variants still pending — read the journal a page at a time. With pages of two entries
 * over a run of twelve files, every file changed in place is found and every pending image queued: nothing
 * is skipped or repeated at a page boundary.
 */
class MigrationRunPagesIT {
    @TempDir
    Path dir;

    /** JPEG's magic number and filler: an image by its bytes (no worker runs here to decode it). */
    static byte[] jpeg(int n) {
        byte[] b = ("....image " + n + "\n").repeat(20).getBytes();
        b[0] = (byte) 0xff;
        b[1] = (byte) 0xd8;
        b[2] = (byte) 0xff;
        b[3] = (byte) 0xe0;
        return b;
    }

    @Test
    void checksumAndPendingVariantsPassesCrossPageBoundaries() throws Exception {
        StowageConfig config = TestServers.embeddedConfig(Map.of());
        Path tree = dir.resolve("uploads");
        // three users, each with three text files and a photo: at least six pages of two entries
        List<Path> changed = new ArrayList<>();
        for (String u : List.of("u1", "u2", "u3")) {
            Path folder = Files.createDirectories(tree.resolve(u));
            for (int i = 0; i < 3; i++) Files.writeString(folder.resolve("f" + i + ".txt"), (u + " file " + i + "\n").repeat(30));
            Files.write(folder.resolve("photo.jpg"), jpeg(u.charAt(1)));
        }
        changed.add(tree.resolve("u1/f0.txt"));
        changed.add(tree.resolve("u2/f1.txt"));
        changed.add(tree.resolve("u3/f2.txt"));
        try (Stowage s = new Stowage(config, TestServers.embeddedCredentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            MigrationService migration = s.migration().pageSize(2);
            var first = migration.run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            assertThat(first.copiedFiles()).isEqualTo(12);
            Set<String> photos = Set.copyOf(s.db().jdbi().withHandle(h -> h.createQuery("""
                            select file_id::text from migration_items where run_id = :r and display_path like '%/photo.jpg'""")
                    .bind("r", first.run().id()).mapTo(String.class).list()));
            assertThat(photos).hasSize(3);
            assertThat(queuedVariants(s)).as("the photos' variants are queued when they are made ready").isEqualTo(photos);

            // as if the process had died before the variants were queued: the next run's end queues them
            s.db().jdbi().useHandle(h -> h.execute("delete from scheduled_tasks where task_name = 'make-variants'"));
            for (Path f : changed) MigrationExactResumeIT.changeInPlace(f, (byte) 'Z');
            var checksum = migration.run(new MigrationService.Options(tree, 2, null, false, true), Progress.none());
            assertThat(checksum.copiedFiles()).as("run --checksum copies the three changed files, one in each user's pages").isEqualTo(3);
            assertThat(queuedVariants(s)).as("every photo still pending is queued again, page by page").isEqualTo(photos);
            for (Path f : changed) {
                String rel = tree.relativize(f).toString();
                String sha = s.db().jdbi().withHandle(h -> h.createQuery("select sha256 from migration_items where display_path = :p")
                        .bind("p", rel).mapTo(String.class).one());
                assertThat(sha).as(rel).isEqualTo(MigrationExactResumeIT.sha256(Files.readAllBytes(f)));
            }
            assertThat(migration.run(new MigrationService.Options(tree, 2, null, false, true), Progress.none()).copiedFiles())
                    .as("a second --checksum finds nothing changed").isZero();
        }
    }

    static Set<String> queuedVariants(Stowage s) {
        return Set.copyOf(s.db().jdbi().withHandle(h -> h.createQuery("select task_instance from scheduled_tasks where task_name = 'make-variants'")
                .mapTo(String.class).list()));
    }
}

package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.db.Database;
import dev.stowage.files.JdbiFileRepository;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The journal's claims as leases, behind PgBouncer in transaction mode: a live process's claims are
 * renewed and never taken over however long it copies; a process that ends releases its claims at once;
 * claims nobody renews are taken over after their lease, and the late process can no longer end them.
 */
class MigrationLeaseIT {
    static final Duration LEASE = Duration.ofSeconds(3);

    @Test
    void claimsAreRenewedWhileHeldReleasedOnCloseAndTakenOverOnlyAfterTheirLease() throws Exception {
        String url = TestServers.newPooledDatabase();
        try (Database db = Database.open(new StowageConfig.Database(url, "postgres", null, 4).withPooler(StowageConfig.Pooler.TRANSACTION))) {
            db.migrate();
            var files = new JdbiFileRepository(db.jdbi());
            var setup = new MigrationJournal(db.jdbi(), files, LEASE);
            var run = setup.runFor(Path.of("/srv/uploads-lease-test"));
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String p = "u1/f" + i + ".txt";
                entries.add(new Entry(p.getBytes(StandardCharsets.UTF_8), p, "file", "u1", List.of(), "f" + i + ".txt", 10, 1, "pending", null, null));
            }
            assertThat(setup.record(run.id(), entries)).hasSize(6);
            UUID r = run.id();

            var a = new MigrationJournal(db.jdbi(), files, LEASE);
            var b = new MigrationJournal(db.jdbi(), files, LEASE);
            var c = new MigrationJournal(db.jdbi(), files, LEASE);
            try {
                assertThat(a.claim(r, 4, null)).hasSize(4);
                // a keeps renewing: two leases later b still gets only what a did not claim
                Thread.sleep(2 * LEASE.toMillis());
                assertThat(b.claim(r, 10, null)).hasSize(2);
                assertThat(c.claim(r, 10, null)).isEmpty();
                assertThat(c.heldByOthers(r, null)[0]).isEqualTo(6);

                // a ends normally with its claims unfinished: they are released at once
                a.close();
                assertThat(c.claim(r, 10, null)).as("a's released claims").hasSize(4);

                // b stops renewing (its process hangs): its claims pass with their lease, then c takes them over
                List<Item> held = b.claim(r, 10, null);
                assertThat(held).isEmpty();
                stopRenewing(b);
                assertThat(c.claim(r, 10, null)).as("within b's lease").isEmpty();
                Thread.sleep(LEASE.toMillis() + 500);
                List<Item> taken = c.claim(r, 10, null);
                assertThat(taken).as("after b's lease").hasSize(2);
                // b, late, can no longer end a file it lost
                b.end(taken.getFirst(), "failed", "error", "late", 0);
                assertThat(count(db, "select count(*) from migration_items where state = 'copying'")).isEqualTo(6);
                assertThat(count(db, "select count(*) from migration_items where attempts = 2")).as("claimed twice: a's 4 and b's 2").isEqualTo(6);
            } finally {
                a.close();
                b.close();
                c.close();
            }
        }
    }

    private static long count(Database db, String sql) {
        return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
    }

    /** Makes a journal's process look hung: its renewal thread stops, its claims stay. */
    private static void stopRenewing(MigrationJournal j) throws Exception {
        var f = MigrationJournal.class.getDeclaredField("renewer");
        f.setAccessible(true);
        ((java.util.concurrent.ExecutorService) f.get(j)).shutdownNow();
    }
}

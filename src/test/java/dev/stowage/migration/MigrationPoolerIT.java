package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.Stowage;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.StowageProcess;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stowage migrate run} behind PgBouncer in transaction mode ({@code database.pooler: transaction}):
 * its claims are rows with a lease, so a process killed with SIGKILL leaves no file claimed for longer
 * than its lease (the session advisory locks of before stayed on pooled server sessions for good), and
 * a later run takes its files over and finishes the run.
 */
class MigrationPoolerIT {
    @TempDir
    Path dir;

    /** A count read straight from PostgreSQL (not through the pooler), on the database of {@code config}. */
    static long directCount(StowageConfig config, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(TestServers.directUrl(config.database().url()), "postgres", "");
             var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aMigrationKilledWithSigkillBehindThePoolerHoldsNoFilePastItsLeaseAndARerunFinishesAll() throws Exception {
        int leaseSeconds = 4;
        Path tree = dir.resolve("uploads");
        JsonNode made = LegacyTree.make(tree, "--users", "3", "--files-per-user", "30", "--large", "2", "--large-mib", "12", "--seed", "7");
        long files = made.path("regular_files").asLong();
        Map<String, String> env = TestServers.pooledEnv(Map.of());
        StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), env, StowageConfig.Mode.PRODUCTION);
        Files.writeString(dir.resolve("stowage.yaml"), "migration:\n  claim_lease_seconds: " + leaseSeconds
                + "\n  multipart_threshold_bytes: 5242880\n  part_size_bytes: 5242880\n");
        try (var s = new Stowage(config, TestServers.embeddedCredentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            var jdbi = s.db().jdbi();
            java.util.function.Function<String, Long> count = sql -> jdbi.withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());

            Process p = StowageProcess.start(dir, "killed", env, List.of(), "migrate", "run", "--source", tree.toString(), "--concurrency", "3");
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (p.isAlive() && System.nanoTime() < deadline && count.apply("select count(*) from migration_items where state = 'done'") == 0) {
                Thread.sleep(50);
            }
            Thread.sleep(300);
            assertThat(p.isAlive()).as("still running when killed: %s", Files.readString(dir.resolve("killed.err"))).isTrue();
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(137); // 128 + SIGKILL
            Timestamp killedAt = jdbi.withHandle(h -> h.createQuery("select now()").mapTo(Timestamp.class).one());

            long held = count.apply("select count(*) from migration_items where state = 'copying'");
            assertThat(held).as("the kill left files claimed").isPositive();
            assertThat(count.apply("select count(*) from migration_items where state = 'done'")).isLessThan(files);
            // every claim the dead process left ends within one lease of its death
            Timestamp latest = jdbi.withHandle(h -> h.createQuery("select max(lease_until) from migration_items where state = 'copying'")
                    .mapTo(Timestamp.class).one());
            assertThat(latest.toInstant()).isBefore(killedAt.toInstant().plusSeconds(leaseSeconds).plusMillis(500));
            // the old way's session advisory locks: none, on any server session the pooler keeps open
            assertThat(directCount(config, "select count(*) from pg_locks where locktype = 'advisory'")).isZero();
            Thread.sleep(Math.max(0, latest.getTime() - System.currentTimeMillis()) + 1000);
            assertThat(count.apply("select count(*) from migration_items where state = 'copying' and lease_until > now()"))
                    .as("files still claimed one lease after the kill").isZero();

            System.out.printf("SIGKILL behind PgBouncer: %d file(s) claimed at the kill, the last lease ended %d ms after it (lease %d s)%n",
                    held, latest.getTime() - killedAt.getTime(), leaseSeconds);
            var rerun = StowageProcess.run(dir, env, 300, "migrate", "run", "--source", tree.toString());
            assertThat(rerun.exit()).as(rerun.out() + rerun.err()).isZero();
            assertThat(rerun.out()).contains(files + " migrated", "0 pending, 0 in progress");
            assertThat(count.apply("select count(*) from migration_items where state = 'done'")).isEqualTo(files);
            assertThat(count.apply("select count(*) from migration_items where attempts > 1")).as("the dead process's files were taken over").isPositive();
            assertThat(count.apply("select count(*) from files where source = 'migration' and status = 'ready'")).isEqualTo(files);
            assertThat(s.s3().client().listObjectsV2Paginator(b -> b.bucket(config.storage().buckets().raw())).contents().stream().count())
                    .isEqualTo(files);
        }
    }
}

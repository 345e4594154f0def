package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.Stowage;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.testing.StowageProcess;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stowage migrate run} killed with SIGKILL and run again, and two processes sharing one run: the
 * journal in PostgreSQL makes the end state exact (one row and one object per file, verify --deep clean)
 * whatever happened on the way.
 */
class MigrationResumeIT {
    @TempDir
    Path dir;

    record Setup(Path tree, long files, Map<String, String> env, Stowage stowage) implements AutoCloseable {
        long count(String sql) {
            return stowage.db().jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
        }

        long objects() {
            return stowage.s3().client().listObjectsV2Paginator(b -> b.bucket(stowage.config().storage().buckets().raw()))
                    .contents().stream().count();
        }

        @Override
        public void close() {
            stowage.close();
        }
    }

    Setup setup(String... treeArgs) throws Exception {
        Path tree = dir.resolve("uploads");
        JsonNode made = LegacyTree.make(tree, treeArgs);
        Map<String, String> env = TestServers.embeddedEnv(Map.of());
        StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), env, StowageConfig.Mode.PRODUCTION);
        var s = new Stowage(config, TestServers.embeddedCredentials());
        new BucketPlanner(s.store(), config.storage()).apply();
        // 5 MiB parts: the large files go up as multipart uploads that a kill can interrupt; 5-second claim
        // leases: the files a killed process held are taken over by the next run within 5 s
        Files.writeString(dir.resolve("stowage.yaml"),
                "migration:\n  multipart_threshold_bytes: 5242880\n  part_size_bytes: 5242880\n  claim_lease_seconds: 5\n");
        return new Setup(tree, made.path("regular_files").asLong(), env, s);
    }

    /** The end state both tests require: each file once, as a row and an object, and deep verification clean. */
    void assertExactlyOnce(Setup s) throws Exception {
        assertThat(s.count("select count(*) from migration_items where state = 'done'")).isEqualTo(s.files());
        assertThat(s.count("select count(*) from migration_items where state <> 'done'")).isZero();
        assertThat(s.count("select count(*) from files where source = 'migration' and status = 'ready'")).isEqualTo(s.files());
        assertThat(s.count("select count(*) from files")).isEqualTo(s.files());
        assertThat(s.objects()).isEqualTo(s.files());
        assertThat(s.count("select count(*) from accounts a where used_bytes <> (select sum(size_bytes) from files f where f.owner_id = a.user_id)")).isZero();
        var verify = StowageProcess.run(dir, s.env(), 300, "migrate", "verify", "--deep");
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).contains("matched       " + s.files() + " file(s)", "clean: every migrated file matches");
    }

    @Test
    void killedWithSigkillAtFiveRandomPointsAndResumed() throws Exception {
        try (Setup s = setup("--users", "6", "--files-per-user", "50", "--large", "3", "--large-mib", "24", "--seed", "11")) {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            List<String> points = new ArrayList<>();
            for (int k = 1; k <= 5; k++) {
                long before = s.count("select count(*) from migration_items where state = 'done'");
                Process p = StowageProcess.start(dir, "kill" + k, s.env(), List.of(), "migrate", "run", "--source", s.tree().toString(), "--concurrency", "3");
                // wait until this process has copied something, then a random while longer, then SIGKILL
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (p.isAlive() && System.nanoTime() < deadline
                        && s.count("select count(*) from migration_items where state = 'done'") == before) {
                    Thread.sleep(50);
                }
                Thread.sleep(random.nextInt(1500));
                assertThat(p.isAlive()).as("run %d still running when killed (seed %d): %s", k, seed,
                        Files.exists(dir.resolve("kill" + k + ".err")) ? Files.readString(dir.resolve("kill" + k + ".err")) : "").isTrue();
                long copying = s.count("select count(*) from migration_items where state = 'copying'");
                p.destroyForcibly();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isEqualTo(137); // 128 + SIGKILL
                points.add("kill " + k + ": " + s.count("select count(*) from migration_items where state = 'done'") + "/" + s.files()
                        + " done, " + copying + " being copied");
            }
            System.out.println("SIGKILL points (seed " + seed + "): " + points);
            assertThat(s.count("select count(*) from migration_items where state = 'done'")).as("the kills left work to resume").isLessThan(s.files());
            var last = StowageProcess.run(dir, s.env(), 600, "migrate", "run", "--source", s.tree().toString());
            assertThat(last.exit()).as(last.out() + last.err()).isZero();
            // items a kill interrupted were claimed again: the journal counts more than one attempt for some
            assertThat(s.count("select count(*) from migration_items where attempts > 1")).isPositive();
            assertExactlyOnce(s);
        }
    }

    @Test
    void twoProcessesOnOneRunMigrateEachFileOnce() throws Exception {
        try (Setup s = setup("--users", "4", "--files-per-user", "60", "--large", "2", "--large-mib", "12", "--seed", "5")) {
            Process a = StowageProcess.start(dir, "a", s.env(), List.of(), "migrate", "run", "--source", s.tree().toString(), "--concurrency", "2");
            Process b = StowageProcess.start(dir, "b", s.env(), List.of(), "migrate", "run", "--source", s.tree().toString(), "--concurrency", "2");
            assertThat(a.waitFor(600, TimeUnit.SECONDS)).isTrue();
            assertThat(b.waitFor(600, TimeUnit.SECONDS)).isTrue();
            var ra = StowageProcess.result(a, dir, "a");
            var rb = StowageProcess.result(b, dir, "b");
            assertThat(ra.exit()).as(ra.out() + ra.err()).isZero();
            assertThat(rb.exit()).as(rb.out() + rb.err()).isZero();
            long copiedA = copied(ra.out()), copiedB = copied(rb.out());
            assertThat(copiedA).as("process a copied some").isPositive();
            assertThat(copiedB).as("process b copied some").isPositive();
            assertThat(copiedA + copiedB).isEqualTo(s.files());
            // one claim per file: no file was copied twice
            assertThat(s.count("select count(*) from migration_items where attempts <> 1")).isZero();
            assertThat(s.count("select count(*) from migration_runs")).isEqualTo(1);
            assertExactlyOnce(s);
        }
    }

    static long copied(String out) {
        Matcher m = Pattern.compile("this process copied (\\d+) file").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }
}

package dev.stowage.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code stowage worker} process killed with SIGKILL while it makes an image's variants: another
 * worker takes the execution over once the dead one's heartbeats stop, and every image ends with exactly
 * one set of variants (rows and objects), nothing duplicated, nothing left behind.
 */
class WorkerKillIT {

    @TempDir
    Path dir;

    @Test
    void aWorkerKilledMidJobLeavesItsJobToAnotherAndEveryImageEndsWithOneSetOfVariants() throws Exception {
        Map<String, String> env = TestServers.embeddedEnv(Map.of());
        StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), env, StowageConfig.Mode.PRODUCTION);
        try (Harness h = Harness.withoutWorker(config)) {
            Process child = startWorkerProcess(env);
            try {
                // large images so that a variants job runs long enough to be killed half-way
                byte[] huge = Files.readAllBytes(TestServers.fixture("images/special/huge_8000x6000.jpg"));
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 2; i++) ids.add(h.upload("kim", "huge-" + i + ".jpg", "image/jpeg", huge));

                // wait until the child has picked a variants job, then kill it without warning
                Optional<String> picked = Optional.empty();
                long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (picked.isEmpty() && System.nanoTime() < end) {
                    assertThat(child.isAlive()).as("worker process alive (log: %s)", dir.resolve("worker.log")).isTrue();
                    picked = pickedVariantsJob(h);
                    if (picked.isEmpty()) Thread.sleep(5);
                }
                assertThat(picked).as("a variants job picked by the worker process").isPresent();
                child.destroyForcibly(); // SIGKILL on Linux
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);

                // the execution is still marked as running by the dead process: it was killed mid-job
                String killedFile = picked.get();
                assertThat(pickedVariantsJob(h)).as("execution left picked by the dead worker").contains(killedFile);
                assertThat(variantRows(h, killedFile)).as("variants of the interrupted image").isLessThan(3);

                // a second worker, with a short heartbeat so that it declares the dead one's execution dead quickly
                h.stowage.startWorker(2, Duration.ofMillis(500));
                for (String id : ids) {
                    assertThat(awaitVariants(h, id, Duration.ofSeconds(180))).as("variants of %s", id).isEqualTo("ready");
                }
                for (String id : ids) {
                    assertThat(variantRows(h, id)).as("one row per variant of %s", id).isEqualTo(3);
                    var objects = h.stowage.s3().client().listObjectsV2(r -> r.bucket(config.storage().buckets().processed())
                            .prefix("kim/" + id + "/")).contents();
                    assertThat(objects).as("one object per variant of %s", id).hasSize(3);
                    JsonNode f = h.call("GET", "/v1/files/" + id, "kim", null).json();
                    assertThat(f.path("variants")).hasSize(3);
                }
                long left = h.stowage.files().jdbi().withHandle(x -> x.createQuery(
                        "select count(*) from scheduled_tasks where task_name in ('make-variants', 'verify-file')").mapTo(Long.class).one());
                assertThat(left).as("no execution left behind").isZero();
            } finally {
                if (child.isAlive()) child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private Process startWorkerProcess(Map<String, String> env) throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        var pb = new ProcessBuilder(javaBin, "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.stowage.cli.Main", "worker", "--threads", "1")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("worker.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("STOWAGE_") || k.startsWith("AWS_") || k.equals("STORAGE_PROVIDER") || k.equals("S3_ENDPOINT"));
        pb.environment().putAll(env);
        pb.environment().put("AWS_ACCESS_KEY_ID", TestServers.S3_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", TestServers.S3_SECRET);
        return pb.start();
    }

    /** The file id of a make-variants execution currently picked by some worker. */
    private static Optional<String> pickedVariantsJob(Harness h) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery(
                "select task_instance from scheduled_tasks where task_name = 'make-variants' and picked limit 1").mapTo(String.class).findOne());
    }

    private static int variantRows(Harness h, String id) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select count(*) from variants where file_id = cast(:id as uuid)")
                .bind("id", id).mapTo(Integer.class).one());
    }

    private static String awaitVariants(Harness h, String id, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        String status = null;
        while (System.nanoTime() < end) {
            status = h.stowage.files().jdbi().withHandle(x -> x.createQuery("select variants_status from files where id = cast(:id as uuid)")
                    .bind("id", id).mapTo(String.class).one());
            if ("ready".equals(status) || "failed".equals(status)) return status;
            Thread.sleep(100);
        }
        return status;
    }
}

package dev.stowage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stowage jobs}: a job that really fails in a worker is listed as failing, as text and as JSON. */
class JobsCommandIT {

    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {}

    Result run(Map<String, String> env, String... args) throws Exception {
        var cmd = new java.util.ArrayList<String>(java.util.List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "dev.stowage.cli.Main"));
        cmd.addAll(java.util.List.of(args));
        var pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("STOWAGE_") || k.startsWith("AWS_") || k.equals("STORAGE_PROVIDER") || k.equals("S3_ENDPOINT"));
        pb.environment().putAll(env);
        pb.environment().put("AWS_ACCESS_KEY_ID", TestServers.S3_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", TestServers.S3_SECRET);
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    @Test
    void aFailingVariantsJobIsListedWithItsFailuresAndNextRetry() throws Exception {
        Map<String, String> env = TestServers.embeddedEnv(Map.of());
        StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), env, StowageConfig.Mode.PRODUCTION);
        try (Harness h = new Harness(config, TestServers.embeddedCredentials())) {
            byte[] jpeg = Files.readAllBytes(TestServers.fixture("images/special/orient_1.jpg"));
            String id = h.upload("jo", "a.jpg", "image/jpeg", jpeg);
            JsonNode f = h.awaitSettled("jo", id, Duration.ofSeconds(60));
            assertThat(f.path("status").asText()).isEqualTo("ready");
            assertThat(run(env, "jobs", "--failed").out()).isEqualTo("No job executions.\n");

            // the raw object disappears behind Stowage's back: making variants again fails in the worker
            String rawKey = h.stowage.files().jdbi().withHandle(x -> x.createQuery("select object_key from files where id = :id")
                    .bind("id", UUID.fromString(id)).mapTo(String.class).one());
            h.stowage.s3().client().deleteObject(r -> r.bucket(config.storage().buckets().raw()).key(rawKey));
            h.stowage.files().jdbi().useHandle(x -> x.execute("delete from variants where file_id = ?", UUID.fromString(id)));
            h.stowage.jobs().enqueueVariants(UUID.fromString(id));
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int failures = 0;
            while (failures == 0 && System.nanoTime() < end) {
                Thread.sleep(100);
                failures = h.stowage.files().jdbi().withHandle(x -> x.createQuery(
                        "select coalesce(max(consecutive_failures), 0) from scheduled_tasks where task_name = 'make-variants'").mapTo(Integer.class).one());
            }
            assertThat(failures).as("the job failed in the worker").isPositive();

            Result text = run(env, "jobs", "--failed");
            assertThat(text.exit()).as(text.err()).isZero();
            assertThat(text.out()).startsWith("TASK").contains("make-variants").contains(id).contains("failing")
                    .endsWith("1 execution(s): 0 running, 1 failing.\n");

            Result json = run(env, "jobs", "--format", "json");
            assertThat(json.exit()).as(json.err()).isZero();
            JsonNode rows = new ObjectMapper().readTree(json.out());
            JsonNode failing = null;
            for (JsonNode r : rows) if (r.path("task").asText().equals("make-variants")) failing = r;
            assertThat(failing).as(json.out()).isNotNull();
            assertThat(failing.path("instance").asText()).isEqualTo(id);
            assertThat(failing.path("state").asText()).isEqualTo("failing");
            assertThat(failing.path("consecutiveFailures").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(failing.path("lastFailure").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            // the recurring reconciler is listed too, but not among the failed
            assertThat(rows.findValuesAsText("task")).contains("reconcile-uploads");

            Result bad = run(env, "jobs", "--format", "xml");
            assertThat(bad.exit()).isEqualTo(2);
            assertThat(bad.err()).contains("--format");
        }
    }
}

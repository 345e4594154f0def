package dev.stowage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code stowage} command line as a user runs it: a separate JVM, its output and exit code. */
class CliIT {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {}

    Result run(Map<String, String> env, String... args) throws Exception {
        var r = dev.stowage.testing.StowageProcess.run(dir, env, 120, args);
        return new Result(r.exit(), r.out(), r.err());
    }

    @Test
    void aBadConfigurationGivesOneLinePerProblemAndExitCode2() throws Exception {
        Files.writeString(dir.resolve("stowage.yaml"), """
                storage:
                  provider: s3-compatible
                  cors:
                    allowed_origins: ["*"]
                database:
                  url: postgres://db/stowage
                http:
                  prot: 8080
                """);
        Result r = run(Map.of(), "serve");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines().toList()).containsExactly(
                "stowage: invalid configuration:",
                "  storage.provider: 's3-compatible' is not a provider (expected aws | minio | r2 | ceph | embedded)",
                "  storage.cors.allowed_origins: wildcard origin '*' is refused outside dev (list explicit origins such as https://app.example.com)",
                "  database.url: 'postgres://db/stowage' is not a PostgreSQL JDBC URL (expected jdbc:postgresql://host:port/db)",
                "  auth: set auth.jwt_secret (STOWAGE_JWT_SECRET) or auth.jwks_url (STOWAGE_JWKS_URL) so API callers can authenticate",
                "  scanner.clamd_host: is required outside dev (STOWAGE_CLAMD_HOST); set scanner.allow_unscanned: true to accept unscanned files knowingly",
                "  http.prot: unknown key (see stowage.example.yaml for the keys Stowage reads)");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void usageErrorsAndHelp() throws Exception {
        Result unknown = run(Map.of(), "serve", "--no-such-flag");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("stowage: Unknown option: '--no-such-flag'").doesNotContain("\tat ");
        for (String c : new String[] {"serve", "worker", "dev", "buckets", "version"}) {
            Result help = run(Map.of(), c, "--help");
            assertThat(help.exit()).as(c + " --help").isZero();
            assertThat(help.out()).startsWith("Usage: stowage " + c);
        }
        Result bucketsHelp = run(Map.of(), "buckets", "plan", "--help");
        assertThat(bucketsHelp.out()).contains("--detailed-exitcode");
        Result threads = run(Map.of(), "worker", "--threads", "0");
        assertThat(threads.exit()).isEqualTo(2);
        assertThat(threads.err()).startsWith("stowage: --threads must be at least 1, got 0");
        Result port = run(Map.of(), "dev", "--port", "70000");
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.err()).startsWith("stowage: ports must be 0 to 65535, got 70000");
        Result reprocess = run(Map.of(), "images", "reprocess");
        assertThat(reprocess.exit()).isEqualTo(2);
        assertThat(reprocess.err()).startsWith("stowage: give exactly one of --user ID and --all");
        Result subVersion = run(Map.of(), "buckets", "plan", "-V");
        assertThat(subVersion.exit()).isZero();
        assertThat(subVersion.out()).startsWith("stowage ");
        Result version = run(Map.of(), "version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("stowage ").contains("java 25");
    }

    @Test
    void aRuntimeFailureIsOneLineWithoutStackTrace() throws Exception {
        // an endpoint where nothing listens
        Result r = run(Map.of("STORAGE_PROVIDER", "minio", "S3_ENDPOINT", "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID", "k",
                "AWS_SECRET_ACCESS_KEY", "s"), "buckets", "plan");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines().filter(l -> l.startsWith("stowage:")).toList()).hasSize(1);
        assertThat(r.err()).contains("stowage: object store error:").doesNotContain("\tat ");
        Result noDev = run(Map.of(), "buckets", "plan", "--data-dir", dir.resolve("none").toString());
        assertThat(noDev.exit()).isEqualTo(1);
        assertThat(noDev.err()).startsWith("stowage: no running 'stowage dev' found in");
    }

    private Map<String, String> bucketEnv(String provider, String endpoint, String key, String secret) {
        var b = TestServers.freshBuckets();
        Map<String, String> env = new HashMap<>();
        env.put("STORAGE_PROVIDER", provider);
        env.put("S3_ENDPOINT", endpoint);
        env.put("AWS_ACCESS_KEY_ID", key);
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        env.put("STOWAGE_BUCKET_RAW", b.raw());
        env.put("STOWAGE_BUCKET_PROCESSED", b.processed());
        env.put("STOWAGE_BUCKET_BACKUPS", b.backups());
        env.put("STOWAGE_BUCKET_LOGS", b.logs());
        env.put("STOWAGE_CORS_ORIGINS", "https://app.example.com");
        return env;
    }

    private void planApplyPlan(Map<String, String> env, int changes) throws Exception {
        Result plan = run(env, "buckets", "plan", "--detailed-exitcode");
        assertThat(plan.exit()).as(plan.err()).isEqualTo(2);
        assertThat(plan.out()).contains("  + bucket: create in us-east-1").endsWith(changes + " change(s) to apply.\n");
        Result apply = run(env, "buckets", "apply");
        assertThat(apply.exit()).as(apply.err()).isZero();
        assertThat(apply.out()).endsWith("Applied " + changes + " change(s).\n");
        Result again = run(env, "buckets", "plan", "--detailed-exitcode");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).endsWith("No changes.\n").doesNotContain("  + ", "  ~ ", "  - ");
        Result applyAgain = run(env, "buckets", "apply");
        assertThat(applyAgain.out()).endsWith("Nothing to change.\n");
    }

    @Test
    void bucketsPlanApplyPlanAgainstTheEmbeddedServer() throws Exception {
        planApplyPlan(bucketEnv("embedded", TestServers.embeddedS3().toString(), TestServers.S3_KEY, TestServers.S3_SECRET), 4);
    }

    @Test
    void bucketsPlanApplyPlanAgainstCeph() throws Exception {
        var rgw = TestServers.rgw();
        planApplyPlan(bucketEnv("ceph", rgw.endpoint().toString(), rgw.accessKey(), rgw.secretKey()), 6);
    }
}

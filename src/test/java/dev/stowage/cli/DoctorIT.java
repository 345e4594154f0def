package dev.stowage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.StowageProcess;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stowage doctor} on the embedded store and on Ceph RGW, and what a required setting the gateway cannot
 * hold does to {@code buckets apply}, {@code doctor} and {@code serve}: each says which and fails.
 */
class DoctorIT {
    @TempDir
    Path dir;

    private StowageProcess.Result run(Map<String, String> env, String... args) throws Exception {
        var r = StowageProcess.run(dir, env, 120, args);
        System.out.println("$ stowage " + String.join(" ", args) + "   # provider " + env.get("STORAGE_PROVIDER") + ", exit " + r.exit()
                + "\n" + r.out() + (r.err().isBlank() ? "" : "stderr:\n" + r.err()));
        return r;
    }

    private static Map<String, String> env(String provider, String endpoint, String key, String secret) {
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
        // two busy cores: a cold JVM's first store calls exceed the production 1.5 s
        env.put("STOWAGE_STORE_CALL_TIMEOUT_MS", "15000");
        return env;
    }

    private void doctorBeforeAndAfterApply(Map<String, String> env) throws Exception {
        var before = run(env, "doctor");
        assertThat(before.exit()).isEqualTo(1);
        assertThat(before.out()).contains("the bucket does not exist (run 'stowage buckets apply')").contains("1 problem(s):");
        assertThat(run(env, "buckets", "apply").exit()).isZero();
        var after = run(env, "doctor");
        assertThat(after.exit()).as(after.err()).isZero();
        assertThat(after.out()).containsPattern("presigned PUT +presigned-uploads +ok ")
                .containsPattern("multipart upload +multipart-uploads +ok ")
                .containsPattern("DeleteObjects +batch-delete +ok ")
                .contains("Required bucket settings: none (every setting best-effort)")
                .endsWith("OK: Stowage can run on this store.\n");
    }

    @Test
    void doctorOnTheEmbeddedStore() throws Exception {
        var env = env("embedded", TestServers.embeddedS3().toString(), TestServers.S3_KEY, TestServers.S3_SECRET);
        doctorBeforeAndAfterApply(env);
    }

    @Test
    void doctorOnCephRgw() throws Exception {
        var rgw = TestServers.rgw();
        doctorBeforeAndAfterApply(env("ceph", rgw.endpoint().toString(), rgw.accessKey(), rgw.secretKey()));
    }

    @Test
    void onCephARequiredSettingTheGatewayCannotHoldFailsApplyDoctorAndServeNamingIt() throws Exception {
        var rgw = TestServers.rgw();
        var env = env("ceph", rgw.endpoint().toString(), rgw.accessKey(), rgw.secretKey());
        String raw = env.get("STOWAGE_BUCKET_RAW");
        // stated in the file: required (access logging stays best-effort)
        Files.writeString(dir.resolve("stowage.yaml"), """
                bucket_settings:
                  encryption: SSE-S3
                """);
        var plan = run(env, "buckets", "plan");
        assertThat(plan.exit()).isZero();
        assertThat(plan.out()).contains("  ! encryption: unsupported by ceph: RGW 16 refuses PutBucketEncryption")
                .containsPattern("! encryption: .*\\[required]").containsPattern("! logging: .*\\[best-effort]")
                .contains("4 required setting(s) the provider cannot hold: encryption on " + raw);

        var apply = run(env, "buckets", "apply");
        assertThat(apply.exit()).isEqualTo(1);
        assertThat(apply.err()).contains("stowage: required setting not applied: encryption on bucket " + raw + " (provider ceph): unsupported by ceph: RGW 16 refuses PutBucketEncryption");
        assertThat(apply.err().lines().filter(l -> l.startsWith("stowage: required setting not applied: ")).count()).isEqualTo(4);
        assertThat(apply.err()).doesNotContain("logging"); // best-effort: listed in the output, not an error
        assertThat(apply.out()).contains("Applied 12 change(s).");

        var doctor = run(env, "doctor");
        assertThat(doctor.exit()).isEqualTo(1);
        assertThat(doctor.out()).contains("Required bucket settings: encryption")
                .contains("bucket_settings.required: encryption is required, but ceph cannot hold it (RGW 16 refuses PutBucketEncryption");

        // serve probes the store and refuses before it opens the database
        var serveEnv = new HashMap<>(env);
        serveEnv.put("STOWAGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:9/none");
        serveEnv.put("STOWAGE_JWT_SECRET", "test-secret-test-secret-test-secret-0123");
        serveEnv.put("STOWAGE_HTTP_PORT", "0");
        serveEnv.put("STOWAGE_ALLOW_UNSCANNED", "true");
        var serve = run(serveEnv, "serve");
        assertThat(serve.exit()).isEqualTo(2);
        assertThat(serve.err()).contains("stowage: invalid configuration:")
                .contains("  bucket_settings.required: encryption is required, but ceph cannot hold it");
    }
}

package dev.stowage.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.ConfigException;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.S3Clients;
import dev.stowage.storage.S3ObjectStore;
import dev.stowage.testing.StowageProcess;
import dev.stowage.testing.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * {@code stowage doctor} on the embedded store and on Ceph RGW, and what a required setting the gateway cannot
 * hold does to {@code buckets apply} (a separate JVM: its exit code and stderr), {@code doctor} and the start of
 * a Stowage process: each says which and fails. Doctor runs in this JVM (a cold JVM costs many seconds here).
 */
class DoctorIT {
    @TempDir
    Path dir;

    private record Doctor(int exit, String out) {}

    private static Doctor doctor(StowageConfig cfg, AwsCredentialsProvider creds) {
        var buf = new ByteArrayOutputStream();
        int exit = DoctorCommand.doctor(cfg, creds, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println("$ stowage doctor   # provider " + cfg.storage().provider().id() + ", exit " + exit + "\n" + out);
        return new Doctor(exit, out);
    }

    /** A configuration for the store at endpoint with fresh buckets; no database is opened (the URL only passes validation). */
    private static StowageConfig config(String provider, String endpoint, Map<String, Object> tree, Map<String, String> extra) {
        var env = new HashMap<>(extra);
        env.put("STORAGE_PROVIDER", provider);
        env.put("S3_ENDPOINT", endpoint);
        env.put("STOWAGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:9/none");
        env.put("STOWAGE_STORE_PROBE", "true");
        return ConfigLoader.fromTree(new HashMap<>(tree), TestServers.embeddedEnv(env), StowageConfig.Mode.PRODUCTION);
    }

    private static void doctorBeforeAndAfterApply(StowageConfig cfg, AwsCredentialsProvider creds) {
        var before = doctor(cfg, creds);
        assertThat(before.exit()).isEqualTo(1);
        assertThat(before.out()).contains("the bucket does not exist (run 'stowage buckets apply')").contains("1 problem(s):");
        try (S3Clients c = S3Clients.create(cfg.storage(), creds)) {
            new BucketPlanner(new S3ObjectStore(c), cfg).apply();
        }
        var after = doctor(cfg, creds);
        assertThat(after.exit()).isZero();
        assertThat(after.out()).containsPattern("presigned PUT +presigned-uploads +ok ")
                .containsPattern("multipart upload +multipart-uploads +ok ")
                .containsPattern("DeleteObjects +batch-delete +ok ")
                .contains("Required bucket settings: none (every setting best-effort)")
                .endsWith("OK: Stowage can run on this store.\n");
    }

    @Test
    void doctorOnTheEmbeddedStore() {
        doctorBeforeAndAfterApply(config("embedded", TestServers.embeddedS3().toString(), Map.of(), Map.of()), TestServers.embeddedCredentials());
    }

    @Test
    void doctorOnCephRgw() {
        var rgw = TestServers.rgw();
        var cfg = config("ceph", rgw.endpoint().toString(), Map.of(), Map.of());
        doctorBeforeAndAfterApply(cfg, rgw.credentials());
        assertThat(doctor(cfg, rgw.credentials()).out()).containsPattern("PutObjectTagging +object-tagging +ok ")
                .containsPattern("GetBucketEncryption +default-encryption +no +not asked: RGW 16 refuses PutBucketEncryption");
    }

    @Test
    void onCephARequiredSettingTheGatewayCannotHoldFailsApplyDoctorAndStartNamingIt() throws Exception {
        var rgw = TestServers.rgw();
        // stated in the file: required (access logging stays best-effort)
        Files.writeString(dir.resolve("stowage.yaml"), """
                bucket_settings:
                  encryption: SSE-S3
                """);
        var env = new HashMap<String, String>();
        var b = TestServers.freshBuckets();
        env.put("STORAGE_PROVIDER", "ceph");
        env.put("S3_ENDPOINT", rgw.endpoint().toString());
        env.put("AWS_ACCESS_KEY_ID", rgw.accessKey());
        env.put("AWS_SECRET_ACCESS_KEY", rgw.secretKey());
        env.put("STOWAGE_BUCKET_RAW", b.raw());
        env.put("STOWAGE_BUCKET_PROCESSED", b.processed());
        env.put("STOWAGE_BUCKET_BACKUPS", b.backups());
        env.put("STOWAGE_BUCKET_LOGS", b.logs());
        env.put("STOWAGE_CORS_ORIGINS", "https://app.example.com");
        env.put("STOWAGE_STORE_CALL_TIMEOUT_MS", "15000");
        var apply = StowageProcess.run(dir, env, 180, "buckets", "apply");
        System.out.println("$ stowage buckets apply   # provider ceph, bucket_settings.encryption: SSE-S3, exit " + apply.exit() + "\n"
                + apply.out() + "stderr:\n" + apply.err());
        String raw = b.raw();
        assertThat(apply.exit()).isEqualTo(1);
        assertThat(apply.err()).contains("stowage: required setting not applied: encryption on bucket " + raw
                + " (provider ceph): unsupported by ceph: RGW 16 refuses PutBucketEncryption");
        assertThat(apply.err().lines().filter(l -> l.startsWith("stowage: required setting not applied: encryption on bucket ")).count()).isEqualTo(4);
        assertThat(apply.err()).doesNotContain("logging"); // best-effort: listed in the output, not an error
        assertThat(apply.out()).containsPattern("! encryption: .*\\[required]").containsPattern("! logging: .*\\[best-effort]")
                .contains("4 required setting(s) the provider cannot hold: encryption on " + raw)
                .contains("Applied 12 change(s).");

        var cfg = config("ceph", rgw.endpoint().toString(), Map.of("bucket_settings", Map.of("encryption", "SSE-S3")),
                Map.of("STOWAGE_BUCKET_RAW", b.raw(), "STOWAGE_BUCKET_PROCESSED", b.processed(), "STOWAGE_BUCKET_BACKUPS", b.backups(),
                        "STOWAGE_BUCKET_LOGS", b.logs()));
        assertThat(cfg.bucketSettings().required()).containsExactly("encryption");
        var d = doctor(cfg, rgw.credentials());
        assertThat(d.exit()).isEqualTo(1);
        assertThat(d.out()).contains("Required bucket settings: encryption")
                .contains("bucket_settings.required: encryption is required, but ceph cannot hold it (RGW 16 refuses PutBucketEncryption");
        // serve, worker and dev probe the store and refuse before they open the database
        assertThatThrownBy(() -> new dev.stowage.Stowage(cfg, rgw.credentials()).close())
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .startsWith("bucket_settings.required: encryption is required, but ceph cannot hold it"));
        // a maintenance command does not probe, but the recorded profile still cannot hold the setting
        assertThatThrownBy(() -> new dev.stowage.Stowage(cfg, rgw.credentials(), false).close())
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .startsWith("bucket_settings.required: encryption is required, but ceph cannot hold it"));
    }
}

package dev.stowage.iam;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import dev.stowage.iam.IamPolicies.Grant;
import dev.stowage.iam.RecordingInterceptor.RoleCredentials;
import dev.stowage.buckets.BucketKind;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.storage.Capability;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestClamd;
import dev.stowage.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code stowage iam-policy} grants each role exactly what its code does: an API process and a worker
 * process, each with its own credentials, run the real flows against Ceph RGW (single and multipart
 * uploads, cancel, verification with the pending tag, rejection, quarantine by a real clamd, variants
 * and the on-demand fallback, the reconciler's expiry, downloads, retention deletion, restore and purge);
 * a recording SDK interceptor collects every S3 operation each made (presigned ones included), and the
 * IAM actions those need must equal the role's policy.
 */
class IamPolicyIT {
    static final String EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    static Set<Grant> recorded(String role, StowageConfig c, boolean tags) {
        Set<Grant> out = new TreeSet<>();
        for (var call : RecordingInterceptor.of(role)) {
            BucketKind b = BucketKind.of(c.storage().buckets(), call.bucket());
            assertThat(b).as("a configured bucket in %s", call).isNotNull();
            BucketKind src = call.sourceBucket() == null ? null : BucketKind.of(c.storage().buckets(), call.sourceBucket());
            if (call.operation().equals("CopyObject")) assertThat(src).as("the source bucket of %s", call).isNotNull();
            var g = IamPolicies.forOperation(call.operation(), b, src, call.versioned(), call.tagging() && tags);
            assertThat(g).as("a mapping for %s", call).isNotEmpty();
            out.addAll(g);
        }
        return out;
    }

    static JsonNode upload(Harness.Resp init, byte[] bytes) {
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        return init.json();
    }

    @Test
    void eachRolesPolicyAllowsExactlyTheS3ActionsItsCodeCalls() throws Exception {
        var rgw = TestServers.rgw();
        var clamd = TestClamd.clamd();
        var env = new HashMap<String, String>();
        env.put("STORAGE_PROVIDER", "ceph");
        env.put("S3_ENDPOINT", rgw.endpoint().toString());
        env.put("STOWAGE_CLAMD_HOST", clamd.host());
        env.put("STOWAGE_CLAMD_PORT", Integer.toString(clamd.port()));
        StowageConfig base = TestServers.embeddedConfig(env);
        var u = base.uploads();
        StowageConfig config = base
                .withUploads(new StowageConfig.Uploads(u.maxSizeBytes(), 5L << 20, 5L << 20, u.urlTtl(), u.sessionTtl(), u.downloadUrlTtl(),
                        u.allowedTypes(), u.quotas(), Duration.ofHours(1)))
                .withScanner(new StowageConfig.Scanner(clamd.host(), clamd.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(30)))
                .withRetention(new StowageConfig.Retention(Duration.ofDays(365), List.of("premium"), Duration.ofDays(30), Duration.ZERO, 100))
                .withBackup(new StowageConfig.Backup(Duration.ZERO, "stowage/"))
                // cost snapshots list (the fallback the policies must allow): RGW's bucket stats, which the test
                // user may read, are a capability of the RGW user, outside S3 policies
                .withCosts(base.costs().withStoreSize("listing"));
        try (var admin = dev.stowage.storage.S3Clients.create(config.storage(), rgw.credentials())) {
            new BucketPlanner(new dev.stowage.storage.S3ObjectStore(admin), config).apply();
        }
        RecordingInterceptor.CALLS.removeIf(c -> c.role().equals("api") || c.role().equals("worker"));
        try (Stowage api = new Stowage(config, new RoleCredentials("api", rgw.credentials())).startApi(null);
             Stowage worker = new Stowage(config, new RoleCredentials("worker", rgw.credentials())).startWorker(2)) {
            String base2 = "http://127.0.0.1:" + api.api().port();
            var h = new Client(base2);

            assertThat(h.call("GET", "/health/ready", null, null).status()).isEqualTo(200);
            // a text file, single PUT with the pending tag signed in
            var text = upload(h.call("POST", "/v1/uploads", "erin", Map.of("filename", "a.txt", "size", 6, "contentType", "text/plain")), "hello\n".getBytes());
            h.call("POST", "/v1/uploads/" + text.path("fileId").asText() + "/complete", "erin", null);
            // an image
            byte[] png = Files.readAllBytes(TestServers.fixture("images/special/exiftool_PNG.png"));
            var image = upload(h.call("POST", "/v1/uploads", "erin", Map.of("filename", "p.png", "size", png.length, "contentType", "image/png")), png);
            h.call("POST", "/v1/uploads/" + image.path("fileId").asText() + "/complete", "erin", null);
            // a multipart upload in two parts
            byte[] big = new byte[(6 << 20)];
            java.util.Arrays.fill(big, (byte) 'x');
            var mp = h.call("POST", "/v1/uploads", "erin", Map.of("filename", "big.txt", "size", big.length, "contentType", "text/plain")).json();
            String mpId = mp.path("fileId").asText();
            var parts = h.call("POST", "/v1/uploads/" + mpId + "/parts", "erin", Harness.parts(big, 5 << 20, 1, 2)).json().path("parts");
            for (JsonNode p : parts) {
                int n = p.path("partNumber").asInt();
                byte[] slice = java.util.Arrays.copyOfRange(big, (n - 1) * (5 << 20), Math.min(big.length, n * (5 << 20)));
                assertThat(Harness.put(p.path("url").asText(), p.path("headers"), slice).statusCode()).isEqualTo(200);
            }
            assertThat(h.call("POST", "/v1/uploads/" + mpId + "/complete", "erin", null).status()).isEqualTo(202);
            // a cancelled multipart upload, and one left to expire
            var cancelled = h.call("POST", "/v1/uploads", "erin", Map.of("filename", "c.txt", "size", big.length, "contentType", "text/plain")).json();
            assertThat(h.call("DELETE", "/v1/uploads/" + cancelled.path("fileId").asText(), "erin", null).status()).isEqualTo(204);
            var abandoned = h.call("POST", "/v1/uploads", "erin", Map.of("filename", "d.txt", "size", big.length, "contentType", "text/plain")).json();
            // a type mismatch (rejected, object deleted) and malware (quarantined by copy)
            var liar = upload(h.call("POST", "/v1/uploads", "erin", Map.of("filename", "l.txt", "size", png.length, "contentType", "text/plain")), png);
            h.call("POST", "/v1/uploads/" + liar.path("fileId").asText() + "/complete", "erin", null);
            byte[] eicar = EICAR.getBytes(StandardCharsets.US_ASCII);
            var mal = upload(h.call("POST", "/v1/uploads", "erin", Map.of("filename", "m.txt", "size", eicar.length, "contentType", "text/plain")), eicar);
            h.call("POST", "/v1/uploads/" + mal.path("fileId").asText() + "/complete", "erin", null);

            assertThat(h.settled(text.path("fileId").asText())).isEqualTo("ready");
            assertThat(h.settled(mpId)).isEqualTo("ready");
            assertThat(h.settled(liar.path("fileId").asText())).isEqualTo("rejected");
            assertThat(h.settled(mal.path("fileId").asText())).isEqualTo("quarantined");
            String img = image.path("fileId").asText();
            assertThat(h.settled(img)).isEqualTo("ready");
            UUID imgId = UUID.fromString(img);
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!"ready".equals(h.call("GET", "/v1/files/" + img, "erin", null).json().path("variantsStatus").asText()) && System.nanoTime() < end) Thread.sleep(200);

            // downloads: presigned GETs of the raw text and the image's stripped original
            assertThat(h.call("GET", "/v1/files/" + text.path("fileId").asText() + "/content", "erin", null).status()).isEqualTo(302);
            assertThat(h.call("GET", "/v1/files/" + img + "/content", "erin", null).status()).isEqualTo(302);
            assertThat(h.call("GET", "/v1/files/" + img + "/variants/thumb", "erin", null).status()).isEqualTo(302);
            // the on-demand fallback: a missing variant is made by the API, a stale one replaced (its old object removed)
            api.files().jdbi().useHandle(x -> x.execute("delete from variants where file_id = ? and name = 'thumb'", imgId));
            api.files().jdbi().useHandle(x -> x.execute("update variants set recipe_digest = '000000000000', object_key = 'erin/old/medium.webp' where file_id = ? and name = 'medium'", imgId));
            assertThat(h.call("GET", "/v1/files/" + img + "/variants/thumb", "erin", null).status()).isEqualTo(200);
            assertThat(h.call("GET", "/v1/files/" + img + "/variants/medium", "erin", null).status()).isEqualTo(200);

            // the reconciler expires the abandoned multipart upload
            worker.files().jdbi().useHandle(x -> x.execute("update upload_sessions set expires_at = now() - interval '1 second', created_at = now() - interval '2 days' where file_id = ?",
                    UUID.fromString(abandoned.path("fileId").asText())));
            assertThat(worker.reconciler().run(Duration.ofSeconds(30), Duration.ofMinutes(5)).expired()).isEqualTo(1);

            // an administrator's cost snapshot through the API lists every bucket (the worker's scheduled one did too)
            String adminToken = new dev.stowage.security.DevTokens(Harness.SECRET).issue("root", "free", List.of("admin"), Duration.ofMinutes(5));
            var snapshot = HTTP.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/admin/costs/snapshot")).header("Authorization", "Bearer " + adminToken)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(snapshot.statusCode()).as(snapshot.body()).isEqualTo(200);

            // the leftovers monitor lists multipart uploads and versions where the rules remove them (the worker's scheduled pass did too)
            worker.leftovers().run();

            // retention deletes the old text and image, the API restores the text, the worker purges the image
            worker.files().jdbi().useHandle(x -> x.execute("update files set created_at = now() - interval '400 days' where id in (?, ?)",
                    UUID.fromString(text.path("fileId").asText()), imgId));
            assertThat(worker.retention().run(false).withAction("deleted")).hasSize(2);
            assertThat(h.call("POST", "/v1/files/" + text.path("fileId").asText() + "/restore", "erin", null).status()).isEqualTo(200);
            worker.files().jdbi().useHandle(x -> x.execute("update files set deleted_at = now() - interval '31 days' where id = ?", imgId));
            assertThat(worker.retention().run(false).withAction("purged")).hasSize(1);
        }

        var profile = dev.stowage.storage.ProviderProfile.of(config.storage().provider());
        boolean tags = profile.has(Capability.OBJECT_TAGGING);
        for (Role role : List.of(Role.API, Role.WORKER)) {
            Set<Grant> want = IamPolicies.grants(role, config, profile);
            Set<Grant> did = recorded(role.id(), config, tags);
            System.out.println(role.id() + " did: " + did);
            assertThat(did).as("the S3 actions the %s code performed are those its policy allows", role.id()).isEqualTo(want);
        }
        // and the printed policy is those grants on the configured bucket names
        String policy = IamPolicies.policy(Role.WORKER, config, profile);
        assertThat(policy).contains("\"Resource\" : \"arn:aws:s3:::" + config.storage().buckets().raw() + "/*\"", "s3:DeleteObjectVersion")
                
                // the backups bucket is only listed (cost snapshots): no object in it is read or written by workers without scheduled backups
                .doesNotContain("arn:aws:s3:::" + config.storage().buckets().backups() + "/*");
    }

    /** A JSON client with tokens, like {@link Harness}, for a server the test started itself. */
    record Client(String base) {
        Harness.Resp call(String method, String path, String user, Object body) {
            try {
                var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
                if (user != null) b.header("Authorization", "Bearer " + Harness.token(user, "free"));
                if (body == null) b.method(method, HttpRequest.BodyPublishers.noBody());
                else b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(Harness.JSON.writeValueAsString(body)));
                HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
                JsonNode j = null;
                try {
                    if (!r.body().isBlank()) j = Harness.JSON.readTree(r.body());
                } catch (Exception ignored) {
                    // not JSON
                }
                return new Harness.Resp(r.statusCode(), j, r);
            } catch (Exception e) {
                throw new AssertionError(method + " " + path + ": " + e, e);
            }
        }

        String settled(String id) throws InterruptedException {
            long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            String st = null;
            while (System.nanoTime() < end) {
                st = call("GET", "/v1/files/" + id, "erin", null).json().path("status").asText();
                if (!List.of("pending", "uploaded", "verifying", "scanning").contains(st)) return st;
                Thread.sleep(200);
            }
            throw new AssertionError("file " + id + " did not settle: " + st);
        }
    }

    @Test
    void theBackupRolesPolicyAllowsExactlyWhatBackupRunListAndRestoreCall() throws Exception {
        var rgw = TestServers.rgw();
        var env = new HashMap<String, String>();
        env.put("STORAGE_PROVIDER", "ceph");
        env.put("S3_ENDPOINT", rgw.endpoint().toString());
        StowageConfig config = TestServers.embeddedConfig(env);
        try (var admin = dev.stowage.storage.S3Clients.create(config.storage(), rgw.credentials())) {
            new BucketPlanner(new dev.stowage.storage.S3ObjectStore(admin), config).apply();
        }
        RecordingInterceptor.CALLS.removeIf(c -> c.role().equals("backup"));
        try (Stowage s = new Stowage(config, new RoleCredentials("backup", rgw.credentials()))) {
            var made = s.backup().run();
            assertThat(s.backup().list()).extracting(b -> b.key()).contains(made.key());
            var target = new org.postgresql.ds.PGSimpleDataSource();
            target.setUrl(TestServers.newDatabase());
            target.setUser("postgres");
            assertThat(s.backup().restore("latest", target)).isEqualTo(made.rows());
        }
        var profile = dev.stowage.storage.ProviderProfile.of(config.storage().provider());
        Set<Grant> did = recorded("backup", config, profile.has(Capability.OBJECT_TAGGING));
        System.out.println("backup did: " + did);
        assertThat(did).isEqualTo(IamPolicies.grants(Role.BACKUP, config, profile));
    }
    @Test
    void theMigratorRolesPolicyAllowsWhatMigrateRunAndVerifyCall() throws Exception {
        StowageConfig config = TestServers.rgwConfig(Map.of())
                .withMigration(new StowageConfig.Migration(List.of(), 2, 5L << 20, 5L << 20, 2, 30));
        try (var admin = dev.stowage.storage.S3Clients.create(config.storage(), TestServers.rgw().credentials())) {
            new BucketPlanner(new dev.stowage.storage.S3ObjectStore(admin), config).apply();
        }
        java.nio.file.Path tree = Files.createTempDirectory("legacy");
        Files.createDirectories(tree.resolve("7"));
        Files.write(tree.resolve("7/small.txt"), "a small legacy file".getBytes(StandardCharsets.UTF_8));
        byte[] big = new byte[6 << 20];
        new java.util.Random(7).nextBytes(big);
        Files.write(tree.resolve("7/big.bin"), big);
        Files.write(tree.resolve("7/restless.txt"), "changes after every copy".getBytes(StandardCharsets.UTF_8));
        RecordingInterceptor.CALLS.removeIf(c -> c.role().equals("migrator"));
        try (Stowage s = new Stowage(config, new RoleCredentials("migrator", TestServers.rgw().credentials()))) {
            // a file that changes after each of its copies fails, and what its attempts stored is removed
            s.migration().hook((item, file, attempt) -> {
                if (!file.getFileName().toString().equals("restless.txt")) return;
                try {
                    Files.writeString(file, "changed again " + attempt);
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            });
            var summary = s.migration().run(new dev.stowage.migration.MigrationService.Options(tree, 2, null, false),
                    dev.stowage.migration.Progress.none());
            assertThat(summary.copiedFiles()).isEqualTo(2);
            assertThat(summary.failed()).isEqualTo(1);
            var report = new dev.stowage.migration.MigrationVerifier(s.store(), s.migration().journal(), config).verify(summary.run(), true, 2);
            assertThat(report.matched()).isEqualTo(2L);
        }
        var profile = dev.stowage.storage.ProviderProfile.of(config.storage().provider());
        Set<Grant> did = recorded("migrator", config, profile.has(Capability.OBJECT_TAGGING));
        System.out.println("migrator did: " + did);
        Set<Grant> allowed = IamPolicies.grants(Role.MIGRATOR, config, profile);
        assertThat(allowed).containsAll(did);
        // the failed copy's removal and the big file's SHA-256 tag (set, then read back by the check and verify)
        assertThat(did.stream().map(Grant::action).toList()).contains("s3:DeleteObject", "s3:PutObjectTagging", "s3:GetObjectTagging");
    }
}

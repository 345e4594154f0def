package dev.stowage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code stowage} command line as a user runs it: a separate JVM, its output and exit code. Commands whose
 * point is what they print and return share one JVM ({@link dev.stowage.testing.CliBatch}); each test still
 * launches the process on its own for the exit of the JVM itself.
 */
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

    /** Runs commands in one JVM ({@link dev.stowage.testing.StowageProcess#runEach}), each with its own output and exit code. */
    List<Result> runEach(Map<String, String> env, List<String[]> commands) throws Exception {
        return dev.stowage.testing.StowageProcess.runEach(dir, env, 300, commands).stream().map(r -> new Result(r.exit(), r.out(), r.err())).toList();
    }

    @Test
    void usageErrorsAndHelp() throws Exception {
        // the process itself ends with the code: 2 for a usage error, 0 for the version
        Result unknown = run(Map.of(), "serve", "--no-such-flag");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("stowage: Unknown option: '--no-such-flag'").doesNotContain("\tat ");
        Result version = run(Map.of(), "version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("stowage ").contains("java 25");

        // the rest is about what each command says and returns: one JVM for them all, one output and code each
        Path aFile = Files.writeString(dir.resolve("a-file"), "x");
        Path tree = Files.createDirectories(dir.resolve("tree/1001"));
        List<String[]> commands = new java.util.ArrayList<>();
        String[][] helps = {{"serve"}, {"worker"}, {"dev"}, {"buckets"}, {"version"},
                {"audit"}, {"iam-policy"}, {"retention", "run"}, {"backup", "run"}, {"backup", "restore"}};
        for (String[] c : helps) commands.add(java.util.stream.Stream.concat(java.util.Arrays.stream(c), java.util.stream.Stream.of("--help")).toArray(String[]::new));
        int first = commands.size();
        commands.add(new String[] {"iam-policy", "--role", "admin"});
        commands.add(new String[] {"migrate", "run", "--source", dir.resolve("nowhere").toString()});
        commands.add(new String[] {"migrate", "run", "--source", aFile.toString()});
        commands.add(new String[] {"migrate", "run", "--source", ""});
        commands.add(new String[] {"migrate", "run", "--source", tree.getParent().toString(), "--users", "1001,9999", "--dry-run"});
        commands.add(new String[] {"migrate", "run", "--source", tree.getParent().toString(), "--users", "1001", "--dry-run"});
        commands.add(new String[] {"migrate", "verify", "--concurrency", "0"});
        commands.add(new String[] {"audit", "--format", "xml"});
        commands.add(new String[] {"buckets", "plan", "--help"});
        commands.add(new String[] {"worker", "--threads", "0"});
        commands.add(new String[] {"dev", "--port", "70000"});
        commands.add(new String[] {"images", "reprocess"});
        commands.add(new String[] {"files", "rescan", "report.docx"});
        commands.add(new String[] {"files", "rescan"});
        commands.add(new String[] {"buckets", "plan", "-V"});
        List<Result> results = runEach(Map.of(), commands);
        for (int i = 0; i < helps.length; i++) {
            String c = String.join(" ", helps[i]);
            assertThat(results.get(i).exit()).as(c + " --help").isZero();
            assertThat(results.get(i).out()).as(c + " --help").startsWith("Usage: stowage " + c);
        }
        var it = results.subList(first, results.size()).iterator();
        Result role = it.next();
        assertThat(role.exit()).isEqualTo(2);
        assertThat(role.err()).contains("'admin' is not a role (expected api | worker | migrator | backup)");
        Result noSource = it.next();
        assertThat(noSource.exit()).isEqualTo(2);
        assertThat(noSource.err()).contains("--source: ").contains("does not exist").doesNotContain("Exception");
        Result fileSource = it.next();
        assertThat(fileSource.exit()).isEqualTo(2);
        assertThat(fileSource.err()).contains("is not a folder");
        Result emptySource = it.next();
        assertThat(emptySource.exit()).as("an empty --source is not the working folder").isEqualTo(2);
        assertThat(emptySource.err()).contains("--source: empty");
        Result unknownUser = it.next();
        assertThat(unknownUser.exit()).as("a mistyped user id is not a silent success").isEqualTo(2);
        assertThat(unknownUser.err()).contains("--users: there is no folder ").contains("for user '9999'");
        Result knownUser = it.next();
        assertThat(knownUser.exit()).as(knownUser.err()).isZero();
        Result verifyThreads = it.next();
        assertThat(verifyThreads.exit()).isEqualTo(2);
        assertThat(verifyThreads.err()).contains("--concurrency must be 1 to 256, got 0");
        Result format = it.next();
        assertThat(format.exit()).isEqualTo(2);
        Result bucketsHelp = it.next();
        assertThat(bucketsHelp.out()).contains("--detailed-exitcode");
        Result threads = it.next();
        assertThat(threads.exit()).isEqualTo(2);
        assertThat(threads.err()).startsWith("stowage: --threads must be at least 1, got 0");
        Result port = it.next();
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.err()).startsWith("stowage: ports must be 0 to 65535, got 70000");
        Result reprocess = it.next();
        assertThat(reprocess.exit()).isEqualTo(2);
        assertThat(reprocess.err()).startsWith("stowage: give exactly one of --user ID and --all");
        Result rescan = it.next();
        assertThat(rescan.exit()).isEqualTo(1);
        assertThat(rescan.err()).startsWith("stowage: 'report.docx' is not a file id (a UUID)").doesNotContain("\tat ");
        Result rescanNoId = it.next();
        assertThat(rescanNoId.exit()).isEqualTo(2);
        Result subVersion = it.next();
        assertThat(subVersion.exit()).isZero();
        assertThat(subVersion.out()).startsWith("stowage ");

        Result policy = run(Map.of("STORAGE_PROVIDER", "aws", "STOWAGE_BUCKET_RAW", "acme-raw"), "iam-policy", "--role", "worker");
        assertThat(policy.exit()).as(policy.err()).isZero();
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(policy.out());
        assertThat(doc.path("Statement")).anySatisfy(st -> {
            assertThat(st.path("Resource").asText()).isEqualTo("arn:aws:s3:::acme-raw/*");
            assertThat(st.path("Action").toString()).contains("s3:PutObjectTagging", "s3:DeleteObjectVersion");
        });
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
            Path unreadable = Files.createDirectories(dir.resolve("unreadable-tree"));
            Files.setPosixFilePermissions(unreadable, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
            List<String> asUser = root
                    ? List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search", "--")
                    : List.of();
            var r = dev.stowage.testing.StowageProcess.run(dir, Map.of(), asUser, 120, "migrate", "run", "--source", unreadable.toString(), "--dry-run");
            assertThat(r.exit()).as("an unreadable --source is not an empty tree").isEqualTo(2);
            assertThat(r.err()).contains("--source: " + unreadable + " cannot be read: permission denied");
        }
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
        System.out.println("$ stowage buckets plan   # provider " + env.get("STORAGE_PROVIDER") + "\n" + plan.out());
        assertThat(plan.exit()).as(plan.err()).isEqualTo(2);
        assertThat(plan.out()).contains("  + bucket: create in us-east-1").endsWith(changes + " change(s) to apply.\n");
        // neither the embedded server nor RGW 16 holds default encryption: said, with what Stowage does instead
        assertThat(plan.out()).contains("  ! encryption: unsupported by " + env.get("STORAGE_PROVIDER") + ": ");
        // apply, plan again, apply again: one after another in one JVM
        var rest = runEach(env, List.of(new String[] {"buckets", "apply"}, new String[] {"buckets", "plan", "--detailed-exitcode"},
                new String[] {"buckets", "apply"}));
        Result apply = rest.get(0);
        System.out.println("$ stowage buckets apply\n" + apply.out());
        assertThat(apply.exit()).as(apply.err()).isZero();
        assertThat(apply.out()).endsWith("Applied " + changes + " change(s).\n");
        Result again = rest.get(1);
        System.out.println("$ stowage buckets plan\n" + again.out());
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).endsWith("No changes.\n").doesNotContain("  + ", "  ~ ", "  - ");
        Result applyAgain = rest.get(2);
        assertThat(applyAgain.out()).endsWith("Nothing to change.\n");
    }

    @Test
    void underCloudFrontDeliveryThePlanHoldsTheOriginAccessStatementAndPrintsTheDistributionSettings() throws Exception {
        var keys = java.security.KeyPairGenerator.getInstance("RSA");
        keys.initialize(2048);
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(keys.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Map<String, String> env = bucketEnv("embedded", TestServers.embeddedS3().toString(), TestServers.S3_KEY, TestServers.S3_SECRET);
        String arn = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE";
        env.put("STOWAGE_DELIVERY_MODE", "cloudfront");
        env.put("STOWAGE_CDN_BASE_URL", "https://cdn.example.com");
        env.put("STOWAGE_CLOUDFRONT_KEY_PAIR_ID", "K2JCJMDEHXQW5F");
        env.put("STOWAGE_CLOUDFRONT_PRIVATE_KEY", pem);
        env.put("STOWAGE_CLOUDFRONT_DISTRIBUTION_ARN", arn);
        Result plan = run(env, "buckets", "plan");
        assertThat(plan.exit()).as(plan.err()).isZero();
        // the processed bucket's policy wants the distribution's read statement (the embedded server cannot hold policies: listed as a gap)
        assertThat(plan.out()).contains("! policy cdn-origin: unsupported by embedded")
                .contains("CloudFront distribution for https://cdn.example.com")
                .contains("Origin Access Control").contains("K2JCJMDEHXQW5F").contains(dev.stowage.delivery.CloudFrontOrigin.SID);
        // without cloudfront delivery there is neither
        env.put("STOWAGE_DELIVERY_MODE", "presigned");
        Result presigned = run(env, "buckets", "plan");
        assertThat(presigned.out()).doesNotContain("cdn-origin").doesNotContain("CloudFront distribution");
    }

    @Test
    void bucketsPlanApplyPlanAgainstTheEmbeddedServer() throws Exception {
        planApplyPlan(bucketEnv("embedded", TestServers.embeddedS3().toString(), TestServers.S3_KEY, TestServers.S3_SECRET), 4);
    }

    @Test
    void bucketsPlanApplyPlanAgainstCeph() throws Exception {
        var rgw = TestServers.rgw();
        // buckets, versioning of raw and backups, lifecycle of all four, CORS of raw and processed
        planApplyPlan(bucketEnv("ceph", rgw.endpoint().toString(), rgw.accessKey(), rgw.secretKey()), 12);
    }

    /** (control, bucket-or-configuration, status) of every finding that is not a pass, from --format json. */
    private static java.util.List<String> notPassed(String json, Map<String, String> env) throws Exception {
        var out = new java.util.ArrayList<String>();
        for (var f : new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("findings")) {
            if (f.path("status").asText().equals("PASS")) continue;
            String res = f.path("resource").asText();
            for (var e : env.entrySet()) if (e.getKey().startsWith("STOWAGE_BUCKET_") && e.getValue().equals(res)) res = e.getKey().substring(15).toLowerCase();
            out.add(f.path("status").asText() + " " + f.path("control").asText() + " " + res);
        }
        return out;
    }

    @Test
    void auditFindsAMisconfiguredCephBucketAndAfterApplyOnlyProviderGapsRemain() throws Exception {
        var rgw = TestServers.rgw();
        Map<String, String> env = bucketEnv("ceph", rgw.endpoint().toString(), rgw.accessKey(), rgw.secretKey());
        env.put("STOWAGE_CLAMD_HOST", "clamd.internal");
        var storage = new dev.stowage.config.StowageConfig.Storage(dev.stowage.config.Provider.CEPH, rgw.endpoint(), "us-east-1", true,
                new dev.stowage.config.StowageConfig.Buckets(env.get("STOWAGE_BUCKET_RAW"), env.get("STOWAGE_BUCKET_PROCESSED"),
                        env.get("STOWAGE_BUCKET_BACKUPS"), env.get("STOWAGE_BUCKET_LOGS")),
                new dev.stowage.config.StowageConfig.Cors(java.util.List.of("https://app.example.com"), java.time.Duration.ofHours(1)));
        String raw = storage.buckets().raw();
        try (var s3 = dev.stowage.storage.S3Clients.create(storage, rgw.credentials())) {
            // deliberately misconfigured by hand: buckets without versioning or lifecycle; raw readable by anyone and open to any origin
            for (String b : storage.buckets().all()) s3.client().createBucket(r -> r.bucket(b));
            s3.client().putBucketPolicy(r -> r.bucket(raw).policy("""
                    {"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
                      "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/*"]}]}""".formatted(raw)));
            s3.client().putBucketCors(r -> r.bucket(raw).corsConfiguration(c -> c.corsRules(
                    software.amazon.awssdk.services.s3.model.CORSRule.builder().allowedOrigins("*").allowedMethods("GET", "PUT").build())));
        }
        Result before = run(env, "audit");
        System.out.println("$ stowage audit   # before apply\n" + before.out());
        assertThat(before.exit()).as(before.err()).isEqualTo(3);
        // the other formats, apply and the audits after it: one after another in one JVM
        var rest = runEach(env, List.of(new String[] {"audit", "--format", "json"}, new String[] {"audit", "--format", "sarif"},
                new String[] {"buckets", "apply"}, new String[] {"audit"}, new String[] {"audit", "--format", "json"}));
        Result beforeJson = rest.get(0);
        assertThat(notPassed(beforeJson.out(), env)).containsExactlyInAnyOrder(
                "FAIL S3.2 raw", "FAIL STOWAGE.1 raw", "FAIL S3.14 raw", "FAIL S3.14 backups",
                "FAIL S3.13 raw", "FAIL S3.13 processed", "FAIL S3.13 backups", "FAIL S3.13 logs",
                // RGW 16 gaps: block public access not enforced, no default encryption, no access logging; TLS over plain HTTP
                "UNSUPPORTED S3.8 raw", "UNSUPPORTED S3.8 processed", "UNSUPPORTED S3.8 backups", "UNSUPPORTED S3.8 logs",
                "UNSUPPORTED S3.4 raw", "UNSUPPORTED S3.4 processed", "UNSUPPORTED S3.4 backups", "UNSUPPORTED S3.4 logs",
                "UNSUPPORTED S3.9 raw", "UNSUPPORTED S3.9 processed", "UNSUPPORTED S3.9 backups",
                "UNSUPPORTED S3.5 raw", "UNSUPPORTED S3.5 processed", "UNSUPPORTED S3.5 backups", "UNSUPPORTED S3.5 logs");
        assertThat(before.out()).contains("FAIL CRITICAL S3.2      " + raw + ": policy statement PublicRead allows [s3:GetObject] to everyone",
                "FAIL HIGH     STOWAGE.1 " + raw + ": a CORS rule allows origin '*' for [GET, PUT]",
                "FAIL MEDIUM   S3.14     " + raw + ": versioning is off: deleted files cannot be restored from the store",
                "GAP  -        S3.4      " + raw + ": unsupported by ceph: RGW 16 refuses PutBucketEncryption");

        Result sarif = rest.get(1);
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(sarif.out());
        assertThat(doc.path("version").asText()).isEqualTo("2.1.0");
        var results = doc.at("/runs/0/results");
        assertThat(results).anySatisfy(r -> {
            assertThat(r.path("ruleId").asText()).isEqualTo("S3.2");
            assertThat(r.path("kind").asText()).isEqualTo("fail");
            assertThat(r.path("level").asText()).isEqualTo("error");
            assertThat(r.at("/locations/0/logicalLocations/0/name").asText()).isEqualTo(raw);
        });
        assertThat(results).anySatisfy(r -> assertThat(r.path("kind").asText() + r.path("level").asText() + r.path("ruleId").asText()).isEqualTo("reviewnoneS3.4"));

        Result apply = rest.get(2);
        System.out.println("$ stowage buckets apply\n" + apply.out());
        assertThat(apply.exit()).as(apply.err()).isZero();
        assertThat(apply.out()).contains("  - policy: no policy wanted", "  ~ cors: origins [https://app.example.com]", "  + versioning: Enabled");
        Result after = rest.get(3);
        System.out.println("$ stowage audit   # after apply\n" + after.out());
        assertThat(after.exit()).as(after.err()).isZero();
        assertThat(after.out()).doesNotContain("FAIL ").contains("0 finding(s) (0 critical, 0 high, 0 medium, 0 low), 15 gap(s) unsupported by ceph");
        assertThat(notPassed(rest.get(4).out(), env)).allSatisfy(l -> assertThat(l).startsWith("UNSUPPORTED "));
    }
}

package dev.stowage.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path f = dir.resolve("stowage.yaml");
        Files.writeString(f, text);
        return f;
    }

    private static final String GOOD = """
            http:
              port: 9090
              public_url: https://files.example.com
            storage:
              provider: ceph
              endpoint: http://rgw.internal:7480
              buckets:
                raw: acme-raw
              cors:
                allowed_origins: [https://app.example.com, "http://localhost:3000"]
            database:
              url: jdbc:postgresql://db:5432/stowage
              max_pool_size: 20
            auth:
              jwt_secret: 0123456789abcdef0123456789abcdef
            scanner:
              clamd_host: clamd.internal
            """;

    @Test
    void goodFileLoadsWithDefaultsForWhatItOmits() throws Exception {
        StowageConfig c = ConfigLoader.load(yaml(GOOD), Map.of(), Mode.PRODUCTION);
        assertThat(c.http().port()).isEqualTo(9090);
        assertThat(c.storage().provider()).isEqualTo(Provider.CEPH);
        assertThat(c.storage().pathStyle()).isTrue();
        assertThat(c.storage().region()).isEqualTo("us-east-1");
        assertThat(c.storage().buckets()).isEqualTo(new StowageConfig.Buckets("acme-raw", "uploads-processed", "system-backups", "access-logs"));
        assertThat(c.storage().cors().allowedOrigins()).containsExactly("https://app.example.com", "http://localhost:3000");
        assertThat(c.database().maxPoolSize()).isEqualTo(20);
    }

    @Test
    void theScannersLimitsPolicyAndGiveUpTimeAreReadWithSafeDefaults() throws Exception {
        var d = ConfigLoader.load(yaml(GOOD), Map.of(), Mode.PRODUCTION).scanner();
        assertThat(d.onLimits()).isEqualTo(StowageConfig.Scanner.OnLimits.REJECT);
        assertThat(d.giveUpAfter()).isEqualTo(java.time.Duration.ofHours(24));
        var c = ConfigLoader.load(yaml(GOOD + "  on_limits: hold\n  give_up_after_seconds: 600\n"), Map.of(), Mode.PRODUCTION).scanner();
        assertThat(c.onLimits()).isEqualTo(StowageConfig.Scanner.OnLimits.HOLD);
        assertThat(c.giveUpAfter()).isEqualTo(java.time.Duration.ofMinutes(10));
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD + "  on_limits: quarantine\n  give_up_after_seconds: -1\n"), Map.of(), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("scanner.on_limits: must be reject or hold, was 'quarantine'"))
                        .anySatisfy(p -> assertThat(p).startsWith("scanner.give_up_after_seconds")));
    }

    @Test
    void thePoolerModeIsReadFromFileOrEnvironmentAndAnUnknownOneIsRefused() throws Exception {
        assertThat(ConfigLoader.load(yaml(GOOD), Map.of(), Mode.PRODUCTION).database().pooler()).isEqualTo(StowageConfig.Pooler.NONE);
        StowageConfig c = ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_DATABASE_POOLER", "Transaction"), Mode.PRODUCTION);
        assertThat(c.database().pooler()).isEqualTo(StowageConfig.Pooler.TRANSACTION);
        // migrate raises the pool size: the mode stays
        assertThat(c.database().withMaxPoolSize(40).pooler()).isEqualTo(StowageConfig.Pooler.TRANSACTION);
        assertThat(c.database().withMaxPoolSize(40).maxPoolSize()).isEqualTo(40);
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_DATABASE_POOLER", "session"), Mode.PRODUCTION))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("database.pooler").hasMessageContaining("'session' is not a pooler mode (expected none or transaction");
    }

    @Test
    void theMigrationClaimLeaseHasBounds() throws Exception {
        assertThat(ConfigLoader.load(yaml(GOOD), Map.of(), Mode.PRODUCTION).migration().claimLeaseSeconds()).isEqualTo(30);
        assertThat(ConfigLoader.fromTree(new java.util.HashMap<>(Map.of("migration", new java.util.HashMap<>(Map.of("claim_lease_seconds", 5)))),
                Map.of(), Mode.DEV).migration().claimLeaseSeconds()).isEqualTo(5);
        assertThatThrownBy(() -> ConfigLoader.fromTree(new java.util.HashMap<>(Map.of("migration", new java.util.HashMap<>(Map.of("claim_lease_seconds", 1)))),
                Map.of(), Mode.DEV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("migration.claim_lease_seconds");
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        StowageConfig c = ConfigLoader.load(yaml(GOOD), Map.of(
                "STORAGE_PROVIDER", "minio",
                "S3_ENDPOINT", "http://minio:9000",
                "STOWAGE_HTTP_PORT", "7000",
                "STOWAGE_BUCKET_RAW", "env-raw",
                "STOWAGE_CORS_ORIGINS", "https://a.example.com, https://b.example.com",
                "AWS_REGION", "eu-west-1"), Mode.PRODUCTION);
        assertThat(c.storage().provider()).isEqualTo(Provider.MINIO);
        assertThat(c.storage().endpoint()).hasToString("http://minio:9000");
        assertThat(c.http().port()).isEqualTo(7000);
        assertThat(c.storage().buckets().raw()).isEqualTo("env-raw");
        assertThat(c.storage().cors().allowedOrigins()).containsExactly("https://a.example.com", "https://b.example.com");
        assertThat(c.storage().region()).isEqualTo("eu-west-1");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsKey() throws Exception {
        Path f = yaml("""
                http:
                  port: 99999
                storage:
                  provider: gcs
                  buckets:
                    raw: Bad_Bucket
                    processed: uploads-processed
                  cors:
                    allowed_origins: ["*", "https://ok.example.com/path"]
                  secret_access_key: abc
                database:
                  url: mysql://db
                auth:
                  jwt_secret: short
                strage:
                  provider: aws
                """);
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("http.port: 99999 is out of range"))
                        .anySatisfy(p -> assertThat(p).startsWith("storage.provider: 'gcs' is not a provider"))
                        .anySatisfy(p -> assertThat(p).startsWith("storage.buckets.raw: 'Bad_Bucket' is not a valid bucket name"))
                        .anySatisfy(p -> assertThat(p).startsWith("storage.cors.allowed_origins: wildcard origin '*' is refused outside dev"))
                        .anySatisfy(p -> assertThat(p).startsWith("storage.cors.allowed_origins: 'https://ok.example.com/path' is not an origin"))
                        .anySatisfy(p -> assertThat(p).startsWith("storage.secret_access_key: credentials do not belong in stowage.yaml"))
                        .anySatisfy(p -> assertThat(p).startsWith("database.url: 'mysql://db' is not a PostgreSQL JDBC URL"))
                        .anySatisfy(p -> assertThat(p).startsWith("auth.jwt_secret: is too short"))
                        .anySatisfy(p -> assertThat(p).startsWith("strage: unknown key"))
                        .anySatisfy(p -> assertThat(p).startsWith("scanner.clamd_host: is required outside dev"))
                        .hasSize(10));
    }

    @Test
    void missingRequiredSettingsAreNamed() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "storage.provider: is required (expected aws | minio | r2 | ceph | embedded)",
                        "database.url: is required (a jdbc:postgresql:// URL, or STOWAGE_DATABASE_URL)",
                        "auth: set auth.jwt_secret (STOWAGE_JWT_SECRET) or auth.jwks_url (STOWAGE_JWKS_URL) so API callers can authenticate",
                        "scanner.clamd_host: is required outside dev (STOWAGE_CLAMD_HOST); set scanner.allow_unscanned: true to accept unscanned files knowingly"));
    }

    @Test
    void endpointRequiredForSelfHostedProvidersNotForAws() {
        var env = Map.of("STOWAGE_DATABASE_URL", "jdbc:postgresql://db/s", "STOWAGE_JWKS_URL", "https://idp.example.com/jwks",
                "STOWAGE_CLAMD_HOST", "clamd");
        for (String p : new String[] {"minio", "ceph", "r2"}) {
            var e2 = new java.util.HashMap<>(env);
            e2.put("STORAGE_PROVIDER", p);
            assertThatThrownBy(() -> ConfigLoader.load(null, e2, Mode.PRODUCTION))
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                            .containsExactly("storage.endpoint: is required for provider " + p + " (an http(s) URL, or S3_ENDPOINT)"));
        }
        var aws = new java.util.HashMap<>(env);
        aws.put("STORAGE_PROVIDER", "aws");
        StowageConfig c = ConfigLoader.load(null, aws, Mode.PRODUCTION);
        assertThat(c.storage().endpoint()).isNull();
        assertThat(c.storage().pathStyle()).isFalse();
    }

    @Test
    void snsDeliveryNeedsTopicsAndTheWebhookSecret() throws Exception {
        String topic = "arn:aws:sns:eu-west-1:123456789012:stowage-events";
        String secret = "events-secret-0123456789";
        assertThat(ConfigLoader.load(yaml(GOOD), Map.of(), Mode.PRODUCTION).events().sns()).isEqualTo(StowageConfig.Sns.DISABLED);
        var sns = ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_EVENTS_SECRET", secret, "STOWAGE_SNS_ENABLED", "true",
                "STOWAGE_SNS_TOPIC_ARNS", topic + ", arn:aws-cn:sns:cn-north-1:123456789012:other.fifo"), Mode.PRODUCTION).events().sns();
        assertThat(sns.enabled()).isTrue();
        assertThat(sns.topicArns()).containsExactly(topic, "arn:aws-cn:sns:cn-north-1:123456789012:other.fifo");
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_EVENTS_SECRET", secret, "STOWAGE_SNS_ENABLED", "true"), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .startsWith("events.sns.topic_arns").contains("is required when events.sns.enabled is true"));
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_SNS_ENABLED", "true", "STOWAGE_SNS_TOPIC_ARNS", topic), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .startsWith("events.sns.enabled").contains("needs events.webhook_secret"));
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_EVENTS_SECRET", secret, "STOWAGE_SNS_ENABLED", "true",
                "STOWAGE_SNS_TOPIC_ARNS", "arn:aws:s3:::a-bucket"), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .contains("'arn:aws:s3:::a-bucket' is not an SNS topic ARN"));
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_EVENTS_SECRET", secret, "STOWAGE_SNS_TOPIC_ARNS", topic), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .contains("is set but events.sns.enabled is not true"));
    }

    @Test
    void problemsFromEnvironmentNameTheVariable() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("STORAGE_PROVIDER", "s4", "STOWAGE_HTTP_PORT", "http"), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "http.port [from STOWAGE_HTTP_PORT]: 'http' is not a whole number (expected 0 to 65535)",
                        "storage.provider [from STORAGE_PROVIDER]: 's4' is not a provider (expected aws | minio | r2 | ceph | embedded)"));
    }

    @Test
    void theMetricsTokenComesFromTheEnvironmentOnlyAndIsLongEnough() throws Exception {
        String token = "m".repeat(32);
        assertThat(ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_METRICS_TOKEN", token), Mode.PRODUCTION).http().metricsToken()).isEqualTo(token);
        assertThat(ConfigLoader.load(yaml(GOOD), Map.of(), Mode.PRODUCTION).http().metricsToken()).isNull();
        assertThat(ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_METRICS_TOKEN", token), Mode.PRODUCTION).http().toString())
                .doesNotContain(token).contains("metricsToken=***");
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD), Map.of("STOWAGE_METRICS_TOKEN", "short"), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "http.metrics_token [from STOWAGE_METRICS_TOKEN]: must be at least 32 bytes of printable ASCII without spaces (e.g. openssl rand -hex 32)"));
        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD.replace("  public_url: https://files.example.com\n",
                        "  public_url: https://files.example.com\n  metrics_token: " + token + "\n")), Map.of(), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "http.metrics_token: a secret does not belong in stowage.yaml: set STOWAGE_METRICS_TOKEN"));
    }

    @Test
    void devModeNeedsNothingAndAllowsWildcardCors() {
        StowageConfig c = ConfigLoader.load(null, Map.of("STOWAGE_CORS_ORIGINS", "*"), Mode.DEV);
        assertThat(c.storage().provider()).isEqualTo(Provider.EMBEDDED);
        assertThat(c.database().url()).isNull();
        assertThat(c.storage().cors().allowedOrigins()).containsExactly("*");
    }

    @Test
    void devModeRefusesAnotherProvider() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("STORAGE_PROVIDER", "aws"), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems().getFirst())
                        .startsWith("storage.provider [from STORAGE_PROVIDER]: 'stowage dev' runs the embedded S3 server"));
    }

    @Test
    void aSectionGivenAValueAndTwoAuthMethodsAreNamed() {
        assertThatThrownBy(() -> ConfigLoader.fromTree(new java.util.HashMap<>(Map.of("http", 8080)),
                Map.of("STOWAGE_JWT_SECRET", "0123456789abcdef0123456789abcdef", "STOWAGE_JWKS_URL", "https://idp.example.com/jwks",
                        "S3_ENDPOINT", "127.0.0.1:9000"), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "storage.endpoint [from S3_ENDPOINT]: '127.0.0.1:9000' is not an http(s) URL (expected e.g. http://host:9000)",
                        "auth: set only one of auth.jwt_secret (STOWAGE_JWT_SECRET) and auth.jwks_url (STOWAGE_JWKS_URL)",
                        "http: expected a section of keys, got a single value (see stowage.example.yaml)"));
    }

    @Test
    void hostileFilesEndAsOneLine() throws Exception {
        Path deep = yaml("a: " + "[".repeat(5000) + "]".repeat(5000) + "\n");
        assertThatThrownBy(() -> ConfigLoader.load(deep, Map.of(), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString().contains("nested too deeply"));
        Path binary = dir.resolve("bin.yaml");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3});
        assertThatThrownBy(() -> ConfigLoader.load(binary, Map.of(), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString().endsWith("not a text file (expected UTF-8 YAML)"));
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of(), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString().endsWith("cannot read (it is a directory)"));
    }

    @Test
    void outOfRangeValuesAndEmptyListsAreRefused() {
        assertThatThrownBy(() -> ConfigLoader.fromTree(new java.util.HashMap<>(Map.of("http", new java.util.HashMap<>(Map.of("shutdown_grace_seconds", "9223372036854775807")))),
                Map.of("STOWAGE_CORS_ORIGINS", ",,,", "STOWAGE_HTTP_HOST", "not a host", "S3_ENDPOINT", "ftp://x", "STORAGE_PROVIDER", "minio"), Mode.PRODUCTION, true))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "http.host [from STOWAGE_HTTP_HOST]: 'not a host' is not a host name or IP address (expected e.g. 0.0.0.0 or 127.0.0.1)",
                        "http.shutdown_grace_seconds: '9223372036854775807' is not a number of seconds from 0 to 3600",
                        "storage.endpoint [from S3_ENDPOINT]: 'ftp://x' is not an http(s) URL (expected e.g. http://host:9000)",
                        "storage.cors.allowed_origins [from STOWAGE_CORS_ORIGINS]: lists no origin (browsers could not upload; list at least the origin of your web app)"));
    }

    @Test
    void duplicateBucketNamesAreRefused() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("STOWAGE_BUCKET_RAW", "same", "STOWAGE_BUCKET_LOGS", "same"), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .containsExactly("storage.buckets: bucket names must be distinct, got [same, uploads-processed, system-backups, same]"));
    }

    @Test
    void invalidYamlAndMissingFileAreOneLineEach() throws Exception {
        Path bad = yaml("storage: [unclosed\n");
        assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of(), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.problems()).hasSize(1);
                    assertThat(e.problems().getFirst()).contains("not valid YAML").doesNotContain("\n");
                });
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml"), Map.of(), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems().getFirst()).endsWith("nope.yaml: file not found"));
        Path list = yaml("- a\n- b\n");
        assertThatThrownBy(() -> ConfigLoader.load(list, Map.of(), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems().getFirst()).endsWith("expected a mapping of keys at the top level"));
    }

    @Test
    void leftoversSettingsAreReadAndBounded() throws Exception {
        StowageConfig c = ConfigLoader.load(yaml("costs:\n  leftovers:\n    interval_seconds: 0\n    max_pages: 3\n    page_size: 50\n    grace_hours: 0\n"),
                Map.of(), Mode.DEV);
        assertThat(c.costs().leftovers()).isEqualTo(new StowageConfig.Leftovers(java.time.Duration.ZERO, 3, 50, java.time.Duration.ZERO));
        assertThat(ConfigLoader.load(null, Map.of(), Mode.DEV).costs().leftovers()).isEqualTo(StowageConfig.Leftovers.DEFAULT);
        assertThatThrownBy(() -> ConfigLoader.load(yaml("costs:\n  leftovers:\n    interval_seconds: 30\n    page_size: 5000\n"), Map.of(), Mode.DEV))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("costs.leftovers.interval_seconds: 30 is too short"))
                        .anySatisfy(p -> assertThat(p).startsWith("costs.leftovers.page_size")));
    }

    @Test
    void theExampleFileIsValidAndDocumentsEveryKey() throws Exception {
        Path example = Path.of("stowage.example.yaml");
        StowageConfig c = ConfigLoader.load(example, Map.of(), Mode.DEV);
        assertThat(c.storage().buckets().raw()).isEqualTo("uploads-raw");
        assertThat(c.bucketSettings()).isEqualTo(StowageConfig.BucketSettings.DEFAULT);
        assertThat(c.retention()).isEqualTo(StowageConfig.Retention.DEFAULT);
        assertThat(c.backup()).isEqualTo(StowageConfig.Backup.DEFAULT);
        assertThat(c.audit()).isEqualTo(StowageConfig.Audit.DEFAULT);
        String text = Files.readString(example);
        for (String key : new String[] {"host:", "port:", "public_url:", "shutdown_grace_seconds:", "provider:", "endpoint:",
                "region:", "path_style:", "raw:", "processed:", "backups:", "logs:", "allowed_origins:", "max_age_seconds:",
                "url:", "user:", "password:", "max_pool_size:", "jwt_secret:", "jwks_url:", "issuer:", "audience:",
                "bucket_settings:", "encryption:", "block_public_access:", "access_logging:", "require_tls:", "versioning:",
                "transition_days:", "transition_storage_class:", "expire_days:", "temporary_expire_days:",
                "abort_incomplete_multipart_days:", "noncurrent_expire_days:", "remove_expired_delete_markers:",
                "retention:", "raw_max_age_days:", "premium_plans:", "restore_window_days:", "batch_size:",
                "backup:", "prefix:", "audit:", "max_upload_url_ttl_seconds:", "max_download_url_ttl_seconds:",
                "leftovers:", "max_pages:", "page_size:", "grace_hours:"}) {
            assertThat(text).as("example documents %s", key).contains(key);
        }
        for (String env : ConfigLoader.ENV_OVERRIDES.keySet()) {
            assertThat(text).as("example names %s", env).contains(env);
        }
    }

    @Test
    void bucketSettingsRetentionBackupAndAuditAreReadAndChecked() throws Exception {
        StowageConfig c = ConfigLoader.load(yaml(GOOD + """
                bucket_settings:
                  encryption: none
                  require_tls: false
                  raw:
                    transition_days: 60
                    transition_storage_class: glacier_ir
                    noncurrent_expire_days: 45
                  logs:
                    expire_days: 90
                retention:
                  raw_max_age_days: 730
                  premium_plans: [premium, enterprise]
                  restore_window_days: 45
                backup:
                  interval_seconds: 0
                audit:
                  max_download_url_ttl_seconds: 600
                """), Map.of(), Mode.PRODUCTION);
        var b = c.bucketSettings();
        assertThat(b.encrypt()).isFalse();
        assertThat(b.requireTls()).isFalse();
        assertThat(b.blockPublicAccess()).isTrue();
        assertThat(b.raw()).isEqualTo(new StowageConfig.BucketRules(true, 60, "GLACIER_IR", 0, 1, 7, 45, true));
        assertThat(b.logs().expireDays()).isEqualTo(90);
        assertThat(b.backups()).isEqualTo(StowageConfig.BucketRules.BACKUPS);
        assertThat(c.retention().rawMaxAge()).hasDays(730);
        assertThat(c.retention().isPremium("enterprise")).isTrue();
        assertThat(c.retention().isPremium("pro")).isFalse();
        assertThat(c.backup().interval()).isZero();
        assertThat(c.audit().maxDownloadUrlTtl()).hasSeconds(600);

        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD + """
                bucket_settings:
                  encryption: rot13
                  raw:
                    transition_storage_class: STANDARD
                    noncurrent_expire_days: 7
                  processed:
                    noncurrent_expire_days: 3
                    temporary_expire_days: 1
                  backups:
                    transition_days: 90
                    expire_days: 30
                backup:
                  prefix: /abs
                """), Map.of(), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "bucket_settings.encryption: 'rot13' is not an encryption setting (expected SSE-S3 | none)",
                        "bucket_settings.raw.transition_storage_class: 'STANDARD' is not a storage class to transition to (expected e.g. STANDARD_IA, GLACIER, DEEP_ARCHIVE)",
                        "bucket_settings.processed.noncurrent_expire_days: needs versioning: true (an unversioned bucket has no noncurrent versions)",
                        "bucket_settings.processed.temporary_expire_days: only the raw bucket holds temporary uploads (set 0)",
                        "bucket_settings.backups.expire_days: 30 is not after transition_days 90 (objects would expire before they move)",
                        "bucket_settings.raw.noncurrent_expire_days: 7 is shorter than retention.restore_window_days 30 (deleted files would be purged by the store before their restore window ends)",
                        "backup.prefix: '/abs' is not a key prefix (expected e.g. stowage/: letters, digits, . _ -, ending with /)"));
    }

    @Test
    void timeoutsDefaultToFailingFastAndRefuseWhatWouldHangOrCutLegitimateWork() throws Exception {
        StowageConfig c = ConfigLoader.load(yaml(GOOD), Map.of(), Mode.PRODUCTION);
        assertThat(c.database().connectionTimeout()).hasMillis(1500);
        assertThat(c.database().statementTimeout()).hasSeconds(15);
        assertThat(c.database().socketTimeout()).hasSeconds(30);
        assertThat(c.storage().timeouts()).isEqualTo(StowageConfig.StoreTimeouts.DEFAULT);
        assertThat(c.storage().timeouts().call()).hasMillis(1500);
        assertThat(c.storage().timeouts().smallBody()).as("a tag write's attempt: four times 1.5 s").hasSeconds(6);

        StowageConfig set = ConfigLoader.load(yaml(GOOD.replace("  max_pool_size: 20\n", """
                  max_pool_size: 20
                  connection_timeout_ms: 800
                  statement_timeout_seconds: 0
                  socket_timeout_seconds: 0
                """)), Map.of("STOWAGE_STORE_CALL_TIMEOUT_MS", "2500"), Mode.PRODUCTION);
        assertThat(set.database().connectionTimeout()).hasMillis(800);
        assertThat(set.database().statementTimeout()).isZero();
        assertThat(set.storage().timeouts().call()).hasMillis(2500);
        assertThat(set.storage().timeouts().smallBody()).as("four times the call's deadline").hasSeconds(10);

        assertThatThrownBy(() -> ConfigLoader.load(yaml(GOOD.replace("  max_pool_size: 20\n", """
                  max_pool_size: 20
                  connection_timeout_ms: 10
                  statement_timeout_seconds: 60
                  socket_timeout_seconds: 30
                """).replace("  cors:\n", """
                  timeouts:
                    socket_seconds: 0
                    max_attempts: 0
                  cors:
                """)), Map.of(), Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "database.connection_timeout_ms: '10' is not a number of milliseconds from 250 to 60000",
                        "database.socket_timeout_seconds: 30 must be longer than database.statement_timeout_seconds (60), or 0: the server cancels a slow statement before the driver drops the connection",
                        "storage.timeouts.socket_seconds: must be at least 1 (a silent store would hold a call forever)",
                        "storage.timeouts.max_attempts: 0 is out of range (expected 1 to 10)"));
    }
}

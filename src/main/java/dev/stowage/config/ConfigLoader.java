package dev.stowage.config;

import dev.stowage.config.StowageConfig.Mode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads {@code stowage.yaml}, applies environment-variable overrides and validates the result.
 *
 * <p>Precedence: environment variable &gt; YAML &gt; default. Every problem is collected and thrown
 * together as one {@link ConfigException}, one line per problem ({@code key: message}). Unknown keys
 * are problems too, so a typo never silently falls back to a default. Keys are {@code snake_case};
 * {@code stowage.example.yaml} documents each one.
 */
public final class ConfigLoader {

    /** Environment variable → dotted configuration key. Operators set these per environment. */
    public static final Map<String, String> ENV_OVERRIDES;

    static {
        var m = new LinkedHashMap<String, String>();
        m.put("STORAGE_PROVIDER", "storage.provider");
        m.put("S3_ENDPOINT", "storage.endpoint");
        m.put("AWS_REGION", "storage.region");
        m.put("STOWAGE_PATH_STYLE", "storage.path_style");
        m.put("STOWAGE_BUCKET_RAW", "storage.buckets.raw");
        m.put("STOWAGE_BUCKET_PROCESSED", "storage.buckets.processed");
        m.put("STOWAGE_BUCKET_BACKUPS", "storage.buckets.backups");
        m.put("STOWAGE_BUCKET_LOGS", "storage.buckets.logs");
        m.put("STOWAGE_CORS_ORIGINS", "storage.cors.allowed_origins");
        m.put("STOWAGE_DATABASE_URL", "database.url");
        m.put("STOWAGE_DATABASE_USER", "database.user");
        m.put("STOWAGE_DATABASE_PASSWORD", "database.password");
        m.put("STOWAGE_DATABASE_POOLER", "database.pooler");
        m.put("STOWAGE_DATABASE_CONNECTION_TIMEOUT_MS", "database.connection_timeout_ms");
        m.put("STOWAGE_DATABASE_STATEMENT_TIMEOUT_SECONDS", "database.statement_timeout_seconds");
        m.put("STOWAGE_STORE_CALL_TIMEOUT_MS", "storage.timeouts.call_ms");
        m.put("STOWAGE_STORE_PROBE", "storage.probe");
        m.put("STOWAGE_HTTP_HOST", "http.host");
        m.put("STOWAGE_HTTP_PORT", "http.port");
        m.put("STOWAGE_PUBLIC_URL", "http.public_url");
        m.put("STOWAGE_METRICS_TOKEN", "http.metrics_token");
        m.put("STOWAGE_JWT_SECRET", "auth.jwt_secret");
        m.put("STOWAGE_JWKS_URL", "auth.jwks_url");
        m.put("STOWAGE_CLAMD_HOST", "scanner.clamd_host");
        m.put("STOWAGE_CLAMD_PORT", "scanner.clamd_port");
        m.put("STOWAGE_ALLOW_UNSCANNED", "scanner.allow_unscanned");
        m.put("STOWAGE_EVENTS_SECRET", "events.webhook_secret");
        m.put("STOWAGE_SQS_QUEUE_URL", "events.sqs_queue_url");
        m.put("STOWAGE_SNS_ENABLED", "events.sns.enabled");
        m.put("STOWAGE_SNS_TOPIC_ARNS", "events.sns.topic_arns");
        m.put("STOWAGE_MAX_UPLOAD_BYTES", "uploads.max_size_bytes");
        m.put("STOWAGE_IMAGE_ENGINE", "images.engine");
        m.put("STOWAGE_DELIVERY_MODE", "delivery.mode");
        m.put("STOWAGE_CDN_BASE_URL", "delivery.cdn_base_url");
        m.put("STOWAGE_CLOUDFRONT_KEY_PAIR_ID", "delivery.cloudfront.key_pair_id");
        m.put("STOWAGE_CLOUDFRONT_KEY_GROUP_ID", "delivery.cloudfront.key_group_id");
        m.put("STOWAGE_CLOUDFRONT_PRIVATE_KEY", "delivery.cloudfront.private_key");
        m.put("STOWAGE_CLOUDFRONT_PRIVATE_KEY_FILE", "delivery.cloudfront.private_key_file");
        m.put("STOWAGE_CLOUDFRONT_DISTRIBUTION_ARN", "delivery.cloudfront.distribution_arn");
        m.put("STOWAGE_COSTS_PRICE_TABLE", "costs.price_table");
        m.put("STOWAGE_COSTS_WEBHOOK_URL", "costs.webhook_url");
        m.put("STOWAGE_COSTS_WEBHOOK_SECRET", "costs.webhook_secret");
        m.put("STOWAGE_VIPS_LIBRARY", "images.vips_library");
        ENV_OVERRIDES = Map.copyOf(m);
    }

    private static final Set<String> CREDENTIAL_KEYS = Set.of(
            "access_key", "access_key_id", "secret_key", "secret_access_key", "session_token", "credentials");
    private static final Pattern BUCKET = Pattern.compile("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");
    private static final Pattern IPV4 = Pattern.compile("^\\d+\\.\\d+\\.\\d+\\.\\d+$");
    /** An SNS topic ARN in any partition (aws, aws-cn, aws-us-gov). */
    private static final Pattern SNS_TOPIC_ARN = Pattern.compile("^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$");
    private static final Pattern ORIGIN = Pattern.compile("^https?://[A-Za-z0-9.-]+(:\\d{1,5})?$");

    /** {@code stowage dev}'s wait for a pooled connection and deadline of a short store call. */
    private static final long DEV_WAIT_MS = 10_000;

    private ConfigLoader() {}

    /**
     * Loads and validates a configuration.
     *
     * @param file the YAML file, or {@code null} to use defaults and the environment only
     * @param env  environment variables (usually {@code System.getenv()})
     * @param mode {@link Mode#DEV} for {@code stowage dev}, otherwise {@link Mode#PRODUCTION}
     * @return the validated configuration
     * @throws ConfigException with one line per problem when anything is wrong, including an unreadable
     *                         or unparsable file
     */
    public static StowageConfig load(Path file, Map<String, String> env, Mode mode) {
        return load(file, env, mode, false);
    }

    /**
     * Loads and validates a configuration, optionally only what talking to the object store needs
     * ({@code stowage buckets …}: no database or auth required; the provider defaults to
     * {@code embedded}, i.e. the running {@code stowage dev}).
     *
     * @param storageOnly whether only the storage section must be complete
     * @throws ConfigException as {@link #load(Path, Map, Mode)}
     */
    public static StowageConfig load(Path file, Map<String, String> env, Mode mode, boolean storageOnly) {
        Map<String, Object> tree = file == null ? new LinkedHashMap<>() : readYaml(file);
        return fromTree(tree, env, mode, storageOnly);
    }

    /**
     * Validates an already-parsed YAML tree (nested maps) with environment overrides.
     *
     * @throws ConfigException as {@link #load}
     */
    public static StowageConfig fromTree(Map<String, Object> tree, Map<String, String> env, Mode mode) {
        return fromTree(tree, env, mode, false);
    }

    static StowageConfig fromTree(Map<String, Object> tree, Map<String, String> env, Mode mode, boolean storageOnly) {
        var r = new Reader(tree, env);
        boolean dev = mode == Mode.DEV;

        // http
        // stowage dev hands out tokens without a login (POST /v1/dev/tokens): it listens on loopback unless told otherwise
        String host = r.string("http.host", dev ? "127.0.0.1" : "0.0.0.0");
        if (!host.matches("[A-Za-z0-9.:-]{1,253}")) {
            r.problem("http.host", "'" + host + "' is not a host name or IP address (expected e.g. 0.0.0.0 or 127.0.0.1)");
        }
        int port = r.integer("http.port", 8080, 0, 65535);
        URI publicUrl = r.url("http.public_url", "http://localhost:" + (port == 0 ? 8080 : port));
        Duration grace = r.duration("http.shutdown_grace_seconds", 30, 3600);
        String metricsToken = r.string("http.metrics_token", null);
        if (r.present("http.metrics_token")) {
            r.problem("http.metrics_token", "a secret does not belong in stowage.yaml: set STOWAGE_METRICS_TOKEN");
            metricsToken = null;
        } else if (metricsToken != null && (metricsToken.getBytes(StandardCharsets.UTF_8).length < 32 || !metricsToken.matches("[\\x21-\\x7e]+"))) {
            r.problem("http.metrics_token", "must be at least 32 bytes of printable ASCII without spaces (e.g. openssl rand -hex 32)");
            metricsToken = null;
        }

        // storage
        String providerRaw = r.string("storage.provider", dev || storageOnly ? "embedded" : null);
        Provider provider = null;
        if (providerRaw == null) {
            r.problem("storage.provider", "is required (expected " + Provider.choices() + ")");
        } else {
            provider = Provider.parse(providerRaw).orElse(null);
            if (provider == null) {
                r.problem("storage.provider", "'" + providerRaw + "' is not a provider (expected " + Provider.choices() + ")");
            }
        }
        if (dev && provider != null && provider != Provider.EMBEDDED) {
            r.problem("storage.provider", "'stowage dev' runs the embedded S3 server; got '" + provider.id()
                    + "' (use 'stowage serve' for " + provider.id() + ")");
        }
        URI endpoint = r.url("storage.endpoint", null);
        boolean embeddedDev = provider == Provider.EMBEDDED && (dev || storageOnly);
        if (endpoint == null && !r.reported("storage.endpoint") && provider != null && provider != Provider.AWS && !embeddedDev) {
            r.problem("storage.endpoint", "is required for provider " + provider.id()
                    + (provider == Provider.EMBEDDED ? " outside 'stowage dev'" : "") + " (an http(s) URL, or S3_ENDPOINT)");
        }
        String region = r.string("storage.region", provider == Provider.R2 ? "auto" : "us-east-1");
        if (region != null && !region.matches("[a-z0-9-]{2,32}")) {
            r.problem("storage.region", "'" + region + "' is not a region name (expected e.g. us-east-1)");
        }
        boolean pathStyle = r.bool("storage.path_style", provider != Provider.AWS);
        boolean probe = r.bool("storage.probe", true);
        String raw = r.bucket("storage.buckets.raw", "uploads-raw");
        String processed = r.bucket("storage.buckets.processed", "uploads-processed");
        String backups = r.bucket("storage.buckets.backups", "system-backups");
        String logs = r.bucket("storage.buckets.logs", "access-logs");
        var names = Arrays.asList(raw, processed, backups, logs);
        if (!names.contains(null) && new HashSet<>(names).size() != names.size()) {
            r.problem("storage.buckets", "bucket names must be distinct, got " + names);
        }
        List<String> origins = r.list("storage.cors.allowed_origins", List.of(publicUrl == null ? "http://localhost:8080" : stripSlash(publicUrl.toString())));
        if (origins.isEmpty()) {
            r.problem("storage.cors.allowed_origins", "lists no origin (browsers could not upload; list at least the origin of your web app)");
        }
        for (String o : origins) {
            if (o.equals("*")) {
                if (!dev && provider != Provider.EMBEDDED) r.problem("storage.cors.allowed_origins", "wildcard origin '*' is refused outside dev (list explicit origins such as https://app.example.com)");
            } else if (!ORIGIN.matcher(o).matches()) {
                r.problem("storage.cors.allowed_origins", "'" + o + "' is not an origin (expected scheme://host[:port], no path)");
            }
        }
        Duration corsMaxAge = r.duration("storage.cors.max_age_seconds", 3600, 86400);
        var td = StowageConfig.StoreTimeouts.DEFAULT;
        Duration storeConnect = r.millis("storage.timeouts.connect_ms", td.connect().toMillis(), 100, 60_000);
        // stowage dev: its servers run in the same JVM and never go away, but a cold JVM is slow on its first calls
        Duration storeCall = r.millis("storage.timeouts.call_ms", dev ? DEV_WAIT_MS : td.call().toMillis(), 250, 300_000);
        Duration storeSocket = r.duration("storage.timeouts.socket_seconds", td.socket().toSeconds(), 3600);
        if (storeSocket.isZero()) r.problem("storage.timeouts.socket_seconds", "must be at least 1 (a silent store would hold a call forever)");
        int storeAttempts = r.integer("storage.timeouts.max_attempts", td.maxAttempts(), 1, 10);
        for (String k : CREDENTIAL_KEYS) {
            if (r.present("storage." + k)) {
                r.consume("storage." + k);
                r.problem("storage." + k, "credentials do not belong in stowage.yaml: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or an instance role (the AWS SDK default provider chain)");
            }
        }

        // database
        String dbUrl = r.string("database.url", null);
        if (dbUrl == null && !dev && !storageOnly) {
            r.problem("database.url", "is required (a jdbc:postgresql:// URL, or STOWAGE_DATABASE_URL)");
        } else if (dbUrl != null && !dbUrl.startsWith("jdbc:postgresql://")) {
            r.problem("database.url", "'" + dbUrl + "' is not a PostgreSQL JDBC URL (expected jdbc:postgresql://host:port/db)");
        }
        String dbUser = r.string("database.user", null);
        String dbPassword = r.string("database.password", null);
        int pool = r.integer("database.max_pool_size", 10, 1, 500);
        String poolerRaw = r.string("database.pooler", "none");
        StowageConfig.Pooler pooler = StowageConfig.Pooler.NONE;
        switch (poolerRaw.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "none" -> pooler = StowageConfig.Pooler.NONE;
            case "transaction" -> pooler = StowageConfig.Pooler.TRANSACTION;
            default -> r.problem("database.pooler", "'" + poolerRaw + "' is not a pooler mode (expected none or transaction; "
                    + "a pooler in session mode is none)");
        }
        Duration dbWait = r.millis("database.connection_timeout_ms", dev ? DEV_WAIT_MS : StowageConfig.Database.DEFAULT_CONNECTION_TIMEOUT.toMillis(), 250, 60_000);
        Duration dbStatement = r.duration("database.statement_timeout_seconds", StowageConfig.Database.DEFAULT_STATEMENT_TIMEOUT.toSeconds(), 3600);
        Duration dbSocket = r.duration("database.socket_timeout_seconds", StowageConfig.Database.DEFAULT_SOCKET_TIMEOUT.toSeconds(), 3600);
        if (!dbSocket.isZero() && (dbStatement.isZero() || dbSocket.compareTo(dbStatement) <= 0)) {
            r.problem("database.socket_timeout_seconds", dbSocket.toSeconds() + " must be longer than database.statement_timeout_seconds ("
                    + dbStatement.toSeconds() + (dbStatement.isZero() ? ": none" : "") + "), or 0: the server cancels a slow statement before the driver drops the connection");
        }

        // auth
        String secret = r.string("auth.jwt_secret", null);
        URI jwks = r.url("auth.jwks_url", null);
        String issuer = r.string("auth.issuer", null);
        String audience = r.string("auth.audience", null);
        if (secret != null && secret.getBytes(StandardCharsets.UTF_8).length < 32) {
            r.problem("auth.jwt_secret", "is too short for HS256 (expected at least 32 bytes)");
        }
        if (secret != null && jwks != null) {
            r.problem("auth", "set only one of auth.jwt_secret (STOWAGE_JWT_SECRET) and auth.jwks_url (STOWAGE_JWKS_URL)");
        }
        if (!dev && !storageOnly && secret == null && jwks == null && !r.reported("auth.jwks_url") && !r.reported("auth.jwt_secret")) {
            r.problem("auth", "set auth.jwt_secret (STOWAGE_JWT_SECRET) or auth.jwks_url (STOWAGE_JWKS_URL) so API callers can authenticate");
        }

        // uploads
        var ud = StowageConfig.Uploads.DEFAULT;
        long maxSize = r.bytes("uploads.max_size_bytes", ud.maxSizeBytes(), 1, 5L << 40);
        long threshold = r.bytes("uploads.multipart_threshold_bytes", ud.multipartThresholdBytes(), 5L << 20, 5L << 30);
        long partSize = r.bytes("uploads.part_size_bytes", ud.partSizeBytes(), 5L << 20, 5L << 30);
        if (maxSize > partSize * 10_000) {
            r.problem("uploads.part_size_bytes", partSize + " is too small for uploads.max_size_bytes " + maxSize + " (S3 allows at most 10,000 parts)");
        }
        // signed URL lifetimes: 60 s to 7 days (UrlLifetimes); a session must outlive its creation (upload_sessions' check)
        Duration urlTtl = r.lifetime("uploads.url_ttl_seconds", ud.urlTtl().toSeconds());
        Duration sessionTtl = r.duration("uploads.session_ttl_seconds", ud.sessionTtl().toSeconds(), UrlLifetimes.MIN_SECONDS, 30L * 24 * 3600);
        Duration downloadTtl = r.lifetime("uploads.download_url_ttl_seconds", ud.downloadUrlTtl().toSeconds());
        Duration reconcile = r.duration("uploads.reconcile_interval_seconds", ud.reconcileInterval().toSeconds(), 24 * 3600);
        Duration stagingTtl = r.duration("uploads.staging_ttl_seconds", ud.stagingTtl().toSeconds(), 30L * 24 * 3600);
        if (stagingTtl.compareTo(sessionTtl) < 0 || stagingTtl.compareTo(urlTtl) < 0) {
            r.problem("uploads.staging_ttl_seconds", stagingTtl.toSeconds() + " is shorter than uploads.session_ttl_seconds or url_ttl_seconds"
                    + " (uploads still open would be removed)");
        }
        List<String> allowed = r.list("uploads.allowed_types", List.of());
        for (String t : allowed) {
            if (!t.matches("[a-z0-9.+-]+/[a-z0-9.+-]+")) r.problem("uploads.allowed_types", "'" + t + "' is not a MIME type (expected e.g. image/jpeg)");
        }
        Map<String, Long> quotas = r.byteMap("uploads.quotas", ud.quotas());
        Map<String, StowageConfig.Limits> limits = r.limitsMap("uploads.limits", ud.limits());
        var rd0 = ud.reconcile();
        int perUser = r.integer("uploads.reconcile_per_user", rd0.perUser(), 1, 10_000);
        int checkBatch = r.integer("uploads.reconcile_batch", rd0.batch(), 1, 100_000);
        int expireBatch = r.integer("uploads.expire_batch", rd0.expireBatch(), 1, 100_000);
        Duration passTime = r.duration("uploads.reconcile_pass_seconds", rd0.passTime().toSeconds(), 3600);
        if (passTime.isZero()) r.problem("uploads.reconcile_pass_seconds", "must be at least 1 second");

        // scanner
        var sd = StowageConfig.Scanner.NONE;
        String clamdHost = r.string("scanner.clamd_host", null);
        int clamdPort = r.integer("scanner.clamd_port", sd.clamdPort(), 1, 65535);
        long maxStream = r.bytes("scanner.max_stream_bytes", sd.maxStreamBytes(), 1, 4L << 30);
        Duration scanTimeout = r.duration("scanner.timeout_seconds", sd.timeout().toSeconds(), 3600);
        boolean allowUnscanned = r.bool("scanner.allow_unscanned", dev);
        String onLimitsName = r.string("scanner.on_limits", "reject");
        var onLimits = StowageConfig.Scanner.OnLimits.REJECT;
        switch (onLimitsName) {
            case "reject" -> onLimits = StowageConfig.Scanner.OnLimits.REJECT;
            case "hold" -> onLimits = StowageConfig.Scanner.OnLimits.HOLD;
            default -> r.problem("scanner.on_limits", "must be reject or hold, was '" + onLimitsName + "'");
        }
        Duration giveUpAfter = r.duration("scanner.give_up_after_seconds", StowageConfig.Scanner.GIVE_UP_AFTER.toSeconds(), 30L * 24 * 3600);
        if (clamdHost == null && !dev && !storageOnly && !allowUnscanned) {
            r.problem("scanner.clamd_host", "is required outside dev (STOWAGE_CLAMD_HOST); set scanner.allow_unscanned: true to accept unscanned files knowingly");
        }

        // events
        String webhookSecret = r.string("events.webhook_secret", null);
        if (webhookSecret != null && webhookSecret.getBytes(StandardCharsets.UTF_8).length < 16) {
            r.problem("events.webhook_secret", "is too short (expected at least 16 bytes)");
        }
        URI sqs = r.url("events.sqs_queue_url", null);
        boolean snsEnabled = r.bool("events.sns.enabled", false);
        List<String> topicArns = r.list("events.sns.topic_arns", List.of());
        for (String arn : topicArns) {
            if (!SNS_TOPIC_ARN.matcher(arn).matches()) {
                r.problem("events.sns.topic_arns", "'" + arn + "' is not an SNS topic ARN (expected arn:aws:sns:<region>:<12-digit account>:<topic>)");
            }
        }
        if (snsEnabled && topicArns.isEmpty()) {
            r.problem("events.sns.topic_arns", "is required when events.sns.enabled is true (STOWAGE_SNS_TOPIC_ARNS): the topics whose messages are accepted");
        }
        if (snsEnabled && webhookSecret == null) {
            r.problem("events.sns.enabled", "needs events.webhook_secret (STOWAGE_EVENTS_SECRET): SNS delivers to POST /v1/events/s3");
        }
        if (!snsEnabled && !topicArns.isEmpty()) {
            r.problem("events.sns.topic_arns", "is set but events.sns.enabled is not true: SNS messages would all be refused");
        }

        // images
        var id = StowageConfig.Images.DEFAULT;
        String engine = r.string("images.engine", id.engine());
        if (!List.of("auto", "java", "vips").contains(engine)) {
            r.problem("images.engine", "'" + engine + "' is not an engine (expected auto | java | vips)");
        }
        long maxPixels = r.bytes("images.max_pixels", id.maxPixels(), 1, 10_000_000_000L);
        int maxDim = r.integer("images.max_dimension", id.maxDimension(), 1, 1_000_000);
        long maxImageBytes = r.bytes("images.max_bytes", id.maxBytes(), 1, 5L << 30);
        String vipsLibrary = r.string("images.vips_library", null);
        if (vipsLibrary != null && vipsLibrary.isBlank()) vipsLibrary = null;

        StowageConfig.Delivery delivery = delivery(r, dev, publicUrl, storageOnly);
        StowageConfig.Costs costs = costs(r, provider);

        // bucket settings as code
        var bd = StowageConfig.BucketSettings.DEFAULT;
        String encryption = r.string("bucket_settings.encryption", bd.encryption());
        if (encryption.equalsIgnoreCase("sse-s3") || encryption.equalsIgnoreCase("aes256")) encryption = "SSE-S3";
        else if (encryption.equalsIgnoreCase("none")) encryption = "none";
        else r.problem("bucket_settings.encryption", "'" + encryption + "' is not an encryption setting (expected SSE-S3 | none)");
        boolean bpa = r.bool("bucket_settings.block_public_access", bd.blockPublicAccess());
        boolean accessLogging = r.bool("bucket_settings.access_logging", bd.accessLogging());
        boolean requireTls = r.bool("bucket_settings.require_tls", bd.requireTls());
        // required settings: those listed, else the security settings the configuration states itself
        java.util.Set<String> required = new java.util.LinkedHashSet<>();
        if (r.given("bucket_settings.required")) {
            for (String s : r.list("bucket_settings.required", List.of())) {
                String sid = s.toLowerCase(Locale.ROOT).replace('_', '-');
                if (sid.equals("block-public-access")) sid = "public-access-block";
                if (sid.equals("require-tls")) sid = "policy";
                if (sid.equals("access-logging")) sid = "logging";
                if (!StowageConfig.BucketSettings.REQUIRABLE.contains(sid)) {
                    r.problem("bucket_settings.required", "'" + s + "' is not a bucket setting (expected any of " + StowageConfig.BucketSettings.REQUIRABLE + ")");
                } else {
                    required.add(sid);
                }
            }
        } else if (!dev) {
            if (r.given("bucket_settings.encryption") && !encryption.equals("none")) required.add("encryption");
            if (r.given("bucket_settings.block_public_access") && bpa) required.add("public-access-block");
        }
        var rawRules = bucketRules(r, "bucket_settings.raw", bd.raw());
        var processedRules = bucketRules(r, "bucket_settings.processed", bd.processed());
        var backupRules = bucketRules(r, "bucket_settings.backups", bd.backups());
        var logRules = bucketRules(r, "bucket_settings.logs", bd.logs());
        for (var e : Map.of("processed", processedRules, "backups", backupRules, "logs", logRules).entrySet()) {
            if (e.getValue().temporaryExpireDays() > 0) {
                r.problem("bucket_settings." + e.getKey() + ".temporary_expire_days", "only the raw bucket holds temporary uploads (set 0)");
            }
        }

        // retention
        var rd = StowageConfig.Retention.DEFAULT;
        Duration maxAge = Duration.ofDays(r.integer("retention.raw_max_age_days", (int) rd.rawMaxAge().toDays(), 0, 36500));
        List<String> premium = r.list("retention.premium_plans", rd.premiumPlans());
        for (String plan : premium) {
            if (!plan.matches("[A-Za-z0-9._-]{1,64}")) r.problem("retention.premium_plans", "'" + plan + "' is not a plan name (1-64 characters of A-Z a-z 0-9 . _ -)");
        }
        Duration restoreWindow = Duration.ofDays(r.integer("retention.restore_window_days", (int) rd.restoreWindow().toDays(), 1, 3650));
        Duration retentionInterval = r.duration("retention.interval_seconds", rd.interval().toSeconds(), 7L * 24 * 3600);
        int retentionBatch = r.integer("retention.batch_size", rd.batchSize(), 1, 100_000);
        if (rawRules.versioning() && rawRules.noncurrentExpireDays() > 0 && rawRules.noncurrentExpireDays() < restoreWindow.toDays()) {
            r.problem("bucket_settings.raw.noncurrent_expire_days", rawRules.noncurrentExpireDays() + " is shorter than retention.restore_window_days "
                    + restoreWindow.toDays() + " (deleted files would be purged by the store before their restore window ends)");
        }

        // backup
        var bkd = StowageConfig.Backup.DEFAULT;
        Duration backupInterval = r.duration("backup.interval_seconds", bkd.interval().toSeconds(), 365L * 24 * 3600);
        String backupPrefix = r.string("backup.prefix", bkd.prefix());
        if (!backupPrefix.matches("([A-Za-z0-9._-]{1,64}/){1,4}")) {
            r.problem("backup.prefix", "'" + backupPrefix + "' is not a key prefix (expected e.g. stowage/: letters, digits, . _ -, ending with /)");
        }

        // audit
        var ad = StowageConfig.Audit.DEFAULT;
        Duration maxUploadTtl = r.lifetime("audit.max_upload_url_ttl_seconds", ad.maxUploadUrlTtl().toSeconds());
        Duration maxDownloadTtl = r.lifetime("audit.max_download_url_ttl_seconds", ad.maxDownloadUrlTtl().toSeconds());

        // migration
        var md = StowageConfig.Migration.DEFAULT;
        List<String> ignore = r.list("migration.ignore", md.ignore());
        for (String g : ignore) {
            if (g.contains("/") || g.contains("\0")) r.problem("migration.ignore", "'" + g + "' is not a file-name pattern (no '/'; use * and ?)");
        }
        int migConcurrency = r.integer("migration.concurrency", md.concurrency(), 1, 256);
        long migThreshold = r.bytes("migration.multipart_threshold_bytes", md.multipartThresholdBytes(), 5L << 20, 5L << 30);
        long migPart = r.bytes("migration.part_size_bytes", md.partSizeBytes(), 5L << 20, 512L << 20);
        int migAttempts = r.integer("migration.max_attempts", md.maxAttempts(), 1, 100);
        int migLease = r.integer("migration.claim_lease_seconds", md.claimLeaseSeconds(), 3, 3600);

        r.reportUnknown();
        r.throwIfProblems();
        return new StowageConfig(
                mode,
                new StowageConfig.Http(host, port, publicUrl, grace, metricsToken),
                new StowageConfig.Storage(provider, endpoint, region, pathStyle,
                        new StowageConfig.Buckets(raw, processed, backups, logs),
                        new StowageConfig.Cors(List.copyOf(origins), corsMaxAge),
                        new StowageConfig.StoreTimeouts(storeConnect, storeCall, storeSocket, storeAttempts), probe),
                new StowageConfig.Database(dbUrl, dbUser, dbPassword, pool, dbWait, dbStatement, dbSocket, pooler),
                new StowageConfig.Auth(secret, jwks, issuer, audience),
                new StowageConfig.Uploads(maxSize, threshold, partSize, urlTtl, sessionTtl, downloadTtl,
                        List.copyOf(allowed), Map.copyOf(quotas), reconcile, stagingTtl, Map.copyOf(limits),
                        new StowageConfig.Reconcile(perUser, checkBatch, expireBatch, passTime)),
                new StowageConfig.Scanner(clamdHost, clamdPort, maxStream, scanTimeout, onLimits, giveUpAfter),
                new StowageConfig.Events(webhookSecret, sqs, new StowageConfig.Sns(snsEnabled, List.copyOf(topicArns))),
                new StowageConfig.Images(engine, maxPixels, maxDim, maxImageBytes, vipsLibrary),
                delivery, costs,
                new StowageConfig.BucketSettings(encryption, bpa, accessLogging, requireTls, rawRules, processedRules, backupRules, logRules,
                        java.util.Set.copyOf(required)),
                new StowageConfig.Retention(maxAge, List.copyOf(premium), restoreWindow, retentionInterval, retentionBatch),
                new StowageConfig.Backup(backupInterval, backupPrefix),
                new StowageConfig.Audit(maxUploadTtl, maxDownloadTtl),
                new StowageConfig.Migration(List.copyOf(ignore), migConcurrency, migThreshold, migPart, migAttempts, migLease));
    }

    private static final Pattern STORAGE_CLASS = Pattern.compile("^[A-Z][A-Z0-9_]{0,31}$");

    /** One bucket's lifecycle section, {@code def} filling what is not set. */
    private static StowageConfig.BucketRules bucketRules(Reader r, String prefix, StowageConfig.BucketRules def) {
        boolean versioning = r.bool(prefix + ".versioning", def.versioning());
        int transition = r.integer(prefix + ".transition_days", def.transitionDays(), 0, 36500);
        String storageClass = r.string(prefix + ".transition_storage_class", def.transitionStorageClass()).toUpperCase(Locale.ROOT);
        if (!STORAGE_CLASS.matcher(storageClass).matches() || storageClass.equals("STANDARD")) {
            r.problem(prefix + ".transition_storage_class", "'" + storageClass + "' is not a storage class to transition to (expected e.g. STANDARD_IA, GLACIER, DEEP_ARCHIVE)");
        }
        int expire = r.integer(prefix + ".expire_days", def.expireDays(), 0, 36500);
        int temporary = r.integer(prefix + ".temporary_expire_days", def.temporaryExpireDays(), 0, 36500);
        int abort = r.integer(prefix + ".abort_incomplete_multipart_days", def.abortIncompleteMultipartDays(), 0, 36500);
        int noncurrent = r.integer(prefix + ".noncurrent_expire_days", def.noncurrentExpireDays(), 0, 36500);
        boolean markers = r.bool(prefix + ".remove_expired_delete_markers", def.removeExpiredDeleteMarkers());
        if (expire > 0 && transition > 0 && expire <= transition) {
            r.problem(prefix + ".expire_days", expire + " is not after transition_days " + transition + " (objects would expire before they move)");
        }
        if (!versioning && noncurrent > 0) {
            r.problem(prefix + ".noncurrent_expire_days", "needs versioning: true (an unversioned bucket has no noncurrent versions)");
        }
        if (!versioning && markers) {
            r.problem(prefix + ".remove_expired_delete_markers", "needs versioning: true (an unversioned bucket has no delete markers)");
        }
        return new StowageConfig.BucketRules(versioning, transition, storageClass, expire, temporary, abort, noncurrent, markers);
    }

    private static final Pattern KEY_PAIR_ID = Pattern.compile("^[A-Z0-9]{8,64}$");
    private static final Pattern DISTRIBUTION_ARN = Pattern.compile("^arn:aws[a-z-]*:cloudfront::\\d{12}:distribution/[A-Z0-9]+$");
    private static final Pattern DOMAIN = Pattern.compile("^\\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$");

    private static StowageConfig.Delivery delivery(Reader r, boolean dev, URI publicUrl, boolean storageOnly) {
        String modeRaw = r.string("delivery.mode", "presigned");
        StowageConfig.DeliveryMode mode = switch (modeRaw.toLowerCase(Locale.ROOT)) {
            case "presigned" -> StowageConfig.DeliveryMode.PRESIGNED;
            case "cdn" -> StowageConfig.DeliveryMode.CDN;
            case "cloudfront" -> StowageConfig.DeliveryMode.CLOUDFRONT;
            default -> {
                r.problem("delivery.mode", "'" + modeRaw + "' is not a delivery mode (expected presigned | cdn | cloudfront)");
                yield StowageConfig.DeliveryMode.PRESIGNED;
            }
        };
        URI cdn = r.url("delivery.cdn_base_url", null);
        List<String> premium = r.list("delivery.premium_plans", List.of("premium"));
        if (mode != StowageConfig.DeliveryMode.PRESIGNED && cdn == null && !r.reported("delivery.cdn_base_url")) {
            r.problem("delivery.cdn_base_url", "is required for delivery mode " + mode.id() + " (the CDN's https URL in front of the processed bucket, or STOWAGE_CDN_BASE_URL)");
        } else if (cdn != null && !dev && !"https".equals(cdn.getScheme())) {
            r.problem("delivery.cdn_base_url", "'" + cdn + "' must be https outside dev (signed cookies are Secure)");
        } else if (cdn != null && cdn.getPath() != null && !cdn.getPath().isEmpty() && !cdn.getPath().equals("/")) {
            r.problem("delivery.cdn_base_url", "'" + cdn + "' must have no path: the processed bucket is the distribution's origin at /");
        }
        String keyPairId = r.string("delivery.cloudfront.key_pair_id", null);
        String keyGroupId = r.string("delivery.cloudfront.key_group_id", null);
        String pemEnv = r.string("delivery.cloudfront.private_key", null);
        String pemFile = r.string("delivery.cloudfront.private_key_file", null);
        String arn = r.string("delivery.cloudfront.distribution_arn", null);
        Duration urlTtl = r.lifetime("delivery.cloudfront.url_ttl_seconds", 300);
        Duration cookieTtl = r.lifetime("delivery.cloudfront.cookie_ttl_seconds", 3600);
        String cookieDomain = r.string("delivery.cloudfront.cookie_domain", null);
        String sameSite = r.string("delivery.cloudfront.cookie_same_site", "Lax");
        if (r.present("delivery.cloudfront.private_key")) {
            r.problem("delivery.cloudfront.private_key", "a private key does not belong in stowage.yaml: set STOWAGE_CLOUDFRONT_PRIVATE_KEY or delivery.cloudfront.private_key_file");
            pemEnv = null;
        }
        if (mode != StowageConfig.DeliveryMode.CLOUDFRONT) {
            return new StowageConfig.Delivery(mode, cdn, null, List.copyOf(premium));
        }
        if (keyPairId == null) {
            r.problem("delivery.cloudfront.key_pair_id", "is required for delivery mode cloudfront (the public key's id in the trusted key group, or STOWAGE_CLOUDFRONT_KEY_PAIR_ID)");
        } else if (!KEY_PAIR_ID.matcher(keyPairId).matches()) {
            r.problem("delivery.cloudfront.key_pair_id", "'" + keyPairId + "' is not a CloudFront public key id (upper-case letters and digits, e.g. K2JCJMDEHXQW5F)");
        }
        if (arn != null && !DISTRIBUTION_ARN.matcher(arn).matches()) {
            r.problem("delivery.cloudfront.distribution_arn", "'" + arn + "' is not a distribution ARN (expected arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE)");
        }
        String pem = null;
        if (pemEnv != null && pemFile != null) {
            r.problem("delivery.cloudfront", "set only one of private_key_file and STOWAGE_CLOUDFRONT_PRIVATE_KEY");
        } else if (pemEnv != null) {
            pem = pemEnv.replace("\\n", "\n");
        } else if (pemFile != null) {
            try {
                pem = Files.readString(Path.of(pemFile), StandardCharsets.US_ASCII);
            } catch (IOException | RuntimeException e) {
                r.problem("delivery.cloudfront.private_key_file", "cannot read '" + pemFile + "': " + e.getClass().getSimpleName());
            }
        } else {
            r.problem("delivery.cloudfront", "a private key is required for delivery mode cloudfront: private_key_file or STOWAGE_CLOUDFRONT_PRIVATE_KEY (PEM)");
        }
        if (pem != null && !pem.contains("PRIVATE KEY-----")) {
            r.problem(pemFile != null ? "delivery.cloudfront.private_key_file" : "delivery.cloudfront.private_key",
                    "is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)");
        }
        if (cookieDomain != null && !DOMAIN.matcher(cookieDomain).matches()) {
            r.problem("delivery.cloudfront.cookie_domain", "'" + cookieDomain + "' is not a domain name (e.g. example.com)");
        } else if (cdn != null) {
            cookieDomain = cookieDomain(r, cookieDomain, publicUrl, cdn, storageOnly);
        }
        String ss = switch (sameSite.toLowerCase(Locale.ROOT)) {
            case "lax" -> "Lax";
            case "strict" -> "Strict";
            case "none" -> "None";
            default -> {
                r.problem("delivery.cloudfront.cookie_same_site", "'" + sameSite + "' is not Lax, Strict or None");
                yield "Lax";
            }
        };
        return new StowageConfig.Delivery(mode, cdn,
                new StowageConfig.CloudFront(keyPairId, keyGroupId, pem, arn, urlTtl, cookieTtl, cookieDomain, ss), List.copyOf(premium));
    }

    /**
     * The signed cookies' domain: the configured one if browsers accept it, else by default the longest domain
     * both the API host and the CDN host belong to (RFC 6265 §5.3; {@link CookieDomains}). {@code stowage buckets}
     * sets no cookies and checks nothing here.
     */
    private static String cookieDomain(Reader r, String configured, URI publicUrl, URI cdn, boolean storageOnly) {
        String key = "delivery.cloudfront.cookie_domain";
        String cdnHost = cdn.getHost();
        if (publicUrl == null) return configured == null ? cdnHost : configured; // http.public_url's own problem is reported
        String apiHost = publicUrl.getHost();
        if (configured != null) {
            if (!storageOnly) CookieDomains.problem(configured, apiHost, cdnHost).ifPresent(p -> r.problem(key, p + "; " + cookieFix(apiHost)));
            return configured.startsWith(".") ? configured.substring(1) : configured;
        }
        var shared = CookieDomains.sharedParent(apiHost, cdnHost);
        if (shared.isEmpty() && !storageOnly) {
            String cf = cdnHost.toLowerCase(Locale.ROOT).endsWith(".cloudfront.net")
                    ? ", a *.cloudfront.net name (cloudfront.net is a public suffix: no other site's cookies ever reach it)" : "";
            r.problem(key, "the API host '" + apiHost + "' (http.public_url) and the CDN host '" + cdnHost + "' (delivery.cdn_base_url"
                    + cf + ") share no domain that can carry cookies, so browsers would drop the signed cookies (RFC 6265 §5.3); "
                    + cookieFix(apiHost));
        }
        return shared.orElse(cdnHost);
    }

    /** What to configure so the API and the CDN share a cookie domain. */
    private static String cookieFix(String apiHost) {
        String parent = apiHost.contains(".") ? apiHost.substring(apiHost.indexOf('.') + 1) : "";
        String base = CookieDomains.mayCarryCookies(parent) ? parent : CookieDomains.mayCarryCookies(apiHost) ? apiHost : null;
        if (base == null) {
            return "set http.public_url to the API's public address (a domain name, not '" + apiHost + "'), give the distribution a CNAME"
                    + " under that domain as delivery.cdn_base_url, or set delivery.cloudfront.cookie_domain to a domain both hosts belong to";
        }
        return "give the distribution a CNAME under the API's domain (e.g. delivery.cdn_base_url: https://cdn." + base
                + ") or set delivery.cloudfront.cookie_domain to a domain both hosts belong to (e.g. " + base + ")";
    }

    private static StowageConfig.Costs costs(Reader r, Provider provider) {
        var d = StowageConfig.Costs.DEFAULT;
        String table = r.string("costs.price_table", null);
        if (table != null && !List.of("aws", "r2", "self-hosted").contains(table)) {
            r.problem("costs.price_table", "'" + table + "' is not a price table (expected aws | r2 | self-hosted)");
            table = null;
        }
        double selfHosted = r.decimal("costs.self_hosted_usd_per_gb_month", d.selfHostedUsdPerGbMonth(), 0, 1000);
        Duration interval = r.duration("costs.snapshot_interval_seconds", d.snapshotInterval().toSeconds(), 7 * 24 * 3600);
        if (interval.toSeconds() < 60) {
            r.problem("costs.snapshot_interval_seconds", interval.toSeconds() + " is too short (at least 60: each snapshot lists every bucket)");
        }
        Double maxUsd = r.present("costs.thresholds.monthly_usd") || r.fromEnv("costs.thresholds.monthly_usd")
                ? r.decimal("costs.thresholds.monthly_usd", 0, 0, 1e12) : null;
        Long maxBucket = r.present("costs.thresholds.bucket_bytes") ? r.bytes("costs.thresholds.bucket_bytes", 0, 1, Long.MAX_VALUE) : null;
        Long maxGrowth = r.present("costs.thresholds.growth_bytes_per_day") ? r.bytes("costs.thresholds.growth_bytes_per_day", 0, 1, Long.MAX_VALUE) : null;
        r.consume("costs.thresholds.monthly_usd");
        r.consume("costs.thresholds.bucket_bytes");
        r.consume("costs.thresholds.growth_bytes_per_day");
        URI hook = r.url("costs.webhook_url", null);
        String secret = r.string("costs.webhook_secret", null);
        if (r.present("costs.webhook_secret")) {
            r.problem("costs.webhook_secret", "a secret does not belong in stowage.yaml: set STOWAGE_COSTS_WEBHOOK_SECRET");
            secret = null;
        } else if (hook != null && secret == null) {
            r.problem("costs.webhook_secret", "is required with costs.webhook_url (STOWAGE_COSTS_WEBHOOK_SECRET, at least 32 bytes): receivers verify the HMAC-SHA256 signature");
        } else if (secret != null && secret.getBytes(StandardCharsets.UTF_8).length < 32) {
            r.problem("costs.webhook_secret", "is too short (expected at least 32 bytes)");
        }
        int attempts = r.integer("costs.webhook_attempts", d.webhookAttempts(), 1, 20);
        Duration backoff = r.duration("costs.webhook_backoff_seconds", d.webhookBackoff().toSeconds(), 3600);
        if (table == null) table = provider == Provider.AWS ? "aws" : provider == Provider.R2 ? "r2" : "self-hosted";
        var dl = StowageConfig.Leftovers.DEFAULT;
        Duration every = r.duration("costs.leftovers.interval_seconds", dl.interval().toSeconds(), 30L * 24 * 3600);
        if (!every.isZero() && every.toSeconds() < 60) {
            r.problem("costs.leftovers.interval_seconds", every.toSeconds() + " is too short (0 = off, else at least 60)");
        }
        var leftovers = new StowageConfig.Leftovers(every, r.integer("costs.leftovers.max_pages", dl.maxPages(), 1, 1000),
                r.integer("costs.leftovers.page_size", dl.pageSize(), 1, 1000),
                Duration.ofHours(r.integer("costs.leftovers.grace_hours", (int) dl.grace().toHours(), 0, 24 * 365)));
        String storeSize = r.string("costs.store_size", "auto");
        if (!List.of("auto", "listing").contains(storeSize)) {
            r.problem("costs.store_size", "'" + storeSize + "' is not a way to size the store (expected auto | listing)");
            storeSize = "auto";
        }
        return new StowageConfig.Costs(table, selfHosted, interval, maxUsd, maxBucket, maxGrowth, hook, secret, attempts, backoff, leftovers, storeSize);
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readYaml(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(file + ": file not found"));
        } catch (java.nio.charset.MalformedInputException e) {
            throw new ConfigException(List.of(file + ": not a text file (expected UTF-8 YAML)"));
        } catch (IOException e) {
            String why = Files.isDirectory(file) ? "it is a directory" : e.getMessage();
            throw new ConfigException(List.of("'" + file + "': cannot read (" + why + ")"));
        }
        try {
            Object doc = new Load(LoadSettings.builder().setLabel(file.toString()).build()).loadFromString(text);
            if (doc == null) return new LinkedHashMap<>();
            if (!(doc instanceof Map<?, ?> m)) {
                throw new ConfigException(List.of(file + ": expected a mapping of keys at the top level"));
            }
            return (Map<String, Object>) m;
        } catch (StackOverflowError e) {
            throw new ConfigException(List.of(file + ": not valid configuration: nested too deeply"));
        } catch (YamlEngineException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().replaceAll("\\s+", " ").trim();
            throw new ConfigException(List.of(file + ": not valid YAML: " + msg));
        }
    }

    /** Walks the tree by dotted keys, applies env overrides, records consumed keys and problems. */
    private static final class Reader {
        private final Map<String, Object> tree;
        private final Map<String, String> envByKey = new LinkedHashMap<>();
        private final Map<String, String> envNameByKey = new LinkedHashMap<>();
        private final Set<String> consumed = new HashSet<>();
        private final List<String> problems = new ArrayList<>();

        Reader(Map<String, Object> tree, Map<String, String> env) {
            this.tree = tree;
            ENV_OVERRIDES.forEach((name, key) -> {
                String v = env.get(name);
                if (v != null && !v.isBlank()) {
                    envByKey.put(key, v.trim());
                    envNameByKey.put(key, name);
                }
            });
        }

        void problem(String key, String message) {
            String src = envNameByKey.containsKey(key) ? " [from " + envNameByKey.get(key) + "]" : "";
            problems.add(key + src + ": " + message);
        }

        /** Whether a problem was already recorded for this key. */
        boolean reported(String key) {
            return problems.stream().anyMatch(p -> p.startsWith(key + ":") || p.startsWith(key + " [from"));
        }

        void consume(String key) {
            consumed.add(key);
        }

        boolean present(String key) {
            return lookup(key) != null;
        }

        /** Whether the file or the environment gives the key a value. */
        boolean given(String key) {
            return envByKey.containsKey(key) || present(key);
        }

        private Object lookup(String key) {
            Object node = tree;
            for (String part : key.split("\\.")) {
                if (!(node instanceof Map<?, ?> m)) return null;
                node = m.get(part);
            }
            return node;
        }

        /** Raw value: env first, then YAML; marks the key consumed. */
        private Object value(String key) {
            consumed.add(key);
            if (envByKey.containsKey(key)) return envByKey.get(key);
            return lookup(key);
        }

        String string(String key, String def) {
            Object v = value(key);
            if (v == null) return def;
            if (v instanceof Map || v instanceof List) {
                problem(key, "expected a single value, got a " + (v instanceof Map ? "mapping" : "list"));
                return def;
            }
            String s = String.valueOf(v).trim();
            return s.isEmpty() ? def : s;
        }

        int integer(String key, int def, int min, int max) {
            String s = string(key, null);
            if (s == null) return def;
            try {
                int i = Integer.parseInt(s);
                if (i < min || i > max) {
                    problem(key, s + " is out of range (expected " + min + " to " + max + ")");
                    return def;
                }
                return i;
            } catch (NumberFormatException e) {
                problem(key, "'" + s + "' is not a whole number (expected " + min + " to " + max + ")");
                return def;
            }
        }

        /** Whether this key's value comes from an environment variable. */
        boolean fromEnv(String key) {
            return envByKey.containsKey(key);
        }

        double decimal(String key, double def, double min, double max) {
            String s = string(key, null);
            if (s == null) return def;
            try {
                double v = Double.parseDouble(s);
                if (!(v >= min && v <= max)) throw new NumberFormatException();
                return v;
            } catch (NumberFormatException e) {
                problem(key, "'" + s + "' is not a number from " + min + " to " + max);
                return def;
            }
        }

        long bytes(String key, long def, long min, long max) {
            String s = string(key, null);
            if (s == null) return def;
            try {
                long v = Long.parseLong(s.replace("_", ""));
                if (v < min || v > max) {
                    problem(key, s + " is out of range (expected " + min + " to " + max + " bytes)");
                    return def;
                }
                return v;
            } catch (NumberFormatException e) {
                problem(key, "'" + s + "' is not a number of bytes (expected a whole number, e.g. 52428800)");
                return def;
            }
        }

        Map<String, Long> byteMap(String key, Map<String, Long> def) {
            Object v = value(key);
            if (v == null) return def;
            if (!(v instanceof Map<?, ?> m)) {
                problem(key, "expected a section of plan: bytes pairs, e.g. free: 1073741824");
                return def;
            }
            Map<String, Long> out = new LinkedHashMap<>();
            for (var e : m.entrySet()) {
                String plan = String.valueOf(e.getKey());
                consumed.add(key + "." + plan);
                if (!plan.matches("[A-Za-z0-9._-]{1,64}")) {
                    problem(key + "." + plan, "is not a plan name (1-64 characters of A-Z a-z 0-9 . _ -)");
                    continue;
                }
                try {
                    long b = Long.parseLong(String.valueOf(e.getValue()).replace("_", ""));
                    if (b < 0) throw new NumberFormatException();
                    out.put(plan, b);
                } catch (NumberFormatException ex) {
                    problem(key + "." + plan, "'" + e.getValue() + "' is not a number of bytes ≥ 0");
                }
            }
            if (!out.containsKey("free")) problem(key, "must set the quota of plan 'free' (the default plan)");
            return out;
        }

        /**
         * {@code plan: {max_open_uploads, initiations_per_second, initiation_burst}} sections; a key a plan leaves
         * out takes plan {@code free}'s default. Plan {@code free} must be there (it applies to unknown plans).
         */
        Map<String, StowageConfig.Limits> limitsMap(String key, Map<String, StowageConfig.Limits> def) {
            Object v = value(key);
            if (v == null) return def;
            if (!(v instanceof Map<?, ?> m)) {
                problem(key, "expected a section per plan, e.g. free: {max_open_uploads: 100, initiations_per_second: 10, initiation_burst: 50}");
                return def;
            }
            consumed.remove(key); // the walk for unknown keys goes into the plans' sections
            Map<String, StowageConfig.Limits> out = new LinkedHashMap<>();
            var d = StowageConfig.Limits.FREE;
            for (var e : m.entrySet()) {
                String plan = String.valueOf(e.getKey());
                String at = key + "." + plan;
                if (!plan.matches("[A-Za-z0-9._-]{1,64}") || !(e.getValue() instanceof Map<?, ?>)) {
                    consumed.add(at);
                    problem(at, !plan.matches("[A-Za-z0-9._-]{1,64}") ? "is not a plan name (1-64 characters of A-Z a-z 0-9 . _ -)"
                            : "expected max_open_uploads, initiations_per_second and initiation_burst");
                    continue;
                }
                // keys of the plan's section other than these three are reported as unknown by the walk
                int open = integer(at + ".max_open_uploads", d.maxOpenUploads(), 1, 1_000_000);
                int rate = integer(at + ".initiations_per_second", d.initiationsPerSecond(), 1, 10_000);
                int burst = integer(at + ".initiation_burst", d.initiationBurst(), 1, 100_000);
                out.put(plan, new StowageConfig.Limits(open, rate, burst));
            }
            if (!out.containsKey("free")) problem(key, "must set the limits of plan 'free' (the default plan)");
            return out;
        }

        boolean bool(String key, boolean def) {
            String s = string(key, null);
            if (s == null) return def;
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on", "1" -> true;
                case "false", "no", "off", "0" -> false;
                default -> {
                    problem(key, "'" + s + "' is not a boolean (expected true or false)");
                    yield def;
                }
            };
        }

        /** A signed URL or cookie lifetime: {@link UrlLifetimes#MIN_SECONDS} to {@link UrlLifetimes#MAX_SECONDS}. */
        Duration lifetime(String key, long defSeconds) {
            long min = UrlLifetimes.MIN_SECONDS;
            long max = UrlLifetimes.MAX_SECONDS;
            String s = string(key, null);
            if (s == null) return Duration.ofSeconds(defSeconds);
            try {
                long v = Long.parseLong(s);
                if (v >= min && v <= max) return Duration.ofSeconds(v);
                problem(key, s + " is out of range (expected " + min + " to " + max + " seconds: " + UrlLifetimes.why() + ")");
            } catch (NumberFormatException e) {
                problem(key, "'" + s + "' is not a number of seconds from " + min + " to " + max);
            }
            return Duration.ofSeconds(defSeconds);
        }

        Duration duration(String key, long defSeconds, long minSeconds, long maxSeconds) {
            String s = string(key, null);
            if (s == null) return Duration.ofSeconds(defSeconds);
            try {
                long v = Long.parseLong(s);
                if (v >= minSeconds && v <= maxSeconds) return Duration.ofSeconds(v);
                problem(key, s + " is out of range (expected " + minSeconds + " to " + maxSeconds + " seconds)");
            } catch (NumberFormatException e) {
                problem(key, "'" + s + "' is not a number of seconds from " + minSeconds + " to " + maxSeconds);
            }
            return Duration.ofSeconds(defSeconds);
        }

        Duration duration(String key, long defSeconds, long maxSeconds) {
            String s = string(key, null);
            if (s == null) return Duration.ofSeconds(defSeconds);
            try {
                long v = Long.parseLong(s);
                if (v < 0 || v > maxSeconds) throw new NumberFormatException();
                return Duration.ofSeconds(v);
            } catch (NumberFormatException e) {
                problem(key, "'" + s + "' is not a number of seconds from 0 to " + maxSeconds);
                return Duration.ofSeconds(defSeconds);
            }
        }

        Duration millis(String key, long defMillis, long minMillis, long maxMillis) {
            String s = string(key, null);
            if (s == null) return Duration.ofMillis(defMillis);
            try {
                long v = Long.parseLong(s);
                if (v < minMillis || v > maxMillis) throw new NumberFormatException();
                return Duration.ofMillis(v);
            } catch (NumberFormatException e) {
                problem(key, "'" + s + "' is not a number of milliseconds from " + minMillis + " to " + maxMillis);
                return Duration.ofMillis(defMillis);
            }
        }

        URI url(String key, String def) {
            String s = string(key, def);
            if (s == null) return null;
            try {
                URI u = new URI(s);
                if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
                    problem(key, "'" + s + "' is not an http(s) URL (expected e.g. http://host:9000)");
                    return null;
                }
                return u;
            } catch (URISyntaxException e) {
                problem(key, "'" + s + "' is not an http(s) URL (expected e.g. http://host:9000)");
                return null;
            }
        }

        String bucket(String key, String def) {
            String s = string(key, def);
            if (s == null) return null;
            if (!BUCKET.matcher(s).matches() || s.contains("..") || IPV4.matcher(s).matches()) {
                problem(key, "'" + s + "' is not a valid bucket name (expected 3-63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit)");
                return null;
            }
            return s;
        }

        List<String> list(String key, List<String> def) {
            Object v = value(key);
            if (v == null) return def;
            List<String> out = new ArrayList<>();
            if (v instanceof List<?> l) {
                for (Object o : l) if (o != null && !String.valueOf(o).isBlank()) out.add(String.valueOf(o).trim());
            } else if (v instanceof Map) {
                problem(key, "expected a list, got a mapping");
                return def;
            } else {
                for (String part : String.valueOf(v).split(",")) if (!part.isBlank()) out.add(part.trim());
            }
            return out;
        }

        void reportUnknown() {
            walk("", tree);
        }

        private void walk(String prefix, Map<?, ?> node) {
            for (var e : node.entrySet()) {
                if (!(e.getKey() instanceof String name)) {
                    problems.add((prefix.isEmpty() ? "" : prefix + ": ") + "a key that is not text (keys are names such as 'http' or 'storage')");
                    continue;
                }
                String key = prefix.isEmpty() ? name : prefix + "." + name;
                if (consumed.contains(key)) continue;
                boolean section = consumed.stream().anyMatch(c -> c.startsWith(key + "."));
                if (section && e.getValue() instanceof Map<?, ?> child) {
                    walk(key, child);
                } else if (section && e.getValue() == null) {
                    continue; // an empty section, e.g. every key commented out
                } else if (section) {
                    problems.add(key + ": expected a section of keys, got " + (e.getValue() instanceof List ? "a list" : "a single value") + " (see stowage.example.yaml)");
                } else {
                    problems.add(key + ": unknown key (see stowage.example.yaml for the keys Stowage reads)");
                }
            }
        }

        void throwIfProblems() {
            if (!problems.isEmpty()) throw new ConfigException(problems);
        }
    }
}

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
        m.put("STOWAGE_HTTP_HOST", "http.host");
        m.put("STOWAGE_HTTP_PORT", "http.port");
        m.put("STOWAGE_PUBLIC_URL", "http.public_url");
        m.put("STOWAGE_JWT_SECRET", "auth.jwt_secret");
        m.put("STOWAGE_JWKS_URL", "auth.jwks_url");
        m.put("STOWAGE_CLAMD_HOST", "scanner.clamd_host");
        m.put("STOWAGE_CLAMD_PORT", "scanner.clamd_port");
        m.put("STOWAGE_ALLOW_UNSCANNED", "scanner.allow_unscanned");
        m.put("STOWAGE_EVENTS_SECRET", "events.webhook_secret");
        m.put("STOWAGE_SQS_QUEUE_URL", "events.sqs_queue_url");
        m.put("STOWAGE_MAX_UPLOAD_BYTES", "uploads.max_size_bytes");
        m.put("STOWAGE_IMAGE_ENGINE", "images.engine");
        m.put("STOWAGE_VIPS_LIBRARY", "images.vips_library");
        ENV_OVERRIDES = Map.copyOf(m);
    }

    private static final Set<String> CREDENTIAL_KEYS = Set.of(
            "access_key", "access_key_id", "secret_key", "secret_access_key", "session_token", "credentials");
    private static final Pattern BUCKET = Pattern.compile("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");
    private static final Pattern IPV4 = Pattern.compile("^\\d+\\.\\d+\\.\\d+\\.\\d+$");
    private static final Pattern ORIGIN = Pattern.compile("^https?://[A-Za-z0-9.-]+(:\\d{1,5})?$");

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
        String host = r.string("http.host", "0.0.0.0");
        if (!host.matches("[A-Za-z0-9.:-]{1,253}")) {
            r.problem("http.host", "'" + host + "' is not a host name or IP address (expected e.g. 0.0.0.0 or 127.0.0.1)");
        }
        int port = r.integer("http.port", 8080, 0, 65535);
        URI publicUrl = r.url("http.public_url", "http://localhost:" + (port == 0 ? 8080 : port));
        Duration grace = r.duration("http.shutdown_grace_seconds", 30, 3600);

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
        Duration urlTtl = r.duration("uploads.url_ttl_seconds", ud.urlTtl().toSeconds(), 7 * 24 * 3600);
        Duration sessionTtl = r.duration("uploads.session_ttl_seconds", ud.sessionTtl().toSeconds(), 30L * 24 * 3600);
        Duration downloadTtl = r.duration("uploads.download_url_ttl_seconds", ud.downloadUrlTtl().toSeconds(), 7 * 24 * 3600);
        Duration reconcile = r.duration("uploads.reconcile_interval_seconds", ud.reconcileInterval().toSeconds(), 24 * 3600);
        List<String> allowed = r.list("uploads.allowed_types", List.of());
        for (String t : allowed) {
            if (!t.matches("[a-z0-9.+-]+/[a-z0-9.+-]+")) r.problem("uploads.allowed_types", "'" + t + "' is not a MIME type (expected e.g. image/jpeg)");
        }
        Map<String, Long> quotas = r.byteMap("uploads.quotas", ud.quotas());

        // scanner
        var sd = StowageConfig.Scanner.NONE;
        String clamdHost = r.string("scanner.clamd_host", null);
        int clamdPort = r.integer("scanner.clamd_port", sd.clamdPort(), 1, 65535);
        long maxStream = r.bytes("scanner.max_stream_bytes", sd.maxStreamBytes(), 1, 4L << 30);
        Duration scanTimeout = r.duration("scanner.timeout_seconds", sd.timeout().toSeconds(), 3600);
        boolean allowUnscanned = r.bool("scanner.allow_unscanned", dev);
        if (clamdHost == null && !dev && !storageOnly && !allowUnscanned) {
            r.problem("scanner.clamd_host", "is required outside dev (STOWAGE_CLAMD_HOST); set scanner.allow_unscanned: true to accept unscanned files knowingly");
        }

        // events
        String webhookSecret = r.string("events.webhook_secret", null);
        if (webhookSecret != null && webhookSecret.getBytes(StandardCharsets.UTF_8).length < 16) {
            r.problem("events.webhook_secret", "is too short (expected at least 16 bytes)");
        }
        URI sqs = r.url("events.sqs_queue_url", null);

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

        r.reportUnknown();
        r.throwIfProblems();
        return new StowageConfig(
                mode,
                new StowageConfig.Http(host, port, publicUrl, grace),
                new StowageConfig.Storage(provider, endpoint, region, pathStyle,
                        new StowageConfig.Buckets(raw, processed, backups, logs),
                        new StowageConfig.Cors(List.copyOf(origins), corsMaxAge)),
                new StowageConfig.Database(dbUrl, dbUser, dbPassword, pool),
                new StowageConfig.Auth(secret, jwks, issuer, audience),
                new StowageConfig.Uploads(maxSize, threshold, partSize, urlTtl, sessionTtl, downloadTtl,
                        List.copyOf(allowed), Map.copyOf(quotas), reconcile),
                new StowageConfig.Scanner(clamdHost, clamdPort, maxStream, scanTimeout),
                new StowageConfig.Events(webhookSecret, sqs),
                new StowageConfig.Images(engine, maxPixels, maxDim, maxImageBytes, vipsLibrary));
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

package dev.stowage.testing;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.dev.EmbeddedPostgresServer;
import dev.stowage.dev.EmbeddedS3;
import dev.stowage.storage.S3Clients;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Real servers for integration tests, started once per test JVM and shared: an embedded PostgreSQL
 * (a fresh database per caller) and an embedded S3Proxy, plus the Ceph RADOS Gateway tier that CI
 * starts with {@code scripts/rgw.sh start}.
 *
 * <p>The RGW tier is found from {@code STOWAGE_TEST_RGW_*} environment variables, else from
 * {@code .ci-state/rgw/rgw.env}. When it is not there the test FAILS, unless the run was started with
 * {@code -Dstowage.tiers=embedded} (a developer without Ceph), in which case it is skipped and says so.
 *
 * <p>PgBouncer: {@link #pooledEnv} puts a test's database behind a PgBouncer in transaction mode
 * ({@code scripts/pgbouncer.sh}, started once per test JVM in front of the embedded PostgreSQL) with
 * {@code database.pooler: transaction}. With {@code STOWAGE_TEST_PGBOUNCER=1} in the environment (or
 * {@code -Dstowage.test.pgbouncer=true}) every {@link #embeddedEnv} does so: the whole suite runs behind it.
 */
public final class TestServers {
    /** The embedded S3 server's fixed test credentials (loopback only). */
    public static final String S3_KEY = "TESTKEY0000000000001";
    public static final String S3_SECRET = "testsecret00000000000000000000000000001";

    /**
     * Store timeouts of tests that build a storage section themselves: a short call may take 15 s (production:
     * 1.5 s), as the suite shares two busy cores; {@code OutagesIT} measures with the production values.
     */
    public static final StowageConfig.StoreTimeouts TIMEOUTS = new StowageConfig.StoreTimeouts(
            java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(15), java.time.Duration.ofSeconds(60), 3);

    private static EmbeddedPostgresServer pg;
    private static EmbeddedS3 s3;
    private static Path root;
    private static Path pgbouncerState;
    private static int pgbouncerPort;

    private TestServers() {}

    private static synchronized void startEmbedded() {
        if (pg != null) return;
        try {
            root = Files.createTempDirectory("stowage-test-");
            pg = EmbeddedPostgresServer.start(root.resolve("pg"), 0, false);
            s3 = EmbeddedS3.start(root.resolve("s3"), 0, S3_KEY, S3_SECRET, List.of("http://localhost:8080"));
        } catch (Exception e) {
            throw new IllegalStateException("embedded test servers did not start: " + e, e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                s3.close();
                pg.close();
            } catch (Exception ignored) {
                // JVM is exiting
            }
        }));
    }

    /**
     * A new, empty PostgreSQL database on the shared embedded server.
     *
     * @return its JDBC URL (user {@code postgres}, no password)
     */
    public static String newDatabase() {
        startEmbedded();
        String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
             var st = c.createStatement()) {
            st.execute("create database " + name);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create test database: " + e, e);
        }
        return pg.jdbcUrl().replace("/" + EmbeddedPostgresServer.DATABASE, "/" + name);
    }

    /** Whether every test's database goes through PgBouncer ({@code STOWAGE_TEST_PGBOUNCER=1} or {@code -Dstowage.test.pgbouncer=true}). */
    public static boolean wholeSuiteBehindPooler() {
        String v = System.getProperty("stowage.test.pgbouncer", System.getenv().getOrDefault("STOWAGE_TEST_PGBOUNCER", ""));
        return v.equals("1") || v.equalsIgnoreCase("true");
    }

    /**
     * The PgBouncer in front of the embedded PostgreSQL (transaction mode, loopback), started on first use
     * with {@code scripts/pgbouncer.sh} in {@code target/pgbouncer-<pid>} and stopped when the JVM exits.
     *
     * @return its port on 127.0.0.1
     * @throws AssertionError when it cannot start (package pgbouncer missing, …), with the script's words
     */
    public static synchronized int pgbouncerPort() {
        startEmbedded();
        if (pgbouncerPort != 0) return pgbouncerPort;
        Path state = repoRoot().resolve("target").resolve("pgbouncer-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(state);
            var pb = new ProcessBuilder("bash", repoRoot().resolve("scripts/pgbouncer.sh").toString(), "start", state.toString())
                    .redirectErrorStream(false);
            pb.environment().put("PGBOUNCER_UPSTREAM", "127.0.0.1:" + pg.port());
            pb.environment().remove("PGBOUNCER_PORT");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new AssertionError("PgBouncer did not start (scripts/pgbouncer.sh start): " + err);
            var m = java.util.regex.Pattern.compile("STOWAGE_TEST_PGBOUNCER_PORT=(\\d+)").matcher(out);
            if (!m.find()) throw new AssertionError("scripts/pgbouncer.sh printed no port: " + out + err);
            pgbouncerPort = Integer.parseInt(m.group(1));
        } catch (IOException e) {
            throw new AssertionError("cannot run scripts/pgbouncer.sh: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while PgBouncer started", e);
        }
        pgbouncerState = state;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                new ProcessBuilder("bash", repoRoot().resolve("scripts/pgbouncer.sh").toString(), "stop", pgbouncerState.toString())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            } catch (Exception ignored) {
                // JVM is exiting
            }
        }));
        return pgbouncerPort;
    }

    /**
     * A new, empty PostgreSQL database on the shared embedded server, reached through the PgBouncer of
     * {@link #pgbouncerPort()}.
     *
     * @return its JDBC URL through PgBouncer (user {@code postgres}, no password)
     */
    public static String newPooledDatabase() {
        String direct = newDatabase();
        int port = pgbouncerPort();
        return direct.replaceFirst("//[^/]+/", "//127.0.0.1:" + port + "/");
    }

    /**
     * The same database as {@code url} straight on the embedded PostgreSQL, not through PgBouncer (to see
     * what the server itself holds, e.g. {@code pg_locks}).
     *
     * @param url a JDBC URL from {@link #newDatabase} or {@link #newPooledDatabase}
     * @return the direct JDBC URL
     */
    public static String directUrl(String url) {
        startEmbedded();
        return url.replaceFirst("//[^/]+/", "//127.0.0.1:" + pg.port() + "/").replaceFirst("\\?.*$", "");
    }

    /**
     * {@link #embeddedEnv} with the database behind PgBouncer in transaction mode and
     * {@code database.pooler: transaction} ({@code STOWAGE_DATABASE_POOLER}).
     *
     * @param extraEnv more environment overrides
     */
    public static Map<String, String> pooledEnv(Map<String, String> extraEnv) {
        var env = new HashMap<String, String>();
        env.put("STOWAGE_DATABASE_URL", newPooledDatabase());
        env.put("STOWAGE_DATABASE_POOLER", "transaction");
        env.putAll(extraEnv);
        return embeddedEnv(env);
    }

    /** The shared embedded S3 endpoint. */
    public static URI embeddedS3() {
        startEmbedded();
        return s3.endpoint();
    }

    /**
     * The folder the shared embedded S3 server keeps its buckets in (one sub-folder per bucket), to look for
     * files its listings do not show.
     */
    public static Path embeddedS3Directory() {
        startEmbedded();
        return root.resolve("s3");
    }

    /** Credentials of the embedded S3 server. */
    public static StaticCredentialsProvider embeddedCredentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(S3_KEY, S3_SECRET));
    }

    /** The bearer token {@code /metrics} takes in {@link #embeddedConfig} ({@code STOWAGE_METRICS_TOKEN}). */
    public static final String METRICS_TOKEN = "test-metrics-token-test-metrics-token-0123";

    /**
     * Bucket names unique to one test, so tests sharing a server never see each other's objects.
     *
     * @return four fresh bucket names
     */
    public static StowageConfig.Buckets freshBuckets() {
        String s = UUID.randomUUID().toString().substring(0, 8);
        return new StowageConfig.Buckets("raw-" + s, "processed-" + s, "backups-" + s, "logs-" + s);
    }

    /**
     * A validated production-mode configuration over the embedded servers, with fresh buckets and a fresh
     * database. Buckets are not created.
     *
     * @param extraEnv more environment overrides
     */
    public static StowageConfig embeddedConfig(Map<String, String> extraEnv) {
        // tests make many uploads as one user at once: the per-user limits are out of their way (FairLimitsIT sets its own)
        Map<String, Object> tree = new HashMap<>();
        tree.put("uploads", new HashMap<>(Map.of("limits", Map.of("free",
                Map.of("max_open_uploads", 1_000_000, "initiations_per_second", 10_000, "initiation_burst", 100_000)))));
        return ConfigLoader.fromTree(tree, embeddedEnv(extraEnv), StowageConfig.Mode.PRODUCTION);
    }

    /**
     * {@link #embeddedConfig} with Ceph RGW as the store (the gateway of {@link #rgw()}; a fresh database and
     * fresh bucket names), for the {@code …OnCephRgw} twin of a test.
     *
     * @param extraEnv more environment overrides
     */
    public static StowageConfig rgwConfig(Map<String, String> extraEnv) {
        var env = new HashMap<String, String>(extraEnv);
        env.put("STORAGE_PROVIDER", "ceph");
        env.put("S3_ENDPOINT", rgw().endpoint().toString());
        return embeddedConfig(env);
    }

    /**
     * The environment of {@link #embeddedConfig}: fresh buckets, a fresh database, plus the embedded S3
     * server's keys, so a {@code stowage} child process can be pointed at the same servers.
     *
     * @param extraEnv more environment overrides
     */
    public static Map<String, String> embeddedEnv(Map<String, String> extraEnv) {
        var b = freshBuckets();
        Map<String, String> env = new HashMap<>();
        env.put("STORAGE_PROVIDER", "embedded");
        env.put("S3_ENDPOINT", embeddedS3().toString());
        // the start-up probe costs a few requests per process (seconds on Ceph RGW): ProviderProbeIT and DoctorIT run it
        env.put("STOWAGE_STORE_PROBE", "false");
        if (wholeSuiteBehindPooler() && !extraEnv.containsKey("STOWAGE_DATABASE_URL")) {
            env.put("STOWAGE_DATABASE_URL", newPooledDatabase());
            env.put("STOWAGE_DATABASE_POOLER", "transaction");
        } else if (!extraEnv.containsKey("STOWAGE_DATABASE_URL")) {
            env.put("STOWAGE_DATABASE_URL", newDatabase());
        }
        env.put("STOWAGE_DATABASE_USER", "postgres");
        env.put("STOWAGE_JWT_SECRET", "test-secret-test-secret-test-secret-0123");
        env.put("STOWAGE_HTTP_PORT", "0");
        env.put("STOWAGE_HTTP_HOST", "127.0.0.1");
        env.put("STOWAGE_BUCKET_RAW", b.raw());
        env.put("STOWAGE_BUCKET_PROCESSED", b.processed());
        env.put("STOWAGE_BUCKET_BACKUPS", b.backups());
        env.put("STOWAGE_BUCKET_LOGS", b.logs());
        env.put("STOWAGE_CORS_ORIGINS", "http://localhost:8080");
        env.put("STOWAGE_ALLOW_UNSCANNED", "true");
        env.put("STOWAGE_METRICS_TOKEN", METRICS_TOKEN);
        env.put("AWS_ACCESS_KEY_ID", S3_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", S3_SECRET);
        // the suite shares two busy cores with other work: waits of the production defaults (1.5 s) would fail
        // healthy calls there; OutagesIT measures with the defaults (throughProxies)
        env.put("STOWAGE_DATABASE_CONNECTION_TIMEOUT_MS", "15000");
        env.put("STOWAGE_STORE_CALL_TIMEOUT_MS", "15000");
        env.putAll(extraEnv);
        return env;
    }

    /**
     * The environment of {@link #embeddedEnv} with the database and the store reached through a
     * {@link TcpProxy} each, which the test cuts and restores to stage outages.
     *
     * @param env               the configuration's environment ({@code STOWAGE_DATABASE_URL}, {@code S3_ENDPOINT} point at the proxies)
     * @param database          the proxy in front of the embedded PostgreSQL
     * @param store             the proxy in front of the embedded S3 server
     * @param directDatabaseUrl the same database without the proxy, for the test's own look at its rows
     */
    public record Proxied(Map<String, String> env, TcpProxy database, TcpProxy store, String directDatabaseUrl) implements AutoCloseable {
        /** Closes both proxies. */
        @Override
        public void close() {
            database.close();
            store.close();
        }
    }

    /**
     * A fresh database and fresh buckets on the shared embedded servers, reached through proxies.
     *
     * @param extraEnv more environment overrides
     */
    public static Proxied throughProxies(Map<String, String> extraEnv) {
        Map<String, String> env = embeddedEnv(extraEnv);
        // the production defaults, unless the caller sets them
        if (!extraEnv.containsKey("STOWAGE_DATABASE_CONNECTION_TIMEOUT_MS")) env.remove("STOWAGE_DATABASE_CONNECTION_TIMEOUT_MS");
        if (!extraEnv.containsKey("STOWAGE_STORE_CALL_TIMEOUT_MS")) env.remove("STOWAGE_STORE_CALL_TIMEOUT_MS");
        String direct = env.get("STOWAGE_DATABASE_URL");
        var m = java.util.regex.Pattern.compile("^jdbc:postgresql://([^:/]+):(\\d+)(/.*)$").matcher(direct);
        if (!m.matches()) throw new IllegalStateException("unexpected JDBC URL " + direct);
        TcpProxy db = TcpProxy.to(m.group(1), Integer.parseInt(m.group(2)));
        URI s3 = URI.create(env.get("S3_ENDPOINT"));
        TcpProxy store = TcpProxy.to(s3.getHost(), s3.getPort());
        env.put("STOWAGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + db.port() + m.group(3));
        env.put("S3_ENDPOINT", s3.getScheme() + "://127.0.0.1:" + store.port());
        return new Proxied(env, db, store, direct);
    }

    /** Clients for the embedded S3 server. */
    public static S3Clients embeddedClients(StowageConfig.Storage storage) {
        return S3Clients.create(storage, embeddedCredentials());
    }

    /** The RADOS Gateway test tier: endpoint and credentials. */
    public record Rgw(URI endpoint, String accessKey, String secretKey, String plainAccessKey, String plainSecretKey) {
        /** A storage section for provider {@code ceph} with fresh buckets. */
        public StowageConfig.Storage storage() {
            var cors = new StowageConfig.Cors(List.of("http://localhost:8080", "https://app.example.com"), java.time.Duration.ofHours(1));
            return new StowageConfig.Storage(Provider.CEPH, endpoint, "us-east-1", true, freshBuckets(), cors, TIMEOUTS);
        }

        /** Its credentials (user {@code tester}, with the admin capability {@code buckets=read}). */
        public StaticCredentialsProvider credentials() {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        }

        /** A second user's credentials, without admin capabilities (user {@code plain}). */
        public StaticCredentialsProvider plainCredentials() {
            if (plainAccessKey == null) throw new AssertionError("the RGW tier has no second user: restart it with 'scripts/rgw.sh start'");
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(plainAccessKey, plainSecretKey));
        }
    }

    /**
     * The RADOS Gateway tier.
     *
     * @return the gateway
     * @throws AssertionError when it is not running and the tier was not explicitly excluded
     */
    public static Rgw rgw() {
        Map<String, String> vars = new HashMap<>(System.getenv());
        if (!vars.containsKey("STOWAGE_TEST_RGW_ENDPOINT")) {
            Path f = repoRoot().resolve(".ci-state/rgw/rgw.env");
            if (Files.exists(f)) {
                var p = new Properties();
                try (Reader r = Files.newBufferedReader(f)) {
                    p.load(r);
                } catch (IOException e) {
                    throw new AssertionError("cannot read " + f + ": " + e);
                }
                p.forEach((k, v) -> vars.put(k.toString(), v.toString()));
            }
        }
        String endpoint = vars.get("STOWAGE_TEST_RGW_ENDPOINT");
        if (endpoint == null) {
            String tiers = System.getProperty("stowage.tiers", "all");
            if (tiers.equals("embedded")) {
                System.err.println("RGW tier SKIPPED by -Dstowage.tiers=embedded");
                Assumptions.abort("RGW tier excluded by -Dstowage.tiers=embedded");
            }
            throw new AssertionError("the Ceph RGW test tier is not running: start it with 'scripts/rgw.sh start' "
                    + "(needs Debian ceph-mon ceph-osd radosgw: 'scripts/rgw.sh install'), or exclude it with -Dstowage.tiers=embedded");
        }
        return new Rgw(URI.create(endpoint), vars.get("STOWAGE_TEST_RGW_ACCESS_KEY"), vars.get("STOWAGE_TEST_RGW_SECRET_KEY"),
                vars.get("STOWAGE_TEST_RGW_PLAIN_ACCESS_KEY"), vars.get("STOWAGE_TEST_RGW_PLAIN_SECRET_KEY"));
    }

    /**
     * A test fixture from {@code src/test/resources/fixtures}, read from its copy on the test classpath;
     * the generated ones ({@link Fixtures#GENERATED}) are made there on first use.
     *
     * @param relative path inside the fixtures folder, e.g. {@code images/photos/mate_Storm.jpg} or {@code docs}
     * @return the file or folder
     * @throws AssertionError when it does not exist
     */
    public static Path fixture(String relative) {
        return Fixtures.path(relative);
    }

    /** The repository root (the folder holding pom.xml). */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("pom.xml"))) p = p.getParent();
        return p == null ? Path.of("").toAbsolutePath() : p;
    }
}

package dev.stowage.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Stowage behind PgBouncer in transaction mode ({@code database.pooler: transaction}, the PgBouncer of
 * {@code scripts/pgbouncer.sh} in front of the embedded PostgreSQL): the API, the worker and the
 * migration tool keep no state in a server session, so nothing breaks when each transaction runs on
 * another one (the migration tool's part: {@code MigrationPoolerIT}).
 */
class PoolerIT {
    /** A plain JDBC connection through PgBouncer with the given pgjdbc properties. */
    static Connection connect(String url, Map<String, String> props) throws SQLException {
        var p = new Properties();
        p.setProperty("user", "postgres");
        props.forEach(p::setProperty);
        return DriverManager.getConnection(url, p);
    }

    /**
     * Interleaves two connections for 30 rounds: {@code a} runs one prepared statement (pgjdbc names it on
     * the server from its fifth run unless told otherwise), {@code b} opens a transaction (holding a server
     * session), {@code a} runs the statement again (on another server session than {@code b}'s), and
     * {@code b} rolls back.
     */
    static void interleave(String url, Map<String, String> props) throws SQLException {
        try (Connection a = connect(url, props); Connection b = connect(url, props);
             var st = a.prepareStatement("select count(*) from pg_class where relname = ?")) {
            b.setAutoCommit(false);
            for (int i = 0; i < 30; i++) {
                for (int k = 0; k < 2; k++) {
                    st.setString(1, "pg_class");
                    try (var rs = st.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getLong(1)).isEqualTo(1);
                    }
                    if (k == 0) {
                        try (var s = b.createStatement(); var rs = s.executeQuery("select 1")) {
                            rs.next();
                        }
                    }
                }
                b.rollback();
            }
        }
    }

    @Test
    void theTierIsTransactionPoolingAndThePoolerSettingIsWhatMakesStatementsWork() throws Exception {
        String url = TestServers.newPooledDatabase();
        // pgjdbc's defaults: the statement named on one server session is missing on the next
        // (or a name one connection gave is taken by another's on the same server session)
        assertThatThrownBy(() -> interleave(url, Map.of()))
                .isInstanceOf(SQLException.class)
                .hasMessageMatching("(?s).*prepared statement \"S_\\d+\" (does not exist|already exists).*");
        // what database.pooler: transaction sets
        interleave(url, Database.connectionProperties(StowageConfig.Pooler.TRANSACTION));
    }

    @Test
    void stowageStartsAndAnswersMixedLoadWithoutAServerErrorBehindTransactionPooling() throws Exception {
        StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), TestServers.pooledEnv(Map.of()), StowageConfig.Mode.PRODUCTION);
        assertThat(config.database().pooler()).isEqualTo(StowageConfig.Pooler.TRANSACTION);
        assertThat(config.database().url()).contains("127.0.0.1:" + TestServers.pgbouncerPort() + "/");
        // Flyway ran through the pooler (a session advisory lock or a named statement would have failed here)
        try (var h = new Harness(config, TestServers.embeddedCredentials())) {
            // the worker (db-scheduler) runs behind the pooler: verification and variants of real uploads
            String text = h.uploadText("ada", "behind a transaction pooler");
            Path photo = TestServers.fixture("images/photos/mate_Aqua.jpg");
            byte[] jpeg = Files.readAllBytes(photo);
            String image = h.upload("ada", "aqua.jpg", "image/jpeg", jpeg);
            assertThat(h.awaitSettled("ada", image, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");

            // 240 requests from 8 threads, mixing reads and writes of 6 users
            List<String> users = List.of("u1", "u2", "u3", "u4", "u5", "u6");
            Map<String, List<String>> sessions = new ConcurrentHashMap<>();
            Map<String, AtomicInteger> byStatus = new ConcurrentHashMap<>();
            List<String> errors = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> futures = new ArrayList<>();
            int requests = 240;
            for (int i = 0; i < requests; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    String user = users.get(n % users.size());
                    Harness.Resp r = switch (n % 8) {
                        case 0, 1 -> {
                            var init = h.call("POST", "/v1/uploads", user,
                                    Map.of("filename", "f" + n + ".txt", "size", 10, "contentType", "text/plain"));
                            if (init.status() == 201) sessions.computeIfAbsent(user, k -> Collections.synchronizedList(new ArrayList<>()))
                                    .add(init.json().path("fileId").asText());
                            yield init;
                        }
                        case 2 -> h.call("GET", "/v1/files?limit=20", user, null);
                        case 3 -> h.call("GET", "/v1/usage", user, null);
                        case 4 -> h.call("GET", "/v1/files/" + text, "ada", null);
                        case 5 -> {
                            List<String> mine = sessions.getOrDefault(user, List.of());
                            String id = mine.isEmpty() ? null : mine.get(mine.size() - 1);
                            yield id == null ? h.call("GET", "/v1/files", user, null) : h.call("GET", "/v1/uploads/" + id, user, null);
                        }
                        case 6 -> {
                            List<String> mine = sessions.getOrDefault(user, List.of());
                            String id;
                            synchronized (mine) {
                                id = mine.isEmpty() ? null : mine.remove(0);
                            }
                            yield id == null ? h.call("GET", "/v1/usage", user, null) : h.call("DELETE", "/v1/uploads/" + id, user, null);
                        }
                        default -> h.call("GET", "/v1/files/" + image + "/variants/thumb", "ada", null);
                    };
                    byStatus.computeIfAbsent(String.valueOf(r.status()), k -> new AtomicInteger()).incrementAndGet();
                    if (r.status() >= 500) errors.add(n + ": " + r.status() + " " + r.raw().body());
                }));
            }
            for (Future<?> f : futures) f.get(120, TimeUnit.SECONDS);
            pool.shutdown();
            System.out.println("behind PgBouncer (transaction mode): " + requests + " requests, by status " + byStatus);
            assertThat(errors).as("server errors behind the pooler").isEmpty();
            assertThat(byStatus.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(requests);
            assertThat(byStatus.get("201")).as("initiations answered 201").isNotNull();
            assertThat(byStatus.get("201").get()).isPositive();

            // an upload after the load still goes to ready, and the image got its variants
            String after = h.uploadText("ada", "after the load");
            assertThat(h.call("GET", "/v1/files/" + after, "ada", null).json().path("status").asText()).isEqualTo("ready");
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String variants = null;
            while (System.nanoTime() < end) {
                variants = h.stowage.files().jdbi().withHandle(x -> x.createQuery("select variants_status from files where id = cast(:id as uuid)")
                        .bind("id", image).mapTo(String.class).one());
                if (variants.equals("ready") || variants.equals("failed")) break;
                Thread.sleep(100);
            }
            assertThat(variants).isEqualTo("ready");
            // no session-scoped advisory lock is left on any server session
            assertThat(directCount(config, "select count(*) from pg_locks where locktype = 'advisory'")).isZero();
        }
    }

    /** A count read straight from PostgreSQL (not through the pooler), on the database of {@code config}. */
    static long directCount(StowageConfig config, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(TestServers.directUrl(config.database().url()), "postgres", ""); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

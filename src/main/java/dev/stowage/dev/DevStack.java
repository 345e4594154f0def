package dev.stowage.dev;

import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.security.DevTokens;
import dev.stowage.storage.S3Clients;
import dev.stowage.storage.S3ObjectStore;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * {@code stowage dev}: everything in one process over one data directory — embedded PostgreSQL,
 * embedded S3 (S3Proxy), schema migrations, the four buckets, the HTTP API with the web UI, and the
 * worker. Data survives restarts; a server left by a killed run is stopped first; a second
 * {@code stowage dev} on the same data directory is refused.
 *
 * <p>Data directory layout: {@code secrets.properties} (0600), {@code postgres/}, {@code s3/},
 * {@code run.properties} (endpoints of the running stack, read by {@code stowage buckets} commands),
 * {@code .lock}.
 */
public final class DevStack implements AutoCloseable {
    /** Ports of the dev stack; 0 picks a free port. */
    public record Ports(int http, int s3, int postgres) {
        /** Defaults: HTTP 8080, S3 9000, PostgreSQL 54329. */
        public static final Ports DEFAULT = new Ports(8080, 9000, 54329);
    }

    private final Path dataDir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Stowage stowage;
    private final EmbeddedS3 s3;
    private final DevSecrets secrets;

    private DevStack(Path dataDir, FileChannel lockChannel, FileLock lock, Stowage stowage, EmbeddedS3 s3, DevSecrets secrets) {
        this.dataDir = dataDir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.stowage = stowage;
        this.s3 = s3;
        this.secrets = secrets;
    }

    /**
     * Starts the whole stack.
     *
     * @param base    dev-mode configuration (provider {@code embedded}); endpoint, database URL and JWT
     *                secret are filled in here
     * @param dataDir the data directory (created if missing)
     * @param ports   listening ports
     * @return the running stack
     * @throws DevStackException when the data directory is in use or a server cannot start
     */
    public static DevStack start(StowageConfig base, Path dataDir, Ports ports) {
        Path dir = dataDir.toAbsolutePath().normalize();
        FileChannel ch = null;
        FileLock lock = null;
        EmbeddedPostgresServer pg = null;
        EmbeddedS3 s3 = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // held by this very JVM
            }
            if (lock == null) {
                throw new DevStackException("data directory " + dir + " is in use by another 'stowage dev' (stop it first, or use --data-dir)");
            }
            // a taken port must stop us here: PostgreSQL would otherwise hand us another server's database
            EmbeddedPostgresServer.stopStaleServer(dir.resolve("postgres").resolve("data"));
            requireFree(ports.http(), "HTTP", "--port");
            requireFree(ports.s3(), "S3", "--s3-port");
            requireFree(ports.postgres(), "PostgreSQL", "--pg-port");
            DevSecrets secrets = DevSecrets.loadOrCreate(dir);
            // stopped by close(), after the API has drained and the worker has stopped
            pg = EmbeddedPostgresServer.start(dir.resolve("postgres"), ports.postgres(), true, false);
            s3 = EmbeddedS3.start(dir.resolve("s3"), ports.s3(), secrets.s3AccessKey(), secrets.s3SecretKey(),
                    base.storage().cors().allowedOrigins());
            var st = base.storage();
            var storage = new StowageConfig.Storage(st.provider(), s3.endpoint(), st.region(), true, st.buckets(), st.cors(), st.timeouts());
            var auth = new StowageConfig.Auth(secrets.jwtSecret(), null, base.auth().issuer(), base.auth().audience());
            var db = base.database().with(pg.jdbcUrl(), null, null, base.database().maxPoolSize());
            StowageConfig config = base.withStorage(storage).withAuth(auth).withDatabase(db);
            var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create(secrets.s3AccessKey(), secrets.s3SecretKey()));
            try (S3Clients clients = S3Clients.create(storage, creds)) {
                new BucketPlanner(new S3ObjectStore(clients), storage).apply();
            }
            if (ports.http() != config.http().port()) {
                var h = config.http();
                config = config.withHttp(new StowageConfig.Http(h.host(), ports.http(), h.publicUrl(), h.shutdownGrace(), h.metricsToken()));
            }
            Stowage stowage = new Stowage(config, creds);
            stowage.closeLast(s3);
            stowage.closeLast(pg);
            stowage.startWorker(2).startApi(new DevTokens(secrets.jwtSecret()));
            var stack = new DevStack(dir, ch, lock, stowage, s3, secrets);
            stack.writeRunFile(pg.port());
            return stack;
        } catch (DevStackException e) {
            closeQuietly(s3, pg, ch);
            throw e;
        } catch (java.nio.file.FileSystemException e) {
            closeQuietly(s3, pg, ch);
            String why = e instanceof java.nio.file.FileAlreadyExistsException ? "a file is in the way"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : e.getReason() != null ? e.getReason() : e.toString();
            throw new DevStackException("cannot use data directory " + dir + ": " + why + " (" + e.getFile() + ")", e);
        } catch (Exception e) {
            closeQuietly(s3, pg, ch);
            throw new DevStackException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    /** Fails with a message naming the flag when something already listens on {@code port} (0 = any, fine). */
    private static void requireFree(int port, String what, String flag) {
        if (port == 0) return;
        try (var probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new DevStackException(what + " port " + port + " is taken by another process: choose another with " + flag);
        }
    }

    private static void closeQuietly(AutoCloseable... cs) {
        for (AutoCloseable c : cs) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception ignored) {
                // start failed already; report that failure, not this one
            }
        }
    }

    private void writeRunFile(int pgPort) throws IOException {
        var p = new Properties();
        p.setProperty("http.url", "http://localhost:" + stowage.api().port());
        p.setProperty("s3.endpoint", s3.endpoint().toString());
        p.setProperty("postgres.port", Integer.toString(pgPort));
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        // written beside and moved into place, so a reader never sees a half-written file
        Path tmp = dataDir.resolve(RUN_FILE + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "endpoints of the running stowage dev");
        }
        Files.move(tmp, dataDir.resolve(RUN_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** File in the data directory holding the running stack's endpoints. */
    public static final String RUN_FILE = "run.properties";

    /** The running process. */
    public Stowage stowage() {
        return stowage;
    }

    /** The embedded S3 endpoint. */
    public java.net.URI s3Endpoint() {
        return s3.endpoint();
    }

    /** The data directory. */
    public Path dataDir() {
        return dataDir;
    }

    /** The generated secrets. */
    public DevSecrets secrets() {
        return secrets;
    }

    /**
     * A dev token for a user, valid 30 days.
     *
     * @param userId the {@code sub}
     * @return a compact JWT
     */
    public String devToken(String userId) {
        return new DevTokens(secrets.jwtSecret()).issue(userId, "free", List.of(), Duration.ofDays(30));
    }

    @Override
    public void close() {
        stowage.close();
        try {
            Files.deleteIfExists(dataDir.resolve(RUN_FILE));
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // the OS releases the lock with the process anyway
        }
    }

    /** The dev stack cannot start; the message is for the user. */
    public static final class DevStackException extends RuntimeException {
        DevStackException(String message) {
            super(message);
        }

        DevStackException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

package dev.stowage.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Http;
import java.io.Reader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** {@code stowage dev}: start, restart with data surviving, refusal of a second run, recovery after kill -9. */
class DevStackIT {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static StowageConfig devConfig() {
        return ConfigLoader.load(null, Map.of(), StowageConfig.Mode.DEV);
    }

    private static String url(DevStack s, String path) {
        return "http://127.0.0.1:" + s.stowage().api().port() + path;
    }

    @Test
    void startsHealthyAndARestartReusesTheData() throws Exception {
        Path data = dir.resolve("data");
        var ports = new DevStack.Ports(0, 0, freePort());
        DevSecrets firstSecrets;
        try (DevStack s = DevStack.start(devConfig(), data, ports)) {
            var ready = Http.get(url(s, "/health/ready"));
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"database\":{\"status\":\"up\"}", "\"object_store\":{\"status\":\"up\"}");
            // the four buckets exist
            var names = s.stowage().s3().client().listBuckets().buckets().stream().map(b -> b.name()).toList();
            assertThat(names).contains("uploads-raw", "uploads-processed", "system-backups", "access-logs");
            // CORS for the dev origin: a browser on the UI's origin may PUT straight to the bucket, others not
            String object = s.s3Endpoint() + "/uploads-raw/alice/f.txt";
            var allowed = Http.method("OPTIONS", object, "Origin", "http://localhost:8080", "Access-Control-Request-Method", "PUT");
            assertThat(allowed.statusCode()).isEqualTo(200);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains("http://localhost:8080");
            assertThat(allowed.headers().firstValue("Access-Control-Expose-Headers")).hasValueSatisfying(v ->
                    assertThat(v.split(",\\s*")).contains("ETag", "Content-Range", "Accept-Ranges", "Content-Length"));
            // and may read part of a download: Range is allowed on GET
            var ranged = Http.method("OPTIONS", object, "Origin", "http://localhost:8080", "Access-Control-Request-Method", "GET",
                    "Access-Control-Request-Headers", "range,if-match");
            assertThat(ranged.statusCode()).isEqualTo(200);
            assertThat(ranged.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase()).contains("range", "if-match");
            var foreign = Http.method("OPTIONS", object, "Origin", "https://evil.example", "Access-Control-Request-Method", "PUT");
            assertThat(foreign.statusCode()).isEqualTo(403);
            // durable PostgreSQL, unlike the test defaults
            s.stowage().db().jdbi().useHandle(h -> {
                assertThat(h.createQuery("show fsync").mapTo(String.class).one()).isEqualTo("on");
                assertThat(h.createQuery("show synchronous_commit").mapTo(String.class).one()).isEqualTo("on");
                h.execute("insert into accounts (user_id, quota_bytes) values ('alice', 1000)");
            });
            s.stowage().s3().client().putObject(r -> r.bucket("uploads-raw").key("alice/x.txt"), RequestBody.fromString("kept"));
            // secrets are private to the owner
            assertThat(Files.getPosixFilePermissions(data.resolve(DevSecrets.FILE))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            // the dev token authenticates
            var me = Http.get(url(s, "/v1/me"), "Authorization", "Bearer " + s.devToken("dev-user"));
            assertThat(me.statusCode()).isEqualTo(200);
            assertThat(me.body()).contains("\"userId\":\"dev-user\"");
            firstSecrets = s.secrets();
        }
        try (DevStack s = DevStack.start(devConfig(), data, ports)) {
            assertThat(s.secrets()).isEqualTo(firstSecrets);
            long quota = s.stowage().db().jdbi().withHandle(h ->
                    h.createQuery("select quota_bytes from accounts where user_id = 'alice'").mapTo(Long.class).one());
            assertThat(quota).isEqualTo(1000L);
            assertThat(s.stowage().s3().client().getObjectAsBytes(r -> r.bucket("uploads-raw").key("alice/x.txt")).asUtf8String())
                    .isEqualTo("kept");
            assertThat(Http.get(url(s, "/health/ready")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aSecondRunOnTheSameDataDirectoryIsRefused() throws Exception {
        Path data = dir.resolve("data");
        try (DevStack s = DevStack.start(devConfig(), data, new DevStack.Ports(0, 0, 0))) {
            assertThatThrownBy(() -> DevStack.start(devConfig(), data, new DevStack.Ports(0, 0, 0)))
                    .isInstanceOf(DevStack.DevStackException.class)
                    .hasMessageContaining("is in use by another 'stowage dev'");
            assertThat(Http.get(url(s, "/health/ready")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aTakenPortIsNamedWithItsFlagBeforeAnythingStarts() throws Exception {
        try (var taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> DevStack.start(devConfig(), dir.resolve("a"), new DevStack.Ports(0, 0, port)))
                    .isInstanceOf(DevStack.DevStackException.class)
                    .hasMessage("PostgreSQL port " + port + " is taken by another process: choose another with --pg-port");
            assertThatThrownBy(() -> DevStack.start(devConfig(), dir.resolve("b"), new DevStack.Ports(0, port, 0)))
                    .hasMessage("S3 port " + port + " is taken by another process: choose another with --s3-port");
            assertThatThrownBy(() -> DevStack.start(devConfig(), dir.resolve("c"), new DevStack.Ports(port, 0, 0)))
                    .hasMessage("HTTP port " + port + " is taken by another process: choose another with --port");
            assertThat(dir.resolve("a/postgres/data")).doesNotExist();
        }
    }

    @Test
    void startsAfterThePreviousRunWasKilledWithSigkill() throws Exception {
        Path data = dir.resolve("data");
        int pgPort = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        var pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.stowage.cli.Main",
                "dev", "--data-dir", data.toString(), "--port", "0", "--s3-port", "0", "--pg-port", Integer.toString(pgPort))
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile());
        pb.environment().remove("STOWAGE_CONFIG");
        Process child = pb.start();
        Path run = data.resolve(DevStack.RUN_FILE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(run)) {
            assertThat(child.isAlive()).as("child dev stack died: %s", Files.exists(dir.resolve("child.log")) ? Files.readString(dir.resolve("child.log")) : "").isTrue();
            assertThat(System.nanoTime()).as("child dev stack did not start in 90 s").isLessThan(deadline);
            Thread.sleep(100);
        }
        var p = new Properties();
        try (Reader r = Files.newBufferedReader(run)) {
            p.load(r);
        }
        assertThat(Http.get(p.getProperty("http.url") + "/health/ready").statusCode()).isEqualTo(200);
        child.destroyForcibly(); // SIGKILL: no shutdown hook runs, PostgreSQL keeps running
        child.waitFor(10, TimeUnit.SECONDS);
        String pid = Files.readAllLines(data.resolve("postgres/data/postmaster.pid")).getFirst().trim();
        assertThat(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive)).contains(true);

        try (DevStack s = DevStack.start(devConfig(), data, new DevStack.Ports(0, 0, pgPort))) {
            assertThat(Http.get(url(s, "/health/ready")).statusCode()).isEqualTo(200);
            assertThat(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            int migrations = s.stowage().db().jdbi().withHandle(h ->
                    h.createQuery("select count(*) from flyway_schema_history where success").mapTo(Integer.class).one());
            assertThat(migrations).isGreaterThan(0);
        }
    }

    /** {@code java -jar target/stowage.jar dev …} in {@code work} with its own environment; output in {@code name.log}. */
    private Process devProcess(Path work, String name, Map<String, String> env, List<String> prefix) throws Exception {
        Path jar = dev.stowage.testing.TestServers.repoRoot().resolve("target/stowage.jar");
        assertThat(jar).as("the packaged jar (built by the package phase before integration tests)").exists();
        String java = ProcessHandle.current().info().command().orElse("java");
        var cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of(java, "-jar", jar.toString(), "dev", "--data-dir", work.resolve("data").toString(),
                "--port", "0", "--s3-port", "0", "--pg-port", "0"));
        var pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("STOWAGE_") || k.startsWith("LC_") || k.equals("LANG"));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits for the dev stack's ready banner, or for the process to end; returns its output so far. */
    private static String awaitReadyOrExit(Process p, Path log, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String out = Files.exists(log) ? Files.readString(log) : "";
            if (out.contains("Stowage dev is running") || !p.isAlive()) return out;
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new AssertionError("neither ready nor ended in " + seconds + " s: " + Files.readString(log));
    }

    @Test
    void startsUnderALocaleThatIsNotInstalled() throws Exception {
        String missing = "en_US.UTF-8";
        var installed = new String(new ProcessBuilder("locale", "-a").start().getInputStream().readAllBytes());
        assertThat(installed.lines().map(String::toLowerCase)).as("the test needs a locale that is not installed")
                .doesNotContain("en_us.utf8", "en_us.utf-8");
        Process p = devProcess(dir, "locale", Map.of("LANG", missing, "LC_ALL", missing), List.of());
        try {
            String out = awaitReadyOrExit(p, dir.resolve("locale.log"), 120);
            assertThat(out).as(out).contains("Stowage dev is running");
        } finally {
            p.destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("dev stops on SIGTERM").isTrue();
            assertThat(p.exitValue()).as("a graceful stop on SIGTERM is a success (the JVM's own would be 143)").isZero();
        }
    }

    @Test
    void underAUserIdWithoutAPasswdEntryItSaysWhyAndWhatToDo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "switching to an unknown user id needs root (CI runs as root)");
        assertThat(Files.readAllLines(Path.of("/etc/passwd")).stream().map(l -> l.split(":")[2])).doesNotContain("12345");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Process p = devProcess(dir, "nouser", Map.of(), List.of("setpriv", "--reuid", "12345", "--regid", "12345", "--clear-groups"));
        String out = awaitReadyOrExit(p, dir.resolve("nouser.log"), 120);
        if (out.contains("Stowage dev is running")) {
            p.destroy();
            p.waitFor(60, TimeUnit.SECONDS);
            return; // starting is the better of the two allowed outcomes
        }
        assertThat(p.exitValue()).isNotZero();
        assertThat(out).as(out).contains("the embedded PostgreSQL did not start")
                .contains("could not look up effective user ID 12345")
                .contains("what to do:", "/etc/passwd")
                .doesNotContain("\tat ");
    }
}

package dev.stowage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./stowage} launcher's start-up cache ({@code STOWAGE_AOT}): recorded on request, used while
 * newer than the jar, silently ignored when the JVM options do not match, and never mixed into a
 * command's standard output. Runs the real script against the jar the build packaged.
 */
class LauncherIT {
    private static final Path HOME = Path.of("").toAbsolutePath();
    private static final Path AOT = HOME.resolve("target/stowage.aot");
    private static final Path JAR = HOME.resolve("target/stowage.jar");

    record Run(int exit, String out, String err) {}

    private static Run launcher(Path dir, Map<String, String> env, String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of(HOME.resolve("stowage").toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        var pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("STOWAGE_"));
        pb.environment().put("JAVA_HOME", Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent().getParent().toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the launcher did not end within 180 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void aStartUpCacheIsRecordedOnRequestUsedAfterwardsAndNeverPrintedIntoTheOutput(@TempDir Path dir) throws Exception {
        assertThat(JAR).as("the packaged jar").exists();
        Files.deleteIfExists(AOT);
        Run plain = launcher(dir, Map.of("STOWAGE_AOT", "off"), "version");
        assertThat(plain.exit()).isZero();
        assertThat(plain.out()).startsWith("stowage ");

        Run recorded = launcher(dir, Map.of("STOWAGE_AOT", "record"), "version");
        assertThat(recorded.exit()).isZero();
        assertThat(recorded.out()).as("the command's output, untouched by the JVM's notes").isEqualTo(plain.out());
        assertThat(recorded.err()).contains("start-up cache written to " + AOT);
        assertThat(AOT).exists();
        assertThat(Files.getLastModifiedTime(AOT)).isGreaterThan(Files.getLastModifiedTime(JAR));
        try (var left = Files.list(AOT.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("stowage.aot.")))
                    .as("no temporary configuration or cache left behind").isEmpty();
        }

        // a command that fails records nothing and keeps the cache it had
        var before = Files.getLastModifiedTime(AOT);
        Run failed = launcher(dir, Map.of("STOWAGE_AOT", "record"), "migrate", "run", "--source", dir.resolve("nowhere").toString());
        assertThat(failed.exit()).isEqualTo(2);
        assertThat(failed.err()).contains("--source: ").contains("no start-up cache recorded");
        assertThat(Files.getLastModifiedTime(AOT)).isEqualTo(before);

        // used by default: the JVM maps it (its own log, written to a file of the test's, says so)
        Path log = dir.resolve("aot.log");
        Run used = launcher(dir, Map.of("STOWAGE_JAVA_OPTS", "-Xlog:aot=info:file=" + log), "version");
        assertThat(used.exit()).isZero();
        assertThat(used.out()).isEqualTo(plain.out());
        assertThat(Files.readString(log)).contains("Opened AOT cache " + AOT);

        // other JVM options: the cache does not fit, the JVM goes on without it and says nothing
        Run mismatch = launcher(dir, Map.of("STOWAGE_JAVA_OPTS", "-XX:+UseSerialGC"), "version");
        assertThat(mismatch.exit()).isZero();
        assertThat(mismatch.out()).isEqualTo(plain.out());
        assertThat(mismatch.err()).doesNotContain("[aot]").doesNotContain("AOT cache");

        // off: not even opened
        Path offLog = dir.resolve("off.log");
        Run off = launcher(dir, Map.of("STOWAGE_AOT", "off", "STOWAGE_JAVA_OPTS", "-Xlog:aot=info:file=" + offLog), "version");
        assertThat(off.exit()).isZero();
        assertThat(Files.exists(offLog) ? Files.readString(offLog) : "").doesNotContain("Opened AOT cache");

        Run bad = launcher(dir, Map.of("STOWAGE_AOT", "sometimes"), "version");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("STOWAGE_AOT must be auto, record or off (not 'sometimes')");
        assertThat(bad.out()).isEmpty();
    }
}

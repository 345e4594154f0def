package dev.stowage.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code stowage} command line as a user runs it: a separate JVM on the test class path, with its
 * own environment (the test JVM's {@code STOWAGE_*}, {@code AWS_*} and storage variables removed first),
 * output captured to files in a working folder. Tests that must kill the process (SIGKILL) start it and
 * keep the {@link Process}.
 */
public final class StowageProcess {
    /** What a finished command left. */
    public record Result(int exit, String out, String err) {}

    private StowageProcess() {}

    /**
     * Starts {@code stowage args…}.
     *
     * @param dir    working folder; output goes to {@code name.out} and {@code name.err} in it
     * @param name   base name of the output files
     * @param prefix commands put before {@code java} (e.g. {@code setpriv …}), may be empty
     */
    public static Process start(Path dir, String name, Map<String, String> env, List<String> prefix, String... args) throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        var cmd = new ArrayList<>(prefix);
        cmd.add(javaBin);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.stowage.cli.Main");
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("STOWAGE_") || k.startsWith("AWS_") || k.equals("STORAGE_PROVIDER") || k.equals("S3_ENDPOINT"));
        pb.environment().put("LC_ALL", "C.UTF-8");
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The output of a process started by {@link #start} once it ended. */
    public static Result result(Process p, Path dir, String name) throws IOException {
        return new Result(p.exitValue(), Files.readString(dir.resolve(name + ".out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve(name + ".err"), StandardCharsets.UTF_8));
    }

    /** Runs {@code stowage args…} to its end (at most {@code timeoutSeconds}). */
    public static Result run(Path dir, Map<String, String> env, long timeoutSeconds, String... args) throws Exception {
        return run(dir, env, List.of(), timeoutSeconds, args);
    }

    /** Runs {@code prefix… java … stowage args…} to its end (at most {@code timeoutSeconds}). */
    public static Result run(Path dir, Map<String, String> env, List<String> prefix, long timeoutSeconds, String... args) throws Exception {
        Process p = start(dir, "cmd", env, prefix, args);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("stowage " + String.join(" ", args) + " did not finish within " + timeoutSeconds + " s");
        }
        return result(p, dir, "cmd");
    }
}

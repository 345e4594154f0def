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
        return startMain(dir, name, env, prefix, "dev.stowage.cli.Main", args);
    }

    private static Process startMain(Path dir, String name, Map<String, String> env, List<String> prefix, String mainClass, String... args)
            throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        var cmd = new ArrayList<>(prefix);
        cmd.add(javaBin);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
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

    /**
     * Runs several commands one after another in one JVM ({@link CliBatch}), with one environment: one JVM
     * start instead of one per command, for commands whose point is their output and exit code, not the process.
     *
     * @param dir      working folder; each call keeps the outputs in a new subfolder of it
     * @param commands the argument lists, in order
     * @return one result per command, in order (exit: the code {@code main} would exit with)
     * @throws AssertionError when the JVM does not end within {@code timeoutSeconds} or exits non-zero
     */
    public static List<Result> runEach(Path dir, Map<String, String> env, long timeoutSeconds, List<String[]> commands) throws Exception {
        return runEach(dir, env, List.of(), timeoutSeconds, commands);
    }

    /** {@link #runEach(Path, Map, long, List)} with commands put before {@code java} (e.g. {@code setpriv …}). */
    public static List<Result> runEach(Path dir, Map<String, String> env, List<String> prefix, long timeoutSeconds, List<String[]> commands)
            throws Exception {
        Path out = Files.createTempDirectory(dir, "batch-");
        CliBatch.write(out, commands);
        String name = out.getFileName().toString();
        Process p = startMain(dir, name, env, prefix, CliBatch.class.getName(), out.toString());
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(commands.size() + " stowage commands did not finish within " + timeoutSeconds + " s");
        }
        if (p.exitValue() != 0) throw new AssertionError("the command batch exited " + p.exitValue() + ": " + Files.readString(dir.resolve(name + ".err")));
        var results = new ArrayList<Result>();
        for (int i = 0; i < commands.size(); i++) {
            results.add(new Result(Integer.parseInt(Files.readString(out.resolve(i + ".exit")).strip()),
                    Files.readString(out.resolve(i + ".out"), StandardCharsets.UTF_8), Files.readString(out.resolve(i + ".err"), StandardCharsets.UTF_8)));
        }
        return results;
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

package dev.stowage.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Runs once when a test JVM opens its JUnit session, before any test: creates the run's temporary
 * folder ({@code java.io.tmpdir}, which the build points at {@code target/tmp}) and stops what an
 * interrupted earlier run left there: embedded PostgreSQL servers and {@code stowage} child processes
 * whose command line names a path under that folder. A temporary folder outside a {@code target/}
 * folder (a run that did not set it) is never searched.
 */
public final class TestSession implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the tests' temporary folder " + tmp, e);
        }
        if (tmp.getParent() != null && tmp.getParent().getFileName() != null
                && tmp.getParent().getFileName().toString().equals("target")) {
            stopLeftovers(tmp);
        }
    }

    /**
     * Stops every process, other than this JVM and its ancestors, whose command line names a path under
     * {@code folder}: SIGTERM, then SIGKILL for those still alive after 20 seconds.
     *
     * @param folder an absolute folder
     * @return how many processes were asked to stop
     */
    static int stopLeftovers(Path folder) {
        String prefix = folder + "/";
        Set<Long> spared = new HashSet<>();
        for (var p = java.util.Optional.of(ProcessHandle.current()); p.isPresent(); p = p.get().parent()) spared.add(p.get().pid());
        List<ProcessHandle> left = ProcessHandle.allProcesses()
                .filter(p -> !spared.contains(p.pid()))
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(prefix)).orElse(false))
                .toList();
        if (left.isEmpty()) return 0;
        System.err.println("stopping " + left.size() + " process(es) an earlier test run left under " + folder + ": "
                + left.stream().map(p -> p.pid() + " " + p.info().command().orElse("?")).toList());
        left.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ProcessHandle p : left) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        return left.size();
    }
}

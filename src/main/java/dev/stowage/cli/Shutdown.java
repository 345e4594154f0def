package dev.stowage.cli;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/** Keeps a long-running command alive until the process is asked to stop. */
final class Shutdown {
    private Shutdown() {}

    /**
     * Blocks until SIGTERM or SIGINT, then closes {@code running} gracefully (HTTP drains first) and
     * returns, so the command ends normally: a requested stop is a success (exit 0), not a death by
     * signal (143, 130); a second SIGTERM or SIGINT during that stop ends the process at once (143, 130).
     * That normal exit is also when the JVM writes what it records at exit, such as the launcher's
     * start-up cache training. Any other shutdown (SIGHUP, {@code System.exit} elsewhere)
     * still closes {@code running}, from a shutdown hook, once.
     *
     * @param running what to stop
     */
    static void await(AutoCloseable running) {
        var requested = new CountDownLatch(1);
        var closed = new AtomicBoolean();
        Runnable close = () -> {
            if (!closed.compareAndSet(false, true)) return;
            try {
                running.close();
            } catch (Exception e) {
                System.err.println("stowage: error while stopping: " + e);
            }
        };
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal.handle(new Signal(name), s -> {
                    // a second request while the first drains: stop now, as a death by that signal
                    if (requested.getCount() == 0) Runtime.getRuntime().halt(128 + s.getNumber());
                    requested.countDown();
                });
            } catch (IllegalArgumentException e) {
                // the signal is ignored (nohup) or reserved (-Xrs): the shutdown hook still closes
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(close, "stowage-shutdown"));
        try {
            requested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close.run();
    }
}

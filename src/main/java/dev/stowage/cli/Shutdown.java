package dev.stowage.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a long-running command alive until the process is asked to stop. */
final class Shutdown {
    private Shutdown() {}

    /**
     * Blocks until SIGTERM or SIGINT, then closes {@code running} gracefully (HTTP drains first) before
     * the JVM exits.
     *
     * @param running what to stop
     */
    static void await(AutoCloseable running) {
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception e) {
                System.err.println("stowage: error while stopping: " + e);
            } finally {
                stopped.countDown();
            }
        }, "stowage-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.stowage.migration;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * The memory one migration process copies with: at most {@code slots} buffers, each as large as the
 * largest single upload or part asked of it (the multipart threshold or part size), shared by whole small
 * files and the parts of large ones. A copy waits for a free buffer, so memory does not grow with file
 * size, file count or tree size.
 */
final class BufferPool {
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();

    BufferPool(int slots) {
        this.permits = new Semaphore(slots, true);
    }

    /** A buffer of at least {@code bytes}, waiting for a free slot. */
    byte[] acquire(int bytes) throws InterruptedException {
        permits.acquire();
        byte[] b = free.poll();
        if (b == null || b.length < bytes) {
            // grow in steps so buffers are reused across slightly different sizes
            int size = (int) Math.min(Integer.MAX_VALUE - 16, Math.max(64 * 1024L, Long.highestOneBit(Math.max(1, bytes - 1)) << 1));
            b = new byte[size];
        }
        return b;
    }

    /** Gives a buffer back. */
    void release(byte[] b) {
        free.offer(b);
        permits.release();
    }
}

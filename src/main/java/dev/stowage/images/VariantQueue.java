package dev.stowage.images;

import java.util.UUID;

/**
 * Where variant generation of a ready image is handed to a worker. Queuing a file whose generation is
 * already pending is a no-op, so every caller may queue it again.
 */
public interface VariantQueue {
    /** Queues variant generation of a ready image. */
    void enqueueVariants(UUID fileId);
}

package dev.stowage.uploads;

import java.util.UUID;

/**
 * Where an arrived upload is handed over for verification. Enqueuing the same file twice while a
 * verification is pending is a no-op, so the S3 event, the client's complete call and the reconciler
 * may all enqueue it.
 */
public interface VerificationQueue {
    /** Queues verification of a file whose object has arrived. */
    void enqueue(UUID fileId);
}

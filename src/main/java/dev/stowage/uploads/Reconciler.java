package dev.stowage.uploads;

import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes every upload end in a known state even when events and "complete" calls are lost (docs/architecture.md §5):
 * finds pending single uploads whose object is already there (lost event), expires sessions past their
 * lifetime (multipart aborted, anything half-written deleted, reservation released), and re-queues files
 * stuck between {@code uploaded} and {@code ready}. Each pass handles a bounded batch.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    private final ObjectStore s3;
    private final FileRepository files;
    private final FileLifecycle lifecycle;
    private final UploadService uploads;
    private final VerificationQueue queue;
    private final int batch;

    /** What one pass did. */
    public record Report(int recovered, int expired, int requeued) {}

    /**
     * @param s3        clients
     * @param files     repository
     * @param lifecycle makes the moves (expiry)
     * @param uploads   marks lost arrivals uploaded
     * @param queue     where stuck files are queued again
     * @param batch     most files looked at per category and pass
     */
    public Reconciler(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, VerificationQueue queue, int batch) {
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.uploads = uploads;
        this.queue = queue;
        this.batch = batch;
    }

    /** What the reconciler does about one pending file whose session is due. */
    public enum Decision {
        /** the single upload's object is there: mark it uploaded (lost event and lost complete call) */
        RECOVER,
        /** the session is over: end the upload as expired */
        EXPIRE,
        /** nothing yet */
        WAIT
    }

    /**
     * The decision for a pending file's due session: a single upload whose object exists is recovered
     * (even past its expiry: the bytes arrived in time); otherwise an expired session ends the upload.
     *
     * @param session      the session
     * @param expired      whether it is past its expiry
     * @param objectExists whether the raw object exists (asked only for single uploads)
     */
    public static Decision decide(dev.stowage.files.UploadSession session, boolean expired, java.util.function.BooleanSupplier objectExists) {
        if (!session.multipart() && objectExists.getAsBoolean()) return Decision.RECOVER;
        return expired ? Decision.EXPIRE : Decision.WAIT;
    }

    /**
     * One pass.
     *
     * @param lostEventAge how old a pending single upload must be before its object is looked for
     * @param stuckAge     how long a file may sit in uploaded/verifying/scanning before it is re-queued
     */
    public Report run(Duration lostEventAge, Duration stuckAge) {
        int recovered = 0, expired = 0, requeued = 0;
        for (FileRepository.DueSession due : files.dueSessions(lostEventAge, batch)) {
            var p = due.session();
            FileRecord f = files.find(p.fileId()).orElse(null);
            if (f == null || f.status() != FileStatus.PENDING) continue;
            switch (decide(p, due.expired(), () -> uploads.objectExists(f))) {
                case RECOVER -> {
                    uploads.markUploaded(f.id());
                    recovered++;
                    log.info("reconciler: upload {} arrived without an event or complete call; verifying", f.id());
                }
                case EXPIRE -> {
                    if (lifecycle.expire(f.id()).isPresent()) {
                        if (p.uploadId() != null) uploads.abortQuietly(f.objectKey(), p.uploadId());
                        try {
                            s3.delete(f.bucket(), f.objectKey());
                        } catch (StoreException e) {
                            if (!e.answered()) throw e;
                            log.warn("reconciler: could not delete {}: {}", f.objectKey(), e.getMessage());
                        }
                        expired++;
                    }
                }
                case WAIT -> { }
            }
        }
        for (UUID id : files.stuck(stuckAge, batch)) {
            queue.enqueue(id);
            requeued++;
        }
        dev.stowage.metrics.StowageMetrics.reconcilerActions("recovered", recovered);
        dev.stowage.metrics.StowageMetrics.reconcilerActions("expired", expired);
        dev.stowage.metrics.StowageMetrics.reconcilerActions("requeued", requeued);
        if (recovered + expired + requeued > 0) {
            log.info("reconciler: {} recovered, {} expired, {} re-queued", recovered, expired, requeued);
        }
        return new Report(recovered, expired, requeued);
    }
}

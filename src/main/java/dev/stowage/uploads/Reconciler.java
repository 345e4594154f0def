package dev.stowage.uploads;

import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.time.Duration;
import java.util.List;
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
    private final UploadService uploads;
    private final VerificationQueue queue;
    private final int batch;

    /** What one pass did. */
    public record Report(int recovered, int expired, int requeued) {}

    /**
     * @param batch most files looked at per category and pass
     */
    public Reconciler(ObjectStore s3, FileRepository files, UploadService uploads, VerificationQueue queue, int batch) {
        this.s3 = s3;
        this.files = files;
        this.uploads = uploads;
        this.queue = queue;
        this.batch = batch;
    }

    private record Pending(UUID fileId, String kind, String uploadId, boolean expired) {}

    /**
     * One pass.
     *
     * @param lostEventAge how old a pending single upload must be before its object is looked for
     * @param stuckAge     how long a file may sit in uploaded/verifying/scanning before it is re-queued
     */
    public Report run(Duration lostEventAge, Duration stuckAge) {
        int recovered = 0, expired = 0, requeued = 0;
        List<Pending> pending = files.jdbi().withHandle(h -> h.createQuery("""
                        select s.file_id, s.kind, s.s3_upload_id, s.expires_at < now() as expired
                        from upload_sessions s join files f on f.id = s.file_id
                        where f.status = 'pending'
                          and (s.expires_at < now() or (s.kind = 'single' and s.created_at < now() - cast(:age as interval)))
                        order by s.created_at limit :n""")
                .bind("age", lostEventAge.toSeconds() + " seconds").bind("n", batch)
                .map((rs, ctx) -> new Pending(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getBoolean(4)))
                .list());
        for (Pending p : pending) {
            FileRecord f = files.find(p.fileId()).orElse(null);
            if (f == null || f.status() != FileStatus.PENDING) continue;
            if (p.kind().equals("single") && uploads.objectExists(f)) {
                uploads.markUploaded(f.id());
                recovered++;
                log.info("reconciler: upload {} arrived without an event or complete call; verifying", f.id());
            } else if (p.expired()) {
                if (files.end(f.id(), FileStatus.EXPIRED, "expired", "nothing complete arrived within the upload session's lifetime").isPresent()) {
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
        }
        List<UUID> stuck = files.jdbi().withHandle(h -> h.createQuery("""
                        select id from files where status in ('uploaded', 'verifying', 'scanning')
                          and updated_at < now() - cast(:age as interval) order by updated_at limit :n""")
                .bind("age", stuckAge.toSeconds() + " seconds").bind("n", batch).mapTo(UUID.class).list());
        for (UUID id : stuck) {
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

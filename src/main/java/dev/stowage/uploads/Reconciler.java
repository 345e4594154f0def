package dev.stowage.uploads;

import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes every upload end in a known state even when events and "complete" calls are lost (docs/architecture.md §5):
 * finds pending single uploads whose object is already there (lost event), expires sessions past their
 * lifetime (multipart aborted, anything half-written deleted, reservation released), re-queues files
 * stuck between {@code uploaded} and {@code ready}, and sweeps {@code staging/}: staging objects and
 * multipart uploads whose file is closed or promoted, or older than {@code uploads.staging_ttl_seconds},
 * are removed (docs/architecture.md §3). Each pass handles a bounded batch.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    /** File states whose staging object or multipart upload may still be needed. */
    static final Set<FileStatus> STAGING_LIVE = EnumSet.of(FileStatus.PENDING, FileStatus.UPLOADED, FileStatus.VERIFYING);
    /** Age after which a staging key without a file row (or not a staging key at all) is removed. */
    static final Duration UNKNOWN_GRACE = Duration.ofMinutes(10);

    private final ObjectStore s3;
    private final FileRepository files;
    private final FileLifecycle lifecycle;
    private final UploadService uploads;
    private final VerificationQueue queue;
    private final int batch;
    private final String rawBucket;
    private final Duration stagingTtl;
    private final int sweepLimit;
    private volatile String sweepCursor;

    /** What one pass did. */
    public record Report(int recovered, int expired, int requeued) {}

    /** What one staging sweep removed: objects deleted, multipart uploads aborted. */
    public record Swept(int objects, int uploads) {}

    /**
     * @param s3         clients
     * @param files      repository
     * @param lifecycle  makes the moves (expiry)
     * @param uploads    marks lost arrivals uploaded
     * @param queue      where stuck files are queued again
     * @param batch      most files looked at per category and pass
     * @param rawBucket  the raw bucket, whose {@code staging/} is swept
     * @param stagingTtl age after which anything under {@code staging/} is removed whatever its file's state
     * @param sweepLimit most staging objects, and most multipart uploads, looked at per pass (1 to 1,000)
     */
    public Reconciler(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, VerificationQueue queue, int batch,
                      String rawBucket, Duration stagingTtl, int sweepLimit) {
        if (sweepLimit < 1 || sweepLimit > 1000) throw new IllegalArgumentException("sweepLimit must be 1 to 1,000, got " + sweepLimit);
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.uploads = uploads;
        this.queue = queue;
        this.batch = batch;
        this.rawBucket = rawBucket;
        this.stagingTtl = stagingTtl;
        this.sweepLimit = sweepLimit;
    }

    /** What the sweep does with one staging object or multipart upload. */
    public enum Sweep {
        /** its file may still need it */
        KEEP,
        /** delete the object, abort the upload */
        REMOVE
    }

    /**
     * The sweep's decision for one thing under {@code staging/}: anything older than the TTL goes; otherwise it
     * stays while its file is pending, uploaded or being verified (the verifier promotes and deletes it), and
     * goes once the file is promoted or closed. A key naming no file goes after {@link #UNKNOWN_GRACE} (a
     * multipart upload is created just before its file row commits).
     *
     * @param status the file's status; empty when the key names no file (or is no staging key)
     * @param age    how long ago the object was written or the upload initiated
     * @param ttl    {@code uploads.staging_ttl_seconds}
     */
    public static Sweep sweep(Optional<FileStatus> status, Duration age, Duration ttl) {
        if (age.compareTo(ttl) >= 0) return Sweep.REMOVE;
        if (status.isEmpty()) return age.compareTo(UNKNOWN_GRACE) >= 0 ? Sweep.REMOVE : Sweep.KEEP;
        return STAGING_LIVE.contains(status.get()) ? Sweep.KEEP : Sweep.REMOVE;
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
                        String staging = UploadService.stagingKey(f);
                        if (p.uploadId() != null) uploads.abortQuietly(staging, p.uploadId());
                        try {
                            uploads.removeForGood(staging);
                        } catch (StoreException e) {
                            if (!e.answered()) throw e;
                            log.warn("reconciler: could not delete {}: {}", staging, e.getMessage());
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
        Swept swept = sweepStaging(Instant.now());
        dev.stowage.metrics.StowageMetrics.reconcilerActions("swept", swept.objects() + swept.uploads());
        dev.stowage.metrics.StowageMetrics.reconcilerActions("recovered", recovered);
        dev.stowage.metrics.StowageMetrics.reconcilerActions("expired", expired);
        dev.stowage.metrics.StowageMetrics.reconcilerActions("requeued", requeued);
        if (recovered + expired + requeued > 0) {
            log.info("reconciler: {} recovered, {} expired, {} re-queued", recovered, expired, requeued);
        }
        return new Report(recovered, expired, requeued);
    }

    /**
     * One bounded pass over {@code staging/} of the raw bucket: one page of at most {@code sweepLimit} objects
     * (the next pass goes on after it, then starts over) and at most {@code sweepLimit} multipart uploads; the
     * file ids of the listed keys are looked up in one query, so the cost does not grow with the files table.
     *
     * @param now the time ages are measured against
     * @return what was removed
     */
    public Swept sweepStaging(Instant now) {
        int objects = 0, aborted = 0;
        ObjectStore.Page page;
        try {
            page = s3.listPage(rawBucket, ObjectKeys.STAGING_PREFIX, sweepLimit, sweepCursor);
        } catch (StoreException e) {
            if (sweepCursor == null || !e.answered()) throw e;
            sweepCursor = null; // a stale continuation token: start over next pass
            return new Swept(0, 0);
        }
        sweepCursor = page.next();
        Map<UUID, FileStatus> status = statuses(page.objects().stream().map(ObjectStore.Listed::key).toList());
        List<String> remove = new ArrayList<>();
        for (ObjectStore.Listed o : page.objects()) {
            Duration age = Duration.between(o.lastModified() == null ? now : o.lastModified(), now);
            if (sweep(fileStatus(o.key(), status), age, stagingTtl) == Sweep.REMOVE) remove.add(o.key());
        }
        if (s3.profile().has(Capability.VERSIONING)) {
            for (String k : remove) {
                uploads.removeForGood(k); // every version, so nothing stays as a noncurrent one
                objects++;
            }
        } else if (!remove.isEmpty()) {
            Map<String, String> refused = s3.deleteMany(rawBucket, remove);
            refused.forEach((k, code) -> log.warn("reconciler: could not delete staging object {}: {}", k, code));
            objects = remove.size() - refused.size();
        }
        List<ObjectStore.Upload> ups = s3.multipartUploads(rawBucket, ObjectKeys.STAGING_PREFIX, sweepLimit);
        Map<UUID, FileStatus> upStatus = statuses(ups.stream().map(ObjectStore.Upload::key).toList());
        for (ObjectStore.Upload u : ups) {
            Duration age = Duration.between(u.initiated() == null ? now : u.initiated(), now);
            if (sweep(fileStatus(u.key(), upStatus), age, stagingTtl) != Sweep.REMOVE) continue;
            uploads.abortQuietly(u.key(), u.uploadId());
            aborted++;
        }
        if (objects + aborted > 0) log.info("reconciler: staging sweep deleted {} objects, aborted {} multipart uploads", objects, aborted);
        return new Swept(objects, aborted);
    }

    private Map<UUID, FileStatus> statuses(List<String> keys) {
        List<UUID> ids = keys.stream().map(ObjectKeys::parseStagingKey).flatMap(Optional::stream)
                .map(k -> UUID.fromString(k.fileId())).distinct().toList();
        Map<UUID, FileStatus> out = new HashMap<>();
        for (FileRecord f : files.findAll(ids)) out.put(f.id(), f.status());
        return out;
    }

    /** The status of the file a staging key names, if it names one whose final key matches. */
    private Optional<FileStatus> fileStatus(String key, Map<UUID, FileStatus> status) {
        return ObjectKeys.parseStagingKey(key).map(k -> status.get(UUID.fromString(k.fileId())));
    }
}

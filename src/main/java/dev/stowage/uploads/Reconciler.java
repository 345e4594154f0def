package dev.stowage.uploads;

import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileStatus;
import dev.stowage.storage.InvalidListingException;
import dev.stowage.storage.ListingGuard;
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
 * lifetime in bulk (reservations released; multipart uploads aborted while the pass has time, the rest by the
 * staging sweep), re-queues files stuck between {@code uploaded} and {@code ready}, and sweeps
 * {@code staging/}: staging objects and multipart uploads whose file is closed or promoted, or older than
 * {@code uploads.staging_ttl_seconds}, are removed (docs/architecture.md §3).
 *
 * <p>A pass is fair and bounded: due uploads are looked at round-robin across users, at most
 * {@code uploads.reconcile_per_user} of each, so one user's backlog never delays another's upload past one
 * pass; expiry is set-based, one user's batch at a time in turn, at most {@code uploads.reconcile_batch} users'
 * turns per pass, the users found by keyset pages of the sessions past their lifetime (longest expired first), so
 * neither a pass's work nor what it holds grows with the backlog; the pass starts no new lookup or batch after
 * {@code uploads.reconcile_pass_seconds}, and its time is recorded ({@code stowage_reconciler_pass_seconds}).
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
    /** Staging listing pages (of 1,000 keys) read per user when their expired single uploads are ended. */
    static final int LIST_PAGES_PER_USER = 10;
    /** Sessions past their lifetime read per keyset page; the users in a page get their turns in rounds. */
    static final int EXPIRED_PAGE = 1000;
    /** Multipart uploads of expired sessions aborted per pass; the staging sweep and the bucket's rule abort the rest. */
    static final int ABORTS_PER_PASS = 1000;

    private final int batch;
    private final StowageConfig.Reconcile bounds;
    private final InitiationLimits rateLimits;
    private final String rawBucket;
    private final Duration stagingTtl;
    private final int sweepLimit;
    private volatile String sweepCursor;

    /** What one pass did. */
    public record Report(int recovered, int expired, int requeued) {}

    /**
     * One pass, with its time.
     *
     * @param report   what it did
     * @param took     how long it took
     * @param cutShort whether it reached {@code uploads.reconcile_pass_seconds} with work left (the next pass goes on)
     */
    public record Pass(Report report, Duration took, boolean cutShort) {}

    /** What one staging sweep removed: objects deleted, multipart uploads aborted. */
    public record Swept(int objects, int uploads) {}

    /**
     * @param s3         clients
     * @param files      repository
     * @param lifecycle  makes the moves (expiry)
     * @param uploads    marks lost arrivals uploaded
     * @param queue      where stuck files are queued again
     * @param batch      most files looked at per category and pass, and most users' expiry turns per pass
     * @param rawBucket  the raw bucket, whose {@code staging/} is swept
     * @param stagingTtl age after which anything under {@code staging/} is removed whatever its file's state
     * @param sweepLimit most staging objects, and most multipart uploads, looked at per pass (1 to 1,000)
     */
    public Reconciler(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, VerificationQueue queue, int batch,
                      String rawBucket, Duration stagingTtl, int sweepLimit) {
        this(s3, files, lifecycle, uploads, queue, new StowageConfig.Reconcile(batch, batch, StowageConfig.Reconcile.DEFAULT.expireBatch(),
                StowageConfig.Reconcile.DEFAULT.passTime()), null, rawBucket, stagingTtl, sweepLimit);
    }

    /**
     * @param s3         clients
     * @param files      repository
     * @param lifecycle  makes the moves (expiry)
     * @param uploads    marks lost arrivals uploaded
     * @param queue      where stuck files are queued again
     * @param bounds     per-user and per-pass bounds, the expiry batch, the pass time
     * @param rateLimits whose spent buckets each pass removes, or {@code null}
     * @param rawBucket  the raw bucket, whose {@code staging/} is swept
     * @param stagingTtl age after which anything under {@code staging/} is removed whatever its file's state
     * @param sweepLimit most staging objects, and most multipart uploads, looked at per pass (1 to 1,000)
     */
    public Reconciler(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, VerificationQueue queue,
                      StowageConfig.Reconcile bounds, InitiationLimits rateLimits, String rawBucket, Duration stagingTtl, int sweepLimit) {
        if (sweepLimit < 1 || sweepLimit > 1000) throw new IllegalArgumentException("sweepLimit must be 1 to 1,000, got " + sweepLimit);
        this.bounds = bounds;
        this.rateLimits = rateLimits;
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.uploads = uploads;
        this.queue = queue;
        this.batch = bounds.batch();
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
        return pass(lostEventAge, stuckAge).report();
    }

    /**
     * One pass, timed: (1) due single uploads looked for, fairly across users; (2) sessions past their lifetime
     * expired in bulk, a batch per user in turn, at most {@code uploads.reconcile_batch} turns and for at most three
     * quarters of {@code uploads.reconcile_pass_seconds};
     * (3) when that took a while, the uploads that became due meanwhile looked for (so a long expiry never makes
     * another user's upload wait for the next pass); the lookups stop at the pass time; then (4) stuck files
     * re-queued and (5) one bounded staging sweep.
     *
     * @param lostEventAge how old a pending single upload must be before its object is looked for
     * @param stuckAge     how long a file may sit in uploaded/verifying/scanning before it is re-queued
     */
    public Pass pass(Duration lostEventAge, Duration stuckAge) {
        long start = System.nanoTime();
        long deadline = start + bounds.passTime().toNanos();
        int[] done = new int[2]; // recovered, expired
        Set<UUID> looked = new java.util.HashSet<>();
        boolean cut = lookForArrivals(lostEventAge, deadline, looked, done);
        List<FileRepository.Ended> toAbort = new ArrayList<>(); // at most ABORTS_PER_PASS
        long expiryStart = System.nanoTime();
        if (!cut) cut = expireInBulk(start + bounds.passTime().toNanos() * 3 / 4, done, toAbort);
        if (System.nanoTime() - expiryStart > Duration.ofSeconds(1).toNanos()) cut |= lookForArrivals(lostEventAge, deadline, looked, done);
        abortExpired(toAbort, deadline);
        int requeued = 0;
        for (UUID id : files.stuck(stuckAge, batch)) {
            queue.enqueue(id);
            requeued++;
        }
        Swept swept = sweepStaging(Instant.now());
        if (rateLimits != null) {
            try {
                rateLimits.removeExpired(1000);
            } catch (RuntimeException e) {
                log.warn("reconciler: could not remove spent rate-limit buckets: {}", e.toString());
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        var report = new Report(done[0], done[1], requeued);
        dev.stowage.metrics.StowageMetrics.reconcilerActions("swept", swept.objects() + swept.uploads());
        dev.stowage.metrics.StowageMetrics.reconcilerActions("recovered", report.recovered());
        dev.stowage.metrics.StowageMetrics.reconcilerActions("expired", report.expired());
        dev.stowage.metrics.StowageMetrics.reconcilerActions("requeued", requeued);
        dev.stowage.metrics.StowageMetrics.reconcilerPass(took, cut);
        if (report.recovered() + report.expired() + requeued > 0 || cut) {
            log.info("reconciler: {} recovered, {} expired, {} re-queued in {} ms{}", report.recovered(), report.expired(), requeued,
                    took.toMillis(), cut ? " (pass time reached: the next pass goes on)" : "");
        }
        return new Pass(report, took, cut);
    }

    /**
     * Looks for the objects of due single uploads (fair across users: {@link FileRepository#dueSessions}), skipping
     * those already looked at in this pass; one HEAD each.
     *
     * @return whether the deadline cut it short
     */
    private boolean lookForArrivals(Duration lostEventAge, long deadline, Set<UUID> looked, int[] done) {
        for (FileRepository.DueSession due : files.dueSessions(lostEventAge, bounds.perUser(), batch)) {
            if (System.nanoTime() - deadline > 0) return true;
            if (!looked.add(due.session().fileId())) continue;
            FileRecord f = files.find(due.session().fileId()).orElse(null);
            if (f == null || f.status() != FileStatus.PENDING) continue;
            if (decide(due.session(), false, () -> uploads.objectExists(f)) == Decision.RECOVER) {
                uploads.markUploaded(f.id());
                done[0]++;
                log.info("reconciler: upload {} arrived without an event or complete call; verifying", f.id());
            }
        }
        return false;
    }

    /**
     * Ends uploads past their session's lifetime, set-based: the users are taken from keyset pages of the expired
     * sessions (longest expired first, {@link #EXPIRED_PAGE} a page); the users of a page get one batch per kind
     * in rounds until their batches come back short, then the next page is read. Stops after
     * {@code uploads.reconcile_batch} users' turns (a turn: at most one staging listing and one statement per kind),
     * when no expired session is left after the last page, or at the deadline. What it holds is one page and at most
     * {@link #ABORTS_PER_PASS} uploads to abort, whatever the backlog; the next pass starts again from the longest expired.
     *
     * @return whether the deadline cut it short
     */
    private boolean expireInBulk(long deadline, int[] done, List<FileRepository.Ended> toAbort) {
        int turns = batch;
        Instant afterExpiry = null;
        UUID afterId = null;
        while (true) {
            List<FileRepository.Expired> page = files.expiredAfter(afterExpiry, afterId, EXPIRED_PAGE);
            if (page.isEmpty()) return false;
            afterExpiry = page.getLast().expiresAt();
            afterId = page.getLast().fileId();
            // the page's users in the order of their longest expired session, with the kinds they have in it
            Map<String, boolean[]> kinds = new java.util.LinkedHashMap<>();
            for (FileRepository.Expired e : page) kinds.computeIfAbsent(e.ownerId(), o -> new boolean[2])[e.multipart() ? 1 : 0] = true;
            List<Map.Entry<String, boolean[]>> owners = new ArrayList<>(kinds.entrySet());
            while (!owners.isEmpty()) {
                for (var it = owners.iterator(); it.hasNext(); ) {
                    var o = it.next();
                    if (System.nanoTime() - deadline > 0) return true;
                    if (turns-- <= 0) return false; // this pass's share is done; the next pass goes on
                    boolean more = false;
                    if (o.getValue()[1]) {
                        int n = expireMultipart(o.getKey(), done, toAbort);
                        more |= n == bounds.expireBatch();
                    }
                    if (o.getValue()[0]) {
                        int[] n = expireSingles(o.getKey(), deadline, done);
                        more |= n[1] == bounds.expireBatch();
                    }
                    if (!more) it.remove(); // this user is done for now
                }
            }
            if (page.size() < EXPIRED_PAGE) return false;
        }
    }

    /** One batch of a user's multipart uploads past their lifetime; their uploads are aborted after the expiry. */
    private int expireMultipart(String owner, int[] done, List<FileRepository.Ended> toAbort) {
        List<FileRepository.Ended> ended = lifecycle.expireMany(owner, true, List.of(), null, bounds.expireBatch());
        done[1] += ended.size();
        int room = ABORTS_PER_PASS - toAbort.size();
        if (room > 0) toAbort.addAll(ended.size() <= room ? ended : ended.subList(0, room)); // the rest: the staging sweep
        return ended.size();
    }

    /**
     * Aborts the multipart uploads of sessions this pass expired, at most {@link #ABORTS_PER_PASS} and not past
     * the deadline; the rest are aborted by the staging sweep (their files are closed) or the bucket's rule.
     */
    private void abortExpired(List<FileRepository.Ended> ended, long deadline) {
        for (FileRepository.Ended e : ended) {
            if (System.nanoTime() - deadline > 0) break;
            try {
                uploads.abortQuietly(ObjectKeys.stagingKey(e.objectKey()), e.uploadId());
            } catch (StoreException x) {
                if (!x.answered()) throw x;
                log.warn("reconciler: could not abort the multipart upload of {}: {}", e.fileId(), x.getMessage());
            }
        }
    }

    /**
     * One batch of a user's single uploads past their lifetime. One listing of the user's staging prefix says
     * which objects arrived: those files are recovered (marked uploaded), the others expired in one statement.
     * A listing cut off after {@link #LIST_PAGES_PER_USER} pages covers the files up to its last key (keys,
     * like file ids, are in time order), so only those are expired this round.
     *
     * @return uploads recovered or expired, and of those expired
     */
    private int[] expireSingles(String owner, long deadline, int[] done) {
        Listing seen = listStaging(owner);
        int recovered = 0;
        for (FileRecord f : files.findAll(seen.present())) {
            if (System.nanoTime() - deadline > 0) break;
            if (f.status() != FileStatus.PENDING) continue;
            var s = files.session(f.id()).orElse(null);
            if (s == null || s.multipart()) continue;
            uploads.markUploaded(f.id());
            recovered++;
            log.info("reconciler: upload {} arrived without an event or complete call; verifying", f.id());
        }
        done[0] += recovered;
        Bound bound = expiryBound(seen.idsInOrder(), seen.truncated());
        if (!bound.any()) return new int[] {recovered, 0};
        List<FileRepository.Ended> ended = lifecycle.expireMany(owner, false, seen.present(), bound.upTo(), bounds.expireBatch());
        done[1] += ended.size();
        return new int[] {recovered + ended.size(), ended.size()};
    }

    /** The file ids found under a user's staging prefix, in key order, and whether the listing was cut off. */
    record Listing(List<UUID> idsInOrder, boolean truncated) {
        Set<UUID> present() {
            return new java.util.HashSet<>(idsInOrder);
        }
    }

    private Listing listStaging(String owner) {
        List<UUID> ids = new ArrayList<>();
        String cursor = null;
        String prefix = ObjectKeys.STAGING_PREFIX + owner + "/";
        ListingGuard guard = ListingGuard.of("ListObjectsV2", rawBucket, prefix, Long.MAX_VALUE);
        for (int page = 0; page < LIST_PAGES_PER_USER; page++) {
            ObjectStore.Page p = s3.listPage(rawBucket, prefix, 1000, cursor);
            guard.page(cursor, p.objects().stream().map(ObjectStore.Listed::key).toList(), p.next() != null, p.next());
            for (ObjectStore.Listed o : p.objects()) {
                ObjectKeys.parseStagingKey(o.key()).filter(k -> k.userId().equals(owner))
                        .ifPresent(k -> ids.add(UUID.fromString(k.fileId())));
            }
            cursor = p.next();
            if (cursor == null) return new Listing(ids, false);
        }
        return new Listing(ids, true);
    }

    /**
     * Which of a user's expired single uploads (not seen in the listing) may be expired.
     *
     * @param any  whether any may
     * @param upTo only those whose file id is at most this; {@code null} for all
     */
    record Bound(boolean any, UUID upTo) {}

    /**
     * What a listing of a user's staging prefix lets the reconciler expire: every expired single upload not
     * seen when the listing is complete; when it was cut off, those not seen up to the last file id it
     * reached; none when it was cut off before any file id.
     *
     * @param idsInOrder file ids of the listed staging keys, in key order
     * @param truncated  whether the listing stopped before the end
     */
    static Bound expiryBound(List<UUID> idsInOrder, boolean truncated) {
        if (!truncated) return new Bound(true, null);
        if (idsInOrder.isEmpty()) return new Bound(false, null);
        return new Bound(true, idsInOrder.getLast());
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
        } catch (InvalidListingException e) {
            log.warn("reconciler: staging sweep starts over: {}", e.getMessage());
            sweepCursor = null; // the store's markers do not advance: start over next pass rather than asking again
            return new Swept(0, 0);
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

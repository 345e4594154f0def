package dev.stowage.retention;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Premium-aware retention of raw uploads (docs/architecture.md §7). Deleting a user's data is never left to a bucket
 * rule that cannot see the user's plan: a pass deletes ready files older than {@code retention.raw_max_age_days}
 * whose owner is not on a premium plan <em>at the moment of deletion</em> — the plan is read, with the
 * account row locked {@code FOR SHARE}, in the same transaction that marks the file deleted, so a plan
 * change either commits first (the file is kept) or waits until the deletion committed (and the file can
 * be restored). In a versioned raw bucket the object gets a delete marker: the bytes stay as a noncurrent
 * version, {@link #restore} removes the marker within {@code retention.restore_window_days}, and after the
 * window the file is purged (every version removed, variants too). Without versioning the object is kept
 * until the purge and the deletion lives in the database only.
 */
public final class RetentionService {
    private static final Logger log = LoggerFactory.getLogger(RetentionService.class);
    private final ObjectStore s3;
    private final FileRepository files;
    private final FileLifecycle lifecycle;
    private final Jdbi jdbi;
    private final StowageConfig config;

    /**
     * @param s3        clients
     * @param files     the file repository
     * @param lifecycle makes deletions, restores and purges
     * @param jdbi      the database (the pass records: {@code retention_runs}, {@code retention_actions})
     * @param config    configuration (retention section, raw bucket settings, quotas per plan)
     */
    public RetentionService(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, Jdbi jdbi, StowageConfig config) {
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.jdbi = jdbi;
        this.config = config;
    }

    /** What a pass does with one candidate for deletion. */
    public enum Decision {
        /** not (or no longer) a candidate: not ready, or not older than the cutoff */
        SKIP,
        /** old, but the owner's plan keeps its files */
        KEEP_PREMIUM,
        /** would be deleted (dry run) */
        WOULD_DELETE,
        /** delete it */
        DELETE
    }

    /**
     * The decision for one candidate, given its owner's plan at this moment.
     *
     * @param f      the file as locked
     * @param cutoff files created before this are old enough
     * @param plan   the owner's plan
     * @param r      retention settings
     * @param dryRun whether nothing is to change
     */
    public static Decision decide(FileRecord f, Instant cutoff, String plan, StowageConfig.Retention r, boolean dryRun) {
        if (f.status() != FileStatus.READY || !f.createdAt().isBefore(cutoff)) return Decision.SKIP;
        if (r.isPremium(plan)) return Decision.KEEP_PREMIUM;
        return dryRun ? Decision.WOULD_DELETE : Decision.DELETE;
    }

    /**
     * Refuses a restore the rules do not allow.
     *
     * @param f      the caller's file (not purged)
     * @param window the restore window
     * @param now    the time now
     * @throws Problem {@code not_deleted} (409); {@code restore_window_over} (409)
     */
    public static void checkRestorable(FileRecord f, java.time.Duration window, Instant now) {
        if (f.status() != FileStatus.DELETED) throw new Problem(ProblemCode.NOT_DELETED, "file is " + f.status().id() + ", not deleted");
        if (f.deletedAt().plus(window).isBefore(now)) {
            throw new Problem(ProblemCode.RESTORE_WINDOW_OVER, "file was deleted more than " + window.toDays() + " days ago");
        }
    }

    /** Whether deletions leave a restorable noncurrent version in the raw bucket. */
    public boolean versioned() {
        return s3.profile().has(Capability.VERSIONING) && config.bucketSettings().raw().versioning();
    }

    /**
     * One pass: deletes old files of non-premium users and purges files deleted longer than the restore
     * window ago, at most {@code retention.batch_size} of each; records the pass in {@code retention_runs}
     * and {@code retention_actions}.
     *
     * @param dryRun report what would be done, change nothing (the plans shown are those at this moment)
     * @return the report
     * @throws StoreException when the store refuses a deletion (that file is left as it was)
     */
    public RetentionReport run(boolean dryRun) {
        var r = config.retention();
        UUID runId = UUID.randomUUID();
        Instant now = Instant.now();
        Instant cutoff = now.minus(r.rawMaxAge());
        jdbi.useHandle(h -> h.createUpdate("insert into retention_runs (id, dry_run, cutoff) values (:id, :d, :c)")
                .bind("id", runId).bind("d", dryRun).bind("c", java.sql.Timestamp.from(cutoff)).execute());
        List<RetentionReport.Item> items = new ArrayList<>();
        if (!r.rawMaxAge().isZero()) {
            List<UUID> candidates = files.agedReady(cutoff, r.premiumPlans(), false, r.batchSize()).stream()
                    .map(FileRepository.Aged::fileId).toList();
            for (UUID id : candidates) deleteOne(id, cutoff, dryRun).ifPresent(items::add);
            // old files kept because of the plan, for the report
            for (var a : files.agedReady(cutoff, r.premiumPlans(), true, r.batchSize())) {
                items.add(new RetentionReport.Item(a.fileId(), a.ownerId(), a.plan(), "kept_premium",
                        "older than " + r.rawMaxAge().toDays() + " days, plan " + a.plan() + " keeps its files", a.sizeBytes()));
            }
        }
        List<UUID> expired = files.deletedBefore(now.minus(r.restoreWindow()), r.batchSize());
        for (UUID id : expired) purgeOne(id, dryRun).ifPresent(items::add);

        jdbi.useHandle(h -> {
            for (var i : items) {
                h.createUpdate("""
                        insert into retention_actions (run_id, file_id, owner_id, plan, action, reason, size_bytes)
                        values (:r, :f, :o, :p, :a, :why, :s) on conflict do nothing""")
                        .bind("r", runId).bind("f", i.fileId()).bind("o", i.ownerId()).bind("p", i.plan()).bind("a", i.action())
                        .bind("why", i.reason()).bind("s", i.sizeBytes()).execute();
            }
            h.createUpdate("""
                    update retention_runs set finished_at = now(), deleted = :d, kept_premium = :k, purged = :p where id = :id""")
                    .bind("d", items.stream().filter(i -> i.action().equals(dryRun ? "would_delete" : "deleted")).count())
                    .bind("k", items.stream().filter(i -> i.action().equals("kept_premium")).count())
                    .bind("p", items.stream().filter(i -> i.action().equals(dryRun ? "would_purge" : "purged")).count())
                    .bind("id", runId).execute();
        });
        var report = new RetentionReport(runId, dryRun, cutoff, List.copyOf(items));
        if (!items.isEmpty()) log.info("retention {}: {}", dryRun ? "dry run" : "run", report.text().lines().reduce((a, b) -> b).orElse(""));
        return report;
    }

    /** Deletes one candidate in one transaction with its owner's plan, unless the plan is premium by now. */
    private Optional<RetentionReport.Item> deleteOne(UUID id, Instant cutoff, boolean dryRun) {
        var r = config.retention();
        String why = "raw upload older than " + r.rawMaxAge().toDays() + " days";
        String[] marker = new String[1];
        FileRecord[] deleted = new FileRecord[1];
        try {
            var item = files.inTransaction(tx -> {
                String owner = tx.find(id).map(FileRecord::ownerId).orElse(null);
                if (owner == null) return Optional.<RetentionReport.Item>empty();
                // the plan at the moment of deletion: a concurrent plan change waits for this transaction
                String plan = tx.planForShare(owner).orElseThrow();
                FileRecord f = tx.lock(id).orElseThrow();
                return switch (decide(f, cutoff, plan, r, dryRun)) {
                    case SKIP -> Optional.<RetentionReport.Item>empty();
                    case KEEP_PREMIUM -> Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "kept_premium",
                            why + ", but plan " + plan + " keeps its files", f.sizeBytes()));
                    case WOULD_DELETE -> Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "would_delete", why + ", plan " + plan, f.sizeBytes()));
                    case DELETE -> {
                        if (versioned()) {
                            var resp = s3.delete(f.bucket(), f.objectKey());
                            marker[0] = resp.versionId();
                            deleted[0] = f;
                        }
                        lifecycle.delete(tx, id, "retention", marker[0]);
                        yield Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "deleted",
                                why + ", plan " + plan + (versioned() ? "; restorable for " + r.restoreWindow().toDays() + " days"
                                        : "; kept by Stowage until the purge (no versioning)"), f.sizeBytes()));
                    }
                };
            });
            return item;
        } catch (RuntimeException e) {
            // the transaction rolled back after the store made its delete marker: take the marker away again
            if (deleted[0] != null && marker[0] != null) removeVersionQuietly(deleted[0].bucket(), deleted[0].objectKey(), marker[0]);
            throw e;
        }
    }

    /** Purges one file deleted longer than the restore window ago: every version of its object, its variants. */
    private Optional<RetentionReport.Item> purgeOne(UUID id, boolean dryRun) {
        return files.inTransaction(tx -> {
            FileRecord f = tx.lock(id).filter(x -> x.status() == FileStatus.DELETED).orElse(null);
            if (f == null) return Optional.<RetentionReport.Item>empty();
            String plan = tx.usage(f.ownerId()).orElseThrow().plan();
            String why = "deleted " + f.deletedAt() + ", restore window of "
                    + config.retention().restoreWindow().toDays() + " days over";
            if (dryRun) return Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "would_purge", why, f.sizeBytes()));
            removeAllVersions(f.bucket(), f.objectKey());
            for (var v : tx.variants(id)) s3.delete(v.bucket(), v.key());
            lifecycle.purge(tx, id);
            return Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "purged", why, f.sizeBytes()));
        });
    }

    /** Removes the object at {@code key} for good: every version and delete marker in a versioned bucket. */
    private void removeAllVersions(String bucket, String key) {
        if (!versioned()) {
            s3.delete(bucket, key);
            return;
        }
        List<String> ids = new ArrayList<>();
        for (ObjectStore.Version v : s3.versions(bucket, key)) if (v.key().equals(key)) ids.add(v.versionId());
        for (String v : ids) s3.deleteVersion(bucket, key, v);
    }

    private void removeVersionQuietly(String bucket, String key, String versionId) {
        try {
            s3.deleteVersion(bucket, key, versionId);
        } catch (RuntimeException e) {
            log.warn("could not remove delete marker {} of {}: {}", versionId, key, e.toString());
        }
    }

    /**
     * Restores one of the caller's deleted files within the restore window (deleted by the user or by
     * retention): removes the delete marker that hides its object, and counts its bytes again if the
     * quota has room. A user who turned premium after the deletion restores the same way.
     *
     * @return the file, {@code ready} again
     * @throws Problem {@code not_found}; {@code not_deleted} (409); {@code restore_window_over} (409);
     *                 {@code object_gone} (409) when the store no longer holds its bytes; {@code quota_exceeded} (403)
     */
    public FileRecord restore(Principal who, UUID id) {
        var window = config.retention().restoreWindow();
        files.inTransaction(tx -> {
            FileRecord f = tx.findOwned(id, who.userId()).flatMap(x -> tx.lock(id))
                    .filter(x -> x.status() != FileStatus.PURGED)
                    .orElseThrow(() -> Problem.notFound("file " + id));
            checkRestorable(f, window, Instant.now());
            String marker = tx.deleteMarker(id).orElse(null);
            lifecycle.restore(tx, id);
            if (marker != null) {
                try {
                    s3.deleteVersion(f.bucket(), f.objectKey(), marker);
                } catch (StoreException e) {
                    if (!e.notFound()) throw e; // the marker is already gone
                }
            }
            if (!s3.exists(f.bucket(), f.objectKey())) throw new Problem(ProblemCode.OBJECT_GONE, "the store no longer holds this file's bytes");
            return null;
        });
        return files.find(id).orElseThrow();
    }

    /**
     * Sets a user's plan (and the plan's quota), e.g. when the host application's billing changes it. The
     * plan is otherwise taken from the JWT {@code plan} claim each time the user starts an upload.
     *
     * @param userId the user (created when unknown)
     * @param plan   the plan name
     * @return the plan's quota, bytes
     * @throws Problem {@code invalid_plan} when the name is not 1-64 characters of A-Z a-z 0-9 . _ -,
     *                 {@code invalid_user_id} likewise for the user id
     */
    public long setPlan(String userId, String plan) {
        if (userId == null || !userId.matches("[A-Za-z0-9._-]{1,128}") || userId.equals(".") || userId.equals("..")) {
            throw new Problem(ProblemCode.INVALID_USER_ID, "userId must be 1-128 characters of A-Z a-z 0-9 . _ -");
        }
        if (plan == null || !plan.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new Problem(ProblemCode.INVALID_PLAN, "plan must be 1-64 characters of A-Z a-z 0-9 . _ -");
        }
        long quota = config.uploads().quotaFor(plan);
        files.ensureAccount(userId, plan, quota);
        return quota;
    }
}

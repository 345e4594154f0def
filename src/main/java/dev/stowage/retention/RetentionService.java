package dev.stowage.retention;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.problems.Problem;
import dev.stowage.security.Principal;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
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
    private final StowageConfig config;

    /**
     * @param s3     the object store
     * @param files  the file repository
     * @param config configuration (retention section, raw bucket settings, quotas per plan)
     */
    public RetentionService(ObjectStore s3, FileRepository files, StowageConfig config) {
        this.s3 = s3;
        this.files = files;
        this.config = config;
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
        files.jdbi().useHandle(h -> h.createUpdate("insert into retention_runs (id, dry_run, cutoff) values (:id, :d, :c)")
                .bind("id", runId).bind("d", dryRun).bind("c", java.sql.Timestamp.from(cutoff)).execute());
        List<RetentionReport.Item> items = new ArrayList<>();
        if (!r.rawMaxAge().isZero()) {
            List<UUID> candidates = files.jdbi().withHandle(h -> h.createQuery("""
                            select f.id from files f join accounts a on a.user_id = f.owner_id
                            where f.status = 'ready' and f.created_at < :c and not (a.plan = any(:premium))
                            order by f.created_at limit :n""")
                    .bind("c", java.sql.Timestamp.from(cutoff)).bind("premium", r.premiumPlans().toArray(String[]::new))
                    .bind("n", r.batchSize()).mapTo(UUID.class).list());
            for (UUID id : candidates) deleteOne(id, cutoff, dryRun).ifPresent(items::add);
            // old files kept because of the plan, for the report
            files.jdbi().useHandle(h -> h.createQuery("""
                            select f.id, f.owner_id, a.plan, f.size_bytes from files f join accounts a on a.user_id = f.owner_id
                            where f.status = 'ready' and f.created_at < :c and a.plan = any(:premium)
                            order by f.created_at limit :n""")
                    .bind("c", java.sql.Timestamp.from(cutoff)).bind("premium", r.premiumPlans().toArray(String[]::new))
                    .bind("n", r.batchSize())
                    .map((rs, ctx) -> new RetentionReport.Item(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                            "kept_premium", "older than " + r.rawMaxAge().toDays() + " days, plan " + rs.getString(3) + " keeps its files",
                            (Long) rs.getObject(4)))
                    .list().forEach(items::add));
        }
        List<UUID> expired = files.jdbi().withHandle(h -> h.createQuery("""
                        select id from files where status = 'deleted' and deleted_at < :c order by deleted_at limit :n""")
                .bind("c", java.sql.Timestamp.from(now.minus(r.restoreWindow()))).bind("n", r.batchSize()).mapTo(UUID.class).list());
        for (UUID id : expired) purgeOne(id, dryRun).ifPresent(items::add);

        files.jdbi().useHandle(h -> {
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
            var item = files.jdbi().inTransaction(h -> {
                String owner = h.createQuery("select owner_id from files where id = :id").bind("id", id).mapTo(String.class).findOne().orElse(null);
                if (owner == null) return Optional.<RetentionReport.Item>empty();
                // the plan at the moment of deletion: a concurrent plan change waits for this transaction
                String plan = h.createQuery("select plan from accounts where user_id = :u for share")
                        .bind("u", owner).mapTo(String.class).one();
                h.createQuery("select id from files where id = :id for update").bind("id", id).mapTo(UUID.class).one();
                FileRecord f = files.find(h, id).orElseThrow();
                if (f.status() != FileStatus.READY || !f.createdAt().isBefore(cutoff)) return Optional.<RetentionReport.Item>empty();
                if (r.isPremium(plan)) {
                    return Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "kept_premium",
                            why + ", but plan " + plan + " keeps its files", f.sizeBytes()));
                }
                if (dryRun) {
                    return Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "would_delete", why + ", plan " + plan, f.sizeBytes()));
                }
                if (versioned()) {
                    FileRecord ff = f;
                    var resp = s3.delete(ff.bucket(), ff.objectKey());
                    marker[0] = resp.versionId();
                    deleted[0] = f;
                }
                h.createUpdate("""
                        update files set status = 'deleted', deleted_at = now(), deleted_by = 'retention',
                          delete_marker_version_id = :m, updated_at = now() where id = :id and status = 'ready'""")
                        .bind("m", marker[0]).bind("id", id).execute();
                h.createUpdate("update accounts set used_bytes = greatest(used_bytes - :b, 0), updated_at = now() where user_id = :u")
                        .bind("b", f.sizeBytes()).bind("u", f.ownerId()).execute();
                return Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "deleted",
                        why + ", plan " + plan + (versioned() ? "; restorable for " + r.restoreWindow().toDays() + " days"
                                : "; kept by Stowage until the purge (no versioning)"), f.sizeBytes()));
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
        return files.jdbi().inTransaction(h -> {
            FileRecord f = h.createQuery("select id from files where id = :id and status = 'deleted' for update").bind("id", id)
                    .mapTo(UUID.class).findOne().flatMap(x -> files.find(h, x)).orElse(null);
            if (f == null) return Optional.<RetentionReport.Item>empty();
            String plan = h.createQuery("select plan from accounts where user_id = :u").bind("u", f.ownerId()).mapTo(String.class).one();
            String why = "deleted " + f.deletedAt() + ", restore window of "
                    + config.retention().restoreWindow().toDays() + " days over";
            if (dryRun) return Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "would_purge", why, f.sizeBytes()));
            removeAllVersions(f.bucket(), f.objectKey());
            for (String[] v : variants(h, id)) s3.delete(v[0], v[1]);
            h.createUpdate("delete from variants where file_id = :id").bind("id", id).execute();
            h.createUpdate("update files set status = 'purged', purged_at = now(), delete_marker_version_id = null, updated_at = now() where id = :id")
                    .bind("id", id).execute();
            return Optional.of(new RetentionReport.Item(id, f.ownerId(), plan, "purged", why, f.sizeBytes()));
        });
    }

    private static List<String[]> variants(Handle h, UUID id) {
        return h.createQuery("select bucket, object_key from variants where file_id = :id").bind("id", id)
                .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)}).list();
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
        files.jdbi().useTransaction(h -> {
            FileRecord f = h.createQuery("select id from files where id = :id and owner_id = :o for update")
                    .bind("id", id).bind("o", who.userId()).mapTo(UUID.class).findOne().flatMap(x -> files.find(h, x))
                    .filter(x -> x.status() != FileStatus.PURGED)
                    .orElseThrow(() -> Problem.notFound("file " + id));
            if (f.status() != FileStatus.DELETED) throw Problem.conflict("not_deleted", "file is " + f.status().id() + ", not deleted");
            if (f.deletedAt().plus(window).isBefore(Instant.now())) {
                throw Problem.conflict("restore_window_over", "file was deleted more than " + window.toDays() + " days ago");
            }
            String marker = h.createQuery("select delete_marker_version_id from files where id = :id").bind("id", id)
                    .mapTo(String.class).findOne().orElse(null);
            int room = h.createUpdate("""
                    update accounts set used_bytes = used_bytes + :b, updated_at = now()
                    where user_id = :u and used_bytes + reserved_bytes + :b <= quota_bytes""")
                    .bind("b", f.sizeBytes()).bind("u", f.ownerId()).execute();
            if (room != 1) throw new Problem(Problem.Kind.FORBIDDEN, "quota_exceeded", "restoring " + f.sizeBytes() + " bytes would exceed your quota");
            if (marker != null) {
                try {
                    s3.deleteVersion(f.bucket(), f.objectKey(), marker);
                } catch (StoreException e) {
                    if (!e.notFound()) throw e; // the marker is already gone
                }
            }
            if (!s3.exists(f.bucket(), f.objectKey())) throw Problem.conflict("object_gone", "the store no longer holds this file's bytes");
            h.createUpdate("""
                    update files set status = 'ready', deleted_at = null, deleted_by = null, delete_marker_version_id = null,
                      updated_at = now() where id = :id and status = 'deleted'""").bind("id", id).execute();
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
            throw Problem.invalid("invalid_user_id", "userId must be 1-128 characters of A-Z a-z 0-9 . _ -");
        }
        if (plan == null || !plan.matches("[A-Za-z0-9._-]{1,64}")) {
            throw Problem.invalid("invalid_plan", "plan must be 1-64 characters of A-Z a-z 0-9 . _ -");
        }
        long quota = config.uploads().quotaFor(plan);
        files.jdbi().useTransaction(h -> files.ensureAccount(h, userId, plan, quota));
        return quota;
    }
}

package dev.stowage.files;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;

/**
 * The persistence seam of files (docs/architecture.md §12): the one place that reads and writes the
 * {@code files}, {@code accounts}, {@code upload_sessions} and {@code variants} tables.
 * {@link JdbiFileRepository} is the PostgreSQL implementation; tests use an in-memory one.
 *
 * <p>Reads and the bookkeeping that is not a state change (plans, verification facts, variants) are open
 * to the features. Changing a file's status or its owner's reserved and used bytes takes a
 * {@link FileTransitions.Transition} from the table: only {@link FileLifecycle} makes these calls.
 *
 * <p>Every call runs in its own transaction, unless made on the view that {@link #inTransaction} hands
 * out: calls on that view share one transaction, and the rows they lock stay locked until it ends.
 */
public interface FileRepository {

    // ---- transactions

    /**
     * Work done in one transaction.
     *
     * @param <T> what it returns
     * @param <X> what it may throw
     */
    @FunctionalInterface
    interface Work<T, X extends Exception> {
        /** @param tx a view of the repository whose calls all run in the transaction */
        T apply(FileRepository tx) throws X;
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. On a
     * view already in a transaction, {@code work} joins it.
     *
     * @param work gets a view of this repository whose calls all run in the transaction
     * @return what {@code work} returned
     * @throws X what {@code work} threw
     */
    <T, X extends Exception> T inTransaction(Work<T, X> work) throws X;

    /** Runs {@code action} once the current transaction has committed (never if it rolls back); at once outside one. */
    void afterCommit(Runnable action);

    // ---- accounts

    /**
     * Creates the account on first use with the plan's quota; when the plan changed, the account follows
     * it (plan and quota).
     */
    void ensureAccount(String userId, String plan, long quotaBytes);

    /** Creates the accounts that do not exist yet on plan {@code free} with {@code quotaBytes} (one statement). */
    void ensureFreeAccounts(Collection<String> userIds, long quotaBytes);

    /** The account, if it exists. */
    Optional<Usage> usage(String userId);

    /** The account's plan, the row locked {@code FOR SHARE} until the transaction ends (a plan change waits). */
    Optional<String> planForShare(String userId);

    // ---- files: reads

    /** A file by id, whoever owns it. */
    Optional<FileRecord> find(UUID id);

    /** A file by id, its row locked {@code FOR UPDATE} until the transaction ends. */
    Optional<FileRecord> lock(UUID id);

    /** Files by id (those that exist), in no particular order. */
    List<FileRecord> findAll(Collection<UUID> ids);

    /**
     * The exact bytes of the name a file was uploaded under, kept only where {@code original_name} does not
     * spell them (NFD, control characters, not UTF-8).
     *
     * @return the bytes, or empty when the name spells them or the file does not exist
     */
    Optional<byte[]> originalNameBytes(UUID id);

    /** A file by id if {@code ownerId} owns it (otherwise empty: another user's file is "not found"). */
    Optional<FileRecord> findOwned(UUID id, String ownerId);

    /** The file whose raw object is at this bucket and key. */
    Optional<FileRecord> findByKey(String bucket, String key);

    /**
     * A page of a user's files, newest first, excluding purged ones.
     *
     * @param ownerId      the user
     * @param afterCreated cursor: created_at of the last item of the previous page, or {@code null}
     * @param afterId      cursor: id of that item, or {@code null}
     * @param limit        page size
     * @param includeDeleted whether deleted files are listed
     */
    List<FileRecord> page(String ownerId, Instant afterCreated, UUID afterId, int limit, boolean includeDeleted);

    /**
     * A page of a filtered listing: the matches, newest first, and where the scan stopped ({@code scanEndCreated},
     * {@code scanEndId}: the oldest row read) when it read its whole budget, else {@code null} there.
     */
    record ScannedPage(List<FileRecord> items, Instant scanEndCreated, UUID scanEndId) {}

    /**
     * A page of a user's files that pass a filter, newest first. Reads at most {@code scanBudget} of the user's rows
     * from the cursor on, in the listing's order (the owner-and-newest index), so a rare match costs the same as a
     * common one: the page may hold fewer than {@code limit} matches, even none, and the listing continues from
     * {@link ScannedPage#scanEndCreated()}.
     *
     * @param ownerId        the user
     * @param afterCreated   cursor: created_at of the last row of the previous page (or of its scan), or {@code null}
     * @param afterId        cursor: its id, or {@code null}
     * @param limit          most matches returned
     * @param filter         the filter (not empty)
     * @param includeDeleted whether deleted files are listed when the filter chooses no status
     * @param scanBudget     most rows read
     */
    ScannedPage page(String ownerId, Instant afterCreated, UUID afterId, int limit, FileFilter filter, boolean includeDeleted,
                     int scanBudget);

    /** The version id of the delete marker that hides a deleted file's object, if any. */
    Optional<String> deleteMarker(UUID id);

    /** Files in uploaded, verifying or scanning untouched for longer than {@code age}, oldest first. */
    List<UUID> stuck(Duration age, int limit);

    /**
     * A ready file created before a cutoff, with its owner's plan.
     *
     * @param fileId    the file
     * @param ownerId   its owner
     * @param plan      the owner's plan now
     * @param sizeBytes its stored size
     */
    record Aged(UUID fileId, String ownerId, String plan, Long sizeBytes) {}

    /**
     * Ready files created before {@code cutoff}, oldest first, whose owner's plan is ({@code premium}) or is
     * not one of {@code premiumPlans}.
     */
    List<Aged> agedReady(Instant cutoff, Collection<String> premiumPlans, boolean premium, int limit);

    /** Deleted files deleted before {@code cutoff}, oldest deletion first. */
    List<UUID> deletedBefore(Instant cutoff, int limit);

    /** A file and its creation time: the keyset cursor of {@link #readyOfTypes}. */
    record Created(UUID id, Instant createdAt) {}

    /**
     * One page of the ready files of these detected types, newest first (creation time, then id, both
     * descending); of one user or ({@code null}) all. Each page is one index range: the owner's files by
     * creation time, or all ready files by creation time.
     *
     * @param after the last file of the page before, or {@code null} for the first page
     * @param limit files per page, at least 1
     */
    List<Created> readyOfTypes(Collection<String> types, String ownerId, Created after, int limit);

    /** Ready files whose variants are {@code pending}, among {@code ids}. */
    List<UUID> variantsPending(Collection<UUID> ids);

    /** The object keys of a user's files in a bucket. */
    List<String> objectKeys(String ownerId, String bucket);

    /**
     * What the database accounts for in one bucket.
     *
     * @param bucket  the bucket
     * @param objects rows with a stored size (files not ended, and variants)
     * @param bytes   their bytes
     */
    record BucketBytes(String bucket, long objects, long bytes) {}

    /** Stored bytes per bucket: files in uploaded … deleted with a size, and variants. Reads both tables whole (up to 30 minutes). */
    List<BucketBytes> storedBytes();

    /** PUT-class writes of the last 30 days: files created, parts of upload sessions, variants made. Reads the tables whole. */
    long writesLast30Days();

    /**
     * A user's stored bytes (ready and deleted files and their variants).
     *
     * @param ownerId the user
     * @param bytes   bytes
     * @param files   files
     */
    record OwnerBytes(String ownerId, long bytes, long files) {}

    /** The users storing the most bytes, most first. Reads files and variants whole: once per cost snapshot, never per request. */
    List<OwnerBytes> topOwners(int limit);

    // ---- files: bookkeeping that is no state change

    /** Records what verification found in the bytes: detected type, SHA-256, size. */
    void recordContent(UUID id, String detectedType, String sha256, long sizeBytes);

    /** Records a scan result without a state change. */
    void recordScanResult(UUID id, String scanResult);

    /**
     * Records a failed scan: result {@code error}, its reason as the last error, one more verification
     * attempt; the first failure of a run of failures starts the failing time.
     *
     * @param error one line: why the scan failed
     * @return how long scans of this file have been failing (zero at the first failure), by the database's clock
     */
    java.time.Duration recordScanFailed(UUID id, String error);

    /**
     * Holds a file in {@code scanning} for an operator (no state change): result {@code limits_exceeded}, the
     * limit, and the reason shown in the file view. A held file is not re-queued as stuck.
     *
     * @param limit      the scanner limit that was hit
     * @param reasonCode the stable code shown ({@code too_large_to_scan})
     * @param reason     one line for people
     */
    void recordScanHeld(UUID id, String limit, String reasonCode, String reason);

    /** Forgets a held file's scan verdict and reason (no state change), so that it is verified again. @return whether the file was held */
    boolean releaseScanHold(UUID id);

    // ---- upload sessions

    /** The upload session of a file, while it has one. */
    Optional<UploadSession> session(UUID fileId);

    /**
     * A pending single upload the reconciler looks for (its object may have arrived without an event or a
     * complete call).
     *
     * @param session the session
     * @param ownerId its file's owner
     */
    record DueSession(UploadSession session, String ownerId) {}

    /**
     * Sessions of pending single uploads created more than {@code lostEventAge} ago and not yet past their
     * expiry, fair across users: at most {@code perUser} of each user (their oldest), taken round-robin —
     * every user's oldest first, then every user's second, … — up to {@code limit} in all.
     */
    List<DueSession> dueSessions(Duration lostEventAge, int perUser, int limit);

    /**
     * A pending upload past its session's lifetime, as the reconciler walks them.
     *
     * @param expiresAt when its session expired
     * @param fileId    the file
     * @param ownerId   its owner
     * @param multipart a multipart upload, or a single PUT
     */
    record Expired(Instant expiresAt, UUID fileId, String ownerId, boolean multipart) {}

    /**
     * A keyset page of the pending uploads past their session's lifetime, longest expired first (then by file
     * id): up to {@code limit} after the position ({@code afterExpiry}, {@code afterFileId}), or from the start
     * when both are {@code null}. Its cost is bounded by {@code limit}, whatever the backlog.
     */
    List<Expired> expiredAfter(Instant afterExpiry, UUID afterFileId, int limit);

    /**
     * How many uploads a user has open ({@code pending}): the account's count, kept by every move into or out
     * of {@code pending}; 0 for a user without an account.
     */
    int openUploads(String ownerId);

    /** When the first of a user's open upload sessions expires; empty when none is open. */
    Optional<Instant> earliestOpenExpiry(String ownerId);

    // ---- part checksums (multipart)

    /**
     * Records the SHA-256 declared for parts of a pending multipart upload, replacing earlier
     * declarations of the same parts (the latest wins).
     *
     * @param partSize the session's uniform part size, bytes
     * @param sha256   lowercase hex SHA-256 by 1-based part number
     * @return whether they were recorded: {@code false} when the file is no longer pending (nothing written)
     */
    boolean declarePartChecksums(UUID fileId, long partSize, java.util.Map<Integer, String> sha256);

    /**
     * The part checksums declared for a file; kept while it is in flight, removed by the move that takes it
     * out of {@link FileStatus#IN_FLIGHT}.
     *
     * @return empty when none were declared (a single PUT, or a multipart upload signed before they existed)
     */
    Optional<PartChecksums> partChecksums(UUID fileId);

    // ---- variants

    /** The stored variants of a file, by name. */
    List<StoredVariant> variants(UUID fileId);

    /**
     * The stored variants of several files in one statement (a listing page), each file's by name.
     *
     * @param fileIds at most a page of files (100)
     * @return the variants of each file that has any; files without variants are absent
     */
    java.util.Map<UUID, List<StoredVariant>> variantsOf(java.util.Collection<UUID> fileIds);

    /** Holds a lock on (file, variant) until the transaction ends, across all processes. */
    void lockVariant(UUID fileId, String name);

    /** Records a variant (replacing the row of the same file and name). */
    void saveVariant(StoredVariant v);

    /** Marks a ready image's variants {@code pending} if none were asked for yet. */
    void markVariantsPending(UUID fileId);

    /** Marks a file's variants {@code ready}. */
    void markVariantsReady(UUID fileId);

    /** Marks a file's variants {@code failed} with a stable code and a reason. */
    void markVariantsFailed(UUID fileId, String code, String reason);

    // ---- state changes: FileLifecycle only

    /**
     * Creates a file in {@code pending} with its upload session, reserving its declared size and counting it
     * among the owner's open uploads, in one transaction (the account is created or follows the plan first).
     *
     * @param t the move {@code (new) → pending}
     * @param maxOpenUploads most uploads the owner may have pending, this one included
     * @throws QuotaExceeded when the quota has no room (nothing is written, the account is left as it was)
     * @throws TooManyOpen when the owner already has {@code maxOpenUploads} pending (nothing is written)
     */
    void createPending(FileTransitions.Transition t, NewUpload upload, UploadSession session, int maxOpenUploads);

    /**
     * An upload ended by {@link #endExpired}.
     *
     * @param fileId    the file
     * @param objectKey its final key (the staging key is {@code staging/} before it)
     * @param uploadId  the multipart upload id, {@code null} for a single PUT
     */
    record Ended(UUID fileId, String objectKey, String uploadId) {}

    /**
     * Makes the move {@code t} (from {@code pending}) for up to {@code limit} of one user's uploads whose
     * session is past its lifetime, in one statement: their status and {@code changes}, the sum of the move's
     * effect on the owner's reserved bytes, sessions and part checksums ended, in one transaction. Rows another
     * transaction holds are skipped (that caller moves them). Only moves whose used-bytes effect is none
     * can be made this way.
     *
     * @param ownerId   the user
     * @param multipart multipart uploads ({@code true}) or single PUTs
     * @param keep      files not to move (their object was seen)
     * @param upTo      only files whose id is at most this (ids are time-ordered), or {@code null} for any
     * @return what was moved, by file id
     */
    List<Ended> endExpired(FileTransitions.Transition t, FileChanges changes, String ownerId, boolean multipart,
                           Collection<UUID> keep, UUID upTo, int limit);

    /**
     * Makes one of {@code moves} (all to the same state) if the file is in one of their from-states: locks
     * the row, sets the status and {@code changes}, and applies the move's effect on the owner's reserved
     * and used bytes, in one transaction.
     *
     * @return the row as it was before, when the move was made; empty when the file is in none of the
     *         from-states (a lost race: nothing changes)
     * @throws QuotaExceeded when the move checks the quota and it has no room (nothing changes)
     */
    Optional<FileRecord> move(UUID id, Collection<FileTransitions.Transition> moves, FileChanges changes);

    /**
     * Inserts migrated files, one statement for the batch; a row whose id exists is left alone.
     *
     * @return for each row, whether it was inserted
     */
    boolean[] insertMigrated(List<Migrated> rows);

    /** Replaces the content of a migrated file copied again, and its status by the move {@code t}. */
    void replaceMigrated(FileTransitions.Transition t, Migrated row);

    /** Adds to the used bytes of several owners, one statement per owner, in user-id order. */
    void addUsed(SortedMap<String, Long> deltas);

    /** The owner already has as many uploads pending as allowed. */
    final class TooManyOpen extends RuntimeException {
        /** Uploads pending (at least). */
        public final int open;

        /** @param open uploads pending (at least) */
        public TooManyOpen(int open) {
            super("too many open uploads: " + open);
            this.open = open;
        }
    }

    /** The quota has no room for a move that checks it. */
    final class QuotaExceeded extends RuntimeException {
        /** Bytes still available. */
        public final long availableBytes;

        /** @param availableBytes bytes still available */
        public QuotaExceeded(long availableBytes) {
            super("quota exceeded: " + availableBytes + " bytes available");
            this.availableBytes = availableBytes;
        }
    }
}

package dev.stowage.files;

import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The one owner of a file's life (docs/architecture.md §4): the only code that changes a file's status and
 * its owner's reserved and used bytes. Every move is one of {@link FileTransitions}' table, made through
 * the {@link FileRepository} seam as a conditional update under the file's row lock, its quota effect in
 * the same transaction. A move asked for a file that is no longer in the from-state (another caller won
 * the race) changes nothing and says so (empty or {@code false}); a move that is not in the table throws
 * {@link FileTransitions.IllegalTransitionException}.
 *
 * <p>Once a move has committed, {@link FileEvents} tells the listeners: {@link FileEvents.Arrived},
 * {@link FileEvents.Ready}, {@link FileEvents.Deleted}.
 *
 * <p>Methods taking a {@code FileRepository tx} make their move in that view's transaction (see
 * {@link FileRepository#inTransaction}), so a caller can lock, decide and act on the store before the move
 * commits; their events wait for that transaction's commit.
 */
public final class FileLifecycle {
    private final FileRepository files;
    private final FileEvents events;

    /**
     * @param files  the persistence seam
     * @param events where committed moves are told
     */
    public FileLifecycle(FileRepository files, FileEvents events) {
        this.files = files;
        this.events = events;
    }

    private static FileTransitions.Transition move(FileStatus from, FileStatus to) {
        return FileTransitions.of(from, to);
    }

    // ---- uploads

    /**
     * {@code (new) → pending}: creates the account on first use (or makes it follow the plan), reserves the
     * declared size and records the file and its upload session, in one transaction.
     *
     * @throws Problem {@code quota_exceeded} (403) when the quota has no room; nothing is written
     */
    public void initiate(NewUpload upload, UploadSession session) {
        initiate(upload, session, Integer.MAX_VALUE);
    }

    /**
     * As {@link #initiate(NewUpload, UploadSession)}, refused when the owner already has {@code maxOpenUploads}
     * uploads pending (counted in the same transaction, with the account row locked, so concurrent
     * initiations never pass it together).
     *
     * @throws Problem {@code quota_exceeded} (403); {@link FileRepository.TooManyOpen} when the owner has too many
     *                 uploads open (the caller answers it); nothing is written either way
     */
    public void initiate(NewUpload upload, UploadSession session, int maxOpenUploads) {
        try {
            files.createPending(move(null, FileStatus.PENDING), upload, session, maxOpenUploads);
        } catch (FileRepository.QuotaExceeded e) {
            throw new Problem(ProblemCode.QUOTA_EXCEEDED,
                    "this upload of " + upload.declaredSize() + " bytes would exceed your quota: " + e.availableBytes + " bytes available");
        }
    }

    /**
     * {@code pending → uploaded}: the object is there; records when and ends the upload session. Then, if
     * the file waits for verification (whoever moved it), publishes {@link FileEvents.Arrived}. Safe to
     * call any number of times.
     *
     * @return whether this call made the move
     */
    public boolean arrived(UUID id) {
        boolean moved = files.move(id, List.of(move(FileStatus.PENDING, FileStatus.UPLOADED)), FileChanges.uploaded()).isPresent();
        files.find(id).filter(f -> f.status() == FileStatus.UPLOADED || f.status() == FileStatus.VERIFYING
                || f.status() == FileStatus.SCANNING).ifPresent(f -> events.publish(new FileEvents.Arrived(f.id(), f.ownerId())));
        return moved;
    }

    /**
     * {@code pending → cancelled}: releases the reservation and ends the session.
     *
     * @return the file as it was when this call cancelled it; empty when it is no longer pending
     */
    public Optional<FileRecord> cancel(UUID id) {
        return files.move(id, List.of(move(FileStatus.PENDING, FileStatus.CANCELLED)),
                FileChanges.ended("cancelled", "cancelled by the client"));
    }

    /**
     * {@code pending → rejected}: a multipart upload that cannot be completed (a part larger than the bytes
     * reserved for it, a part Stowage never signed); releases the reservation, ends the session, records the reason.
     *
     * @param code   the reason code ({@code part_too_large}, {@code part_not_issued})
     * @param reason what was wrong, for people
     * @return the file as it was when this call rejected it; empty when it is no longer pending
     */
    public Optional<FileRecord> refuse(UUID id, String code, String reason) {
        return files.move(id, List.of(move(FileStatus.PENDING, FileStatus.REJECTED)), FileChanges.ended(code, reason));
    }

    /**
     * {@code pending → expired}: nothing complete arrived within the session's lifetime; releases the
     * reservation and ends the session.
     *
     * @return the file as it was when this call expired it; empty when it is no longer pending
     */
    public Optional<FileRecord> expire(UUID id) {
        return files.move(id, List.of(move(FileStatus.PENDING, FileStatus.EXPIRED)),
                FileChanges.ended("expired", "nothing complete arrived within the upload session's lifetime"));
    }

    /**
     * {@code pending → expired} for up to {@code limit} of one user's uploads past their session's lifetime at
     * once (set-based; the same move and quota effect as {@link #expire}, summed over the batch).
     *
     * @param multipart multipart uploads, or single PUTs
     * @param keep      files to leave (their object was seen: they are recovered instead)
     * @param upTo      only files whose id is at most this, or {@code null}
     * @return the uploads this call expired
     */
    public List<FileRepository.Ended> expireMany(String ownerId, boolean multipart, java.util.Collection<UUID> keep, UUID upTo, int limit) {
        return files.endExpired(move(FileStatus.PENDING, FileStatus.EXPIRED),
                FileChanges.ended("expired", "nothing complete arrived within the upload session's lifetime"), ownerId, multipart, keep, upTo, limit);
    }

    // ---- verification

    /** {@code uploaded → verifying}. @return whether this call made the move */
    public boolean startVerifying(UUID id) {
        return files.move(id, List.of(move(FileStatus.UPLOADED, FileStatus.VERIFYING)), FileChanges.NONE).isPresent();
    }

    /** {@code verifying → scanning}: the bytes passed size, checksum and type checks. @return whether this call made the move */
    public boolean startScanning(UUID id) {
        return files.move(id, List.of(move(FileStatus.VERIFYING, FileStatus.SCANNING)), FileChanges.NONE).isPresent();
    }

    /**
     * {@code scanning → ready}: reserved bytes − declared size, used bytes + stored size; publishes
     * {@link FileEvents.Ready} ({@code VERIFIED}).
     *
     * @param scanResult {@code clean} or {@code unscanned}
     * @return whether this call made the move
     */
    public boolean accept(UUID id, String scanResult) {
        Optional<FileRecord> before = files.move(id, List.of(move(FileStatus.SCANNING, FileStatus.READY)), FileChanges.ready(scanResult));
        before.ifPresent(f -> events.publish(new FileEvents.Ready(f.id(), f.ownerId(), f.detectedType(), size(f), FileEvents.Cause.VERIFIED)));
        return before.isPresent();
    }

    /**
     * {@code verifying → expired}: the upload arrived, but its object was gone before verification reached it,
     * removed by the staging expiry ({@code uploads.staging_ttl_seconds} or the raw bucket's
     * {@code temporary_expire_days}); releases the reservation, records the reason.
     *
     * @return the file as it was when this call expired it; empty when it was no longer being verified
     */
    public Optional<FileRecord> expireUnverified(UUID id, String reason) {
        return files.move(id, List.of(move(FileStatus.VERIFYING, FileStatus.EXPIRED)), FileChanges.ended("expired", reason));
    }

    /**
     * {@code verifying | scanning → rejected}: releases the reservation, records the reason.
     *
     * @return the file as it was when this call rejected it; empty when it was no longer being verified
     */
    public Optional<FileRecord> reject(UUID id, String code, String reason) {
        return files.move(id, List.of(move(FileStatus.VERIFYING, FileStatus.REJECTED), move(FileStatus.SCANNING, FileStatus.REJECTED)),
                FileChanges.ended(code, reason));
    }

    /**
     * {@code scanning → quarantined}: releases the reservation; the row points at the quarantine copy.
     *
     * @return the file as it was when this call quarantined it; empty when it was no longer scanning
     */
    public Optional<FileRecord> quarantine(UUID id, String signature, String quarantineKey) {
        return files.move(id, List.of(move(FileStatus.SCANNING, FileStatus.QUARANTINED)),
                FileChanges.quarantined("malware", "malware found: " + signature, signature, quarantineKey));
    }

    /**
     * {@code scanning → rejected} with {@code too_large_to_scan}: the scanner did not look at all of the
     * content (one of its limits was hit). Releases the reservation; the scan result is {@code limits_exceeded}
     * and the limit is recorded.
     *
     * @param limit  the scanner limit ({@code MaxFileSize}, {@code MaxFiles}, {@code StreamMaxLength}, …)
     * @param reason one line for people
     * @return the file as it was when this call rejected it; empty when it was no longer scanning
     */
    public Optional<FileRecord> rejectNotFullyScanned(UUID id, String limit, String reason) {
        return files.move(id, List.of(move(FileStatus.SCANNING, FileStatus.REJECTED)),
                FileChanges.notFullyScanned(ProblemCode.TOO_LARGE_TO_SCAN.code(), reason, limit));
    }

    /**
     * Holds a file that was not fully scanned for an operator: it stays {@code scanning} (reserved, never
     * served, not retried), with result {@code limits_exceeded}, the limit and {@code too_large_to_scan} as its
     * reason, until {@link #rescan} (after the scanner's limits were raised).
     */
    public void holdNotFullyScanned(UUID id, String limit, String reason) {
        files.recordScanHeld(id, limit, ProblemCode.TOO_LARGE_TO_SCAN.code(), reason);
    }

    /**
     * {@code scanning → rejected} with {@code scan_failed}: scans of the file kept failing for longer than
     * {@code scanner.give_up_after_seconds}. Releases the reservation; the object is kept so that an
     * operator can {@link #rescan} it.
     *
     * @param reason one line for people, with the scanner's last error
     * @return the file as it was when this call rejected it; empty when it was no longer scanning
     */
    public Optional<FileRecord> giveUpScan(UUID id, String reason) {
        return files.move(id, List.of(move(FileStatus.SCANNING, FileStatus.REJECTED)),
                FileChanges.scanFailed(ProblemCode.SCAN_FAILED.code(), reason));
    }

    /** What {@link #rescan} did. */
    public enum Rescan {
        /** A file rejected because its scans failed moved back to {@code scanning}, its bytes reserved again. */
        RESUMED,
        /** A file held for an operator (not fully scanned) lost its verdict and is verified again. */
        RELEASED,
        /** No such file. */
        NOT_FOUND,
        /** The file is neither rejected with {@code scan_failed} nor held: nothing to re-scan. */
        NOT_RESCANNABLE
    }

    /**
     * An operator's re-scan: {@code rejected → scanning} for a file rejected with {@code scan_failed}
     * (reserves its declared size again, only if the quota has room; the reason and scan verdict are
     * forgotten), or the release of a held file (still {@code scanning}). Either way publishes
     * {@link FileEvents.Arrived}, whose listener queues the verification.
     *
     * @throws Problem {@code quota_exceeded} (403) when the owner's quota has no room for the file again; nothing changes
     */
    public Rescan rescan(UUID id) {
        FileRecord f = files.find(id).orElse(null);
        if (f == null) return Rescan.NOT_FOUND;
        Rescan done;
        if (f.status() == FileStatus.REJECTED && ProblemCode.SCAN_FAILED.code().equals(f.reasonCode())) {
            try {
                done = files.move(id, List.of(move(FileStatus.REJECTED, FileStatus.SCANNING)), FileChanges.rescan()).isPresent()
                        ? Rescan.RESUMED : Rescan.NOT_RESCANNABLE;
            } catch (FileRepository.QuotaExceeded e) {
                throw new Problem(ProblemCode.QUOTA_EXCEEDED, "re-scanning " + f.declaredSize() + " bytes would exceed the owner's quota: "
                        + e.availableBytes + " bytes available");
            }
        } else if (f.status() == FileStatus.SCANNING && files.releaseScanHold(id)) {
            done = Rescan.RELEASED;
        } else {
            return Rescan.NOT_RESCANNABLE;
        }
        if (done != Rescan.NOT_RESCANNABLE) events.publish(new FileEvents.Arrived(f.id(), f.ownerId()));
        return done;
    }

    // ---- deletion

    /**
     * {@code ready → deleted}: used bytes − stored size (never below zero); publishes
     * {@link FileEvents.Deleted} once {@code tx} commits.
     *
     * @param tx     the transaction to make the move in (or the repository for one of its own)
     * @param by     {@code user} or {@code retention}
     * @param marker the version id of the delete marker that hides the object, or {@code null}
     * @return the file as it was when this call deleted it; empty when it is no longer ready
     */
    public Optional<FileRecord> delete(FileRepository tx, UUID id, String by, String marker) {
        return tx.inTransaction(t -> {
            Optional<FileRecord> before = t.move(id, List.of(move(FileStatus.READY, FileStatus.DELETED)), FileChanges.deleted(by, marker));
            before.ifPresent(f -> t.afterCommit(() -> events.publish(new FileEvents.Deleted(f.id(), f.ownerId(), size(f), by))));
            return before;
        });
    }

    /**
     * {@code deleted → ready}, only if the quota has room: used bytes + stored size; the deletion is
     * forgotten (time, who, delete marker). Publishes {@link FileEvents.Ready} ({@code RESTORED}) once
     * {@code tx} commits.
     *
     * @return the file as it was when this call restored it; empty when it is no longer deleted
     * @throws Problem {@code quota_exceeded} (403): nothing changes
     */
    public Optional<FileRecord> restore(FileRepository tx, UUID id) {
        return tx.inTransaction(t -> {
            Optional<FileRecord> before;
            try {
                before = t.move(id, List.of(move(FileStatus.DELETED, FileStatus.READY)), FileChanges.restored());
            } catch (FileRepository.QuotaExceeded e) {
                long size = t.find(id).map(FileLifecycle::size).orElse(0L);
                throw new Problem(ProblemCode.QUOTA_EXCEEDED, "restoring " + size + " bytes would exceed your quota");
            }
            before.ifPresent(f -> t.afterCommit(() -> events.publish(
                    new FileEvents.Ready(f.id(), f.ownerId(), f.detectedType(), size(f), FileEvents.Cause.RESTORED))));
            return before;
        });
    }

    /**
     * {@code deleted → purged}: the row stays (with its deletion time), its variants' rows go.
     *
     * @return the file as it was when this call purged it; empty when it is no longer deleted
     */
    public Optional<FileRecord> purge(FileRepository tx, UUID id) {
        return tx.inTransaction(t -> t.move(id, List.of(move(FileStatus.DELETED, FileStatus.PURGED)), FileChanges.purged()));
    }

    // ---- the operator's quarantine

    /**
     * {@code quarantined → ready}: an operator released the file after a clean re-scan of its quarantine
     * copy, which was first copied back to {@code finalKey}. Used bytes + stored size (the quota is not
     * enforced: the bytes were already stored); the row points at the final key again, the scan result is
     * {@code clean} and the malware verdict and reason are forgotten. Publishes {@link FileEvents.Ready}
     * ({@code RELEASED}).
     *
     * @param finalKey the file's key in the raw bucket outside {@code quarantine/}
     * @return the file as it was when this call released it; empty when it is no longer quarantined
     */
    public Optional<FileRecord> release(UUID id, String finalKey) {
        Optional<FileRecord> before = files.move(id, List.of(move(FileStatus.QUARANTINED, FileStatus.READY)), FileChanges.released(finalKey));
        before.ifPresent(f -> events.publish(new FileEvents.Ready(f.id(), f.ownerId(), f.detectedType(), size(f), FileEvents.Cause.RELEASED)));
        return before;
    }

    /**
     * {@code quarantined → purged}: an operator purges a quarantined file; the row stays (terminal, with its
     * verdict, {@code deleted_by} {@code operator}, deletion and purge times). The caller removes the
     * quarantine copy (every version) once this has committed.
     *
     * @return the file as it was when this call purged it; empty when it is no longer quarantined
     */
    public Optional<FileRecord> purgeQuarantined(UUID id) {
        return files.move(id, List.of(move(FileStatus.QUARANTINED, FileStatus.PURGED)), FileChanges.purgedByOperator());
    }

    // ---- migration

    /**
     * Records a batch of migrated files in {@code tx}: a file seen for the first time is created
     * ({@code (new) → ready | quarantined}, one statement for the batch); a file copied again because it
     * changed moves from its state ({@code ready | quarantined → ready | quarantined}; a deleted file stays
     * deleted). Used bytes change by the table's effects, one statement per owner in user-id order. Files
     * that end ready are published as {@link FileEvents.Ready} ({@code MIGRATED}) once {@code tx} commits.
     *
     * @throws FileTransitions.IllegalTransitionException for a file whose state allows no such move
     *         (e.g. purged): the whole transaction fails
     */
    public void migrated(FileRepository tx, List<Migrated> rows) {
        if (rows.isEmpty()) return;
        tx.inTransaction(t -> {
            boolean[] inserted = t.insertMigrated(rows);
            SortedMap<String, Long> deltas = new TreeMap<>();
            List<FileEvents.Ready> ready = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Migrated m = rows.get(i);
                long delta;
                FileStatus to = m.status();
                if (inserted[i]) {
                    delta = FileTransitions.usedDelta(move(null, to), 0, m.sizeBytes());
                } else {
                    FileRecord old = t.lock(m.id()).orElseThrow();
                    if (to == FileStatus.READY && old.status() == FileStatus.DELETED) to = FileStatus.DELETED;
                    var tr = move(old.status(), to);
                    Migrated row = to == m.status() ? m : new Migrated(m.id(), m.ownerId(), m.originalName(), m.originalNameBytes(),
                            m.safeName(), m.detectedType(), m.sizeBytes(), m.sha256(), m.bucket(), m.objectKey(), to, m.scanResult(),
                            m.scanSignature(), m.createdAt(), m.variantsWanted());
                    t.replaceMigrated(tr, row);
                    delta = FileTransitions.usedDelta(tr, size(old), m.sizeBytes());
                }
                if (delta != 0) deltas.merge(m.ownerId(), delta, Long::sum);
                if (to == FileStatus.READY) {
                    ready.add(new FileEvents.Ready(m.id(), m.ownerId(), m.detectedType(), m.sizeBytes(), FileEvents.Cause.MIGRATED));
                }
            }
            t.addUsed(deltas);
            if (!ready.isEmpty()) t.afterCommit(() -> ready.forEach(events::publish));
            return null;
        });
    }

    private static long size(FileRecord f) {
        return f.sizeBytes() == null ? 0 : f.sizeBytes();
    }
}

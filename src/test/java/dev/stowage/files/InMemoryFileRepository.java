package dev.stowage.files;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory {@link FileRepository} for fast tests of the pure logic around it (the state machine,
 * quota arithmetic, decisions). One lock serialises transactions; a transaction that throws is rolled back
 * from a copy; the schema's checks that matter here are kept (reserved and used bytes never negative,
 * quota checked where the table says so). Time is {@link #now}, set by the test.
 */
public final class InMemoryFileRepository implements FileRepository {
    /** A mutable copy of one {@code files} row. */
    static final class Row {
        UUID id;
        String ownerId, originalName, safeName, declaredType, detectedType, declaredSha256, sha256, bucket, objectKey;
        long declaredSize;
        Long sizeBytes;
        FileStatus status;
        String scanResult, scanSignature, reasonCode, reason, source = "upload";
        Instant createdAt, updatedAt, readyAt, deletedAt, uploadedAt, purgedAt;
        String variantsStatus = "none", variantsReasonCode, variantsReason, deletedBy, deleteMarker;
        int verifyAttempts;
        byte[] originalNameBytes;
        String scanLimit, scanError;
        Instant scanFailingSince;

        Row copy() {
            Row r = new Row();
            r.id = id; r.ownerId = ownerId; r.originalName = originalName; r.safeName = safeName; r.declaredType = declaredType;
            r.detectedType = detectedType; r.declaredSha256 = declaredSha256; r.sha256 = sha256; r.bucket = bucket; r.objectKey = objectKey;
            r.declaredSize = declaredSize; r.sizeBytes = sizeBytes; r.status = status; r.scanResult = scanResult; r.scanSignature = scanSignature;
            r.reasonCode = reasonCode; r.reason = reason; r.source = source; r.createdAt = createdAt; r.updatedAt = updatedAt;
            r.readyAt = readyAt; r.deletedAt = deletedAt; r.uploadedAt = uploadedAt; r.purgedAt = purgedAt;
            r.variantsStatus = variantsStatus; r.variantsReasonCode = variantsReasonCode; r.variantsReason = variantsReason;
            r.deletedBy = deletedBy; r.deleteMarker = deleteMarker; r.verifyAttempts = verifyAttempts;
            r.originalNameBytes = originalNameBytes;
            r.scanLimit = scanLimit; r.scanError = scanError; r.scanFailingSince = scanFailingSince;
            return r;
        }

        FileRecord record() {
            return new FileRecord(id, ownerId, originalName, safeName, declaredType, detectedType, declaredSize, sizeBytes, declaredSha256,
                    sha256, bucket, objectKey, status, scanResult, scanSignature, reasonCode, reason, source, createdAt, updatedAt,
                    readyAt, deletedAt, variantsStatus, variantsReasonCode, variantsReason, scanLimit, scanError);
        }
    }

    /** A mutable account. */
    static final class Account {
        String plan;
        long quota, used, reserved;

        Account(String plan, long quota) {
            this.plan = plan;
            this.quota = quota;
        }

        Account copy() {
            Account a = new Account(plan, quota);
            a.used = used;
            a.reserved = reserved;
            return a;
        }
    }

    private static final class State {
        final Map<UUID, Row> files = new LinkedHashMap<>();
        final Map<String, Account> accounts = new LinkedHashMap<>();
        final Map<UUID, UploadSession> sessions = new LinkedHashMap<>();
        final Map<UUID, Map<String, StoredVariant>> variants = new HashMap<>();
        final Map<UUID, PartChecksums> partChecksums = new HashMap<>();

        State copy() {
            State s = new State();
            files.forEach((k, v) -> s.files.put(k, v.copy()));
            accounts.forEach((k, v) -> s.accounts.put(k, v.copy()));
            s.sessions.putAll(sessions);
            s.partChecksums.putAll(partChecksums);
            variants.forEach((k, v) -> s.variants.put(k, new LinkedHashMap<>(v)));
            return s;
        }
    }

    private State state = new State();
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Runnable> afterCommit = new ArrayList<>();
    /** The time the repository stamps; tests move it. */
    public Instant now = Instant.parse("2025-01-01T00:00:00Z");
    /** Statements made that change quota bookkeeping (to check batching). */
    public int quotaStatements;

    // ---- test helpers

    /** Puts a row as it is (a file in any state), creating its owner's account when missing. */
    public FileRecord put(UUID id, String owner, FileStatus status, long declared, Long size) {
        return tx(() -> {
            state.accounts.computeIfAbsent(owner, o -> new Account("free", Long.MAX_VALUE / 4));
            Row r = new Row();
            r.id = id; r.ownerId = owner; r.originalName = "f.txt"; r.safeName = "f.txt"; r.declaredType = "text/plain";
            r.detectedType = size == null ? null : "text/plain"; r.declaredSize = declared; r.sizeBytes = size; r.status = status;
            r.bucket = "raw"; r.objectKey = owner + "/" + id + "/f.txt"; r.createdAt = now; r.updatedAt = now;
            if (status == FileStatus.DELETED || status == FileStatus.PURGED) r.deletedAt = now;
            if (status == FileStatus.PURGED) r.purgedAt = now;
            state.files.put(id, r);
            return r.record();
        });
    }

    /** Sets an account's numbers as they are. */
    public void account(String owner, String plan, long quota, long used, long reserved) {
        tx(() -> {
            Account a = new Account(plan, quota);
            a.used = used;
            a.reserved = reserved;
            state.accounts.put(owner, a);
            return null;
        });
    }

    /** Moves a row's creation time (retention). */
    public void created(UUID id, Instant at) {
        tx(() -> state.files.get(id).createdAt = at);
    }

    /** All rows. */
    public List<FileRecord> all() {
        return tx(() -> state.files.values().stream().map(Row::record).toList());
    }

    /** Who deleted a file, as recorded. */
    public String deletedBy(UUID id) {
        return tx(() -> state.files.get(id).deletedBy);
    }

    // ---- transactions

    private interface Body<T> {
        T run();
    }

    private <T> T tx(Body<T> body) {
        lock.lock();
        boolean outer = lock.getHoldCount() == 1;
        State before = outer ? state.copy() : null;
        List<Runnable> after = List.of();
        T t;
        try {
            t = body.run();
            if (outer) {
                after = new ArrayList<>(afterCommit);
                afterCommit.clear();
            }
        } catch (RuntimeException | Error e) {
            if (outer) {
                state = before;
                afterCommit.clear();
            }
            throw e;
        } finally {
            lock.unlock();
        }
        after.forEach(Runnable::run);
        return t;
    }

    /** Carries a checked exception of a transaction's work out of it (after the rollback). */
    private static final class RollBack extends RuntimeException {
        RollBack(Exception cause) {
            super(cause);
        }
    }

    @Override
    public <T, X extends Exception> T inTransaction(Work<T, X> work) throws X {
        try {
            return tx(() -> {
                try {
                    return work.apply(this);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new RollBack(e);
                }
            });
        } catch (RollBack e) {
            @SuppressWarnings("unchecked")
            X x = (X) e.getCause();
            throw x;
        }
    }

    @Override
    public void afterCommit(Runnable action) {
        if (lock.isHeldByCurrentThread()) afterCommit.add(action);
        else action.run();
    }

    // ---- accounts

    @Override
    public void ensureAccount(String userId, String plan, long quotaBytes) {
        tx(() -> {
            Account a = state.accounts.get(userId);
            if (a == null) state.accounts.put(userId, new Account(plan, quotaBytes));
            else if (!a.plan.equals(plan)) {
                a.plan = plan;
                a.quota = quotaBytes;
            }
            return null;
        });
    }

    @Override
    public void ensureFreeAccounts(Collection<String> userIds, long quotaBytes) {
        tx(() -> {
            for (String u : userIds) state.accounts.putIfAbsent(u, new Account("free", quotaBytes));
            return null;
        });
    }

    @Override
    public Optional<Usage> usage(String userId) {
        return tx(() -> Optional.ofNullable(state.accounts.get(userId)).map(a -> new Usage(userId, a.plan, a.quota, a.used, a.reserved)));
    }

    @Override
    public Optional<String> planForShare(String userId) {
        return tx(() -> Optional.ofNullable(state.accounts.get(userId)).map(a -> a.plan));
    }

    // ---- reads

    @Override
    public Optional<FileRecord> find(UUID id) {
        return tx(() -> Optional.ofNullable(state.files.get(id)).map(Row::record));
    }

    @Override
    public Optional<FileRecord> lock(UUID id) {
        return find(id);
    }

    @Override
    public List<FileRecord> findAll(Collection<UUID> ids) {
        return tx(() -> ids.stream().map(state.files::get).filter(r -> r != null).map(Row::record).toList());
    }

    @Override
    public Optional<byte[]> originalNameBytes(UUID id) {
        return tx(() -> Optional.ofNullable(state.files.get(id)).map(r -> r.originalNameBytes));
    }

    @Override
    public Optional<FileRecord> findOwned(UUID id, String ownerId) {
        return find(id).filter(f -> f.ownerId().equals(ownerId));
    }

    @Override
    public Optional<FileRecord> findByKey(String bucket, String key) {
        return tx(() -> state.files.values().stream().filter(r -> r.bucket.equals(bucket) && r.objectKey.equals(key)).findFirst().map(Row::record));
    }

    @Override
    public List<FileRecord> page(String ownerId, Instant afterCreated, UUID afterId, int limit, boolean includeDeleted) {
        return tx(() -> state.files.values().stream()
                .filter(r -> r.ownerId.equals(ownerId) && r.status != FileStatus.PURGED && (includeDeleted || r.status != FileStatus.DELETED))
                .sorted(Comparator.comparing((Row r) -> r.createdAt).thenComparing(r -> r.id).reversed())
                .filter(r -> afterCreated == null || r.createdAt.isBefore(afterCreated)
                        || (r.createdAt.equals(afterCreated) && r.id.compareTo(afterId) < 0))
                .limit(limit).map(Row::record).toList());
    }

    @Override
    public ScannedPage page(String ownerId, Instant afterCreated, UUID afterId, int limit, FileFilter filter, boolean includeDeleted,
                            int scanBudget) {
        return tx(() -> {
            List<FileRecord> scanned = state.files.values().stream()
                    .filter(r -> r.ownerId.equals(ownerId))
                    .sorted(Comparator.comparing((Row r) -> r.createdAt).thenComparing(r -> r.id).reversed())
                    .filter(r -> afterCreated == null || r.createdAt.isBefore(afterCreated)
                            || (r.createdAt.equals(afterCreated) && r.id.compareTo(afterId) < 0))
                    .limit(scanBudget).map(Row::record).toList();
            List<FileRecord> items = scanned.stream().filter(f -> filter.matches(f, includeDeleted)).limit(limit).toList();
            FileRecord last = scanned.size() >= scanBudget ? scanned.getLast() : null;
            return new ScannedPage(items, last == null ? null : last.createdAt(), last == null ? null : last.id());
        });
    }

    @Override
    public Optional<String> deleteMarker(UUID id) {
        return tx(() -> Optional.ofNullable(state.files.get(id)).map(r -> r.deleteMarker));
    }

    @Override
    public List<UUID> stuck(Duration age, int limit) {
        return tx(() -> state.files.values().stream()
                .filter(r -> (r.status == FileStatus.UPLOADED || r.status == FileStatus.VERIFYING || r.status == FileStatus.SCANNING)
                        && !(r.status == FileStatus.SCANNING && "limits_exceeded".equals(r.scanResult))
                        && r.updatedAt.isBefore(now.minus(age)))
                .sorted(Comparator.comparing(r -> r.updatedAt)).limit(limit).map(r -> r.id).toList());
    }

    @Override
    public List<Aged> agedReady(Instant cutoff, Collection<String> premiumPlans, boolean premium, int limit) {
        return tx(() -> state.files.values().stream()
                .filter(r -> r.status == FileStatus.READY && r.createdAt.isBefore(cutoff)
                        && premiumPlans.contains(state.accounts.get(r.ownerId).plan) == premium)
                .sorted(Comparator.comparing(r -> r.createdAt)).limit(limit)
                .map(r -> new Aged(r.id, r.ownerId, state.accounts.get(r.ownerId).plan, r.sizeBytes)).toList());
    }

    @Override
    public List<UUID> deletedBefore(Instant cutoff, int limit) {
        return tx(() -> state.files.values().stream().filter(r -> r.status == FileStatus.DELETED && r.deletedAt.isBefore(cutoff))
                .sorted(Comparator.comparing(r -> r.deletedAt)).limit(limit).map(r -> r.id).toList());
    }

    @Override
    public List<Created> readyOfTypes(Collection<String> types, String ownerId, Created after, int limit) {
        Comparator<Row> newest = Comparator.comparing((Row r) -> r.createdAt).thenComparing(r -> r.id).reversed();
        return tx(() -> state.files.values().stream()
                .filter(r -> r.status == FileStatus.READY && types.contains(r.detectedType) && (ownerId == null || ownerId.equals(r.ownerId)))
                .filter(r -> after == null || r.createdAt.isBefore(after.createdAt())
                        || (r.createdAt.equals(after.createdAt()) && r.id.compareTo(after.id()) < 0))
                .sorted(newest).limit(limit).map(r -> new Created(r.id, r.createdAt)).toList());
    }

    @Override
    public List<UUID> variantsPending(Collection<UUID> ids) {
        return tx(() -> ids.stream().map(state.files::get)
                .filter(r -> r != null && r.status == FileStatus.READY && r.variantsStatus.equals("pending")).map(r -> r.id).toList());
    }

    @Override
    public List<String> objectKeys(String ownerId, String bucket) {
        return tx(() -> state.files.values().stream().filter(r -> r.ownerId.equals(ownerId) && r.bucket.equals(bucket))
                .map(r -> r.objectKey).toList());
    }

    @Override
    public List<BucketBytes> storedBytes() {
        throw new UnsupportedOperationException("not needed by the unit tests");
    }

    @Override
    public long writesLast30Days() {
        throw new UnsupportedOperationException("not needed by the unit tests");
    }

    @Override
    public List<OwnerBytes> topOwners(int limit) {
        throw new UnsupportedOperationException("not needed by the unit tests");
    }

    // ---- bookkeeping

    @Override
    public void recordContent(UUID id, String detectedType, String sha256, long sizeBytes) {
        tx(() -> {
            Row r = state.files.get(id);
            if (r != null) {
                r.detectedType = detectedType;
                r.sha256 = sha256;
                r.sizeBytes = sizeBytes;
                r.updatedAt = now;
            }
            return null;
        });
    }

    @Override
    public void recordScanResult(UUID id, String scanResult) {
        tx(() -> state.files.get(id).scanResult = scanResult);
    }

    @Override
    public Duration recordScanFailed(UUID id, String error) {
        return tx(() -> {
            Row r = state.files.get(id);
            r.scanResult = "error";
            r.scanError = error;
            if (r.scanFailingSince == null) r.scanFailingSince = now;
            r.verifyAttempts++;
            r.updatedAt = now;
            return Duration.between(r.scanFailingSince, now);
        });
    }

    @Override
    public void recordScanHeld(UUID id, String limit, String reasonCode, String reason) {
        tx(() -> {
            Row r = state.files.get(id);
            if (r.status != FileStatus.SCANNING) return null;
            r.scanResult = "limits_exceeded";
            r.scanLimit = limit;
            r.reasonCode = reasonCode;
            r.reason = reason;
            r.updatedAt = now;
            return null;
        });
    }

    @Override
    public boolean releaseScanHold(UUID id) {
        return tx(() -> {
            Row r = state.files.get(id);
            if (r == null || r.status != FileStatus.SCANNING || !"limits_exceeded".equals(r.scanResult)) return false;
            r.scanResult = null; r.scanLimit = null; r.scanError = null; r.scanFailingSince = null; r.reasonCode = null; r.reason = null;
            r.updatedAt = now;
            return true;
        });
    }

    // ---- sessions

    @Override
    public Optional<UploadSession> session(UUID fileId) {
        return tx(() -> Optional.ofNullable(state.sessions.get(fileId)));
    }

    @Override
    public List<DueSession> dueSessions(Duration lostEventAge, int perUser, int limit) {
        return tx(() -> {
            List<DueSession> due = state.sessions.values().stream()
                    .filter(s -> state.files.get(s.fileId()).status == FileStatus.PENDING && !s.multipart()
                            && !s.expiresAt().isBefore(now) && s.createdAt().isBefore(now.minus(lostEventAge)))
                    .sorted(Comparator.comparing(UploadSession::createdAt).thenComparing(UploadSession::fileId))
                    .map(s -> new DueSession(s, state.files.get(s.fileId()).ownerId)).toList();
            // the SQL's round-robin: each user's n-th oldest in turn n, at most perUser turns
            Map<String, Integer> seen = new HashMap<>();
            record Turn(DueSession d, int turn) {}
            List<Turn> turns = new ArrayList<>();
            for (DueSession d : due) {
                int turn = seen.merge(d.ownerId(), 1, Integer::sum);
                if (turn <= perUser) turns.add(new Turn(d, turn));
            }
            return turns.stream().sorted(Comparator.comparingInt(Turn::turn)).limit(limit).map(Turn::d).toList();
        });
    }

    @Override
    public List<Expired> expiredAfter(Instant afterExpiry, UUID afterFileId, int limit) {
        return tx(() -> state.sessions.values().stream()
                .filter(s -> state.files.get(s.fileId()).status == FileStatus.PENDING && s.expiresAt().isBefore(now))
                .filter(s -> afterExpiry == null || s.expiresAt().isAfter(afterExpiry)
                        || s.expiresAt().equals(afterExpiry) && s.fileId().compareTo(afterFileId) > 0)
                .sorted(Comparator.comparing(UploadSession::expiresAt).thenComparing(UploadSession::fileId))
                .limit(limit)
                .map(s -> new Expired(s.expiresAt(), s.fileId(), state.files.get(s.fileId()).ownerId, s.multipart())).toList());
    }

    @Override
    public int openUploads(String ownerId) {
        return tx(() -> (int) state.files.values().stream()
                .filter(r -> r.ownerId.equals(ownerId) && r.status == FileStatus.PENDING).count());
    }

    @Override
    public Optional<Instant> earliestOpenExpiry(String ownerId) {
        return tx(() -> state.sessions.values().stream()
                .filter(s -> state.files.get(s.fileId()).ownerId.equals(ownerId) && state.files.get(s.fileId()).status == FileStatus.PENDING)
                .map(UploadSession::expiresAt).min(Comparator.naturalOrder()));
    }

    // ---- part checksums

    @Override
    public boolean declarePartChecksums(UUID fileId, long partSize, Map<Integer, String> sha256) {
        return tx(() -> {
            Row r = state.files.get(fileId);
            if (r == null || r.status != FileStatus.PENDING) return false;
            var byPart = new java.util.TreeMap<Integer, String>();
            var old = state.partChecksums.get(fileId);
            if (old != null) byPart.putAll(old.byPart());
            byPart.putAll(sha256);
            state.partChecksums.put(fileId, new PartChecksums(partSize, byPart));
            return true;
        });
    }

    @Override
    public Optional<PartChecksums> partChecksums(UUID fileId) {
        return tx(() -> Optional.ofNullable(state.partChecksums.get(fileId)));
    }

    // ---- variants

    @Override
    public Map<UUID, List<StoredVariant>> variantsOf(java.util.Collection<UUID> fileIds) {
        Map<UUID, List<StoredVariant>> out = new HashMap<>();
        for (UUID id : fileIds) {
            List<StoredVariant> v = variants(id);
            if (!v.isEmpty()) out.put(id, v);
        }
        return out;
    }

    @Override
    public List<StoredVariant> variants(UUID fileId) {
        return tx(() -> state.variants.getOrDefault(fileId, Map.of()).values().stream()
                .sorted(Comparator.comparing(StoredVariant::name)).toList());
    }

    @Override
    public void lockVariant(UUID fileId, String name) {
        // one lock serialises every transaction already
    }

    @Override
    public void saveVariant(StoredVariant v) {
        tx(() -> state.variants.computeIfAbsent(v.fileId(), k -> new LinkedHashMap<>()).put(v.name(), v));
    }

    @Override
    public void markVariantsPending(UUID fileId) {
        tx(() -> {
            Row r = state.files.get(fileId);
            if (r.variantsStatus.equals("none")) r.variantsStatus = "pending";
            return null;
        });
    }

    @Override
    public void markVariantsReady(UUID fileId) {
        tx(() -> {
            Row r = state.files.get(fileId);
            r.variantsStatus = "ready";
            r.variantsReasonCode = null;
            r.variantsReason = null;
            return null;
        });
    }

    @Override
    public void markVariantsFailed(UUID fileId, String code, String reason) {
        tx(() -> {
            Row r = state.files.get(fileId);
            r.variantsStatus = "failed";
            r.variantsReasonCode = code;
            r.variantsReason = reason;
            return null;
        });
    }

    // ---- state changes

    private void quota(String owner, long reserved, long used, boolean clampUsed) {
        Account a = state.accounts.get(owner);
        quotaStatements++;
        long r = a.reserved + reserved;
        long u = clampUsed ? Math.max(0, a.used + used) : a.used + used;
        if (r < 0 || u < 0) throw new IllegalStateException("check constraint: reserved " + r + ", used " + u + " of " + owner);
        a.reserved = r;
        a.used = u;
    }

    @Override
    public void createPending(FileTransitions.Transition t, NewUpload u, UploadSession s, int maxOpenUploads) {
        FileTransitions.checked(t);
        if (t.from() != null || t.to() != FileStatus.PENDING) throw new FileTransitions.IllegalTransitionException(t.from(), t.to());
        tx(() -> {
            ensureAccount(u.ownerId(), u.plan(), u.quotaBytes());
            Account a = state.accounts.get(u.ownerId());
            long bytes = FileTransitions.reservedDelta(t, u.declaredSize());
            int open = openUploads(u.ownerId());
            if (open >= maxOpenUploads) throw new TooManyOpen(open);
            if (a.used + a.reserved + bytes > a.quota) throw new QuotaExceeded(Math.max(0, a.quota - a.used - a.reserved));
            quota(u.ownerId(), bytes, 0, false);
            Row r = new Row();
            r.id = u.id(); r.ownerId = u.ownerId(); r.originalName = u.originalName(); r.safeName = u.safeName();
            r.originalNameBytes = u.originalNameBytes();
            r.declaredType = u.declaredType(); r.declaredSize = u.declaredSize(); r.declaredSha256 = u.declaredSha256();
            r.bucket = u.bucket(); r.objectKey = u.objectKey(); r.status = FileStatus.PENDING; r.createdAt = now; r.updatedAt = now;
            if (state.files.putIfAbsent(r.id, r) != null) throw new IllegalStateException("duplicate key " + r.id);
            state.sessions.put(r.id, s);
            return null;
        });
    }

    @Override
    public Optional<FileRecord> move(UUID id, Collection<FileTransitions.Transition> moves, FileChanges c) {
        FileStatus target = FileTransitions.target(moves);
        return tx(() -> {
            Row r = state.files.get(id);
            if (r == null) return Optional.<FileRecord>empty();
            var t = moves.stream().filter(m -> m.from() == r.status).findFirst().orElse(null);
            if (t == null) return Optional.<FileRecord>empty();
            FileRecord before = r.record();
            long size = r.sizeBytes == null ? 0 : r.sizeBytes;
            long reserved = FileTransitions.reservedDelta(t, r.declaredSize);
            long used = FileTransitions.usedDelta(t, size, size);
            if (reserved != 0 || used != 0) {
                Account a = state.accounts.get(r.ownerId);
                if (t.quotaChecked() && a.used + a.reserved + used + reserved > a.quota) throw new QuotaExceeded(Math.max(0, a.quota - a.used - a.reserved));
                quota(r.ownerId, reserved, used, true);
            }
            r.status = target;
            r.updatedAt = now;
            if (c.reasonCode() != null) r.reasonCode = c.reasonCode();
            if (c.reason() != null) r.reason = c.reason();
            if (c.scanResult() != null) r.scanResult = c.scanResult();
            if (c.scanSignature() != null) r.scanSignature = c.scanSignature();
            if (c.scanLimit() != null) r.scanLimit = c.scanLimit();
            if (c.clearScan()) {
                r.reasonCode = null; r.reason = null; r.scanResult = c.scanResult(); r.scanSignature = null;
                r.scanLimit = null; r.scanError = null; r.scanFailingSince = null;
            }
            if (c.objectKey() != null) r.objectKey = c.objectKey();
            if (c.stampUploaded()) r.uploadedAt = now;
            if (c.stampReady()) r.readyAt = now;
            if (c.deletedBy() != null) {
                r.deletedAt = now;
                r.deletedBy = c.deletedBy();
                r.deleteMarker = c.deleteMarker();
            }
            if (c.undelete()) {
                r.deletedAt = null;
                r.deletedBy = null;
                r.deleteMarker = null;
            }
            if (c.purge()) {
                r.purgedAt = now;
                r.deleteMarker = null;
                state.variants.remove(id);
            }
            if (c.stampUploaded() || c.endSession()) state.sessions.remove(id);
            if (!FileStatus.IN_FLIGHT.contains(target)) state.partChecksums.remove(id);
            return Optional.of(before);
        });
    }

    @Override
    public List<Ended> endExpired(FileTransitions.Transition t, FileChanges c, String ownerId, boolean multipart,
                                 Collection<UUID> keep, UUID upTo, int limit) {
        FileTransitions.checked(t);
        if (t.from() != FileStatus.PENDING || t.used() != FileTransitions.Used.NONE || t.quotaChecked()) {
            throw new FileTransitions.IllegalTransitionException(t.from(), t.to());
        }
        return tx(() -> {
            List<Ended> out = new ArrayList<>();
            List<UploadSession> due = state.sessions.values().stream()
                    .filter(s -> s.multipart() == multipart && s.expiresAt().isBefore(now) && !keep.contains(s.fileId())
                            && (upTo == null || s.fileId().toString().compareTo(upTo.toString()) <= 0))
                    .filter(s -> state.files.get(s.fileId()).ownerId.equals(ownerId) && state.files.get(s.fileId()).status == FileStatus.PENDING)
                    .sorted(Comparator.comparing(UploadSession::fileId)).limit(limit).toList();
            long released = 0;
            for (UploadSession s : due) {
                Row r = state.files.get(s.fileId());
                released += FileTransitions.reservedDelta(t, r.declaredSize);
                r.status = t.to();
                r.updatedAt = now;
                if (c.reasonCode() != null) r.reasonCode = c.reasonCode();
                if (c.reason() != null) r.reason = c.reason();
                state.sessions.remove(s.fileId());
                state.partChecksums.remove(s.fileId());
                out.add(new Ended(r.id, r.objectKey, s.uploadId()));
            }
            if (!due.isEmpty()) quota(ownerId, released, 0, false);
            return out;
        });
    }

    @Override
    public boolean[] insertMigrated(List<Migrated> rows) {
        for (Migrated m : rows) FileTransitions.of(null, m.status());
        return tx(() -> {
            boolean[] out = new boolean[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                Migrated m = rows.get(i);
                if (state.files.containsKey(m.id())) continue;
                Row r = new Row();
                r.id = m.id(); r.ownerId = m.ownerId(); r.originalName = m.originalName(); r.safeName = m.safeName();
                r.declaredType = m.detectedType(); r.detectedType = m.detectedType(); r.declaredSize = m.sizeBytes(); r.sizeBytes = m.sizeBytes();
                r.sha256 = m.sha256(); r.bucket = m.bucket(); r.objectKey = m.objectKey(); r.status = m.status(); r.scanResult = m.scanResult();
                r.scanSignature = m.scanSignature(); r.source = "migration"; r.createdAt = m.createdAt(); r.updatedAt = now;
                r.variantsStatus = m.variantsWanted() ? "pending" : "none";
                if (m.status() == FileStatus.READY) r.readyAt = now;
                state.files.put(r.id, r);
                out[i] = true;
            }
            return out;
        });
    }

    @Override
    public void replaceMigrated(FileTransitions.Transition t, Migrated m) {
        FileTransitions.checked(t);
        if (t.from() == null || t.to() != m.status()) throw new FileTransitions.IllegalTransitionException(t.from(), m.status());
        tx(() -> {
            Row r = state.files.get(m.id());
            if (r.status != t.from()) return null;
            r.detectedType = m.detectedType(); r.declaredType = m.detectedType(); r.declaredSize = m.sizeBytes(); r.sizeBytes = m.sizeBytes();
            r.sha256 = m.sha256(); r.objectKey = m.objectKey(); r.status = m.status(); r.scanResult = m.scanResult();
            r.scanSignature = m.scanSignature(); r.updatedAt = now;
            if (m.variantsWanted()) r.variantsStatus = "pending";
            return null;
        });
    }

    @Override
    public void addUsed(SortedMap<String, Long> deltas) {
        tx(() -> {
            deltas.forEach((u, d) -> {
                if (d != 0) quota(u, 0, d, false);
            });
            return null;
        });
    }
}

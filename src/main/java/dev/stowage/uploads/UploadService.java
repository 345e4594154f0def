package dev.stowage.uploads;

import static dev.stowage.storage.ObjectTags.PENDING_TAG;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.files.NewUpload;
import dev.stowage.files.UploadSession;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import dev.stowage.storage.Capability;
import dev.stowage.storage.FilenameSanitizer;
import dev.stowage.storage.InvalidFilenameException;
import dev.stowage.storage.InvalidListingException;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Direct-to-bucket uploads (docs/architecture.md §4): checks type, size and quota before signing anything, reserves
 * the bytes, and hands the client presigned URLs — one PUT up to the multipart threshold, else parts
 * signed on request. Completion checks what arrived and queues verification. The API never receives
 * upload bytes.
 */
public final class UploadService {
    private static final Pattern SHA256_HEX = Pattern.compile("^[0-9a-f]{64}$");
    private static final String OCTET_STREAM = "application/octet-stream";

    private final ObjectStore s3;
    private final FileRepository files;
    private final StowageConfig.Uploads rules;
    private final String rawBucket;
    private final AllowedTypes allowed;
    private final FileLifecycle lifecycle;
    private final boolean rawVersioned;
    private final InitiationLimits rate;

    /**
     * Without an initiation rate limit (open uploads are still limited per plan).
     *
     * @param s3        clients for the configured provider
     * @param files     the file and account repository
     * @param lifecycle makes the moves (an arrived upload is published for verification)
     * @param config    the configuration (uploads rules, raw bucket)
     * @param allowed   the type allow-list
     */
    public UploadService(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, StowageConfig config, AllowedTypes allowed) {
        this(s3, files, lifecycle, config, allowed, null);
    }

    /**
     * @param s3        clients for the configured provider
     * @param files     the file and account repository
     * @param lifecycle makes the moves (an arrived upload is published for verification)
     * @param config    the configuration (uploads rules and limits, raw bucket)
     * @param allowed   the type allow-list
     * @param rate      the per-user initiation rate limit, or {@code null} for none
     */
    public UploadService(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, StowageConfig config, AllowedTypes allowed,
                         InitiationLimits rate) {
        this.rate = rate;
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.rules = config.uploads();
        this.rawBucket = config.storage().buckets().raw();
        this.allowed = allowed;
        this.rawVersioned = s3.profile().has(Capability.VERSIONING) && config.bucketSettings().raw().versioning();
    }

    /** A request to start an upload: original name, size in bytes, declared MIME type, optional SHA-256 (hex). */
    public record Initiate(String filename, Long size, String contentType, String sha256) {}

    /**
     * A presigned request the client sends as is: method, URL, and the headers to set, lower-case names
     * (browser-settable ones only: {@code Host} and {@code Content-Length} are set by the client itself).
     */
    public record SignedRequest(String method, String url, Map<String, String> headers, Instant expiresAt) {}

    /** The answer to an initiation. {@code upload} is set for single PUTs; part fields for multipart. */
    public record Initiated(UUID fileId, String kind, String status, String key, long size, SignedRequest upload,
                            Long partSize, Integer partCount, Instant expiresAt) {}

    /**
     * A part to sign: its 1-based number and the SHA-256 of its bytes (64 hex characters, either case).
     * {@code sha256} may be {@code null} only to be refused with {@code part_checksum_required}.
     */
    public record PartRequest(Integer partNumber, String sha256) {}

    /** One presigned part; its URL works until {@code expiresAt}. */
    public record SignedPart(int partNumber, long size, String method, String url, Map<String, String> headers, Instant expiresAt) {}

    /** A part already stored. */
    public record StoredPart(int partNumber, long size, String etag) {}

    /** What a client needs to resume or follow an upload. */
    public record UploadState(UUID fileId, String kind, String status, long size, Long partSize, Integer partCount,
                              List<StoredPart> parts, Instant expiresAt, String reasonCode, String reason) {}

    /**
     * Starts an upload. The declared type must be allowed, or undecided (none, blank or
     * {@code application/octet-stream}, {@link TypeCheck#undecided}): such an upload goes through the same
     * size and quota checks, is stored and signed as {@code application/octet-stream}, and verification tells
     * its type from the bytes.
     *
     * @return the presigned single PUT or the multipart session
     * @throws Problem {@code invalid_filename}, {@code invalid_size}, {@code empty_image}, {@code too_large} (413),
     *                 {@code type_not_allowed} (415; also an undecided empty file), {@code invalid_checksum}, {@code quota_exceeded} (403),
     *                 {@code rate_limited} and {@code too_many_open_uploads} (429, with a retry-after); a refusal
     *                 writes nothing (no file, session or reservation; no multipart upload left open)
     */
    public Initiated initiate(Principal who, Initiate req, long planQuota) {
        try {
            Initiated i = initiateChecked(who, req, planQuota);
            dev.stowage.metrics.StowageMetrics.uploadInitiated();
            return i;
        } catch (Problem p) {
            dev.stowage.metrics.StowageMetrics.uploadRejected("initiate", p.code());
            throw p;
        }
    }

    private Initiated initiateChecked(Principal who, Initiate req, long planQuota) {
        String safeName;
        String displayName;
        try {
            if (req.filename() == null) throw new InvalidFilenameException("filename is required");
            safeName = FilenameSanitizer.sanitize(req.filename());
            displayName = FilenameSanitizer.displayName(req.filename());
        } catch (InvalidFilenameException e) {
            throw new Problem(ProblemCode.INVALID_FILENAME, e.getMessage());
        }
        if (req.size() == null || req.size() < 0) throw new Problem(ProblemCode.INVALID_SIZE, "size must be a whole number of bytes ≥ 0");
        if (req.size() > rules.maxSizeBytes()) {
            throw new Problem(ProblemCode.TOO_LARGE, "size " + req.size() + " bytes is over the limit of " + rules.maxSizeBytes() + " bytes");
        }
        String declaredType = declaredType(req.contentType(), req.size(), req.filename());
        String sha = req.sha256() == null ? null : req.sha256().trim().toLowerCase(Locale.ROOT);
        if (sha != null && !SHA256_HEX.matcher(sha).matches()) throw new Problem(ProblemCode.INVALID_CHECKSUM, "sha256 must be 64 hexadecimal characters");

        long size = req.size();
        boolean multipart = size > rules.multipartThresholdBytes();
        StowageConfig.Limits limits = rules.limitsFor(who.plan());
        checkLimits(who, limits, multipart);

        UUID fileId = ObjectKeys.newFileId();
        String key = ObjectKeys.rawKey(who.userId(), fileId.toString(), safeName);
        String staging = ObjectKeys.stagingKey(key);
        Instant now = Instant.now();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("original-filename", FilenameSanitizer.metadataValue(req.filename()));
        metadata.put("uploader-id", who.userId());
        metadata.put("uploaded-at", now.toString());
        if (sha != null) metadata.put("sha256", sha);
        boolean tagging = s3.profile().has(Capability.OBJECT_TAGGING);

        String uploadId = null;
        Integer partCount = null;
        if (multipart) {
            partCount = (int) ((size + rules.partSizeBytes() - 1) / rules.partSizeBytes());
            var put = ObjectStore.Put.of(rawBucket, staging).contentType(declaredType).metadata(metadata);
            // parts carry their SHA-256 where the store checks it (AWS refuses part checksums of an upload created without the algorithm)
            uploadId = s3.createMultipart(tagging ? put.tagging(PENDING_TAG) : put, s3.profile().has(Capability.STORED_CHECKSUMS));
        }
        Instant expiresAt = now.plus(multipart ? rules.sessionTtl() : rules.urlTtl());
        final String mpu = uploadId;
        final Integer parts = partCount;
        try {
            byte[] exact = req.filename().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            lifecycle.initiate(new NewUpload(fileId, who.userId(), who.plan(), planQuota, displayName, safeName, declaredType, size,
                            sha, rawBucket, key, FilenameSanitizer.keepsOriginalBytes(exact, displayName) ? exact : null),
                    new UploadSession(fileId, multipart ? "multipart" : "single", mpu, multipart ? rules.partSizeBytes() : null, parts,
                            expiresAt, now), limits.maxOpenUploads());
        } catch (FileRepository.TooManyOpen e) {
            if (mpu != null) abortQuietly(staging, mpu);
            throw tooManyOpen(who, limits);
        } catch (RuntimeException e) {
            if (mpu != null) abortQuietly(staging, mpu);
            throw e;
        }
        if (multipart) {
            return new Initiated(fileId, "multipart", "pending", staging, size, null, rules.partSizeBytes(), partCount, expiresAt);
        }
        var put = ObjectStore.Put.of(rawBucket, staging).contentType(declaredType).contentLength(size).metadata(metadata).sha256(sha);
        var presigned = s3.presignPut(tagging ? put.tagging(PENDING_TAG) : put, rules.urlTtl());
        return new Initiated(fileId, "single", "pending", staging, size, signed(presigned), null, null, expiresAt);
    }

    /**
     * The type an upload is declared as, stored in its row and signed into its PUT: an allowed type as the
     * allow-list names it, or {@code application/octet-stream} for an undecided declaration (none, blank or
     * {@code application/octet-stream}: {@link TypeCheck#undecided}), whose type verification decides from the bytes.
     *
     * @throws Problem {@code type_not_allowed} for a type not on the allow-list, or an undecided empty file (no
     *                 bytes to decide from); {@code empty_image} for an empty file declared or named as an image
     */
    private String declaredType(String contentType, long size, String filename) {
        String allowedList = String.join(", ", allowed.all().stream().map(FileType::mimeType).toList());
        boolean undecided = TypeCheck.undecided(contentType);
        String declared;
        if (undecided) {
            declared = OCTET_STREAM;
        } else {
            String type = AllowedTypes.essence(contentType);
            declared = allowed.byMime(type).orElseThrow(() -> new Problem(ProblemCode.TYPE_NOT_ALLOWED, "type '" + type
                    + "' is not accepted (allowed: " + allowedList + "; or " + OCTET_STREAM + " to have it told from the bytes)")).mimeType();
        }
        var emptyImage = TypeCheck.emptyImage(size, declared, filename);
        if (emptyImage.isPresent()) throw new Problem(ProblemCode.EMPTY_IMAGE, emptyImage.get().reason());
        if (undecided && size == 0) {
            throw new Problem(ProblemCode.TYPE_NOT_ALLOWED, "an empty file has no bytes to tell its type from: declare one of " + allowedList);
        }
        return declared;
    }

    /**
     * The per-user limits, before anything is written or asked of the store: the initiation rate (one token
     * of the user's bucket) and, before a multipart upload (whose CreateMultipartUpload comes before the
     * initiation's transaction), the account's open uploads. The open uploads are always checked again by the
     * statement that reserves the initiation's bytes, so concurrent initiations cannot pass the limit together;
     * a single PUT, which asks nothing of the store before that statement, is checked there only.
     *
     * @param multipart whether the upload is multipart
     */
    private void checkLimits(Principal who, StowageConfig.Limits limits, boolean multipart) {
        if (rate != null) {
            var wait = rate.tryInitiate(who.userId(), who.plan(), limits);
            if (wait.isPresent()) {
                throw new Problem(ProblemCode.RATE_LIMITED, "you are starting uploads faster than your plan allows ("
                        + limits.initiationsPerSecond() + " a second, bursts of " + limits.initiationBurst() + "): try again after "
                        + Problem.retryAfterSeconds(wait.get()) + " s", wait.get());
            }
        }
        if (multipart && files.openUploads(who.userId()) >= limits.maxOpenUploads()) throw tooManyOpen(who, limits);
    }

    private Problem tooManyOpen(Principal who, StowageConfig.Limits limits) {
        Duration wait = openSlotIn(files.earliestOpenExpiry(who.userId()).orElse(null), Instant.now(), rules.reconcileInterval());
        return new Problem(ProblemCode.TOO_MANY_OPEN_UPLOADS, "you have " + limits.maxOpenUploads() + " uploads open, as many as your plan allows:"
                + " complete or cancel one, or wait for one to expire", wait);
    }

    /**
     * When an open upload's slot frees by itself: the earliest session expiry, plus one reconciler interval
     * (expiry is the reconciler's); at least one second. A client that completes or cancels an upload frees
     * one at once.
     *
     * @param earliestExpiry the first of the user's open sessions to expire, or {@code null} (none is open any
     *                       more: one second)
     */
    static Duration openSlotIn(Instant earliestExpiry, Instant now, Duration reconcileInterval) {
        if (earliestExpiry == null) return Duration.ofSeconds(1); // closed meanwhile: try again now
        Duration untilExpiry = earliestExpiry.isBefore(now) ? Duration.ZERO : Duration.between(now, earliestExpiry);
        Duration d = untilExpiry.plus(reconcileInterval);
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    }

    private static SignedRequest signed(ObjectStore.Presigned p) {
        Map<String, String> headers = new TreeMap<>();
        p.signedHeaders().forEach((k, v) -> {
            String lk = k.toLowerCase(Locale.ROOT);
            if (!lk.equals("host") && !lk.equals("content-length")) headers.put(lk, String.join(",", v));
        });
        return new SignedRequest(p.method(), p.url().toString(), headers, p.expiresAt());
    }

    private UploadSession session(UUID fileId) {
        return files.session(fileId).orElse(null);
    }

    private FileRecord owned(Principal who, UUID fileId) {
        return files.findOwned(fileId, who.userId()).orElseThrow(() -> Problem.notFound("upload " + fileId));
    }

    private long partSize(UploadSession s, long total, int partNumber) {
        long start = (long) (partNumber - 1) * s.partSize();
        return Math.min(s.partSize(), total - start);
    }

    /**
     * Signs upload URLs for parts of a multipart upload. Every part comes with the SHA-256 of its bytes:
     * it is recorded (the latest declaration of a part wins, docs/architecture.md §4) and checked against
     * the part's byte range when the object is verified; where the store keeps checksums
     * ({@link Capability#STORED_CHECKSUMS}) it is also signed into the URL as {@code x-amz-checksum-sha256}
     * (base64 of the raw digest), returned among the part's {@code headers}, so the store refuses other bytes.
     *
     * @param parts 1 to 100 parts, each with its number (1..partCount) and SHA-256
     * @throws Problem {@code not_found}, {@code not_multipart}, {@code upload_closed}, {@code upload_expired} (409),
     *                 {@code invalid_part_number}, {@code part_checksum_required}, {@code invalid_checksum} (400)
     */
    public List<SignedPart> signParts(Principal who, UUID fileId, List<PartRequest> parts) {
        FileRecord f = owned(who, fileId);
        UploadSession s = openSession(f);
        if (!s.kind().equals("multipart")) throw new Problem(ProblemCode.NOT_MULTIPART, "this upload is a single PUT: use its URL");
        if (parts == null || parts.isEmpty() || parts.size() > 100) {
            throw new Problem(ProblemCode.INVALID_PART_NUMBER, "parts must list 1 to 100 parts");
        }
        Map<Integer, String> declared = new LinkedHashMap<>();
        for (PartRequest p : parts) {
            Integer n = p == null ? null : p.partNumber();
            if (n == null || n < 1 || n > s.partCount()) {
                throw new Problem(ProblemCode.INVALID_PART_NUMBER, "part numbers run from 1 to " + s.partCount() + ", got " + n);
            }
            if (p.sha256() == null || p.sha256().isBlank()) {
                throw new Problem(ProblemCode.PART_CHECKSUM_REQUIRED, "part " + n + " has no sha256: every part is signed with the "
                        + "SHA-256 of its bytes, as {\"parts\":[{\"partNumber\":" + n + ",\"sha256\":\"<64 hex>\"}]}");
            }
            String sha = p.sha256().trim().toLowerCase(Locale.ROOT);
            if (!SHA256_HEX.matcher(sha).matches()) {
                throw new Problem(ProblemCode.INVALID_CHECKSUM, "the sha256 of part " + n + " must be 64 hexadecimal characters");
            }
            declared.put(n, sha);
        }
        if (!files.declarePartChecksums(fileId, s.partSize(), declared)) {
            throw new Problem(ProblemCode.UPLOAD_CLOSED, "this upload is no longer pending and takes no more data");
        }
        boolean signChecksum = s3.profile().has(Capability.STORED_CHECKSUMS);
        List<SignedPart> out = new ArrayList<>();
        for (PartRequest p : parts) {
            int n = p.partNumber();
            long size = partSize(s, f.declaredSize(), n);
            var presigned = s3.presignUploadPart(f.bucket(), stagingKey(f), s.uploadId(), n, size,
                    signChecksum ? declared.get(n) : null, rules.urlTtl());
            var sr = signed(presigned);
            out.add(new SignedPart(n, size, sr.method(), sr.url(), sr.headers(), sr.expiresAt()));
        }
        return out;
    }

    /** "2, 3, 7" or "2, 3, 7, … (12 in all)". */
    private static String abbreviated(List<Integer> numbers) {
        String shown = String.join(", ", numbers.stream().limit(10).map(String::valueOf).toList());
        return numbers.size() > 10 ? shown + ", … (" + numbers.size() + " in all)" : shown;
    }

    private UploadSession openSession(FileRecord f) {
        if (f.status() != FileStatus.PENDING) {
            throw new Problem(ProblemCode.UPLOAD_CLOSED, "this upload is " + f.status().id() + " and takes no more data");
        }
        UploadSession s = session(f.id());
        if (s == null || s.expiresAt().isBefore(Instant.now())) {
            throw new Problem(ProblemCode.UPLOAD_EXPIRED, "this upload session has expired: start a new upload");
        }
        return s;
    }

    /**
     * The state of an upload, with the parts already stored for a multipart upload.
     *
     * @throws Problem {@code not_found}; {@code store_listing_invalid} (502) when the store's ListParts breaks the
     *                 protocol (a marker that does not advance, a repeated page, more than 10,000 parts)
     */
    public UploadState state(Principal who, UUID fileId) {
        FileRecord f = owned(who, fileId);
        UploadSession s = session(fileId);
        List<StoredPart> parts = List.of();
        if (s != null && s.kind().equals("multipart") && f.status() == FileStatus.PENDING) {
            parts = listParts(f, s.uploadId());
        }
        return new UploadState(f.id(), s == null ? null : s.kind(), f.status().id(), f.declaredSize(),
                s == null ? null : s.partSize(), s == null ? null : s.partCount(), parts,
                s == null ? null : s.expiresAt(), f.reasonCode(), f.reason());
    }

    private List<StoredPart> listParts(FileRecord f, String uploadId) {
        return storeParts(f, uploadId).stream().map(p -> new StoredPart(p.partNumber(), p.size(), p.etag())).toList();
    }

    /** The parts the store holds, ascending, with the SHA-256 it reports (or {@code null}); empty once gone. */
    private List<ObjectStore.Part> storeParts(FileRecord f, String uploadId) {
        List<ObjectStore.Part> out = new ArrayList<>();
        try {
            out.addAll(s3.listParts(f.bucket(), stagingKey(f), uploadId));
        } catch (InvalidListingException e) {
            throw new Problem(ProblemCode.STORE_LISTING_INVALID, e.getMessage());
        } catch (StoreException e) {
            if (!e.is(StoreException.NO_SUCH_UPLOAD)) throw e;
            return List.of();
        }
        out.sort(java.util.Comparator.comparingInt(ObjectStore.Part::partNumber));
        return out;
    }

    /**
     * Declares the upload finished: for multipart the server lists the parts, checks their count and sizes
     * and completes the upload; for a single PUT it checks the object exists. Then queues verification.
     * Idempotent: completing an upload that already arrived answers its state again.
     *
     * @return the state after completion
     * <p>A multipart upload that cannot be completed ends here: a part larger than its share of the declared
     * size ({@code part_too_large}) or a part beyond the part count, which Stowage never signs ({@code part_not_issued}), stores bytes nothing
     * reserved, so the file moves {@code pending → rejected} with that reason (reservation released), the multipart
     * upload is aborted, and the client starts a new upload. Missing and short parts can still be sent: they stay
     * {@code parts_missing}.
     *
     * @throws Problem {@code not_found}, {@code parts_missing} (409), {@code object_missing} (409),
     *                 {@code upload_closed} (409) for a cancelled or expired upload, {@code part_checksum_required}
     *                 (400) for parts signed without a SHA-256, {@code part_checksum_mismatch} (409) where the store
     *                 reports a part's SHA-256 and it is not the latest declared, {@code part_too_large} and
     *                 {@code part_not_issued} (409, the upload is rejected; again on every later complete),
     *                 {@code store_listing_invalid} (502)
     */
    public UploadState complete(Principal who, UUID fileId) {
        FileRecord f = owned(who, fileId);
        if (f.status() != FileStatus.PENDING) {
            if (f.status() == FileStatus.CANCELLED || f.status() == FileStatus.EXPIRED) {
                throw new Problem(ProblemCode.UPLOAD_CLOSED, "this upload is " + f.status().id());
            }
            // a call that moved the file and then failed to queue its verification (the database went away between
            // the two) is retried by the client: queue it again (a no-op when the job is there)
            if (f.status() == FileStatus.UPLOADED) markUploaded(fileId);
            if (f.status() == FileStatus.REJECTED) {
                var refused = ProblemCode.byCode(f.reasonCode()).filter(c -> c == ProblemCode.PART_TOO_LARGE || c == ProblemCode.PART_NOT_ISSUED);
                if (refused.isPresent()) throw new Problem(refused.get(), f.reason() + REJECTED_ADVICE);
            }
            return state(who, fileId);
        }
        UploadSession s = session(fileId);
        if (s == null) return state(who, fileId);
        if (s.kind().equals("multipart")) {
            List<ObjectStore.Part> parts = storeParts(f, s.uploadId());
            if (parts.isEmpty() && objectExists(f)) {
                // completed on the store by an earlier call that did not get to record it
                markUploaded(fileId);
                return state(who, fileId);
            }
            Map<Integer, ObjectStore.Part> byNumber = new TreeMap<>();
            for (ObjectStore.Part p : parts) byNumber.put(p.partNumber(), p);
            Map<Integer, String> declared = files.partChecksums(fileId).map(c -> (Map<Integer, String>) c.byPart()).orElse(Map.of());
            refuseUnrepairable(f, s, byNumber, declared);
            List<String> problems = new ArrayList<>();
            for (int n = 1; n <= s.partCount() && problems.size() < 10; n++) {
                ObjectStore.Part p = byNumber.get(n);
                long want = partSize(s, f.declaredSize(), n);
                if (p == null) problems.add("part " + n + " missing");
                else if (p.size() != want) problems.add("part " + n + " has " + p.size() + " bytes, expected " + want);
            }
            if (!problems.isEmpty()) {
                throw new Problem(ProblemCode.PARTS_MISSING, "the upload is incomplete: " + String.join("; ", problems));
            }
            List<Integer> undeclared = new ArrayList<>();
            for (int n = 1; n <= s.partCount(); n++) if (!declared.containsKey(n)) undeclared.add(n);
            if (!undeclared.isEmpty()) {
                throw new Problem(ProblemCode.PART_CHECKSUM_REQUIRED, "parts " + abbreviated(undeclared) + " were signed without their "
                        + "SHA-256: sign them again with their sha256 and PUT them again");
            }
            // where the store reports part checksums (ListParts ChecksumSHA256), a stale part is refused before it is assembled
            List<String> differ = new ArrayList<>();
            for (ObjectStore.Part p : parts) {
                if (p.sha256() != null && !p.sha256().equals(declared.get(p.partNumber())) && differ.size() < 10) {
                    differ.add("part " + p.partNumber() + " holds bytes with SHA-256 " + p.sha256() + ", declared " + declared.get(p.partNumber()));
                }
            }
            if (!differ.isEmpty()) {
                throw new Problem(ProblemCode.PART_CHECKSUM_MISMATCH, String.join("; ", differ)
                        + ": sign those parts again and PUT their bytes again, then complete");
            }
            boolean withChecksums = s3.profile().has(Capability.STORED_CHECKSUMS);
            List<ObjectStore.Part> done = byNumber.values().stream()
                    .map(p -> new ObjectStore.Part(p.partNumber(), p.etag(), p.size(), withChecksums ? declared.get(p.partNumber()) : null)).toList();
            try {
                s3.completeMultipart(f.bucket(), stagingKey(f), s.uploadId(), done);
            } catch (StoreException e) {
                if (withChecksums && e.status() == 400 && (e.is("InvalidPart") || e.is("BadDigest"))) {
                    // AWS refuses to assemble a part whose stored checksum is not the one given for it
                    throw new Problem(ProblemCode.PART_CHECKSUM_MISMATCH, "the store refused to assemble the parts (" + e.code()
                            + "): a part's bytes do not match the SHA-256 last declared for it; sign it again and PUT it again");
                }
                if (!e.is(StoreException.NO_SUCH_UPLOAD)) throw e;
                // completed concurrently by another call: the object exists below
            }
        } else if (!objectExists(f)) {
            throw new Problem(ProblemCode.OBJECT_MISSING, "nothing has been uploaded yet: PUT the file to the upload URL first");
        }
        markUploaded(fileId);
        return state(who, fileId);
    }

    private static final String REJECTED_ADVICE = ": the upload is rejected, its parts removed and its bytes released; start a new upload";

    /**
     * Ends a multipart upload that no complete can succeed on: a listed part larger than its share of the declared
     * size, or a part beyond the part count, which Stowage never signs (the parts it signed are recorded in
     * {@code upload_part_checksums} as their URLs are issued). Such parts hold bytes nothing reserved. A part within
     * the count that has no record is not refused here: signing it again repairs it ({@code part_checksum_required}).
     * The file moves {@code pending → rejected} (reservation released, session ended), then the multipart upload is
     * aborted (one left by a failed abort is removed by the staging sweep, as the file is no longer pending).
     *
     * @throws Problem {@code part_too_large} or {@code part_not_issued} (409) when the upload was rejected
     */
    private void refuseUnrepairable(FileRecord f, UploadSession s, Map<Integer, ObjectStore.Part> byNumber, Map<Integer, String> declared) {
        List<String> tooLarge = new ArrayList<>(), notIssued = new ArrayList<>();
        for (ObjectStore.Part p : byNumber.values()) {
            int n = p.partNumber();
            if (n > s.partCount()) {
                notIssued.add("part " + n + " (" + p.size() + " bytes) was never signed: the upload has " + s.partCount() + " parts");
            } else {
                long want = partSize(s, f.declaredSize(), n);
                if (p.size() > want) tooLarge.add("part " + n + " has " + p.size() + " bytes, " + (p.size() - want) + " more than its " + want);
            }
        }
        if (tooLarge.isEmpty() && notIssued.isEmpty()) return;
        ProblemCode code = !tooLarge.isEmpty() ? ProblemCode.PART_TOO_LARGE : ProblemCode.PART_NOT_ISSUED;
        List<String> all = new ArrayList<>(tooLarge);
        all.addAll(notIssued);
        String reason = String.join("; ", all.subList(0, Math.min(all.size(), 10))) + (all.size() > 10 ? "; … (" + all.size() + " in all)" : "");
        if (lifecycle.refuse(f.id(), code.code(), reason).isEmpty()) {
            // cancelled, expired or completed meanwhile: answer as a later call would
            FileStatus now = files.find(f.id()).map(FileRecord::status).orElse(FileStatus.CANCELLED);
            throw new Problem(ProblemCode.UPLOAD_CLOSED, "this upload is " + now.id());
        }
        dev.stowage.metrics.StowageMetrics.uploadRejected("complete", code.code());
        try {
            abortQuietly(stagingKey(f), s.uploadId());
        } catch (StoreException e) {
            // the staging sweep aborts it: the file is no longer pending
            org.slf4j.LoggerFactory.getLogger(UploadService.class).warn("could not abort the multipart upload of rejected file {}: {}", f.id(), e.getMessage());
        }
        throw new Problem(code, reason + REJECTED_ADVICE);
    }

    /**
     * Records that the object of a pending upload exists ({@code pending → uploaded}); the lifecycle
     * publishes the arrival, and verification is queued by its listener (from the complete call, an S3
     * event or the reconciler). Safe to call any number of times.
     */
    public void markUploaded(UUID fileId) {
        lifecycle.arrived(fileId);
    }

    /** Whether the staging object of a pending file (what its client uploaded) exists. */
    public boolean objectExists(FileRecord f) {
        return s3.exists(f.bucket(), stagingKey(f));
    }

    /**
     * Removes an object of the raw bucket for good: a staging object, or the final object of a rejected or
     * quarantined file. In a versioned raw bucket every version of the key is deleted: a plain delete would only
     * hide the bytes behind a delete marker, kept until the noncurrent-version rule (or for ever where there is no
     * lifecycle). A missing key is fine.
     *
     * @param key a key of the raw bucket
     */
    public void removeForGood(String key) {
        if (!rawVersioned) {
            s3.delete(rawBucket, key);
            return;
        }
        for (var v : s3.versions(rawBucket, key)) {
            if (!v.key().equals(key)) continue;
            if (v.versionId() == null || v.versionId().equals("null")) s3.delete(rawBucket, key);
            else s3.deleteVersion(rawBucket, key, v.versionId());
        }
    }

    /**
     * The key a file's client uploads to (docs/architecture.md §3): {@code staging/} before its final key.
     *
     * @param f an uploaded file (its key in raw layout)
     * @return {@code staging/{objectKey}}
     */
    public static String stagingKey(FileRecord f) {
        return ObjectKeys.stagingKey(f.objectKey());
    }

    /**
     * Cancels a pending upload: aborts a multipart upload, deletes anything already PUT, releases the
     * reservation. Idempotent for an already cancelled upload.
     *
     * @throws Problem {@code not_found}, {@code upload_closed} (409) once the upload arrived
     */
    public void cancel(Principal who, UUID fileId) {
        FileRecord f = owned(who, fileId);
        if (f.status() == FileStatus.CANCELLED) return;
        if (f.status() != FileStatus.PENDING) {
            throw new Problem(ProblemCode.UPLOAD_CLOSED, "this upload is " + f.status().id() + ": delete the file instead");
        }
        UploadSession s = session(fileId);
        if (lifecycle.cancel(fileId).isPresent()) {
            if (s != null && s.uploadId() != null) abortQuietly(stagingKey(f), s.uploadId());
            removeForGood(stagingKey(f));
        } else {
            // the upload arrived (or was cancelled) meanwhile: answer as if this call had come a moment later
            FileStatus now = files.find(fileId).map(FileRecord::status).orElse(FileStatus.CANCELLED);
            if (now != FileStatus.CANCELLED) throw new Problem(ProblemCode.UPLOAD_CLOSED, "this upload is " + now.id() + ": delete the file instead");
        }
    }

    /** Aborts a multipart upload of the raw bucket (at its staging key), ignoring one that no longer exists. */
    void abortQuietly(String key, String uploadId) {
        try {
            s3.abortMultipart(rawBucket, key, uploadId);
        } catch (StoreException e) {
            if (!e.notFound()) throw e; // 404 (NoSuchUpload): already gone
        }
    }
}

package dev.stowage.uploads;

import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.scanning.MalwareScanner;
import dev.stowage.scanning.ScanResult;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.storage.FilenameSanitizer;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.ObjectTags;
import dev.stowage.storage.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides an arrived upload (docs/architecture.md §4): {@code uploaded → verifying} (the staging object promoted to the
 * final key, which no URL can write; then, on the final object: size equals the declared size;
 * SHA-256 equals the declared one where declared, stored either way; the type detected from the bytes
 * alone is allowed and agrees with the declared type, or becomes the file's type when the client left it
 * undecided ({@link TypeCheck#undecided}: the final object keeps the {@code application/octet-stream} it was
 * promoted with, and downloads name the detected type); for a multipart upload, each part's byte range has the
 * SHA-256 last declared for it) {@code → scanning} (ClamAV) {@code → ready}, or
 * {@code rejected} (object deleted, reservation released, reason stored) or {@code quarantined} (object
 * moved under {@code quarantine/}, never served). What is served is exactly what was verified.
 *
 * <p>The object is streamed once to a temporary file (bounded by the declared size, so a worker's disk
 * use is at most the upload limit per running verification) while its SHA-256 is computed; type
 * detection and the scan read that file. Every step is idempotent: a verification that dies half-way
 * is simply run again.
 */
public final class Verifier {
    private static final Logger log = LoggerFactory.getLogger(Verifier.class);

    private final ObjectStore s3;
    private final FileRepository files;
    private final AllowedTypes allowed;
    private final TypeDetector detector;
    private final MalwareScanner scanner;
    private final FileLifecycle lifecycle;
    private final ImageHeaderCheck imageCheck;
    private final UploadService uploads;
    private final dev.stowage.config.StowageConfig.Scanner scanPolicy;
    private final java.time.Duration stagingLife;

    /** The scanner could not give an answer; the file stays in {@code scanning} and is retried later. */
    public static final class RetryLater extends RuntimeException {
        RetryLater(String message) {
            super(message);
        }
    }

    /**
     * @param s3        clients
     * @param files     repository
     * @param lifecycle makes the moves (a file made ready is published, e.g. for its image variants)
     * @param uploads   removes staging objects (every version in a versioned raw bucket)
     * @param allowed   the allow-list
     * @param detector  type detection from bytes
     * @param scanner   the malware scanner, or {@code null} when none is configured (dev only): files end
     *                  ready and marked {@code unscanned}
     */
    public Verifier(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, AllowedTypes allowed,
                    TypeDetector detector, MalwareScanner scanner) {
        this(s3, files, lifecycle, uploads, allowed, detector, scanner, ImageHeaderCheck.NONE);
    }

    /**
     * As {@link #Verifier(ObjectStore, FileRepository, FileLifecycle, UploadService, AllowedTypes, TypeDetector, MalwareScanner, ImageHeaderCheck)}
     * with the default scan policy (files over a scanner limit rejected, failing scans given up after a day).
     */
    public Verifier(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, AllowedTypes allowed,
                    TypeDetector detector, MalwareScanner scanner, ImageHeaderCheck imageCheck) {
        this(s3, files, lifecycle, uploads, allowed, detector, scanner, imageCheck, dev.stowage.config.StowageConfig.Scanner.NONE);
    }

    /**
     * As {@link #Verifier(ObjectStore, FileRepository, FileLifecycle, UploadService, AllowedTypes, TypeDetector, MalwareScanner)},
     * also rejecting images whose header is over the decode limits ({@code image_too_large}, before the scan).
     *
     * @param imageCheck reads an image's header against the decode limits
     * @param scanPolicy {@code on_limits} (reject or hold a file the scanner did not fully scan) and
     *                   {@code give_up_after} (how long failing scans are retried before {@code scan_failed})
     */
    public Verifier(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, AllowedTypes allowed,
                    TypeDetector detector, MalwareScanner scanner, ImageHeaderCheck imageCheck,
                    dev.stowage.config.StowageConfig.Scanner scanPolicy) {
        this(s3, files, lifecycle, uploads, allowed, detector, scanner, imageCheck, scanPolicy, null);
    }

    /**
     * A verifier that ends an upload {@code expired} rather than {@code object_missing} when its object is gone
     * and the upload is older than {@code stagingLife} (the staging expiry removed it first).
     *
     * @param stagingLife how long an object under {@code staging/} is kept at most: the shorter of
     *                    {@code uploads.staging_ttl_seconds} and the raw bucket's {@code temporary_expire_days};
     *                    {@code null} for no expiry
     */
    public Verifier(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, AllowedTypes allowed,
                    TypeDetector detector, MalwareScanner scanner, ImageHeaderCheck imageCheck,
                    dev.stowage.config.StowageConfig.Scanner scanPolicy, java.time.Duration stagingLife) {
        this.stagingLife = stagingLife;
        this.scanPolicy = java.util.Objects.requireNonNull(scanPolicy, "scanPolicy");
        this.uploads = uploads;
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.allowed = allowed;
        this.detector = detector;
        this.scanner = scanner;
        this.imageCheck = java.util.Objects.requireNonNull(imageCheck, "imageCheck");
    }

    /**
     * Verifies one file if it is waiting for it; does nothing for a file in any other state.
     *
     * @param fileId the file
     * @return its status afterwards
     * @throws RetryLater when the scanner gave no verdict (the file stays in {@code scanning}); once scans of
     *                    the file have failed for {@code scanner.give_up_after_seconds} it is rejected
     *                    {@code scan_failed} instead
     * @throws IOException when the temporary file cannot be written (retry)
     */
    public FileStatus verify(UUID fileId) throws IOException {
        long t0 = System.nanoTime();
        FileStatus outcome = verifyTimed(fileId);
        if (outcome != null) dev.stowage.metrics.StowageMetrics.verification(java.time.Duration.ofNanos(System.nanoTime() - t0), outcome.id());
        return outcome;
    }

    private FileStatus verifyTimed(UUID fileId) throws IOException {
        FileRecord f = files.find(fileId).orElse(null);
        if (f == null) return null;
        if (f.status() == FileStatus.REJECTED) {
            // the status moves before the objects go: a run retried after a failed or cut-off removal finishes it
            // (a file whose scans failed keeps its object for a re-scan)
            if (!dev.stowage.problems.ProblemCode.SCAN_FAILED.code().equals(f.reasonCode())) removeObjects(f);
            return f.status();
        }
        if (f.status() == FileStatus.SCANNING && "limits_exceeded".equals(f.scanResult())) return f.status(); // held for an operator
        if (!List.of(FileStatus.UPLOADED, FileStatus.VERIFYING, FileStatus.SCANNING).contains(f.status())) return f.status();
        lifecycle.startVerifying(fileId);

        // promote first: everything below reads the final object, which no URL can write
        Long size = promote(f);
        if (size == null) {
            if (stagingLife != null && f.createdAt() != null && f.createdAt().plus(stagingLife).isBefore(java.time.Instant.now())) {
                return expire(f, "the upload waited for verification longer than the " + stagingLife.toSeconds()
                        + " s its object is kept under staging/, and the staging expiry removed it");
            }
            return reject(f, "object_missing", "the uploaded object is gone");
        }
        if (size != f.declaredSize()) {
            return reject(f, "size_mismatch", "uploaded " + size + " bytes, declared " + f.declaredSize());
        }
        Path tmp = Files.createTempFile("stowage-verify-", ".bin");
        try {
            var declaredParts = files.partChecksums(fileId).orElse(null);
            var parts = declaredParts == null ? null : new PartDigests(declaredParts.partSize(), size);
            var got = download(f, tmp, parts);
            if (got.size() != f.declaredSize()) {
                return reject(f, "size_mismatch", "uploaded " + got.size() + " bytes, declared " + f.declaredSize());
            }
            String sha = got.sha256();
            var partMismatch = parts == null ? java.util.Optional.<String>empty() : parts.mismatch(declaredParts.byPart());
            if (partMismatch.isPresent()) return reject(f, "checksum_mismatch", partMismatch.get());
            if (f.declaredSha256() != null && !f.declaredSha256().equals(sha)) {
                return reject(f, "checksum_mismatch", "SHA-256 of the upload is " + sha + ", declared " + f.declaredSha256());
            }
            String detected = detector.detect(tmp);
            TypeVerdict verdict = TypeCheck.check(f.declaredType(), detected, f.originalName(), allowed);
            if (verdict instanceof TypeVerdict.Rejected r) {
                files.recordContent(fileId, detected, sha, size);
                return reject(f, r.code(), r.reason());
            }
            // an empty file has no type of its own: it is stored and served as the (allowed) declared type
            String stored = detected.equals(TypeDetector.EMPTY) ? ((TypeVerdict.Accepted) verdict).type().mimeType() : detected;
            files.recordContent(fileId, stored, sha, size);
            var bomb = imageCheck.tooLarge(tmp, stored); // a decompression bomb is never scanned, stored or decoded
            if (bomb.isPresent()) return reject(f, dev.stowage.problems.ProblemCode.IMAGE_TOO_LARGE.code(), bomb.get());
            lifecycle.startScanning(fileId);
            if (scanner == null) return ready(f, size, "unscanned", null);
            ScanResult result;
            long scanStart = System.nanoTime();
            try (InputStream in = Files.newInputStream(tmp)) {
                result = scanner.scan(in, size);
            }
            dev.stowage.metrics.StowageMetrics.scan(java.time.Duration.ofNanos(System.nanoTime() - scanStart), switch (result) {
                case ScanResult.Clean c -> "clean";
                case ScanResult.Infected i -> "infected";
                case ScanResult.LimitsExceeded t -> "limits_exceeded";
                case ScanResult.Failed x -> "failed";
            });
            return switch (result) {
                case ScanResult.Clean c -> ready(f, size, "clean", null);
                case ScanResult.Infected i -> quarantine(f, i.signature());
                case ScanResult.LimitsExceeded t -> notFullyScanned(f, t);
                case ScanResult.Failed x -> {
                    java.time.Duration failing = files.recordScanFailed(fileId, x.reason());
                    if (failing.compareTo(scanPolicy.giveUpAfter()) >= 0) yield giveUp(f, x.reason(), failing);
                    throw new RetryLater("scan failed, will retry: " + x.reason());
                }
            };
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Moves what the client uploaded to the file's final key: a server-side copy of the staging object with
     * metadata, content type and tag set here (REPLACE: nothing the client sent survives), then the staging
     * object deleted. A run after a crash that came after the copy finds the staging object gone and the
     * final one present, and goes on with that. A staging object whose size is not the declared one is
     * not copied (the size is returned for the rejection).
     *
     * @return the size of the object to verify, or {@code null} when neither object exists
     */
    private Long promote(FileRecord f) {
        String staging = UploadService.stagingKey(f);
        var head = s3.head(f.bucket(), staging);
        if (head.isPresent()) {
            long size = head.get().size();
            if (size != f.declaredSize()) return size;
            try {
                s3.copy(f.bucket(), staging, size, finalObject(f));
                uploads.removeForGood(staging);
                return size;
            } catch (StoreException e) {
                if (!e.notFound()) throw e;
                // deleted meanwhile (cancelled, swept): decide on the final object, if any
            }
        }
        var fin = s3.head(f.bucket(), f.objectKey());
        if (fin.isEmpty()) return null;
        // an object promoted by an earlier run has its ready tag; one uploaded to its final key before
        // staging keys existed may still be pending, and must not expire once the file is ready
        if (s3.profile().has(Capability.OBJECT_TAGGING) && !ObjectTags.READY.equals(tags(f).get(ObjectTags.STATE_KEY))) {
            try {
                s3.putTags(f.bucket(), f.objectKey(), Map.of(ObjectTags.STATE_KEY, ObjectTags.READY));
            } catch (StoreException e) {
                if (!e.answered()) throw e;
                throw new RetryLater("cannot tag the object of file " + f.id() + " ready: " + e.getMessage());
            }
        }
        return fin.get().size();
    }

    private Map<String, String> tags(FileRecord f) {
        return s3.tags(f.bucket(), f.objectKey());
    }

    /** The final object as Stowage writes it (docs/architecture.md §3): declared type, Stowage's metadata, tag ready. */
    private ObjectStore.Put finalObject(FileRecord f) {
        String name = files.originalNameBytes(f.id()).map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8))
                .orElse(f.originalName());
        Map<String, String> metadata = new java.util.LinkedHashMap<>();
        metadata.put("original-filename", FilenameSanitizer.metadataValue(name));
        metadata.put("uploader-id", f.ownerId());
        metadata.put("uploaded-at", f.createdAt().toString());
        if (f.declaredSha256() != null) metadata.put("sha256", f.declaredSha256());
        var put = ObjectStore.Put.of(f.bucket(), f.objectKey()).contentType(f.declaredType()).metadata(metadata);
        return s3.profile().has(Capability.OBJECT_TAGGING) ? put.tagging(ObjectTags.READY_TAG) : put;
    }

    /** What a download read: the bytes' SHA-256 (hex) and their count. */
    private record Downloaded(String sha256, long size) {}

    /** Streams the object to {@code tmp}; returns its SHA-256 and size and feeds {@code parts} (when not {@code null}) the same bytes. */
    private Downloaded download(FileRecord f, Path tmp, PartDigests parts) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream raw = s3.get(f.bucket(), f.objectKey());
             InputStream in = new DigestInputStream(raw, md);
             OutputStream out = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > f.declaredSize()) throw new IOException("object grew past its declared size while reading");
                out.write(buf, 0, n);
                if (parts != null) parts.update(buf, 0, n);
            }
            return new Downloaded(HexFormat.of().formatHex(md.digest()), total);
        }
    }

    private FileStatus ready(FileRecord f, long size, String scanResult, String signature) {
        // the final object was written with its ready tag (promote), so nothing expires it once the file is ready
        if (lifecycle.accept(f.id(), scanResult)) dev.stowage.metrics.StowageMetrics.uploadCompleted();
        return files.find(f.id()).map(FileRecord::status).orElse(FileStatus.READY);
    }

    /** Removes the final and staging objects of a file that will never be served (a failure retries the task). */
    private void removeObjects(FileRecord f) {
        uploads.removeForGood(f.objectKey());
        uploads.removeForGood(UploadService.stagingKey(f));
    }

    private FileStatus expire(FileRecord f, String reason) {
        if (lifecycle.expireUnverified(f.id(), reason).isPresent()) {
            removeObjects(f); // a final object a half-done earlier run left
            log.warn("file {} expired before verification: {}", f.id(), reason);
            dev.stowage.metrics.StowageMetrics.uploadRejected("verify", "expired");
        }
        return FileStatus.EXPIRED;
    }

    private FileStatus reject(FileRecord f, String code, String reason) {
        if (lifecycle.reject(f.id(), code, reason).isPresent()) {
            removeObjects(f);
            log.info("file {} rejected: {} ({})", f.id(), code, reason);
            dev.stowage.metrics.StowageMetrics.uploadRejected("verify", code);
        }
        return FileStatus.REJECTED;
    }

    /** Not fully scanned: never malware, never clean; rejected (object deleted) or held, as {@code scanner.on_limits} says. */
    private FileStatus notFullyScanned(FileRecord f, ScanResult.LimitsExceeded t) {
        String code = dev.stowage.problems.ProblemCode.TOO_LARGE_TO_SCAN.code();
        if (scanPolicy.onLimits() == dev.stowage.config.StowageConfig.Scanner.OnLimits.HOLD) {
            lifecycle.holdNotFullyScanned(f.id(), t.limit(), "not fully scanned, held for an operator: " + t.detail());
            log.warn("file {} held: not fully scanned (limit {}): {}", f.id(), t.limit(), t.detail());
            return FileStatus.SCANNING;
        }
        String reason = "not fully scanned, so it cannot be checked for malware: " + t.detail();
        if (lifecycle.rejectNotFullyScanned(f.id(), t.limit(), reason).isPresent()) {
            removeObjects(f);
            log.info("file {} rejected: {} (limit {}: {})", f.id(), code, t.limit(), t.detail());
            dev.stowage.metrics.StowageMetrics.uploadRejected("verify", code);
        }
        return FileStatus.REJECTED;
    }

    /** Scans kept failing past {@code scanner.give_up_after_seconds}: rejected {@code scan_failed}; the object stays for a re-scan. */
    private FileStatus giveUp(FileRecord f, String lastError, java.time.Duration failing) {
        String code = dev.stowage.problems.ProblemCode.SCAN_FAILED.code();
        String reason = "scans failed for " + failing.toSeconds() + " s (scanner.give_up_after_seconds " + scanPolicy.giveUpAfter().toSeconds()
                + "); last error: " + lastError;
        if (lifecycle.giveUpScan(f.id(), reason).isPresent()) {
            log.warn("file {} rejected: {} ({})", f.id(), code, reason);
            dev.stowage.metrics.StowageMetrics.uploadRejected("verify", code);
        }
        return FileStatus.REJECTED;
    }

    private FileStatus quarantine(FileRecord f, String signature) {
        String qkey = ObjectKeys.quarantineKey(f.objectKey());
        s3.copy(f.bucket(), f.objectKey(), f.bucket(), qkey);
        if (lifecycle.quarantine(f.id(), signature, qkey).isPresent()) {
            removeObjects(f);
            log.warn("file {} quarantined: {}", f.id(), signature);
            dev.stowage.metrics.StowageMetrics.uploadQuarantined();
        }
        return FileStatus.QUARANTINED;
    }
}

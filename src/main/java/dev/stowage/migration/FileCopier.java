package dev.stowage.migration;

import dev.stowage.config.StowageConfig;
import dev.stowage.scanning.MalwareScanner;
import dev.stowage.scanning.ScanResult;
import dev.stowage.storage.Capability;
import dev.stowage.storage.FilenameSanitizer;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.ObjectTags;
import dev.stowage.storage.StoreException;
import dev.stowage.uploads.TypeCheck;
import dev.stowage.uploads.TypeDetector;
import dev.stowage.uploads.TypeVerdict;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one regular file of a legacy tree to its raw object, streaming and reading the file once: SHA-256
 * is computed while the bytes are read and sent as {@code x-amz-checksum-sha256} where the provider
 * verifies it ({@link Capability#STORED_CHECKSUMS}); files above the multipart threshold go up as parallel
 * parts, each part hashed into the whole file's SHA-256 as it is read and sent. Each part's SHA-256 is
 * checked by the server: as its {@code x-amz-checksum-sha256} over HTTPS, and over plain HTTP as the signed
 * payload hash SigV4 already sends with every part ({@link ObjectStore#signsPayloads()}), so the part is
 * not hashed a second time on either side for a checksum that would say the same.
 *
 * <p>Where the whole SHA-256 is recorded: always in the journal and the {@code files} row
 * ({@link Copied#sha256()}); on the object as {@code sha256} metadata when it goes up in one request, and
 * for a multipart object (whose metadata is fixed at CreateMultipartUpload, before the digest is known) as
 * the tag {@code sha256} ({@link ObjectTags#SHA256_KEY}) where the provider has
 * {@link Capability#OBJECT_TAGGING}, else nowhere on the object (S3 has no full-object SHA-256 for
 * multipart uploads, and rewriting metadata would be a server-side copy of the whole object).
 * {@link #recordedSha256} reads it back for every check.
 *
 * <p>A file that changes while it is copied is detected — size, modification time, change time or inode
 * differ before and after, or fewer or more bytes than its size were read — and copied again into the same
 * key, so a stored object is never half old, half new.
 */
final class FileCopier {
    private static final Logger log = LoggerFactory.getLogger(FileCopier.class);
    /** Called after a copy's bytes were read and stored, before the file is checked for changes (tests). */
    @FunctionalInterface
    public interface Hook {
        /** @param attempt 1 for the first copy of the item in this process */
        void afterCopy(Item item, Path file, int attempt) throws IOException;

        Hook NONE = (i, f, a) -> { };
    }

    /** What became of one item. */
    sealed interface Result {}

    /** Stored and checked. */
    record Copied(String sha256, long size, long mtimeNs, String detectedType, String objectKey, String scanResult,
                  String signature, int attempts) implements Result {
        boolean quarantined() {
            return signature != null;
        }
    }

    /** Not copied, by rule (the entry changed kind or vanished since the walk). */
    record Skipped(String outcome, String detail, int attempts) implements Result {}

    /** Not copied: could not be. */
    record Failed(String outcome, String detail, int attempts) implements Result {}

    private record Stat(long size, long mtimeNs, long ctimeNs, long ino) {}

    /** The file changed under us: try again. */
    private static final class Changed extends Exception {
        Changed(String why) {
            super(why, null, false, false);
        }
    }

    private final ObjectStore s3;
    private final String bucket;
    private final StowageConfig.Migration rules;
    private final TypeDetector detector;
    private final MalwareScanner scanner;
    private final BufferPool pool;
    private final ExecutorService parts;
    private final MigrationJournal journal;
    private final Hook hook;
    private final boolean checksums;
    /** Whether parts carry {@code x-amz-checksum-sha256}: where the provider verifies it and SigV4 does not already. */
    private final boolean partChecksums;
    /** Whether a multipart object gets its SHA-256 as a tag. */
    private final boolean tags;

    FileCopier(ObjectStore s3, String bucket, StowageConfig.Migration rules, TypeDetector detector, MalwareScanner scanner,
               BufferPool pool, ExecutorService parts, MigrationJournal journal, Hook hook) {
        this.s3 = s3;
        this.bucket = bucket;
        this.rules = rules;
        this.detector = detector;
        this.scanner = scanner;
        this.pool = pool;
        this.parts = parts;
        this.journal = journal;
        this.hook = hook;
        this.checksums = s3.profile().has(Capability.STORED_CHECKSUMS);
        this.partChecksums = checksums && !s3.signsPayloads();
        this.tags = s3.profile().has(Capability.OBJECT_TAGGING);
    }

    /**
     * Copies an item; a file that changes is tried up to {@code migration.max_attempts} times.
     *
     * @param root     the tree's root
     * @param scan     whether to scan with {@code scanner} first (infected files go to the quarantine key)
     * @param progress told of bytes stored
     */
    Result copy(Path root, Item item, boolean scan, java.util.function.LongConsumer progress) throws InterruptedException {
        Result r = attempts(root, item, scan, progress);
        if (r instanceof Failed && !item.copied()) {
            // no row will point at what an attempt may have stored: remove it (a file copied before keeps its object)
            try {
                s3.delete(bucket, item.objectKey());
            } catch (StoreException e) {
                log.warn("{}: could not remove the object of a failed copy: {}", item.display(), firstLine(e.getMessage()));
            }
        }
        return r;
    }

    private Result attempts(Path root, Item item, boolean scan, java.util.function.LongConsumer progress) throws InterruptedException {
        Path file = LegacyPath.resolve(root, item.path());
        if (item.uploadId() != null) abort(item.objectKey(), item.uploadId(), item);
        String lastProblem = null;
        for (int attempt = 1; attempt <= rules.maxAttempts(); attempt++) {
            Stat before;
            try {
                before = stat(file);
            } catch (NoSuchFileException e) {
                return new Skipped("vanished", "deleted from the tree after it was walked", attempt);
            } catch (IOException e) {
                return new Failed("unreadable", TreeWalker.reason(e), attempt);
            }
            if (before == null) return new Skipped("special_file", "no longer a regular file", attempt);
            // the same rule as uploads: an empty file named as an image is not one
            var emptyImage = TypeCheck.emptyImage(before.size(), null, item.display());
            if (emptyImage.isPresent()) return new Skipped(TypeVerdict.EMPTY_IMAGE, emptyImage.get().reason(), attempt);
            try {
                return once(file, item, before, scan, attempt, progress);
            } catch (Changed e) {
                lastProblem = e.getMessage();
                log.info("{} changed while it was copied ({}); copying it again", item.display(), e.getMessage());
            } catch (AccessDeniedException e) {
                return new Failed("unreadable", "permission denied", attempt);
            } catch (NoSuchFileException e) {
                return new Skipped("vanished", "deleted from the tree while it was copied", attempt);
            } catch (ScanFailed e) {
                lastProblem = e.getMessage();
                if (attempt == rules.maxAttempts()) return new Failed("scan_failed", e.getMessage(), attempt);
            } catch (IOException e) {
                lastProblem = TreeWalker.reason(e);
                if (attempt == rules.maxAttempts()) return new Failed("read_error", lastProblem, attempt);
            } catch (StoreException e) {
                lastProblem = firstLine(e.getMessage());
                log.warn("{}: object store error ({}), attempt {} of {}", item.display(), lastProblem, attempt, rules.maxAttempts());
                if (attempt == rules.maxAttempts()) return new Failed("store_error", lastProblem, attempt);
            } catch (TooLargeToScan e) {
                return new Failed("too_large_to_scan", e.getMessage(), attempt);
            }
        }
        return new Failed("changed_during_copy", "still changing after " + rules.maxAttempts() + " attempts (" + lastProblem + ")", rules.maxAttempts());
    }

    private static final class ScanFailed extends IOException {
        ScanFailed(String m) {
            super(m);
        }
    }

    private static final class TooLargeToScan extends Exception {
        TooLargeToScan(String m) {
            super(m);
        }
    }

    private Copied once(Path file, Item item, Stat before, boolean scan, int attempt, java.util.function.LongConsumer progress)
            throws IOException, Changed, InterruptedException, TooLargeToScan {
        String key = item.objectKey();
        String scanResult = scan ? "clean" : "unscanned";
        String signature = null;
        if (scan) {
            ScanResult r;
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                r = scanner.scan(in, before.size());
            }
            switch (r) {
                case ScanResult.Clean c -> { }
                case ScanResult.Infected i -> {
                    signature = i.signature();
                    scanResult = "infected";
                    key = ObjectKeys.migratedQuarantineKey(item.objectKey());
                }
                case ScanResult.LimitsExceeded t -> throw new TooLargeToScan("not fully scanned (scanner limit " + t.limit() + "): " + t.detail());
                case ScanResult.Failed f -> {
                    if (!sameAs(before, stat(file))) throw new Changed("changed while it was scanned");
                    throw new ScanFailed("scan failed: " + f.reason());
                }
            }
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("original-filename", FilenameSanitizer.metadataValue(item.display().substring(item.display().lastIndexOf('/') + 1)));
        metadata.put("uploader-id", item.userId());
        metadata.put("uploaded-at", Instant.ofEpochSecond(0, before.mtimeNs()).toString());
        String[] shaAndType;
        boolean single = before.size() <= rules.multipartThresholdBytes();
        if (single) {
            shaAndType = single(file, key, metadata, before.size(), progress);
        } else {
            shaAndType = multipart(file, key, metadata, before.size(), item, progress);
        }
        String sha = shaAndType[0], type = shaAndType[1];
        hook.afterCopy(item, file, attempt);
        Stat after = stat(file);
        if (after == null || !sameAs(before, after)) throw new Changed("size, modification time or inode differ before and after");
        if (single && checksums) {
            // the server compared the bytes it stored with our SHA-256 (x-amz-checksum-sha256) before answering
            return new Copied(sha, before.size(), before.mtimeNs(), type, key, scanResult, signature, attempt);
        }
        final String stored = key;
        ObjectStore.Head head = s3.head(bucket, stored, true)
                .orElseThrow(() -> new StoreException(404, StoreException.NO_SUCH_KEY, "stored object " + stored + " is not there", null));
        if (head.size() != before.size()) {
            throw new StoreException("stored object has " + head.size() + " bytes, the file " + before.size());
        }
        if (single) {
            if (!sha.equals(head.metadata().get("sha256"))) {
                throw new StoreException("stored object's sha256 metadata is " + head.metadata().get("sha256") + ", the file's " + sha);
            }
        } else if (tags) {
            // the parts' bytes were checked by the server as they arrived; the tag is what says which file they make
            String tag = s3.tags(bucket, stored).get(ObjectTags.SHA256_KEY);
            if (!sha.equals(tag)) throw new StoreException("stored object's sha256 tag is " + tag + ", the file's " + sha);
        }
        if (signature != null && !key.equals(item.objectKey())) {
            // an earlier attempt (before the file changed) may have stored it under the normal key
            s3.delete(bucket, item.objectKey());
        }
        return new Copied(sha, before.size(), before.mtimeNs(), type, key, scanResult, signature, attempt);
    }

    /** @return {SHA-256 hex, detected type} */
    private String[] single(Path file, String key, Map<String, String> metadata, long size, java.util.function.LongConsumer progress)
            throws IOException, Changed, InterruptedException {
        byte[] buf = pool.acquire((int) size);
        try {
            int n;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                n = readFully(ch, buf, 0, (int) size);
                if (n == size && ch.read(ByteBuffer.allocate(1)) > 0) throw new Changed("the file grew past " + size + " bytes while it was read");
            }
            if (n != size) throw new Changed("read " + n + " bytes of a file of " + size);
            MessageDigest md = sha256();
            md.update(buf, 0, n);
            byte[] digest = md.digest();
            String hex = HexFormat.of().formatHex(digest);
            String quick = QuickType.of(buf, n);
            String type = quick != null ? quick : detector.detect(new ByteArrayChannel(buf, n));
            metadata.put("sha256", hex);
            var put = ObjectStore.Put.of(bucket, key).contentType(type).contentLength(n).metadata(metadata);
            s3.put(checksums ? put.sha256(hex) : put, ObjectStore.Body.of(buf, 0, n));
            progress.accept(n);
            return new String[] {hex, type};
        } finally {
            pool.release(buf);
        }
    }

    /** @return {SHA-256 hex, detected type} */
    private String[] multipart(Path file, String key, Map<String, String> metadata, long size, Item item,
                               java.util.function.LongConsumer progress) throws IOException, Changed, InterruptedException {
        // the type from the head (and a ZIP's directory): bounded reads, not a pass over the file
        String type = detector.detect(file);
        long partSize = Math.max(rules.partSizeBytes(), ((size + 9_999) / 10_000 + (1 << 20) - 1) >> 20 << 20);
        int count = (int) ((size + partSize - 1) / partSize);
        String uploadId = s3.createMultipart(ObjectStore.Put.of(bucket, key).contentType(type).metadata(metadata), partChecksums);
        journal.uploadStarted(item, uploadId);
        List<Future<ObjectStore.Part>> futures = new ArrayList<>(count);
        boolean completed = false;
        try {
            MessageDigest whole = sha256();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                for (int p = 1; p <= count; p++) {
                    int want = (int) Math.min(partSize, size - (p - 1) * partSize);
                    byte[] buf = pool.acquire(want);
                    int n;
                    try {
                        n = readFully(ch, buf, 0, want);
                        if (n != want) throw new Changed("the file ended after " + ((p - 1) * partSize + n) + " of " + size + " bytes");
                        whole.update(buf, 0, n);
                    } catch (IOException | Changed | RuntimeException e) {
                        pool.release(buf);
                        throw e;
                    }
                    final int number = p;
                    final byte[] part = buf;
                    futures.add(parts.submit(() -> {
                        try {
                            final String ps;
                            if (partChecksums) {
                                MessageDigest md = sha256();
                                md.update(part, 0, n);
                                ps = HexFormat.of().formatHex(md.digest());
                            } else {
                                ps = null; // over plain HTTP the signer hashes the part and the server checks that hash
                            }
                            var done = s3.uploadPart(bucket, key, uploadId, number, ObjectStore.Body.of(part, 0, n), ps);
                            progress.accept(n);
                            return done;
                        } finally {
                            pool.release(part);
                        }
                    }));
                }
                if (ch.read(ByteBuffer.allocate(1)) > 0) throw new Changed("the file grew past " + size + " bytes while it was copied");
            }
            List<ObjectStore.Part> done = new ArrayList<>(count);
            for (Future<ObjectStore.Part> f : futures) done.add(f.get());
            s3.completeMultipart(bucket, key, uploadId, done);
            completed = true;
            journal.uploadStarted(item, null);
            String hex = HexFormat.of().formatHex(whole.digest());
            // known only now: a tag can be set after the fact, metadata only by copying the whole object
            if (tags) s3.putTags(bucket, key, Map.of(ObjectTags.SHA256_KEY, hex));
            return new String[] {hex, type};
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException(e.getCause());
        } finally {
            if (!completed) {
                for (Future<ObjectStore.Part> f : futures) {
                    try {
                        f.get();
                    } catch (ExecutionException ignored) {
                        // reported by the first failure
                    }
                }
                abort(key, uploadId, item);
            }
        }
    }

    private void abort(String key, String uploadId, Item item) {
        try {
            s3.abortMultipart(bucket, key, uploadId);
        } catch (StoreException e) {
            if (!e.answered()) throw e;
            // 404 (NoSuchUpload): gone already
            if (!e.notFound()) log.warn("could not abort multipart upload {} of {}: {}", uploadId, key, firstLine(e.getMessage()));
        }
        journal.uploadStarted(item, null);
    }

    /**
     * The whole SHA-256 an object records of its bytes: its {@code sha256} metadata (objects written in one
     * request, and multipart objects migrated before the tag), else its {@code sha256} tag where the provider
     * has {@link Capability#OBJECT_TAGGING} (multipart objects), else {@code null}: the object holds none and
     * only the {@code files} row (or reading the object back) can tell.
     *
     * @param head the object's HEAD answer
     * @return lowercase hex, or {@code null}
     * @throws StoreException when the tags cannot be read
     */
    static String recordedSha256(ObjectStore s3, String bucket, String key, ObjectStore.Head head) {
        String meta = head.metadata().get("sha256");
        if (meta != null) return meta;
        if (!s3.profile().has(Capability.OBJECT_TAGGING)) return null;
        return s3.tags(bucket, key).get(ObjectTags.SHA256_KEY);
    }

    /** SHA-256 of a file (hex) and its length, streaming (for verify). */
    static String[] hash(InputStream in, byte[] buf) throws IOException {
        MessageDigest md = sha256();
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
            total += n;
        }
        return new String[] {HexFormat.of().formatHex(md.digest()), Long.toString(total)};
    }

    private static int readFully(FileChannel ch, byte[] buf, int off, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        while (bb.hasRemaining()) {
            if (ch.read(bb) < 0) break;
        }
        return bb.position() - off;
    }

    /** lstat: {@code null} when the path is not a regular file. */
    private static Stat stat(Path file) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:mode,size,lastModifiedTime,ctime,ino", LinkOption.NOFOLLOW_LINKS);
        if (((Integer) a.get("mode") & 0170000) != 0100000) return null;
        return new Stat((Long) a.get("size"), nanos((FileTime) a.get("lastModifiedTime")), nanos((FileTime) a.get("ctime")), (Long) a.get("ino"));
    }

    private static boolean sameAs(Stat a, Stat b) {
        return b != null && a.equals(b);
    }

    private static long nanos(FileTime t) {
        Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}

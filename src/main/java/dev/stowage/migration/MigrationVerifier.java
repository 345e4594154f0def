package dev.stowage.migration;

import dev.stowage.config.StowageConfig;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code stowage migrate verify}: compares a tree with what its run stored — per regular file, its
 * size and SHA-256 (read again from the tree) against its {@code files} row and its object (size and the
 * SHA-256 the object records: {@code sha256} metadata, or for a multipart object the {@code sha256} tag
 * where the provider has tagging — {@link FileCopier#recordedSha256}; a multipart object on a store
 * without tags records none, and its row stands for it; with {@code deep}, the object is read back from
 * the store and hashed). Each file
 * is {@code matched}, {@code differ} or {@code missing}; objects and rows the tree no longer has are
 * {@code extra}. Entries the run did not migrate by rule (ignored, links, pipes, …) or could not (failed)
 * are listed with their reasons. Clean means nothing differs, is missing or is extra. A file that differs
 * is marked in the journal ({@link MigrationJournal#markRecopy}): the next {@code migrate run} copies it
 * again, even when its size and modification time are unchanged.
 */
public final class MigrationVerifier {
    private final ObjectStore s3;
    private final MigrationJournal journal;
    private final StowageConfig config;

    /**
     * @param s3      the object store
     * @param journal the journal
     * @param config  configuration (ignore list, raw bucket)
     */
    public MigrationVerifier(ObjectStore s3, MigrationJournal journal, StowageConfig config) {
        this.s3 = s3;
        this.journal = journal;
        this.config = config;
    }

    /** One file that is not matched. */
    public record Finding(String path, String result, String reason) {}

    /** An entry not migrated, with why. */
    public record NotMigrated(String path, String state, String outcome, String detail) {}

    /**
     * The verdict.
     *
     * @param run          the run's id
     * @param source       the tree
     * @param deep         whether objects were read back and hashed
     * @param matched      files whose tree bytes, row and object agree
     * @param matchedBytes their bytes
     * @param differ       files whose size or SHA-256 differ somewhere
     * @param missing      files of the tree without a (complete) row or object
     * @param extra        stored files or objects the tree does not have
     * @param quarantined  files stored under the quarantine prefix (malware), not served
     * @param notMigrated  entries not migrated, by outcome
     * @param findings     every differ, missing and extra, with the reason
     * @param skipped      the entries not migrated (at most 1,000)
     */
    public record Report(UUID run, String source, boolean deep, long matched, long matchedBytes, long differ, long missing,
                         long extra, long quarantined, Map<String, Long> notMigrated, List<Finding> findings,
                         List<NotMigrated> skipped) {
        /** Nothing differs, is missing or is extra. */
        public boolean clean() {
            return differ == 0 && missing == 0 && extra == 0;
        }
    }

    private record Row(UUID id, String owner, String status, long size, String sha256, String bucket, String key) {}

    /**
     * Verifies a run.
     *
     * @param run         the run
     * @param deep        read every object back and hash it
     * @param concurrency files checked in parallel
     */
    public Report verify(MigrationJournal.Run run, boolean deep, int concurrency) throws IOException, InterruptedException {
        return verify(run, deep, concurrency, null);
    }

    /**
     * Verifies the part of a run that belongs to some users (after {@code migrate run --users}).
     *
     * @param run         the run
     * @param deep        read every object back and hash it
     * @param concurrency files checked in parallel
     * @param only        only these users' folders, files and objects, or {@code null} for the whole tree
     */
    public Report verify(MigrationJournal.Run run, boolean deep, int concurrency, Set<String> only) throws IOException, InterruptedException {
        Path root = run.root();
        if (!Files.isDirectory(root)) throw new IOException("the run's tree " + run.source() + " is not there");
        Map<ByteBuffer, Entry> tree = new HashMap<>();
        new TreeWalker(root, only, config.migration().ignore()).walk(e -> tree.put(ByteBuffer.wrap(e.path()), e));
        Map<ByteBuffer, MigrationJournal.Journalled> items = new HashMap<>();
        for (var j : journal.items(run.id())) {
            if (only != null) {
                var segs = LegacyPath.segments(j.path());
                if (segs.size() < 2 || !only.contains(LegacyPath.text(segs.getFirst()))) continue;
            }
            items.put(ByteBuffer.wrap(j.path()), j);
        }
        Map<UUID, Row> rows = new HashMap<>();
        List<UUID> ids = items.values().stream().map(MigrationJournal.Journalled::fileId).filter(java.util.Objects::nonNull).toList();
        for (var f : journal.files().findAll(ids)) {
            rows.put(f.id(), new Row(f.id(), f.ownerId(), f.status().id(), f.sizeBytes() == null ? -1 : f.sizeBytes(), f.sha256(),
                    f.bucket(), f.objectKey()));
        }

        List<Finding> findings = Collections.synchronizedList(new ArrayList<>());
        List<byte[]> recopy = Collections.synchronizedList(new ArrayList<>());
        Map<String, Long> notMigrated = new TreeMap<>();
        List<NotMigrated> skipped = new ArrayList<>();
        AtomicLong matched = new AtomicLong(), matchedBytes = new AtomicLong(), quarantined = new AtomicLong();
        List<Future<?>> checks = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, concurrency))) {
            for (var e : tree.entrySet()) {
                Entry t = e.getValue();
                var item = items.get(e.getKey());
                if (!t.isFile()) {
                    notMigrated.merge(t.outcome(), 1L, Long::sum);
                    if (skipped.size() < 1000) skipped.add(new NotMigrated(t.display(), t.state(), t.outcome(), t.note()));
                    continue;
                }
                if (item == null) {
                    findings.add(new Finding(t.display(), "missing", only == null
                            ? "not journalled: new in the tree since the last run, or its user was left out of it (--users)"
                            : "not journalled: new in the tree since the last run"));
                    continue;
                }
                switch (item.state()) {
                    case "failed", "skipped" -> {
                        notMigrated.merge(item.outcome(), 1L, Long::sum);
                        if (skipped.size() < 1000) skipped.add(new NotMigrated(t.display(), item.state(), item.outcome(), item.detail()));
                        continue;
                    }
                    case "pending", "copying" -> {
                        findings.add(new Finding(t.display(), "missing", "not migrated yet (" + item.state() + ")"));
                        continue;
                    }
                    default -> { }
                }
                Row row = rows.get(item.fileId());
                if (row == null) {
                    findings.add(new Finding(t.display(), "missing", "no files row " + item.fileId()));
                    continue;
                }
                checks.add(pool.submit(() -> {
                    Finding f = check(root, t, item, row, deep);
                    if (f != null) findings.add(f);
                    if (f != null && f.result().equals("differ")) recopy.add(item.path());
                    else if (item.state().equals("quarantined")) quarantined.incrementAndGet();
                    else {
                        matched.incrementAndGet();
                        matchedBytes.addAndGet(row.size());
                    }
                    return null;
                }));
            }
            for (Future<?> f : checks) f.get();
        } catch (ExecutionException e) {
            throw new IOException("verification failed: " + e.getCause(), e.getCause());
        }
        // what differs is copied again by the next run, even with its size and mtime unchanged
        journal.markRecopy(run.id(), recopy);
        // stored, but gone from the tree
        Set<String> users = new HashSet<>();
        for (var e : items.entrySet()) {
            var j = e.getValue();
            if (!j.state().equals("done") && !j.state().equals("quarantined")) continue;
            Row row = rows.get(j.fileId());
            if (row != null) users.add(row.owner());
            if (!tree.containsKey(e.getKey()) || !tree.get(e.getKey()).isFile()) {
                findings.add(new Finding(j.display(), "extra", "stored as file " + j.fileId() + ", no longer a file in the tree"));
            }
        }
        // objects under the migrated users' prefixes that no file row accounts for
        String bucket = config.storage().buckets().raw();
        for (String user : users) {
            Set<String> known = new HashSet<>(journal.files().objectKeys(user, bucket));
            for (var o : s3.list(bucket, user + "/", 0)) {
                if (!known.contains(o.key())) findings.add(new Finding(o.key(), "extra", "object without a file row"));
            }
        }
        findings.sort(java.util.Comparator.comparing(Finding::result).thenComparing(Finding::path));
        skipped.sort(java.util.Comparator.comparing(NotMigrated::outcome).thenComparing(NotMigrated::path));
        long differ = findings.stream().filter(f -> f.result().equals("differ")).count();
        long missing = findings.stream().filter(f -> f.result().equals("missing")).count();
        long extra = findings.stream().filter(f -> f.result().equals("extra")).count();
        return new Report(run.id(), run.source(), deep, matched.get(), matchedBytes.get(), differ, missing, extra, quarantined.get(),
                notMigrated, List.copyOf(findings), skipped);
    }

    private Finding check(Path root, Entry t, MigrationJournal.Journalled item, Row row, boolean deep) throws IOException {
        byte[] buf = new byte[1 << 20];
        String[] local;
        try (InputStream in = Files.newInputStream(LegacyPath.resolve(root, t.path()), LinkOption.NOFOLLOW_LINKS)) {
            local = FileCopier.hash(in, buf);
        } catch (NoSuchFileException e) {
            return new Finding(t.display(), "missing", "deleted from the tree while verifying");
        } catch (IOException e) {
            return new Finding(t.display(), "differ", "cannot read the file in the tree: " + TreeWalker.reason(e));
        }
        long size = Long.parseLong(local[1]);
        if (size != row.size() || !local[0].equals(row.sha256())) {
            return new Finding(t.display(), "differ", "the tree has " + size + " bytes, SHA-256 " + local[0] + "; file "
                    + row.id() + " has " + row.size() + " bytes, SHA-256 " + row.sha256() + " (changed since it was copied: run again)");
        }
        if (!row.status().equals("ready") && !row.status().equals("quarantined") && !row.status().equals("deleted")) {
            return new Finding(t.display(), "differ", "file " + row.id() + " is " + row.status());
        }
        var found = s3.head(row.bucket(), row.key());
        if (found.isEmpty()) return new Finding(t.display(), "missing", "object " + row.key() + " is not in bucket " + row.bucket());
        var head = found.get();
        if (head.size() != size) {
            return new Finding(t.display(), "differ", "object " + row.key() + " has " + head.size() + " bytes, the file " + size);
        }
        String recorded = FileCopier.recordedSha256(s3, row.bucket(), row.key(), head);
        if (recorded != null && !local[0].equals(recorded)) {
            return new Finding(t.display(), "differ", "object " + row.key() + " says SHA-256 " + recorded);
        }
        boolean tags = s3.profile().has(Capability.OBJECT_TAGGING);
        if (recorded == null && (tags || !multipart(head.etag()))) {
            return new Finding(t.display(), "differ", "object " + row.key() + " records no SHA-256 (no sha256 metadata"
                    + (tags ? " or tag)" : ")"));
        }
        // else a multipart object on a store without tags: the row's SHA-256, checked above, is its record
        if (deep) {
            String[] stored;
            try (InputStream in = s3.get(row.bucket(), row.key())) {
                stored = FileCopier.hash(in, buf);
            }
            if (!stored[0].equals(local[0]) || Long.parseLong(stored[1]) != size) {
                return new Finding(t.display(), "differ", "object " + row.key() + " read back: " + stored[1] + " bytes, SHA-256 " + stored[0]);
            }
        }
        return null;
    }

    /** Whether an ETag is a multipart upload's ({@code "<hex>-<parts>"}, not an MD5 of the bytes). */
    static boolean multipart(String etag) {
        return etag != null && MULTIPART_ETAG.matcher(etag).matches();
    }

    private static final java.util.regex.Pattern MULTIPART_ETAG = java.util.regex.Pattern.compile("\"?[0-9a-fA-F]+-[0-9]+\"?");
}

package dev.stowage.migration;

import dev.stowage.config.StowageConfig;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
     * @param skipped      the entries not migrated: the first 1,000 by outcome and path
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

    /** Entries not migrated listed in a report, the first by outcome and path. */
    static final int MAX_SKIPPED = 1000;
    private static final Comparator<NotMigrated> SKIPPED_ORDER = Comparator.comparing(NotMigrated::outcome).thenComparing(NotMigrated::path);

    private volatile int peakItems;

    /** The most journal items the last {@link #verify} held at once (those of its largest user folder). */
    int peakItems() {
        return peakItems;
    }

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
     * Verifies the part of a run that belongs to some users (after {@code migrate run --users}). One user
     * folder at a time: its entries, journal items and files rows are held while it is checked, then
     * dropped, so memory grows with the largest user folder (and the findings), not with the tree.
     *
     * @param run         the run
     * @param deep        read every object back and hash it
     * @param concurrency files checked in parallel
     * @param only        only these users' folders, files and objects, or {@code null} for the whole tree
     * @throws IOException when the tree's root is not there or cannot be listed, or a check fails (a store
     *                     error, say)
     */
    public Report verify(MigrationJournal.Run run, boolean deep, int concurrency, Set<String> only) throws IOException, InterruptedException {
        Path root = run.root();
        if (!Files.isDirectory(root)) throw new IOException("the run's tree " + run.source() + " is not there");
        Pass pass = new Pass(run.id(), root, deep, only, Math.max(1, concurrency));
        try (pass.pool) {
            // top-level entries are never files to copy (the walk skips them): they are only listed
            new TreeWalker(root, only, config.migration().ignore()).walkByUser(t -> pass.notMigrated(t.display(), t.state(), t.outcome(), t.note()),
                    pass::user);
            pass.gone();
        } // closing the pool waits for the checks
        if (pass.failure.get() != null) throw pass.failed();
        peakItems = pass.peakItems;
        // what differs is copied again by the next run, even with its size and mtime unchanged
        journal.markRecopy(run.id(), pass.recopy);
        List<Finding> findings = new ArrayList<>(pass.findings);
        findings.sort(Comparator.comparing(Finding::result).thenComparing(Finding::path));
        List<NotMigrated> skipped = new ArrayList<>(pass.skipped);
        skipped.sort(SKIPPED_ORDER);
        long differ = findings.stream().filter(f -> f.result().equals("differ")).count();
        long missing = findings.stream().filter(f -> f.result().equals("missing")).count();
        long extra = findings.stream().filter(f -> f.result().equals("extra")).count();
        return new Report(run.id(), run.source(), deep, pass.matched.get(), pass.matchedBytes.get(), differ, missing, extra,
                pass.quarantined.get(), pass.notMigrated, List.copyOf(findings), skipped);
    }

    /** One verification: what it found so far, and the checks under way (at most two per thread). */
    private final class Pass {
        final UUID run;
        final Path root;
        final boolean deep;
        final Set<String> only;
        final ExecutorService pool;
        final Semaphore inFlight;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[1 << 20]); // one per pool thread
        final List<Finding> findings = Collections.synchronizedList(new ArrayList<>());
        final List<byte[]> recopy = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong matched = new AtomicLong(), matchedBytes = new AtomicLong(), quarantined = new AtomicLong();
        final Map<String, Long> notMigrated = new TreeMap<>();
        final PriorityQueue<NotMigrated> skipped = new PriorityQueue<>(SKIPPED_ORDER.reversed()); // head: the last in report order
        final Set<String> walked = new HashSet<>(), listed = new HashSet<>(); // user folders walked, owners whose objects were listed
        int peakItems;

        Pass(UUID run, Path root, boolean deep, Set<String> only, int threads) {
            this.run = run;
            this.root = root;
            this.deep = deep;
            this.only = only;
            this.pool = Executors.newFixedThreadPool(threads);
            this.inFlight = new Semaphore(2 * threads);
        }

        /** One user folder of the tree against its journal items and rows, then what it stored that the tree lacks. */
        void user(String user, List<Entry> entries) throws IOException, InterruptedException {
            walked.add(user);
            Map<ByteBuffer, Entry> tree = new HashMap<>();
            for (Entry e : entries) tree.put(ByteBuffer.wrap(e.path()), e);
            Map<ByteBuffer, MigrationJournal.Journalled> items = items(user.getBytes(StandardCharsets.UTF_8));
            Map<UUID, Row> rows = rows(items.values());
            for (Entry t : tree.values()) entry(t, items.get(ByteBuffer.wrap(t.path())), rows);
            stored(items, tree, rows);
        }

        /** The journal's top-level folders that were not walked as user folders (gone, no longer a folder, …): all they stored is extra. */
        void gone() throws IOException {
            byte[] from = new byte[0];
            for (byte[] path; (path = journal.nextPath(run, from)) != null; ) {
                var segments = LegacyPath.segments(path);
                if (segments.size() < 2) { // a top-level entry, never stored
                    from = Arrays.copyOf(path, path.length + 1);
                    continue;
                }
                byte[] folder = segments.getFirst();
                from = MigrationJournal.pastFolder(folder);
                String name = LegacyPath.text(folder);
                if (walked.contains(name) || (only != null && !only.contains(name))) continue;
                var items = items(folder);
                stored(items, Map.of(), rows(items.values()));
            }
        }

        Map<ByteBuffer, MigrationJournal.Journalled> items(byte[] folder) {
            Map<ByteBuffer, MigrationJournal.Journalled> items = new HashMap<>();
            for (var j : journal.itemsUnder(run, folder)) items.put(ByteBuffer.wrap(j.path()), j);
            peakItems = Math.max(peakItems, items.size());
            return items;
        }

        Map<UUID, Row> rows(Collection<MigrationJournal.Journalled> items) {
            Map<UUID, Row> rows = new HashMap<>();
            List<UUID> ids = items.stream().map(MigrationJournal.Journalled::fileId).filter(Objects::nonNull).toList();
            for (var f : journal.files().findAll(ids)) {
                rows.put(f.id(), new Row(f.id(), f.ownerId(), f.status().id(), f.sizeBytes() == null ? -1 : f.sizeBytes(), f.sha256(),
                        f.bucket(), f.objectKey()));
            }
            return rows;
        }

        void notMigrated(String path, String state, String outcome, String detail) {
            notMigrated.merge(outcome, 1L, Long::sum);
            skipped.add(new NotMigrated(path, state, outcome, detail));
            if (skipped.size() > MAX_SKIPPED) skipped.poll();
        }

        /** One entry of the tree: listed, missing, or checked against its row and object in the pool. */
        void entry(Entry t, MigrationJournal.Journalled item, Map<UUID, Row> rows) throws IOException, InterruptedException {
            if (!t.isFile()) {
                notMigrated(t.display(), t.state(), t.outcome(), t.note());
                return;
            }
            if (item == null) {
                findings.add(new Finding(t.display(), "missing", only == null
                        ? "not journalled: new in the tree since the last run, or its user was left out of it (--users)"
                        : "not journalled: new in the tree since the last run"));
                return;
            }
            switch (item.state()) {
                case "failed", "skipped" -> {
                    notMigrated(t.display(), item.state(), item.outcome(), item.detail());
                    return;
                }
                case "pending", "copying" -> {
                    findings.add(new Finding(t.display(), "missing", "not migrated yet (" + item.state() + ")"));
                    return;
                }
                default -> { }
            }
            Row row = rows.get(item.fileId());
            if (row == null) {
                findings.add(new Finding(t.display(), "missing", "no files row " + item.fileId()));
                return;
            }
            inFlight.acquire();
            if (failure.get() != null) {
                inFlight.release();
                throw failed();
            }
            pool.execute(() -> {
                try {
                    Finding f = check(root, t, item, row, deep, buffers.get());
                    if (f != null) findings.add(f);
                    if (f != null && f.result().equals("differ")) recopy.add(item.path());
                    else if (item.state().equals("quarantined")) quarantined.incrementAndGet();
                    else {
                        matched.incrementAndGet();
                        matchedBytes.addAndGet(row.size());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    inFlight.release();
                }
            });
        }

        /** Files one folder stored that are no longer files in the tree, and objects under their owners no row accounts for. */
        void stored(Map<ByteBuffer, MigrationJournal.Journalled> items, Map<ByteBuffer, Entry> tree, Map<UUID, Row> rows) {
            Set<String> owners = new HashSet<>();
            for (var e : items.entrySet()) {
                var j = e.getValue();
                if (!j.state().equals("done") && !j.state().equals("quarantined")) continue;
                Row row = rows.get(j.fileId());
                if (row != null) owners.add(row.owner());
                Entry t = tree.get(e.getKey());
                if (t == null || !t.isFile()) {
                    findings.add(new Finding(j.display(), "extra", "stored as file " + j.fileId() + ", no longer a file in the tree"));
                }
            }
            String bucket = config.storage().buckets().raw();
            for (String owner : owners) {
                if (!listed.add(owner)) continue;
                Set<String> known = new HashSet<>(journal.files().objectKeys(owner, bucket));
                for (var o : s3.list(bucket, owner + "/", 0)) {
                    if (!known.contains(o.key())) findings.add(new Finding(o.key(), "extra", "object without a file row"));
                }
            }
        }

        IOException failed() {
            Throwable cause = failure.get();
            return new IOException("verification failed: " + cause, cause);
        }
    }

    /** One file against its row and object; {@code buf} is the thread's read buffer. */
    private Finding check(Path root, Entry t, MigrationJournal.Journalled item, Row row, boolean deep, byte[] buf) throws IOException {
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

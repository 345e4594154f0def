package dev.stowage.migration;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileStatus;
import dev.stowage.files.JdbiFileRepository;
import dev.stowage.files.Migrated;
import dev.stowage.images.VariantQueue;
import dev.stowage.images.VariantService;
import dev.stowage.scanning.MalwareScanner;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.FilenameSanitizer;
import dev.stowage.uploads.TypeDetector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code stowage migrate run}: moves a legacy {@code /uploads/{userId}/{filename}} tree into the raw
 * bucket (docs/architecture.md §11). A walker journals every entry of the tree while {@code concurrency} threads claim
 * regular files in batches and copy them ({@link FileCopier}). Once a file's object is stored and checked,
 * its {@code files} row (owner = the folder's user, {@code source = migration}, status {@code ready}),
 * the owner's used bytes and its journal state are committed in one transaction, shared with the other
 * files copied meanwhile (up to {@value #COMMIT_BATCH} per transaction). The file id and object
 * key are chosen when the entry is first journalled, so a copy interrupted at any point (even
 * {@code kill -9}) is simply done again into the same key: no duplicate rows, no duplicate objects.
 * Images get their variants from the normal worker job, queued when the lifecycle publishes them ready.
 */
public final class MigrationService {
    private static final Logger log = LoggerFactory.getLogger(MigrationService.class);
    private static final int WALK_BATCH = 500;
    private static final int FIRST_WALK_BATCH = 64;
    /** Most copied files recorded in one transaction. */
    private static final int COMMIT_BATCH = 256;
    /** Journal entries read per page by the passes over a whole run ({@code --checksum}, the end-of-run variants). */
    static final int PAGE = 1000;
    private volatile int page = PAGE;

    private final ObjectStore s3;
    private final JdbiFileRepository files;
    private final FileLifecycle lifecycle;
    private final VariantQueue variantQueue;
    private final MalwareScanner scanner;
    private final TypeDetector detector;
    private final StowageConfig config;
    private final MigrationJournal journal;
    private volatile FileCopier.Hook hook = FileCopier.Hook.NONE;
    /** Users whose account exists (a transaction of this process that made sure of it has committed). */
    private final Set<String> accounts = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param s3       clients
     * @param files    repository (PostgreSQL: the journal commits in the same transactions)
     * @param lifecycle records the migrated files (their images' variants follow its ready events)
     * @param variantQueue queues image variants left pending by an earlier run
     * @param scanner  the malware scanner for {@code --scan}, or {@code null} when none is configured
     * @param detector type detection from bytes
     * @param config   configuration (raw bucket, migration section, free-plan quota for new accounts)
     */
    public MigrationService(ObjectStore s3, JdbiFileRepository files, FileLifecycle lifecycle, VariantQueue variantQueue,
                            MalwareScanner scanner, TypeDetector detector, StowageConfig config) {
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.variantQueue = variantQueue;
        this.scanner = scanner;
        this.detector = detector;
        this.config = config;
        this.journal = new MigrationJournal(files.jdbi(), files, java.time.Duration.ofSeconds(config.migration().claimLeaseSeconds()));
    }

    /** The journal. */
    public MigrationJournal journal() {
        return journal;
    }

    /** Replaces the hook called after each copy (tests make a file change at a chosen moment). */
    public void hook(FileCopier.Hook h) {
        this.hook = h;
    }

    /**
     * What to migrate.
     *
     * @param source      the tree's root
     * @param concurrency files copied in parallel
     * @param users       only these users' folders, or {@code null} for all
     * @param scan        scan every file with ClamAV first
     * @param checksum    hash the files already copied again first; those whose SHA-256 differs from the
     *                    journal's are copied again (a file changed in place with its mtime restored)
     */
    public record Options(Path source, int concurrency, Set<String> users, boolean scan, boolean checksum) {
        /** Without {@code checksum}. */
        public Options(Path source, int concurrency, Set<String> users, boolean scan) {
            this(source, concurrency, users, scan, false);
        }
    }

    /** The real path of a tree's root, checked. */
    public static Path root(Path source) throws IOException {
        if (!"UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"))) {
            throw new IOException("file names are decoded as " + System.getProperty("sun.jnu.encoding")
                    + ": run with a UTF-8 locale (e.g. LANG=C.UTF-8) so every name reaches Stowage intact");
        }
        if (!Files.isDirectory(source)) throw new IOException(source + " is not a folder");
        return source.toRealPath();
    }

    /** What a dry run found: counts by outcome and the entries not to be copied. */
    public record DryRun(Path root, long files, long bytes, Map<String, Long> outcomes, List<Entry> reported) {}

    /**
     * Walks the tree and says what {@code run} would do, writing nothing (no journal, no rows, no objects).
     * Regular files are opened and closed to find unreadable ones; named pipes and devices are never opened.
     */
    public static DryRun dryRun(Options o, List<String> ignore) throws IOException {
        Path root = root(o.source());
        long[] totals = new long[2];
        Map<String, Long> outcomes = new LinkedHashMap<>();
        List<Entry> reported = new ArrayList<>();
        new TreeWalker(root, o.users(), ignore).walk(e -> {
            Entry x = e;
            if (e.isFile()) {
                try (var ch = java.nio.channels.FileChannel.open(LegacyPath.resolve(root, e.path()), java.nio.file.StandardOpenOption.READ,
                        LinkOption.NOFOLLOW_LINKS)) {
                    totals[0]++;
                    totals[1] += e.size();
                } catch (IOException ex) {
                    x = new Entry(e.path(), e.display(), e.kind(), e.userId(), e.folders(), e.name(), e.size(), e.mtimeNs(), "failed",
                            "unreadable", TreeWalker.reason(ex));
                }
            }
            outcomes.merge(x.isFile() ? "to_copy" : x.outcome(), 1L, Long::sum);
            if (!x.isFile()) reported.add(x);
        });
        return new DryRun(root, totals[0], totals[1], outcomes, reported);
    }

    /** The end of one process's run. */
    public record Summary(MigrationJournal.Run run, long copiedFiles, long copiedBytes, long failed, double seconds,
                          MigrationJournal.Counts counts) {}

    /**
     * Migrates a tree, resuming its run when it has one. Returns when no file of the run is left: files
     * other processes hold are waited for, and claimed by this one when their lease passes (their process
     * is gone).
     */
    public Summary run(Options o, Progress progress) throws IOException, InterruptedException {
        Path root = root(o.source());
        if (o.scan() && scanner == null) throw new IllegalStateException("--scan needs a scanner: set scanner.clamd_host");
        MigrationJournal.Run run = journal.runFor(root);
        journal.register();
        journal.retryFailed(run.id());
        if (o.checksum()) {
            int marked = checksums(root, run.id(), o);
            if (marked > 0) log.info("{} file(s) differ from what was copied (SHA-256): copying them again", marked);
        }
        var before = journal.counts(run.id());
        long knownFiles = before.files().values().stream().mapToLong(Long::longValue).sum() - before.files("skipped");
        long knownBytes = before.bytes().values().stream().mapToLong(Long::longValue).sum() - before.bytes("skipped");
        progress.start(knownFiles, knownBytes, before.files("done") + before.files("quarantined"), before.bytes("done") + before.bytes("quarantined"));
        log.info("migrating {} (run {}), {} file(s) already done", root, run.id(), before.files("done"));

        var rules = config.migration();
        int slots = o.concurrency() + 4;
        var pool = new BufferPool(slots);
        AtomicBoolean walked = new AtomicBoolean();
        AtomicReference<Throwable> walkError = new AtomicReference<>(); // the walk's, or a copy thread's that stops the run
        long t0 = System.nanoTime();
        AtomicLong copiedFiles = new AtomicLong(), copiedBytes = new AtomicLong(), failed = new AtomicLong();
        try (ExecutorService parts = Executors.newVirtualThreadPerTaskExecutor()) {
            var copier = new FileCopier(s3, config.storage().buckets().raw(), rules, detector, scanner, pool, parts, journal, hook);
            var claims = new Claims(run.id(), o, walked, walkError);
            Thread walker = Thread.ofPlatform().name("migrate-walk").start(() -> {
                List<Entry> batch = new ArrayList<>();
                int[] recorded = {0};
                try {
                    new TreeWalker(root, o.users(), rules.ignore()).walk(e -> {
                        batch.add(e);
                        // a small first batch, so that copying starts at once
                        if (batch.size() >= (recorded[0] == 0 ? FIRST_WALK_BATCH : WALK_BATCH)) {
                            record(run.id(), batch, progress);
                            recorded[0]++;
                            claims.poke();
                        }
                    });
                    record(run.id(), batch, progress);
                    journal.walked(run.id());
                } catch (Throwable t) {
                    walkError.set(t);
                } finally {
                    walked.set(true);
                    claims.poke();
                }
            });
            List<Thread> workers = new ArrayList<>();
            var committer = new Committer(walkError, progress, copiedFiles, copiedBytes, failed);
            for (int i = 0; i < o.concurrency(); i++) {
                workers.add(Thread.ofPlatform().name("migrate-" + i).start(() -> {
                    try {
                        while (walkError.get() == null) {
                            Item it = claims.next();
                            if (it == null) return;
                            FileCopier.Result r;
                            try {
                                r = copier.copy(root, it, o.scan(), progress::bytes);
                            } catch (RuntimeException e) {
                                // this file only; when even recording that fails (database gone), the run stops
                                log.warn("{}: {}", it.display(), e.toString());
                                r = new FileCopier.Failed("error", e.toString(), 1);
                            }
                            if (r instanceof FileCopier.Copied c) {
                                committer.submit(it, c); // its rows are committed with others' (counted there)
                            } else {
                                if (r instanceof FileCopier.Failed f) {
                                    journal.end(it, "failed", f.outcome(), f.detail(), f.attempts() - 1);
                                    failed.incrementAndGet();
                                    log.warn("{}: not migrated: {} ({})", it.display(), f.outcome(), f.detail());
                                } else if (r instanceof FileCopier.Skipped s) {
                                    journal.end(it, "skipped", s.outcome(), s.detail(), s.attempts() - 1);
                                }
                                progress.file(false);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        walkError.compareAndSet(null, e);
                    }
                }));
            }
            try {
                for (Thread w : workers) w.join();
            } finally {
                claims.close();
                committer.close();
            }
            walker.join();
        } finally {
            progress.close();
            // files this process still held become claimable by others at once (their leases end now)
            journal.close();
        }
        if (walkError.get() != null) {
            Throwable t = walkError.get();
            if (t instanceof IOException io) throw io;
            if (t instanceof RuntimeException re) throw re;
            throw new IOException(t);
        }
        journal.forEachPendingVariant(run.id(), page, variantQueue::enqueueVariants);
        return new Summary(run, copiedFiles.get(), copiedBytes.get(), failed.get(), (System.nanoTime() - t0) / 1e9, journal.counts(run.id()));
    }

    /** Journal entries per page of the passes over a whole run, for tests of the page boundaries (default {@value #PAGE}). */
    MigrationService pageSize(int entries) {
        if (entries < 1) throw new IllegalArgumentException("page size must be at least 1");
        this.page = entries;
        return this;
    }

    /**
     * {@code --checksum}: hashes every file of the run already copied ({@code concurrency} at a time) and
     * marks those whose SHA-256 differs from the journal's for copying again (the walk that follows queues
     * them). Files gone from the tree or unreadable are left to the walk. The journal is read and marked a
     * page of entries at a time ({@value #PAGE}), so memory does not grow with the run.
     *
     * @return the files marked
     */
    private int checksums(Path root, UUID runId, Options o) throws IOException, InterruptedException {
        int marked = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.concurrency()))) {
            ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[1 << 20]);
            byte[] after = new byte[0];
            for (List<MigrationJournal.Journalled> entries; !(entries = journal.itemsAfter(runId, after, page)).isEmpty(); after = entries.getLast().path()) {
                List<byte[]> differ = java.util.Collections.synchronizedList(new ArrayList<>());
                List<java.util.concurrent.Future<?>> checks = new ArrayList<>();
                for (var j : entries) {
                    if (!j.kind().equals("file") || j.sha256() == null || !(j.state().equals("done") || j.state().equals("quarantined"))) continue;
                    if (o.users() != null) {
                        var segs = LegacyPath.segments(j.path());
                        if (segs.size() < 2 || !o.users().contains(LegacyPath.text(segs.getFirst()))) continue;
                    }
                    checks.add(pool.submit(() -> {
                        try (var in = Files.newInputStream(LegacyPath.resolve(root, j.path()), LinkOption.NOFOLLOW_LINKS)) {
                            String[] h = FileCopier.hash(in, buffers.get());
                            if (!h[0].equals(j.sha256())) differ.add(j.path());
                        } catch (IOException e) {
                            // gone or unreadable: the walk records what it is now
                        }
                        return null;
                    }));
                }
                for (var f : checks) f.get();
                marked += journal.markRecopy(runId, differ);
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("hashing the copied files failed: " + e.getCause(), e.getCause());
        }
        return marked;
    }

    private void record(UUID runId, List<Entry> batch, Progress progress) {
        for (long size : journal.record(runId, batch)) progress.discovered(size);
        batch.clear();
    }

    /**
     * The items this process has claimed and not yet started, kept ahead of the copy threads: one thread
     * claims the next batch ({@code FOR UPDATE SKIP LOCKED}) while fewer than {@code concurrency × 2}
     * claimed items are waiting, so a copy thread never waits for the database round trip of a claim
     * (with one lock around claiming, every copy thread stalled for each batch's query).
     */
    private final class Claims implements AutoCloseable {
        private final Deque<Item> queue = new ArrayDeque<>();
        private final UUID runId;
        private final Options options;
        private final AtomicBoolean walked;
        private final AtomicReference<Throwable> fatal;
        private final int batch, lowWater;
        private final Thread thread;
        private boolean exhausted, closed, poked;
        /** Queue position of the last file claimed: claims read only what lies after it (0: from the start). */
        private long cursor;
        private long lastWaitLog = System.nanoTime() - 60_000_000_000L;

        Claims(UUID runId, Options options, AtomicBoolean walked, AtomicReference<Throwable> fatal) {
            this.runId = runId;
            this.options = options;
            this.walked = walked;
            this.fatal = fatal;
            this.batch = (int) Math.clamp(options.concurrency() * 8L, 16, 256);
            this.lowWater = Math.max(2, options.concurrency() * 2);
            this.thread = Thread.ofPlatform().name("migrate-claim").start(this::loop);
        }

        private void loop() {
            try {
                while (true) {
                    synchronized (queue) {
                        while (queue.size() >= lowWater && !closed) queue.wait();
                        if (closed) return;
                    }
                    boolean walkDone = walked.get(); // read before claiming: an empty claim after the walk ended means no more work
                    long from = cursor;
                    List<Item> claimed = journal.claim(runId, batch, options.users(), from);
                    if (!claimed.isEmpty()) cursor = claimed.getLast().seq();
                    if (claimed.isEmpty() && walkDone && from != 0) {
                        // nothing after the cursor: sweep the queue once from its start (files taken back from a
                        // process that is gone, or journalled by another process's walk behind the cursor)
                        cursor = 0;
                        continue;
                    }
                    long[] others = claimed.isEmpty() && walkDone ? journal.heldByOthers(runId, options.users()) : null;
                    synchronized (queue) {
                        queue.addAll(claimed);
                        if (others != null && others[0] == 0) exhausted = true;
                        queue.notifyAll();
                        if (exhausted) return;
                    }
                    if (others != null) {
                        // files other processes hold: they end them, or they are gone and their leases pass
                        long now = System.nanoTime();
                        if (now - lastWaitLog > 30_000_000_000L) {
                            lastWaitLog = now;
                            log.info("waiting for {} file(s) claimed by other processes (the first lease passes in {} s unless renewed)",
                                    others[0], others[1]);
                        }
                        synchronized (queue) {
                            if (!closed) queue.wait(1000);
                        }
                    } else if (claimed.isEmpty()) {
                        // the walk has not journalled more files yet: wait until it has (or, for files other processes
                        // hold, until one of them may have died)
                        synchronized (queue) {
                            if (!poked && !closed) queue.wait(200);
                            poked = false;
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                fatal.compareAndSet(null, e);
            } finally {
                synchronized (queue) {
                    exhausted = true;
                    queue.notifyAll();
                }
            }
        }

        /** Tells the claiming thread that the walk journalled more files, or ended. */
        void poke() {
            synchronized (queue) {
                poked = true;
                queue.notifyAll();
            }
        }

        /** The next claimed item, waiting for a claim when none is at hand; {@code null} when no file is left to this process. */
        Item next() throws InterruptedException {
            synchronized (queue) {
                while (true) {
                    Item it = queue.poll();
                    if (it != null) {
                        if (queue.size() < lowWater) queue.notifyAll();
                        return it;
                    }
                    if (exhausted || fatal.get() != null) return null;
                    queue.wait(200);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            synchronized (queue) {
                closed = true;
                queue.notifyAll();
            }
            thread.join();
        }
    }

    /** A copied file waiting for its rows. */
    private record Pending(Item item, FileCopier.Copied copied) {}

    /**
     * Commits the rows of copied files in batches: the copy threads hand each copied file over and go
     * on with the next one, and one thread records everything that is waiting (up to
     * {@link #COMMIT_BATCH} files) in one transaction — one round trip per statement kind instead of
     * several transactions per file. A file handed over but not yet committed when the process dies is
     * still {@code copying} under this process's worker id: another run claims it again and copies it
     * into the same key and row.
     */
    private final class Committer implements AutoCloseable {
        private final java.util.concurrent.BlockingQueue<Pending> queue = new java.util.concurrent.ArrayBlockingQueue<>(4 * COMMIT_BATCH);
        private final AtomicBoolean closing = new AtomicBoolean();
        private final AtomicReference<Throwable> fatal;
        private final Progress progress;
        private final AtomicLong copiedFiles, copiedBytes, failed;
        private final Thread thread;

        Committer(AtomicReference<Throwable> fatal, Progress progress, AtomicLong copiedFiles, AtomicLong copiedBytes, AtomicLong failed) {
            this.fatal = fatal;
            this.progress = progress;
            this.copiedFiles = copiedFiles;
            this.copiedBytes = copiedBytes;
            this.failed = failed;
            this.thread = Thread.ofPlatform().name("migrate-commit").start(this::loop);
        }

        /** Hands a copied file over (waits while {@code 4 × COMMIT_BATCH} files are waiting already). */
        void submit(Item it, FileCopier.Copied c) throws InterruptedException {
            Pending p = new Pending(it, c);
            while (!queue.offer(p, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (fatal.get() != null || !thread.isAlive()) throw new IllegalStateException("the commit thread stopped", fatal.get());
            }
        }

        private void loop() {
            List<Pending> batch = new ArrayList<>(COMMIT_BATCH);
            try {
                while (true) {
                    Pending first = queue.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (closing.get() && queue.isEmpty()) return;
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, COMMIT_BATCH - 1);
                    commitAll(batch);
                    batch.clear();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                fatal.compareAndSet(null, e);
            }
        }

        private void commitAll(List<Pending> batch) {
            List<Pending> held;
            try {
                held = commitBatch(batch);
            } catch (RuntimeException e) {
                // find the file at fault: each on its own (the others are recorded)
                log.warn("committing {} file(s) at once failed ({}); committing them one by one", batch.size(), e.toString());
                held = new ArrayList<>();
                for (Pending p : batch) {
                    try {
                        held.addAll(commitBatch(List.of(p)));
                    } catch (RuntimeException one) {
                        // this file only; when even recording that fails (database gone), the run stops
                        log.warn("{}: {}", p.item().display(), one.toString());
                        journal.end(p.item(), "failed", "error", one.toString(), p.copied().attempts() - 1);
                        failed.incrementAndGet();
                        log.warn("{}: not migrated: error ({})", p.item().display(), one);
                        progress.file(false);
                    }
                }
            }
            for (Pending p : held) {
                Item it = p.item();
                FileCopier.Copied c = p.copied();
                accounts.add(it.userId());
                if (c.quarantined()) log.warn("{}: quarantined: {}", it.display(), c.signature());
                copiedFiles.incrementAndGet();
                copiedBytes.addAndGet(c.size());
                progress.file(true);
            }
            if (held.size() < batch.size()) {
                for (Pending p : batch) {
                    if (!held.contains(p)) log.warn("{}: this process lost its claim; another process records it", p.item().display());
                }
            }
        }

        /** Waits until every file handed over is committed. */
        @Override
        public void close() throws InterruptedException {
            closing.set(true);
            thread.join();
        }
    }

    /**
     * Records copied files in one transaction: for each file still claimed by this process, its journal
     * state, its {@code files} row, and the owners' used bytes (one update per owner, in user-id order so
     * that concurrent processes lock accounts in the same order). Safe to repeat for the same item (the
     * row is keyed by the item's file id; a file copied again because it changed updates its row and
     * adjusts used bytes by the difference).
     *
     * @return the files recorded (those whose claim this process still held)
     */
    private List<Pending> commitBatch(List<Pending> batch) {
        long freeQuota = config.uploads().quotaFor("free");
        String bucket = config.storage().buckets().raw();
        return files.inTransactionWithHandle((h, tx) -> {
            // a commit lost to a database crash only means these files are copied again into the same keys and rows
            h.execute("set local synchronous_commit = off");
            // the journal first: only the files whose claim this process still holds are recorded
            int[] finished = journal.finish(h, batch.stream().map(p -> new MigrationJournal.Finish(p.item(),
                    p.copied().quarantined() ? "quarantined" : "done", p.copied().quarantined() ? "malware" : "migrated", p.copied().sha256(),
                    p.copied().size(), p.copied().mtimeNs(), p.copied().objectKey(), p.copied().attempts() - 1)).toList());
            List<Pending> held = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) if (finished[i] == 1) held.add(batch.get(i));
            if (held.isEmpty()) return held;
            // until a transaction that made sure of the account has committed, every transaction makes sure of it
            var newUsers = new java.util.TreeSet<String>();
            for (Pending p : held) if (!accounts.contains(p.item().userId())) newUsers.add(p.item().userId());
            tx.ensureFreeAccounts(newUsers, freeQuota);
            // the usual case, a file copied for the first time, takes one batched statement; a file copied again moves on its own
            List<Migrated> rows = new ArrayList<>(held.size());
            for (Pending p : held) {
                Item it = p.item();
                FileCopier.Copied c = p.copied();
                String name = it.display().substring(it.display().lastIndexOf('/') + 1);
                byte[] rawName = LegacyPath.segments(it.path()).getLast();
                boolean quarantined = c.quarantined();
                String shown = MigrationJournal.displayName(name);
                rows.add(new Migrated(it.fileId(), it.userId(), shown,
                        FilenameSanitizer.keepsOriginalBytes(rawName, shown) ? rawName : null,
                        MigrationJournal.safeName(name), c.detectedType(), c.size(), c.sha256(), bucket, c.objectKey(),
                        quarantined ? FileStatus.QUARANTINED : FileStatus.READY, c.scanResult(), c.signature(),
                        Instant.ofEpochSecond(0, c.mtimeNs()), !quarantined && VariantService.isImage(c.detectedType())));
            }
            lifecycle.migrated(tx, rows);
            return held;
        });
    }
}

package dev.stowage.migration;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileRepository;
import dev.stowage.images.VariantService;
import dev.stowage.jobs.Jobs;
import dev.stowage.scanning.MalwareScanner;
import dev.stowage.storage.S3Clients;
import dev.stowage.uploads.TypeDetector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Timestamp;
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
 * bucket (DESIGN §11). A walker journals every entry of the tree while {@code concurrency} threads claim
 * regular files in batches and copy them ({@link FileCopier}). Once a file's object is stored and checked,
 * its {@code files} row (owner = the folder's user, {@code source = migration}, status {@code ready}),
 * the owner's used bytes and its journal state are committed in one transaction. The file id and object
 * key are chosen when the entry is first journalled, so a copy interrupted at any point (even
 * {@code kill -9}) is simply done again into the same key: no duplicate rows, no duplicate objects.
 * Images get their variants from the normal worker job.
 */
public final class MigrationService {
    private static final Logger log = LoggerFactory.getLogger(MigrationService.class);
    private static final int WALK_BATCH = 500;

    private final S3Clients s3;
    private final FileRepository files;
    private final Jobs jobs;
    private final MalwareScanner scanner;
    private final TypeDetector detector;
    private final StowageConfig config;
    private final MigrationJournal journal;
    private volatile FileCopier.Hook hook = FileCopier.Hook.NONE;
    /** Users whose account exists (a transaction of this process that made sure of it has committed). */
    private final Set<String> accounts = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param s3       clients
     * @param files    repository
     * @param jobs     queues image variants
     * @param scanner  the malware scanner for {@code --scan}, or {@code null} when none is configured
     * @param detector type detection from bytes
     * @param config   configuration (raw bucket, migration section, free-plan quota for new accounts)
     */
    public MigrationService(S3Clients s3, FileRepository files, Jobs jobs, MalwareScanner scanner, TypeDetector detector,
                            StowageConfig config) {
        this.s3 = s3;
        this.files = files;
        this.jobs = jobs;
        this.scanner = scanner;
        this.detector = detector;
        this.config = config;
        this.journal = new MigrationJournal(files.jdbi());
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
     */
    public record Options(Path source, int concurrency, Set<String> users, boolean scan) {}

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
     * Migrates a tree, resuming its run when it has one. Returns when no file of the run is left to this
     * process (other processes may still be finishing the files they claimed).
     */
    public Summary run(Options o, Progress progress) throws IOException, InterruptedException {
        Path root = root(o.source());
        if (o.scan() && scanner == null) throw new IllegalStateException("--scan needs a scanner: set scanner.clamd_host");
        MigrationJournal.Run run = journal.runFor(root);
        journal.register();
        journal.retryFailed(run.id());
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
            Thread walker = Thread.ofPlatform().name("migrate-walk").start(() -> {
                List<Entry> batch = new ArrayList<>();
                try {
                    new TreeWalker(root, o.users(), rules.ignore()).walk(e -> {
                        batch.add(e);
                        if (batch.size() >= WALK_BATCH) {
                            record(run.id(), batch, progress);
                        }
                    });
                    record(run.id(), batch, progress);
                    journal.walked(run.id());
                } catch (Throwable t) {
                    walkError.set(t);
                } finally {
                    walked.set(true);
                }
            });
            Deque<Item> queue = new ArrayDeque<>();
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < o.concurrency(); i++) {
                workers.add(Thread.ofPlatform().name("migrate-" + i).start(() -> {
                    try {
                        while (walkError.get() == null) {
                            Item it = next(queue, run.id(), o, walked);
                            if (it == null) return;
                            FileCopier.Result r;
                            try {
                                r = copier.copy(root, it, o.scan(), progress::bytes);
                                if (r instanceof FileCopier.Copied c) commit(it, c);
                            } catch (RuntimeException e) {
                                // this file only; when even recording that fails (database gone), the run stops
                                log.warn("{}: {}", it.display(), e.toString());
                                r = new FileCopier.Failed("error", e.toString(), 1);
                            }
                            if (r instanceof FileCopier.Copied c) {
                                copiedFiles.incrementAndGet();
                                copiedBytes.addAndGet(c.size());
                                progress.file(true);
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
            for (Thread w : workers) w.join();
            walker.join();
        } finally {
            progress.close();
            // files this process still held become claimable by others at once
            journal.close();
        }
        if (walkError.get() != null) {
            Throwable t = walkError.get();
            if (t instanceof IOException io) throw io;
            if (t instanceof RuntimeException re) throw re;
            throw new IOException(t);
        }
        for (UUID id : journal.pendingVariants(run.id())) jobs.enqueueVariants(id);
        return new Summary(run, copiedFiles.get(), copiedBytes.get(), failed.get(), (System.nanoTime() - t0) / 1e9, journal.counts(run.id()));
    }

    private void record(UUID runId, List<Entry> batch, Progress progress) {
        for (long size : journal.record(runId, batch)) progress.discovered(size);
        batch.clear();
    }

    /** The next item for a copy thread: from this process's claimed batch, claiming more when it runs out. */
    private Item next(Deque<Item> queue, UUID runId, Options o, AtomicBoolean walked) throws InterruptedException {
        while (true) {
            synchronized (queue) {
                if (!queue.isEmpty()) return queue.poll();
                boolean walkDone = walked.get();
                List<Item> claimed = journal.claim(runId, Math.max(4, o.concurrency() * 2), o.users());
                if (!claimed.isEmpty()) {
                    queue.addAll(claimed);
                    return queue.poll();
                }
                if (walkDone) return null;
            }
            Thread.sleep(200);
        }
    }

    /**
     * Records a copied file: its {@code files} row, the owner's used bytes and the journal, in one
     * transaction. Safe to repeat for the same item (the row is keyed by the item's file id; a file copied
     * again because it changed updates its row and adjusts used bytes by the difference).
     */
    private void commit(Item it, FileCopier.Copied c) {
        String name = it.display().substring(it.display().lastIndexOf('/') + 1);
        byte[] rawName = LegacyPath.segments(it.path()).getLast();
        byte[] nameBytes = LegacyPath.isUtf8(rawName) ? null : rawName;
        boolean quarantined = c.quarantined();
        boolean image = !quarantined && VariantService.isImage(c.detectedType());
        // until a transaction that made sure of the account has committed, every transaction makes sure of it
        boolean committed = commitTransaction(it, c, name, nameBytes, quarantined, image, !accounts.contains(it.userId()));
        if (committed) accounts.add(it.userId());
        if (!committed) {
            log.warn("{}: this process lost its claim; another process records it", it.display());
            return;
        }
        if (image) jobs.enqueueVariants(it.fileId());
        if (quarantined) log.warn("{}: quarantined: {}", it.display(), c.signature());
    }

    private boolean commitTransaction(Item it, FileCopier.Copied c, String name, byte[] nameBytes, boolean quarantined, boolean image,
                                      boolean newAccount) {
        long freeQuota = config.uploads().quotaFor("free");
        return files.jdbi().inTransaction(h -> {
            // a commit lost to a database crash only means this file is copied again into the same key and row
            h.execute("set local synchronous_commit = off");
            if (newAccount) {
                h.createUpdate("insert into accounts (user_id, plan, quota_bytes) values (:u, 'free', :q) on conflict (user_id) do nothing")
                        .bind("u", it.userId()).bind("q", freeQuota).execute();
            }
            String status = quarantined ? "quarantined" : "ready";
            // the usual case, a file copied for the first time, takes one statement; a file copied again follows below
            int inserted = h.createUpdate("""
                        insert into files (id, owner_id, original_name, original_name_bytes, safe_name, declared_type, detected_type,
                            declared_size, size_bytes, sha256, bucket, object_key, status, scan_result, scan_signature, reason_code, reason,
                            source, created_at, updated_at, uploaded_at, ready_at, variants_status)
                        values (:id, :o, :n, :nb, :safe, :t, :t, :size, :size, :sha, :b, :k, :st, :sr, :sig, :rc, :r,
                            'migration', :created, now(), now(), case when :st = 'ready' then now() end, :vs)
                        on conflict (id) do nothing""")
                        .bind("id", it.fileId()).bind("o", it.userId()).bind("n", name).bind("nb", nameBytes)
                        .bind("safe", MigrationJournal.safeName(name)).bind("t", c.detectedType()).bind("size", c.size())
                        .bind("sha", c.sha256()).bind("b", config.storage().buckets().raw()).bind("k", c.objectKey())
                        .bind("st", status).bind("sr", c.scanResult()).bind("sig", c.signature())
                        .bind("rc", quarantined ? "malware" : null).bind("r", quarantined ? "malware found: " + c.signature() : null)
                        .bind("created", Timestamp.from(Instant.ofEpochSecond(0, c.mtimeNs()))).bind("vs", image ? "pending" : "none")
                        .execute();
            long delta = inserted == 1 && !quarantined ? c.size() : 0;
            if (inserted == 0) {
                var old = h.createQuery("select status, size_bytes from files where id = :id for update").bind("id", it.fileId())
                        .map((rs, ctx) -> new Object[] {rs.getString(1), rs.getObject(2)}).one();
                if (!quarantined && "deleted".equals(old[0])) status = "deleted";
                delta = ("ready".equals(status) ? c.size() : 0) - ("ready".equals(old[0]) ? ((Number) old[1]).longValue() : 0);
                h.createUpdate("""
                        update files set detected_type = :t, declared_type = :t, declared_size = :size, size_bytes = :size, sha256 = :sha,
                            object_key = :k, status = :st, scan_result = :sr, scan_signature = :sig, updated_at = now(),
                            variants_status = case when :vs = 'pending' and variants_status <> 'pending' then 'pending' else variants_status end
                        where id = :id""")
                        .bind("id", it.fileId()).bind("t", c.detectedType()).bind("size", c.size()).bind("sha", c.sha256())
                        .bind("k", c.objectKey()).bind("st", status).bind("sr", c.scanResult()).bind("sig", c.signature())
                        .bind("vs", image ? "pending" : "none").execute();
            }
            if (delta != 0) {
                h.createUpdate("update accounts set used_bytes = used_bytes + :d, updated_at = now() where user_id = :u")
                        .bind("d", delta).bind("u", it.userId()).execute();
            }
            if (!journal.finish(h, it, quarantined ? "quarantined" : "done", quarantined ? "malware" : "migrated", c.sha256(),
                    c.size(), c.mtimeNs(), c.objectKey(), c.attempts() - 1)) {
                h.rollback();
                return false;
            }
            return true;
        });
    }
}

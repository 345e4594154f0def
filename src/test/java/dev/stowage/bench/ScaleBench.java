package dev.stowage.bench;

import dev.stowage.costs.CostReport;
import dev.stowage.retention.RetentionReport;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import dev.stowage.uploads.Reconciler;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Stowage on a full database against an empty one, in one run ({@code bench/scale/run.sh}): for each of the two
 * sizes a fresh database on the embedded PostgreSQL, filled with {@code scale/fill.sql} (bulk SQL, timed), then
 * the API (no worker) measured: {@code POST /v1/uploads} throughput and latency (closed loop over many users),
 * {@code GET /v1/files} first page and a deep page (keyset cursor from the middle) of the largest account, each in
 * a closed loop (throughput) and at a steady rate (latency, {@code scale.listingRate} requests per second), then
 * one reconciler pass, one retention sweep and one cost snapshot (rows touched, time, bytes the pass allocated),
 * {@code migrate status} over a journal of {@code scale.journal} more entries, and one backup (time, archive size,
 * the old generation's peak). The store holds no objects of the filled rows: the store side is not measured.
 *
 * <p>Arguments: {@code files accounts seconds connections}.
 */
public final class ScaleBench {
    private ScaleBench() {}

    /** A metric's value for the empty and the full database. */
    private static final Map<String, String[]> TABLE = new LinkedHashMap<>();

    /**
     * Runs the bench.
     *
     * @param args {@code files accounts seconds connections}
     * @throws Exception when the stack cannot start or a fill fails
     */
    public static void main(String[] args) throws Exception {
        long files = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000;
        int accounts = args.length > 1 ? Integer.parseInt(args[1]) : (int) Math.max(100, files / 100);
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        System.out.printf(Locale.ROOT, "scale bench: %,d files over %,d accounts (5 hold half) against an empty database; "
                + "%d s per load, %d connections; %d CPUs, load average %s%n", files, accounts, seconds, connections,
                Runtime.getRuntime().availableProcessors(), String.format(Locale.ROOT, "%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        run(0, "empty", 0, accounts, seconds, connections);
        run(1, "full", files, accounts, seconds, connections);
        System.out.printf(Locale.ROOT, "%n| %-44s | %18s | %18s |%n|%s|%s|%s|%n", "measure", "empty", String.format(Locale.ROOT, "%,d files", files),
                "-".repeat(46), "-".repeat(20), "-".repeat(20));
        TABLE.forEach((k, v) -> System.out.printf(Locale.ROOT, "| %-44s | %18s | %18s |%n", k, v[0], v[1]));
        System.exit(0);
    }

    private static void put(int col, String key, String value) {
        TABLE.computeIfAbsent(key, k -> new String[] {"", ""})[col] = value;
    }

    private static void run(int col, String name, long files, int accounts, int seconds, int connections) throws Exception {
        try (var h = Harness.withoutWorker(TestServers.embeddedConfig(Map.of()))) {
            String url = h.config.database().url();
            long t0 = System.nanoTime();
            fill(url, files, accounts, h.config.storage().buckets().raw(), h.config.storage().buckets().processed());
            long fillMs = (System.nanoTime() - t0) / 1_000_000;
            var jdbi = h.stowage.files().jdbi();
            long rows = jdbi.withHandle(x -> x.createQuery("select count(*) from files").mapTo(Long.class).one());
            String size = jdbi.withHandle(x -> x.createQuery("select pg_size_pretty(pg_database_size(current_database()))").mapTo(String.class).one());
            System.out.printf(Locale.ROOT, "%s: filled %,d files in %,d ms; database %s%n", name, rows, fillMs, size);
            put(col, "fill (files rows, time, database size)", String.format(Locale.ROOT, "%,d in %.0f s, %s", rows, fillMs / 1000.0, size));

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            // POST /v1/uploads, round-robin over 2,000 accounts on plan pro (u…2, u…12, …: the fill's pro accounts)
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                int a = 12 + 10 * (i % Math.max(1, (accounts - 12) / 10)); // a % 10 == 2: plan pro
                tokens.add(Harness.token("u" + String.format(Locale.ROOT, "%07d", a), "pro"));
            }
            String body = "{\"filename\":\"Quarterly report (final).pdf\",\"size\":1048576,\"contentType\":\"application/pdf\"}";
            IntFunction<HttpRequest> initiate = i -> HttpRequest.newBuilder(URI.create(h.base + "/v1/uploads")).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + tokens.get(i % tokens.size())).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            load(http, initiate, Math.max(5, seconds / 2), connections, 201); // warm-up
            put(col, "POST /v1/uploads req/s, p50/p99 ms", load(http, initiate, seconds, connections, 201));

            String big = Harness.token("big-3", "free");
            String cursor = jdbi.withHandle(x -> x.createQuery("""
                            select created_at, id from files where owner_id = 'big-3' and status not in ('purged', 'deleted')
                            order by created_at desc, id desc offset (select count(*) / 2 from files where owner_id = 'big-3') limit 1""")
                    .map((rs, c) -> Base64.getUrlEncoder().withoutPadding().encodeToString(
                            (rs.getTimestamp(1).toInstant() + "|" + rs.getObject(2, UUID.class)).getBytes(StandardCharsets.UTF_8)))
                    .findOne().orElse(null));
            IntFunction<HttpRequest> first = i -> HttpRequest.newBuilder(URI.create(h.base + "/v1/files?limit=50"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + big).GET().build();
            load(http, first, Math.max(5, seconds / 2), connections, 200); // warm-up
            put(col, "GET /v1/files first page (largest) req/s, p50/p99 ms", load(http, first, seconds, connections, 200));
            put(col, "GET /v1/files first page at " + LISTING_RATE + " req/s, p50/p99 ms", openLoop(http, first, seconds, LISTING_RATE, 200));
            if (cursor != null) {
                IntFunction<HttpRequest> deep = i -> HttpRequest.newBuilder(URI.create(h.base + "/v1/files?limit=50&cursor="
                        + URLEncoder.encode(cursor, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + big).GET().build();
                put(col, "GET /v1/files deep page (largest) req/s, p50/p99 ms", load(http, deep, seconds, connections, 200));
                put(col, "GET /v1/files deep page at " + LISTING_RATE + " req/s, p50/p99 ms", openLoop(http, deep, seconds, LISTING_RATE, 200));
            } else {
                put(col, "GET /v1/files deep page (largest) req/s, p50/p99 ms", "(no files)");
                put(col, "GET /v1/files deep page at " + LISTING_RATE + " req/s, p50/p99 ms", "(no files)");
            }

            Measured<Reconciler.Pass> pass = measure(() -> h.stowage.reconciler().pass(Duration.ofMinutes(10), Duration.ofMinutes(30)));
            put(col, "reconciler pass: recovered/expired/requeued", pass.value().report().recovered() + "/" + pass.value().report().expired()
                    + "/" + pass.value().report().requeued() + (pass.value().cutShort() ? " (cut)" : ""));
            put(col, "reconciler pass: time, allocated", pass.text());
            Measured<RetentionReport> sweep = measure(() -> h.stowage.retention().run(false));
            put(col, "retention sweep: items (deleted, purged, kept)", sweep.value().items().size() + " (" + count(sweep.value(), "deleted") + ", "
                    + count(sweep.value(), "purged") + ", " + count(sweep.value(), "kept_premium") + ")");
            put(col, "retention sweep: time, allocated", sweep.text());
            Measured<CostReport> snap = measure(() -> h.stowage.costs().snapshot());
            long dbObjects = snap.value().usage().stream().mapToLong(CostReport.Usage::databaseObjects).sum();
            put(col, "cost snapshot: database objects counted", String.format(Locale.ROOT, "%,d", dbObjects));
            put(col, "cost snapshot: time, allocated", snap.text());

            // migrate status on a journal of JOURNAL entries (a run of its own beside the fill's)
            long journalled = files == 0 ? 0 : JOURNAL;
            long tj = System.nanoTime();
            fillJournal(url, journalled);
            put(col, "migration journal (entries, fill time)", String.format(Locale.ROOT, "%,d in %.0f s", journalled, (System.nanoTime() - tj) / 1e9));
            var journal = h.stowage.migration().journal();
            Measured<Long> status = measure(() -> {
                long n = 0;
                for (var r : journal.runs()) {
                    n += journal.counts(r.id()).files().values().stream().mapToLong(Long::longValue).sum();
                    journal.recent(r.id(), 60);
                }
                return n;
            });
            put(col, "migrate status: entries counted", String.format(Locale.ROOT, "%,d", status.value()));
            put(col, "migrate status: time, allocated", status.text());
            Measured<dev.stowage.backup.BackupService.Result> backup = measure(() -> {
                try {
                    return h.stowage.backup().run();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            put(col, "backup: rows, archive size", String.format(Locale.ROOT, "%,d, %,d MiB",
                    backup.value().rows().values().stream().mapToLong(Long::longValue).sum(), backup.value().sizeBytes() >> 20));
            put(col, "backup: time, allocated, old-gen peak", backup.text() + String.format(Locale.ROOT, ", %,d MiB", backup.peakHeap() >> 20));
        }
    }

    private static long count(RetentionReport r, String action) {
        return r.items().stream().filter(i -> i.action().equals(action)).count();
    }

    /** Entries of the migration journal run that {@code migrate status} is measured on (full database only). */
    private static final long JOURNAL = Long.getLong("scale.journal", 1_000_000);

    /** Adds a run of {@code entries} journal items (98 % done, 1 % pending, 1 % failed) in one statement. */
    private static void fillJournal(String url, long entries) throws Exception {
        if (entries == 0) return;
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); var st = c.createStatement()) {
            st.execute("set statement_timeout = 0");
            st.execute("""
                    insert into migration_runs (id, source, source_uri)
                    values ('00000000-0000-0000-0000-00000000a002', '/srv/legacy/more', 'file:///srv/legacy/more/')""");
            st.execute("""
                    insert into migration_items (run_id, path, display_path, kind, user_id, size_bytes, sha256, state, outcome, file_id,
                                                 object_key, done_at, error)
                    select '00000000-0000-0000-0000-00000000a002', convert_to(u || '/doc-' || g || '.pdf', 'UTF8'), u || '/doc-' || g || '.pdf',
                           'file', u, 1000 + g % 500000, case when g % 100 < 99 then encode(sha256(int8send(g)), 'hex') end,
                           case g % 100 when 98 then 'pending' when 99 then 'failed' else 'done' end,
                           case g % 100 when 98 then null when 99 then 'unreadable' else 'migrated' end,
                           case when g % 100 < 98 then gen_random_uuid() end,
                           case when g % 100 < 98 then u || '/m-' || g end,
                           case when g % 100 < 98 then now() - (g % 86400) * interval '1 second' end,
                           case when g % 100 = 99 then 'permission denied' end
                    from generate_series(1, {{N}}) g, lateral (select 'legacy-' || (g % 5000) as u) x""".replace("{{N}}", Long.toString(entries)));
            st.execute("analyze migration_items");
        }
    }

    record Measured<T>(T value, long millis, long allocated, long peakHeap) {
        String text() {
            return String.format(Locale.ROOT, "%,d ms, %,d KiB", millis, allocated / 1024);
        }
    }

    /**
     * Runs {@code work} on this thread, with its time, the bytes this thread allocated meanwhile and the peak of
     * the old generation (bytes, since a collection just before: what outlived young collections).
     */
    private static <T> Measured<T> measure(Supplier<T> work) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // the old generation: what survived collections (eden's garbage is not memory held)
        var heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == java.lang.management.MemoryType.HEAP
                && p.getName().contains("Old Gen")).toList();
        System.gc();
        heap.forEach(java.lang.management.MemoryPoolMXBean::resetPeakUsage);
        long a0 = threads.getCurrentThreadAllocatedBytes();
        long t0 = System.nanoTime();
        T v = work.get();
        long millis = (System.nanoTime() - t0) / 1_000_000, allocated = threads.getCurrentThreadAllocatedBytes() - a0;
        return new Measured<>(v, millis, allocated, heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum());
    }

    /** Requests per second of the open-loop listing measure (a steady load below what the cores can serve). */
    private static final int LISTING_RATE = Integer.getInteger("scale.listingRate", 100);

    /**
     * Open loop: a request every 1/{@code rate} seconds for {@code seconds}, each on a thread of its own, its
     * latency counted from the moment it was due (a late start counts against it, so a stall is not hidden).
     *
     * @return "p50/p99 ms" and how many answers were not {@code expect}
     */
    private static String openLoop(HttpClient http, IntFunction<HttpRequest> request, int seconds, int rate, int expect) throws InterruptedException {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        LongAdder wrong = new LongAdder();
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        int n = seconds * rate;
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
            int k = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    var r = http.send(request.apply(k), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() != expect) wrong.increment();
                } catch (Exception e) {
                    wrong.increment();
                }
                latencies.add(System.nanoTime() - due);
            }));
        }
        for (Thread t : threads) t.join();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        double p50 = sorted.get(sorted.size() / 2) / 1e6, p99 = sorted.get((int) Math.min(sorted.size() - 1, Math.floor(sorted.size() * 0.99))) / 1e6;
        return String.format(Locale.ROOT, "%.1f/%.1f%s", p50, p99, wrong.sum() > 0 ? " (" + wrong.sum() + " not " + expect + ")" : "");
    }

    /** Closed loop: {@code connections} threads send requests for {@code seconds}. @return "req/s, p50/p99 ms" */
    private static String load(HttpClient http, IntFunction<HttpRequest> request, int seconds, int connections, int expect) throws InterruptedException {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        LongAdder wrong = new LongAdder();
        LongAdder seq = new LongAdder();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                List<Long> mine = new ArrayList<>();
                while (System.nanoTime() < end) {
                    seq.increment();
                    long t = System.nanoTime();
                    try {
                        var r = http.send(request.apply(seq.intValue()), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != expect) wrong.increment();
                    } catch (Exception e) {
                        wrong.increment();
                    }
                    mine.add(System.nanoTime() - t);
                }
                latencies.addAll(mine);
            }));
        }
        for (Thread t : threads) t.join();
        double secs = (System.nanoTime() - start) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        if (sorted.isEmpty()) return "no requests";
        double p50 = sorted.get(sorted.size() / 2) / 1e6, p99 = sorted.get((int) Math.min(sorted.size() - 1, Math.floor(sorted.size() * 0.99))) / 1e6;
        return String.format(Locale.ROOT, "%.0f, %.1f/%.1f%s", sorted.size() / secs, p50, p99, wrong.sum() > 0 ? " (" + wrong.sum() + " not " + expect + ")" : "");
    }

    /** Runs fill.sql for files [0, files) on a connection of its own (no statement timeout, FK triggers skipped). */
    static void fill(String url, long files, int accounts, String raw, String processed) throws Exception {
        String sql;
        try (InputStream in = ScaleBench.class.getResourceAsStream("/scale/fill.sql")) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        long step = 1_000_000;
        for (long lo = 0; lo < Math.max(files, 1); lo += step) {
            long hi = Math.min(files, lo + step);
            String filled = sql.replace("{{LO}}", Long.toString(lo)).replace("{{HI}}", Long.toString(hi))
                    .replace("{{ACCOUNTS}}", Integer.toString(accounts)).replace("{{BIG}}", "5").replace("{{ACTIVE_UNTIL}}", Long.toString(files))
                    .replace("{{RAW}}", raw).replace("{{PROCESSED}}", processed);
            try (Connection c = DriverManager.getConnection(url, "postgres", ""); var st = c.createStatement()) {
                st.execute("set statement_timeout = 0");
                st.execute("set session_replication_role = replica");
                c.setAutoCommit(false);
                st.execute(filled);
                c.commit();
            }
            if (files > 0) System.out.printf(Locale.ROOT, "  filled %,d of %,d files at %s%n", hi, files, Instant.now());
        }
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); var st = c.createStatement()) {
            st.execute("set statement_timeout = 0");
            st.execute("vacuum analyze");
        }
    }
}

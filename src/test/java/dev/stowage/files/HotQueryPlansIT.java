package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.config.StowageConfig;
import dev.stowage.db.Database;
import dev.stowage.migration.LegacyLinks;
import dev.stowage.migration.MigrationJournal;
import dev.stowage.testing.TestServers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hot queries keep their cost when the tables grow: the database is filled twice with bulk SQL
 * ({@code scale/fill.sql}: first a tenth, then all of {@code stowage.plans.files} files, default 1,000,000,
 * over 10,000 accounts of which five hold half the files, with variants, pending and expired upload
 * sessions, files deleted inside and past the restore window, journal items and jobs), analysed, and every
 * hot operation is run through its real code ({@link JdbiFileRepository} and the features' own SQL) with a
 * {@link SqlLogger} that asks PostgreSQL for the plan of each statement before it runs: the plan for the
 * bound values ({@code EXPLAIN (FORMAT JSON)}) and the generic plan a server-prepared statement may switch
 * to ({@code EXPLAIN (GENERIC_PLAN)}). A bounded operation fails when a plan reads a large table by
 * {@code Seq Scan}, its estimated cost at full size is more than three times its cost at a tenth, or its generic
 * plan filters a large table by an optional parameter ({@code $1 IS NULL OR …}: no index condition, every row
 * before the wanted one is read, yet the estimate stays small).
 *
 * <p>Hot operations covered (parameters: the largest account {@code big-3}, a premium large account
 * {@code big-1}, a small account):
 * <ul>
 *   <li>quota: {@code usage}, {@code planForShare}; initiation: {@code openUploads}, {@code earliestOpenExpiry}</li>
 *   <li>download and file lookups: {@code find}, {@code findOwned}, {@code session}, {@code variants}</li>
 *   <li>event lookup by key: {@code findByKey}</li>
 *   <li>file listing: first page (with and without deleted files) and a deep page by keyset of the largest
 *       account, first page of a small account ({@code page}); filtered by a name nothing has, and by type and
 *       status on a deep page (the bounded scan)</li>
 *   <li>reconciler: {@code dueSessions}, {@code expiredAfter} (the first keyset page of expired sessions and one from
 *       the middle), {@code endExpired} (single and multipart, rolled back), {@code stuck}</li>
 *   <li>retention sweep: {@code agedReady} (non-premium and premium), {@code deletedBefore}</li>
 *   <li>{@code images reprocess}: {@code readyOfTypes}, first and a deep keyset page, of the largest account and of all</li>
 *   <li>migration: legacy link lookup ({@link LegacyLinks#find}), journal {@code recent}</li>
 *   <li>jobs: the queue-depth query of {@code JobQueueMetrics}</li>
 *   <li>the operator console: accounts (first and a deep keyset page, from the accounts' rows) and quarantined files
 *       ({@link AdminDirectory})</li>
 * </ul>
 * Whole-table by design (listed in {@link #WHOLE_TABLE}, run once per cost snapshot, cost report or journal
 * status, never per request of a user): {@code storedBytes}, {@code writesLast30Days}, {@code topOwners},
 * the journal's {@code counts}. The backup reads every table by definition and is not planned here.
 */
class HotQueryPlansIT {
    static final long FILES = Long.getLong("stowage.plans.files", 1_000_000);
    static final int ACCOUNTS = 10_000, BIG = 5;
    static final String RAW = "stowage-raw", PROCESSED = "stowage-processed";
    static final UUID RUN = UUID.fromString("00000000-0000-0000-0000-00000000a001");
    /** A Seq Scan in a bounded operation on a table this large or larger (rows, at full size) fails the test. */
    static final long LARGE_ROWS = 50_000;
    /** Batch of the sweeps here: smaller than their backlog at a tenth, so both sizes fill a whole batch. */
    static final int SWEEP_BATCH = 50;
    /** Tables of at least {@link #LARGE_ROWS} rows at full size (small ones are read whole by choice of the planner). */
    static final Set<String> LARGE = new java.util.concurrent.ConcurrentSkipListSet<>();
    /** Operations whose generic plan's cost is only an estimate of an unknown range, with why it stays bounded. */
    static final Map<String, String> GENERIC_ESTIMATE = Map.of(
            "migration: recent", "the window is a parameter: the generic estimate assumes a share of the journal, the index range "
                    + "(run_id, done_at) reads only the recent rows");
    /** Operations that read a whole table by design, with why that is acceptable. */
    static final Map<String, String> WHOLE_TABLE = Map.of(
            "reconciler: dueSessions", "every open upload session (bounded by users × max_open_uploads), not the files kept",
            "cost: storedBytes", "once per cost snapshot: the database side of the store/database comparison",
            "cost: writesLast30Days", "once per cost snapshot: rows written in the last 30 days",
            "cost: topOwners", "once per cost snapshot, recorded with it (cost_top_users)",
            "migration: counts", "once per journal status: every item of the run",
            "console: jobs failing and due", "once per view of the console's jobs page: the queue (one row per file in flight), not the files kept",
            "console: job counts", "once per view of the console's jobs page: the queue, not the files kept");

    static Database db;
    static String url;
    static Jdbi jdbi;
    static JdbiFileRepository files;
    static final Recorder recorder = new Recorder();
    static Map<String, List<Plan>> tenth, full;
    static long tenthFillMillis, fullFillMillis;

    /** One statement's plans: for the bound values, and the generic plan (null when PostgreSQL cannot make one). */
    record Plan(String sql, double cost, Set<String> seqScans, String json, Double genericCost, Set<String> genericSeqScans,
                Set<String> genericOptionalFilters, String genericJson) {}

    @BeforeAll
    static void fillAndExplain() {
        url = TestServers.newDatabase();
        db = Database.open(new StowageConfig.Database(url, "postgres", null, 4));
        try {
            // generic plans of text with $n parameters need the simple query protocol: a connection of their own
            recorder.generic = java.sql.DriverManager.getConnection(url + (url.contains("?") ? "&" : "?") + "preferQueryMode=simple", "postgres", "");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        db.migrate();
        jdbi = db.jdbi();
        jdbi.setSqlLogger(recorder);
        files = new JdbiFileRepository(jdbi);
        tenthFillMillis = fill(0, FILES / 10);
        tenth = explainAll();
        fullFillMillis = fill(FILES / 10, FILES);
        LARGE.addAll(jdbi.withHandle(h -> h.createQuery("select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace and reltuples >= :n")
                .bind("n", LARGE_ROWS).mapTo(String.class).list()));
        full = explainAll();
        System.out.printf(Locale.ROOT, "HotQueryPlansIT: filled %,d files in %,d ms (a tenth in %,d ms)%n", FILES,
                tenthFillMillis + fullFillMillis, tenthFillMillis);
        for (var e : full.entrySet()) {
            for (int i = 0; i < e.getValue().size(); i++) {
                Plan f = e.getValue().get(i);
                Plan t = tenth.get(e.getKey()).size() > i ? tenth.get(e.getKey()).get(i) : null;
                System.out.printf(Locale.ROOT, "  %-55s #%d cost %12.1f (tenth %10.1f) generic %12s seq %s%n", e.getKey(), i,
                        f.cost(), t == null ? Double.NaN : t.cost(), f.genericCost() == null ? "-" : String.format(Locale.ROOT, "%.1f", f.genericCost()),
                        f.seqScans());
            }
        }
    }

    @AfterAll
    static void close() throws SQLException {
        if (recorder.generic != null) recorder.generic.close();
        if (db != null) db.close();
    }

    /**
     * Adds files [lo, hi) with fill.sql in one transaction, then ANALYZE. As a bulk load does, the indexes that
     * back no constraint are dropped first and made again after the rows are in (with their own definitions,
     * from {@code pg_get_indexdef}): one sort per index instead of a million inserts into each. @return milliseconds taken
     */
    static long fill(long lo, long hi) {
        String sql;
        try (InputStream in = HotQueryPlansIT.class.getResourceAsStream("/scale/fill.sql")) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String filled = sql.replace("{{LO}}", Long.toString(lo)).replace("{{HI}}", Long.toString(hi))
                .replace("{{ACCOUNTS}}", Integer.toString(ACCOUNTS)).replace("{{BIG}}", Integer.toString(BIG))
                .replace("{{ACTIVE_UNTIL}}", Long.toString(FILES / 10))
                .replace("{{RAW}}", RAW).replace("{{PROCESSED}}", PROCESSED);
        long t0 = System.nanoTime();
        // on a connection of its own: no statement timeout, and the rows are consistent by construction,
        // so the per-row foreign-key triggers are skipped (session_replication_role = replica)
        try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", ""); var st = c.createStatement()) {
            st.execute("set statement_timeout = 0");
            st.execute("set session_replication_role = replica");
            st.execute("set maintenance_work_mem = '256MB'");
            c.setAutoCommit(false);
            List<String> rebuild = new ArrayList<>(), drop = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("""
                    select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) from pg_index i
                    join pg_class t on t.oid = i.indrelid
                    where t.relnamespace = 'public'::regnamespace and t.relkind = 'r'
                      and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))""")) {
                while (rs.next()) {
                    drop.add(rs.getString(1));
                    rebuild.add(rs.getString(2));
                }
            }
            for (String index : drop) st.execute("drop index " + index);
            st.execute(filled);
            for (String ddl : rebuild) st.execute(ddl);
            c.commit();
            c.setAutoCommit(true);
            st.execute("analyze");
        } catch (SQLException e) {
            throw new IllegalStateException("fill failed: " + e, e);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Runs every hot operation with the recorder on. @return operation name → plans of its statements */
    static Map<String, List<Plan>> explainAll() {
        record Sample(UUID id, String key, Instant created) {}
        recorder.off();
        // parameters from the data as it is now: the newest ready file of the largest account, the middle of its listing
        long bigFiles = jdbi.withHandle(h -> h.createQuery("select count(*) from files where owner_id = 'big-3' and status not in ('purged', 'deleted')").mapTo(Long.class).one());
        Sample newest = jdbi.withHandle(h -> h.createQuery("""
                        select id, object_key, created_at from files where owner_id = 'big-3' and status = 'ready'
                        order by created_at desc, id desc limit 1""")
                .map((rs, c) -> new Sample(rs.getObject(1, UUID.class), rs.getString(2), rs.getTimestamp(3).toInstant())).one());
        Sample middle = jdbi.withHandle(h -> h.createQuery("""
                        select id, object_key, created_at from files where owner_id = 'big-3' and status not in ('purged', 'deleted')
                        order by created_at desc, id desc offset :n limit 1""").bind("n", bigFiles / 2)
                .map((rs, c) -> new Sample(rs.getObject(1, UUID.class), rs.getString(2), rs.getTimestamp(3).toInstant())).one());
        List<UUID> pageIds = jdbi.withHandle(h -> h.createQuery("""
                        select id from files where owner_id = 'big-3' and status not in ('purged', 'deleted')
                        order by created_at desc, id desc limit 100""").mapTo(UUID.class).list());
        Sample expiredMiddle = jdbi.withHandle(h -> h.createQuery("""
                        select file_id, '', expires_at from upload_sessions where expires_at < now() order by expires_at, file_id
                        offset (select count(*) / 2 from upload_sessions where expires_at < now()) limit 1""")
                .map((rs, c) -> new Sample(rs.getObject(1, UUID.class), rs.getString(2), rs.getTimestamp(3).toInstant())).one());
        String small = "u0000013";
        byte[] legacyPath = jdbi.withHandle(h -> h.createQuery("select path from migration_items where run_id = :r order by path limit 1")
                .bind("r", RUN).mapTo(byte[].class).one());
        String legacyUser = new String(legacyPath, StandardCharsets.UTF_8).split("/")[0];
        Instant now = Instant.now();
        var migrationJournal = new MigrationJournal(jdbi, files);

        Map<String, Consumer<JdbiFileRepository>> ops = new LinkedHashMap<>();
        ops.put("quota: usage (largest)", r -> r.usage("big-3"));
        ops.put("quota: planForShare", r -> r.planForShare("big-3"));
        ops.put("initiation: openUploads (largest)", r -> r.openUploads("big-3"));
        ops.put("initiation: earliestOpenExpiry (largest)", r -> r.earliestOpenExpiry("big-3"));
        ops.put("download: find", r -> r.find(newest.id()));
        ops.put("download: findOwned", r -> r.findOwned(newest.id(), "big-3"));
        ops.put("download: variants", r -> r.variants(newest.id()));
        ops.put("listing: variants of a page (largest)", r -> r.variantsOf(pageIds));
        ops.put("upload: session", r -> r.session(newest.id()));
        ops.put("events: findByKey", r -> r.findByKey(RAW, newest.key()));
        ops.put("listing: first page (largest)", r -> r.page("big-3", null, null, 51, false));
        ops.put("listing: first page with deleted (largest)", r -> r.page("big-3", null, null, 51, true));
        ops.put("listing: deep page by keyset (largest)", r -> r.page("big-3", middle.created(), middle.id(), 51, false));
        ops.put("listing: first page (small)", r -> r.page(small, null, null, 5, false)); // a full page at both sizes
        ops.put("listing: filtered by a name nothing has (largest)", r -> r.page("big-3", null, null, 51,
                FileFilter.parse("no-such-name", null, null), false, FileService.FILTER_SCAN_BUDGET));
        ops.put("listing: filtered by type and status, deep page by keyset (largest)", r -> r.page("big-3", middle.created(), middle.id(), 51,
                FileFilter.parse(null, "image/,application/pdf", "ready,deleted"), false, FileService.FILTER_SCAN_BUDGET));
        ops.put("reconciler: dueSessions", r -> r.dueSessions(Duration.ofMinutes(10), 10, 500));
        ops.put("reconciler: expiredAfter first page", r -> r.expiredAfter(null, null, 1000));
        ops.put("reconciler: expiredAfter next page", r -> r.expiredAfter(expiredMiddle.created(), expiredMiddle.id(), 1000));
        ops.put("reconciler: endExpired single (largest)", r -> rolledBack(r, v -> v.endExpired(FileTransitions.of(FileStatus.PENDING, FileStatus.EXPIRED),
                FileChanges.ended("expired", "test"), "big-3", false, List.of(), null, 100)));
        ops.put("reconciler: endExpired multipart (largest)", r -> rolledBack(r, v -> v.endExpired(FileTransitions.of(FileStatus.PENDING, FileStatus.EXPIRED),
                FileChanges.ended("expired", "test"), "big-3", true, List.of(), null, 100)));
        ops.put("reconciler: stuck", r -> r.stuck(Duration.ofMinutes(30), SWEEP_BATCH));
        ops.put("retention: agedReady non-premium", r -> r.agedReady(now.minus(Duration.ofDays(365)), List.of("premium"), false, SWEEP_BATCH));
        ops.put("retention: agedReady premium", r -> r.agedReady(now.minus(Duration.ofDays(365)), List.of("premium"), true, SWEEP_BATCH));
        ops.put("retention: deletedBefore", r -> r.deletedBefore(now.minus(Duration.ofDays(30)), SWEEP_BATCH));
        List<String> images = List.copyOf(ImageType.MIME_TYPES);
        var cursor = new FileRepository.Created(middle.id(), middle.created());
        ops.put("images: reprocess candidates first page (largest)", r -> r.readyOfTypes(images, "big-3", null, 500));
        ops.put("images: reprocess candidates deep page by keyset (largest)", r -> r.readyOfTypes(images, "big-3", cursor, 500));
        ops.put("images: reprocess candidates first page (all)", r -> r.readyOfTypes(images, null, null, 500));
        ops.put("images: reprocess candidates deep page by keyset (all)", r -> r.readyOfTypes(images, null, cursor, 500));
        ops.put("migration: legacy link", r -> new LegacyLinks(jdbi, r).find(legacyUser, legacyPath));
        ops.put("migration: recent", r -> migrationJournal.recent(RUN, 60));
        ops.put("migration: counts", r -> migrationJournal.counts(RUN));
        ops.put("jobs: queue depth", r -> jdbi.useHandle(h -> h.createQuery("""
                        select task_name, count(*), coalesce(extract(epoch from now() - min(execution_time)), 0)
                        from scheduled_tasks where not picked and execution_time <= now() group by task_name""").mapToMap().list()));
        var console = new AdminDirectory(jdbi);
        var board = new dev.stowage.jobs.JobBoard(jdbi);
        ops.put("console: accounts first page", r -> console.accounts(null, 51, null));
        ops.put("console: accounts deep page", r -> console.accounts("u0005000", 51, null));
        ops.put("console: quarantine first page", r -> console.quarantined(null, 51));
        ops.put("console: jobs failing and due", r -> board.list(java.util.EnumSet.of(dev.stowage.jobs.JobBoard.State.FAILING,
                dev.stowage.jobs.JobBoard.State.DUE), 100));
        ops.put("console: job counts", r -> board.counts());
        ops.put("cost: storedBytes", JdbiFileRepository::storedBytes);
        ops.put("cost: writesLast30Days", JdbiFileRepository::writesLast30Days);
        ops.put("cost: topOwners", r -> r.topOwners(10));

        Map<String, List<Plan>> out = new LinkedHashMap<>();
        for (var op : ops.entrySet()) {
            List<Plan> plans = new ArrayList<>();
            recorder.on(plans);
            try {
                op.getValue().accept(files);
            } finally {
                recorder.off();
            }
            out.put(op.getKey(), plans);
        }
        return out;
    }

    private static final class Rollback extends RuntimeException {
        Rollback() {
            super(null, null, false, false);
        }
    }

    private static void rolledBack(JdbiFileRepository r, Consumer<FileRepository> work) {
        try {
            r.inTransaction(v -> {
                work.accept(v);
                throw new Rollback();
            });
        } catch (Rollback expected) {
            // nothing stays
        }
    }

    @Test
    void everyHotOperationIsPlannedAndTheFillIsTheShapeAsked() {
        assertThat(full).allSatisfy((op, plans) -> assertThat(plans).as(op + " ran SQL").isNotEmpty());
        jdbi.useHandle(h -> {
            assertThat(h.createQuery("select count(*) from files").mapTo(Long.class).one()).isEqualTo(FILES);
            assertThat(h.createQuery("select count(*) from files where owner_id = 'big-3'").mapTo(Long.class).one())
                    .as("five accounts hold half the files").isBetween(FILES / 2 / BIG - 1, FILES / 2 / BIG + 1);
            assertThat(h.createQuery("select count(*) from upload_sessions where expires_at < now()").mapTo(Long.class).one())
                    .as("some sessions are past their lifetime").isBetween(FILES / 10 / 400, FILES / 10 / 100);
            assertThat(h.createQuery("select count(*) from files where status = 'deleted' and deleted_at > now() - interval '30 days'").mapTo(Long.class).one())
                    .as("deleted inside the restore window").isEqualTo(FILES / 100);
            assertThat(h.createQuery("select count(*) from files where status = 'deleted' and deleted_at < now() - interval '30 days'").mapTo(Long.class).one())
                    .as("deleted past the restore window").isEqualTo(FILES / 100);
            assertThat(h.createQuery("""
                            select count(*) from accounts a
                              left join (select owner_id, count(*) as n from files where status = 'pending' group by owner_id) p
                                on p.owner_id = a.user_id
                             where a.open_uploads <> coalesce(p.n, 0)""")
                    .mapTo(Long.class).one()).as("accounts whose open uploads are not their pending files").isZero();
            assertThat(h.createQuery("select sum(open_uploads) from accounts").mapTo(Long.class).one())
                    .as("open uploads counted").isPositive();
        });
    }

    @Test
    void boundedOperationsReadNoLargeTableWhole() {
        List<String> bad = new ArrayList<>();
        full.forEach((op, plans) -> {
            if (WHOLE_TABLE.containsKey(op)) return;
            for (Plan p : plans) {
                Set<String> seq = new TreeSet<>(p.seqScans());
                seq.retainAll(LARGE);
                if (!seq.isEmpty()) bad.add(op + ": Seq Scan on " + seq + " in\n" + p.sql());
                if (!chosen(p)) continue;
                for (String f : p.genericOptionalFilters()) bad.add(op + ": generic plan filters by an optional parameter, " + f + " in\n" + p.sql());
                if (p.genericSeqScans() != null) {
                    Set<String> g = new TreeSet<>(p.genericSeqScans());
                    g.retainAll(LARGE);
                    if (!g.isEmpty()) bad.add(op + ": generic plan has a Seq Scan on " + g + " in\n" + p.sql());
                }
            }
        });
        assertThat(bad).as("plans reading a large table whole").isEmpty();
    }

    @Test
    void boundedOperationsCostTheSameAtTenTimesTheRows() {
        List<String> bad = new ArrayList<>();
        full.forEach((op, plans) -> {
            if (WHOLE_TABLE.containsKey(op)) return;
            List<Plan> before = tenth.get(op);
            for (int i = 0; i < Math.min(plans.size(), before.size()); i++) {
                Plan f = plans.get(i), t = before.get(i);
                if (f.cost() > 3 * t.cost() + 50) {
                    bad.add(String.format(Locale.ROOT, "%s: cost %.0f at %,d files, %.0f at a tenth:%n%s%n%s", op, f.cost(), FILES, t.cost(), f.sql(), f.json()));
                }
                if (chosen(f) && t.genericCost() != null && f.genericCost() > 3 * t.genericCost() + 50 && !GENERIC_ESTIMATE.containsKey(op)) {
                    bad.add(String.format(Locale.ROOT, "%s: generic plan cost %.0f at %,d files, %.0f at a tenth:%n%s", op, f.genericCost(), FILES,
                            t.genericCost(), f.sql()));
                }
            }
        });
        assertThat(bad).as("plans whose cost grows with the tables").isEmpty();
    }

    /**
     * Whether PostgreSQL would run the generic plan: a prepared statement switches to it after five runs when its
     * estimate is no more than the custom plans' (a generic plan estimated dearer is never used).
     */
    static boolean chosen(Plan p) {
        return p.genericCost() != null && p.genericCost() <= p.cost() * 1.1;
    }

    @Test
    void fillIsBulkAndQuick() {
        // measured on the build machine; the bound catches a fill that went row by row, not a busy machine
        assertThat(tenthFillMillis + fullFillMillis).as("fill of %,d files", FILES).isLessThan(FILES / 1000 * 600);
    }

    /** Asks for the plans of every statement Jdbi runs while on, on the statement's own connection and transaction. */
    static final class Recorder implements SqlLogger {
        private static final ObjectMapper JSON = new ObjectMapper();
        private volatile List<Plan> into;
        Connection generic;

        void on(List<Plan> plans) {
            into = plans;
        }

        void off() {
            into = null;
        }

        @Override
        @SuppressWarnings("removal") // Binding's lookups are the only way to the bound arguments
        public void logBeforeExecution(StatementContext ctx) {
            List<Plan> plans = into;
            if (plans == null || ctx.getParsedSql() == null) return;
            String sql = ctx.getParsedSql().getSql();
            String head = sql.stripLeading().toLowerCase(Locale.ROOT);
            if (!(head.startsWith("select") || head.startsWith("with") || head.startsWith("update") || head.startsWith("delete"))) return;
            if (head.startsWith("select pg_advisory")) return;
            try {
                Connection c = ctx.getConnection();
                String custom;
                try (PreparedStatement ps = c.prepareStatement("explain (format json) " + sql)) {
                    var params = ctx.getParsedSql().getParameters();
                    for (int i = 0; i < params.getParameterCount(); i++) {
                        Argument a = params.isPositional() ? ctx.getBinding().findForPosition(i).orElseThrow()
                                : ctx.getBinding().findForName(params.getParameterNames().get(i), ctx).orElseThrow();
                        a.apply(i + 1, ps, ctx);
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        custom = rs.getString(1);
                    }
                }
                String generic = null;
                try (var st = this.generic.createStatement(); ResultSet rs = st.executeQuery("explain (generic_plan, format json) " + dollars(sql))) {
                    rs.next();
                    generic = rs.getString(1);
                } catch (SQLException e) {
                    // a parameter PostgreSQL cannot type alone: no generic plan to judge
                }
                JsonNode cp = JSON.readTree(custom).get(0).get("Plan");
                JsonNode gp = generic == null ? null : JSON.readTree(generic).get(0).get("Plan");
                plans.add(new Plan(sql.strip(), cp.get("Total Cost").asDouble(), seqScans(cp, new TreeSet<>()), custom,
                        gp == null ? null : gp.get("Total Cost").asDouble(), gp == null ? null : seqScans(gp, new TreeSet<>()),
                        gp == null ? Set.of() : optionalFilters(gp, new TreeSet<>()), generic));
            } catch (SQLException | IOException e) {
                throw new IllegalStateException("cannot explain " + sql + ": " + e, e);
            }
        }

        private static String dollars(String sql) {
            StringBuilder b = new StringBuilder();
            int n = 0;
            for (char ch : sql.toCharArray()) {
                if (ch == '?') b.append('$').append(++n);
                else b.append(ch);
            }
            return b.toString();
        }

        /**
         * Scans of a large table filtered by an optional parameter ({@code $1 IS NULL OR …}): the generic plan
         * cannot use it as an index condition and reads every row before it (estimated as cheap all the same).
         */
        private static Set<String> optionalFilters(JsonNode node, Set<String> out) {
            String filter = node.path("Filter").asText("");
            if (LARGE.contains(node.path("Relation Name").asText()) && filter.matches("(?s).*\\$\\d+ IS NULL\\) OR .*")) {
                out.add(node.path("Relation Name").asText() + ": " + filter);
            }
            for (JsonNode child : node.path("Plans")) optionalFilters(child, out);
            return out;
        }

        private static Set<String> seqScans(JsonNode node, Set<String> out) {
            if ("Seq Scan".equals(node.path("Node Type").asText())) out.add(node.path("Relation Name").asText());
            for (JsonNode child : node.path("Plans")) seqScans(child, out);
            return out;
        }
    }
}

package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.db.Database;
import dev.stowage.files.JdbiFileRepository;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Types;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The journal's per-file statements against a run of 200,000 entries written the way a run writes them
 * (far faster than autovacuum analyses the table: here it never does), so the planner has only the
 * statistics of the empty table the migrations created: claiming reads the queue index in order and
 * stops after the batch, and finishing, ending and recording an upload address rows by primary key —
 * never the run's open entries, nor a sequential scan. Each plan is also executed (EXPLAIN ANALYZE, rolled
 * back) and must read a number of buffers bounded by the batch, not by the run.
 */
class MigrationJournalPlansIT {
    static final int ROWS = 200_000, DONE = 190_000, COPYING = 500;
    static Database db;
    static MigrationJournal journal;
    static UUID run;
    static int me;

    @BeforeAll
    static void fill() {
        db = Database.open(new StowageConfig.Database(TestServers.newDatabase(), "postgres", null, 4));
        db.migrate();
        journal = new MigrationJournal(db.jdbi(), new JdbiFileRepository(db.jdbi()));
        run = journal.runFor(Path.of("/srv/uploads-plans")).id();
        me = journal.register();
        db.jdbi().useHandle(h -> h.execute("alter table migration_items set (autovacuum_enabled = false)"));
        // in slices of 20,000 rows, so that no statement is long on a busy machine
        for (int from = 1; from <= ROWS; from += 20_000) {
            int lo = from, hi = from + 19_999;
            db.jdbi().useHandle(h -> {
            // done, then copying (held by this process), then pending: queue order as the walk and the claims leave it
            h.createUpdate("""
                    insert into migration_items (run_id, path, display_path, kind, user_id, size_bytes, mtime_ns, state, outcome,
                                                 file_id, object_key, sha256, worker, lease_until)
                    select :r, convert_to('u' || (g % 100) || '/f' || g, 'UTF8'), 'u' || (g % 100) || '/f' || g, 'file', 'u' || (g % 100), 1000, 1,
                           case when g <= :done then 'done' when g <= :done + :copying then 'copying' else 'pending' end,
                           case when g <= :done then 'migrated' end,
                           gen_random_uuid(), 'k/' || g, case when g <= :done then repeat('a', 64) end,
                           case when g > :done and g <= :done + :copying then :me end,
                           case when g > :done and g <= :done + :copying then now() + interval '1 hour' end
                    from generate_series(:lo, :hi) g""")
                    .bind("r", run).bind("done", DONE).bind("copying", COPYING).bind("me", me).bind("lo", lo).bind("hi", hi).execute();
            });
        }
        var stats = db.jdbi().withHandle(h -> h.createQuery("""
                select coalesce(last_analyze, last_autoanalyze) is null from pg_stat_user_tables where relname = 'migration_items'""")
                .mapTo(Boolean.class).one());
        assertThat(stats).as("the table was never analysed").isTrue();
    }

    static byte[] path(int g) {
        return ("u" + (g % 100) + "/f" + g).getBytes(StandardCharsets.UTF_8);
    }

    /** The plan of {@code sql} as bound by {@code bind}, executed and rolled back. */
    static String plan(String sql, java.util.function.BiConsumer<Handle, Query> bind) {
        return db.jdbi().withHandle(h -> {
            h.begin();
            try {
                Query q = h.createQuery("explain (analyze, buffers, costs off, timing off, summary off) " + sql);
                bind.accept(h, q);
                return q.mapTo(String.class).list().stream().collect(Collectors.joining("\n"));
            } finally {
                h.rollback();
            }
        });
    }

    static java.sql.Array array(Handle h, String type, Object[] values) {
        try {
            return h.getConnection().createArrayOf(type, values);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static Object[] filled(int n, Object v) {
        Object[] a = new Object[n];
        Arrays.fill(a, v);
        return a;
    }

    /** The copying items' batch bound as {@code heldUpdate} expects it. */
    static void held(Handle h, Query q, int n) {
        byte[][] paths = IntStream.rangeClosed(DONE + 1, DONE + n).mapToObj(MigrationJournalPlansIT::path).toArray(byte[][]::new);
        q.bind("r", run).bind("me", me)
                .bindBySqlType("p", array(h, "bytea", paths), Types.ARRAY)
                .bindBySqlType("held", array(h, "text", filled(n, "copying")), Types.ARRAY);
    }

    static void assertByPrimaryKey(String plan, int n) {
        assertThat(plan).containsPattern("(Index Scan using|Bitmap Index Scan on) migration_items_pkey").doesNotContain("migration_items_queue")
                .doesNotContain("migration_items_claims").doesNotContain("Seq Scan on migration_items");
        assertPathsNamed(plan);
        assertThat(plan).as("rows updated").contains("rows=" + n);
        assertThat(buffers(plan)).as("buffers read for %d items: %s", n, plan).isLessThan(40L * n + 200);
    }

    /** Every condition on the primary key names the rows' paths (not the run's every entry). */
    static void assertPathsNamed(String plan) {
        var lines = plan.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).contains(" migration_items_pkey")) continue;
            String cond = lines.get(i + 1);
            assertThat(cond).as("%s\n%s", lines.get(i), plan).contains("Cond:").contains("path = ");
        }
    }

    /** Shared buffers the statement touched (its top node's). */
    static long buffers(String plan) {
        var m = java.util.regex.Pattern.compile("Buffers: shared hit=(\\d+)(?: read=(\\d+))?(?: dirtied=(\\d+))?").matcher(plan);
        if (!m.find()) return 0;
        return Long.parseLong(m.group(1)) + (m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
    }

    @Test
    void finishingABatchAddressesItsRowsByPrimaryKey() {
        int n = 256;
        String plan = plan(MigrationJournal.FINISH, (h, q) -> {
            held(h, q, n);
            q.bindBySqlType("s", array(h, "text", filled(n, "done")), Types.ARRAY)
                    .bindBySqlType("o", array(h, "text", filled(n, "migrated")), Types.ARRAY)
                    .bindBySqlType("sha", array(h, "text", filled(n, "b".repeat(64))), Types.ARRAY)
                    .bindBySqlType("size", array(h, "bigint", filled(n, 1000L)), Types.ARRAY)
                    .bindBySqlType("m", array(h, "bigint", filled(n, 2L)), Types.ARRAY)
                    .bindBySqlType("retries", array(h, "integer", filled(n, 0)), Types.ARRAY)
                    .bindBySqlType("k", array(h, "text", filled(n, "k")), Types.ARRAY);
        });
        assertByPrimaryKey(plan, n);
    }

    @Test
    void endingOneFileAddressesItByPrimaryKey() {
        String plan = plan(MigrationJournal.END, (h, q) -> {
            held(h, q, 1);
            q.bindBySqlType("s", array(h, "text", new Object[] {"failed"}), Types.ARRAY)
                    .bindBySqlType("o", array(h, "text", new Object[] {"unreadable"}), Types.ARRAY)
                    .bindBySqlType("e", array(h, "text", new Object[] {"permission denied"}), Types.ARRAY)
                    .bindBySqlType("retries", array(h, "integer", new Object[] {0}), Types.ARRAY);
        });
        assertByPrimaryKey(plan, 1);
    }

    @Test
    void recordingAnUploadAddressesItsRowByPrimaryKey() {
        String plan = plan(MigrationJournal.UPLOAD_STARTED, (h, q) -> {
            held(h, q, 1);
            q.bindBySqlType("u", array(h, "text", new Object[] {"upload-1"}), Types.ARRAY);
        });
        assertByPrimaryKey(plan, 1);
    }

    @Test
    void claimingReadsTheQueueInOrderAndStopsAfterTheBatch() {
        for (long after : List.of(0L, 195_000L)) {
            String plan = plan(MigrationJournal.CLAIM, (h, q) -> q.bind("r", run).bind("me", me + 1).bind("lease", 30.0).bind("n", 64)
                    .bind("after", after).bind("users", (String[]) null));
            assertThat(plan).as("after %d", after).contains("Index Scan using migration_items_queue").containsPattern("(Index Scan using|Bitmap Index Scan on) migration_items_pkey")
                    .doesNotContain("Bitmap Index Scan on migration_items_queue").doesNotContain("Seq Scan on migration_items").doesNotContain("Sort");
            assertPathsNamed(plan);
            assertThat(plan).as("claimed").contains("rows=64");
            assertThat(buffers(plan)).as("buffers read for a claim of 64: %s", plan).isLessThan(64L * 40 + 500);
        }
    }

    @Test
    void verifyReadsOneUserFolderAndStepsToTheNextByPrimaryKey() {
        // u7's 2,000 items, spread over the table: a range of the primary key
        String plan = plan(MigrationJournal.ITEMS_BETWEEN, (h, q) -> q.bind("r", run)
                .bind("from", "u7/".getBytes(StandardCharsets.UTF_8)).bind("to", "u70".getBytes(StandardCharsets.UTF_8)));
        assertThat(plan).containsPattern("(Index Scan using|Bitmap Index Scan on) migration_items_pkey").doesNotContain("Seq Scan on migration_items");
        assertThat(plan).as("u7's items, not u70's").contains("rows=" + ROWS / 100);
        long pages = db.jdbi().withHandle(h -> h.createQuery("select pg_relation_size('migration_items') / 8192").mapTo(Long.class).one());
        assertThat(buffers(plan)).as("buffers read for one user's %d items, of a table of %d pages: %s", ROWS / 100, pages, plan)
                .isLessThan(ROWS / 100 + 200).isLessThan(pages / 2);
        // the next folder after u7: one step down the primary key
        String next = plan(MigrationJournal.NEXT_PATH, (h, q) -> q.bind("r", run).bind("from", "u70".getBytes(StandardCharsets.UTF_8)));
        assertThat(next).containsPattern("Index (Only )?Scan using migration_items_pkey").doesNotContain("Seq Scan on migration_items")
                .doesNotContain("Sort").contains("rows=1");
        assertThat(buffers(next)).as(next).isLessThan(20);
    }

    @Test
    void passesOverTheWholeRunReadOnePageByPrimaryKey() {
        // --checksum and the end-of-run variants read the run a page at a time: a keyset range of the
        // primary key that stops after the page, wherever in the run the page starts
        long pages = db.jdbi().withHandle(h -> h.createQuery("select pg_relation_size('migration_items') / 8192").mapTo(Long.class).one());
        for (byte[] after : List.of(new byte[0], path(123_456))) {
            String plan = plan(MigrationJournal.ITEMS_AFTER, (h, q) -> {
                h.execute(MigrationJournal.WALK_IN_ORDER); // as itemsAfter runs it, in the same transaction
                q.bind("r", run).bind("after", after).bind("n", MigrationService.PAGE);
            });
            assertThat(plan).as("after %s", new String(after, StandardCharsets.UTF_8)).containsPattern("Index Scan using migration_items_pkey")
                    .doesNotContain("Seq Scan on migration_items").doesNotContain("Sort").contains("rows=" + MigrationService.PAGE);
            assertThat(buffers(plan)).as("buffers read for a page of %d, of a table of %d pages: %s", MigrationService.PAGE, pages, plan)
                    .isLessThan(MigrationService.PAGE + 200L).isLessThan(pages / 2);
        }
        // the page is the run's next entries in path order
        var page = journal.itemsAfter(run, path(123_456), 3);
        var next = db.jdbi().withHandle(h -> h.createQuery("select path from migration_items where run_id = :r and path > :p order by path limit 3")
                .bind("r", run).bind("p", path(123_456)).mapTo(byte[].class).list());
        assertThat(page).extracting(MigrationJournal.Journalled::path).usingElementComparator(Arrays::compare).containsExactlyElementsOf(next);
    }
}

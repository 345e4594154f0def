package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.Test;

/**
 * A reconciler pass costs what its bounds allow, not what the backlog holds (docs/architecture.md §5): two
 * databases with N and 10×N open upload sessions (half past their lifetime, a third multipart, about five per
 * user over N/5 users, three ready files per session beside them, and the same 600 stuck files), one pass
 * each with the same bounds after a first pass that warms the code up, and the bytes the pass's thread
 * allocated, the sessions it expired, its time and the statements it ran are compared (time only printed: the
 * machine is shared), with the plans of the expiry's keyset pages. The rows have no objects: listings are
 * empty, HEADs answer "not found".
 *
 * <p>{@code -Dstowage.reconcile.sessions=N} (default 2,000) sets N; {@code -Dstowage.reconcile.defaults=true} runs
 * the passes with the default bounds ({@code StowageConfig.Reconcile.DEFAULT}); {@code -Dstowage.reconcile.warmup=false}
 * measures the first pass (no warm-up); {@code -Dstowage.reconcile.jfr=true}
 * also samples the pass's allocations with JFR ({@code jdk.ObjectAllocationSample}) and prints the heaviest
 * frames of Stowage's code.
 */
class ReconcilerPassBoundsIT {
    static final int N = Integer.getInteger("stowage.reconcile.sessions", 2_000);
    static final boolean JFR = Boolean.getBoolean("stowage.reconcile.jfr");
    static final boolean WARM_UP = !"false".equals(System.getProperty("stowage.reconcile.warmup"));
    /** The bounds of both passes: small enough that the smaller backlog fills them too. */
    static final StowageConfig.Reconcile BOUNDS = Boolean.getBoolean("stowage.reconcile.defaults") ? StowageConfig.Reconcile.DEFAULT
            : new StowageConfig.Reconcile(10, 100, 100, Duration.ofSeconds(30));
    static final int STUCK = 600;

    /** What one pass did and cost. */
    record Measured(int sessions, Reconciler.Pass pass, long allocated, Map<String, Long> statements, Map<String, Long> micros,
                    Map<String, Long> jfrTop, List<String> expiredPagePlans) {
        long expiryStatements() {
            return statements.entrySet().stream().filter(e -> e.getKey().startsWith("with due as")).mapToLong(Map.Entry::getValue).sum();
        }

        long statementCount() {
            return statements.values().stream().mapToLong(Long::longValue).sum();
        }

        String line() {
            return String.format(Locale.ROOT, "%,7d open sessions: expired %,d, recovered %d, requeued %d%s in %,d ms; allocated %,d KiB"
                            + " (%,d B per expired session); %,d statements", sessions, pass.report().expired(), pass.report().recovered(),
                    pass.report().requeued(), pass.cutShort() ? " (cut)" : "", pass.took().toMillis(), allocated / 1024,
                    allocated / Math.max(1, pass.report().expired()), statementCount());
        }
    }

    @Test
    void aPassCostsTheSameAtTenTimesTheOpenSessions() throws Exception {
        Measured small = measure(N);
        Measured large = measure(10 * N);
        for (Measured m : List.of(small, large)) {
            System.out.println("ReconcilerPassBoundsIT: " + m.line());
            m.statements().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(e -> System.out.printf(Locale.ROOT, "    %,6d × %s (%,d ms)%n", e.getValue(), e.getKey(),
                            m.micros().getOrDefault(e.getKey(), 0L) / 1000));
            m.expiredPagePlans().forEach(p -> System.out.println("    plan: " + p));
            m.jfrTop().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(25)
                    .forEach(e -> System.out.printf(Locale.ROOT, "    %,9d KiB  %s%n", e.getValue() / 1024, e.getKey()));
        }
        // both backlogs are larger than one pass's bounds: each pass does its full share (a turn per user, one
        // expiry statement per kind the user has), no more
        for (Measured m : List.of(small, large)) {
            assertThat(m.expiryStatements()).as("expiry statements of a pass at %,d open sessions", m.sessions())
                    .isBetween((long) BOUNDS.batch(), 2L * BOUNDS.batch());
        }
        assertThat(large.pass().report().expired()).as("expired per pass, whatever the backlog")
                .isBetween(small.pass().report().expired() / 2, small.pass().report().expired() * 2);
        assertThat(large.allocated()).as("bytes allocated by a pass at 10× the open sessions")
                .isLessThan(2 * small.allocated());
        assertThat(large.statementCount()).as("statements run by a pass at 10× the open sessions")
                .isLessThan(2 * small.statementCount());
        assertThat(large.pass().cutShort()).as("a bounded pass ends before its pass time").isFalse();
        // at the larger size (a small table is read whole by choice of the planner)
        assertThat(large.expiredPagePlans()).as("the expiry's keyset pages at %,d open sessions", large.sessions()).hasSize(2)
                .allSatisfy(p -> assertThat(p).as("an index range in order, each file by its key")
                        .contains("upload_sessions_expiry_keyset", "files_pkey").doesNotContain("Seq Scan", "Hash", "Sort"));
        for (Measured m : List.of(small, large)) {
            assertThat(m.pass().report().requeued()).as("stuck files re-queued: one batch").isEqualTo(BOUNDS.batch());
        }
    }

    /** A fresh database with {@code sessions} open upload sessions, then one pass, measured. */
    static Measured measure(int sessions) throws Exception {
        StowageConfig config = TestServers.embeddedConfig(Map.of());
        config = config.withUploads(config.uploads().withReconcile(BOUNDS));
        try (var h = Harness.withoutWorker(config)) {
            fill(h.config.database().url(), sessions, h.config.storage().buckets().raw());
            // a first pass warms the code up (class loading and first calls allocate too); the backlog stays larger than a pass
            if (WARM_UP) h.stowage.reconciler().pass(Duration.ofMinutes(10), Duration.ofMinutes(30));
            var counter = new Counter();
            h.stowage.files().jdbi().setSqlLogger(counter);
            Path jfr = JFR ? Files.createTempFile("reconciler-pass", ".jfr") : null;
            Recording rec = null;
            if (JFR) {
                rec = new Recording();
                rec.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s").withStackTrace();
                rec.start();
            }
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long a0 = threads.getCurrentThreadAllocatedBytes();
            counter.on = Thread.currentThread();
            Reconciler.Pass pass = h.stowage.reconciler().pass(Duration.ofMinutes(10), Duration.ofMinutes(30));
            counter.on = null;
            long allocated = threads.getCurrentThreadAllocatedBytes() - a0;
            Map<String, Long> top = Map.of();
            if (rec != null) {
                rec.stop();
                rec.dump(jfr);
                rec.close();
                top = heaviestFrames(jfr, Thread.currentThread().getName());
                Files.deleteIfExists(jfr);
            }
            // the plans of the expiry's keyset pages, first and from the middle, on this database
            var explainer = new Explainer();
            h.stowage.files().jdbi().setSqlLogger(explainer);
            var repo = h.stowage.files();
            var all = repo.expiredAfter(null, null, Integer.MAX_VALUE);
            explainer.on = true;
            repo.expiredAfter(null, null, Reconciler.EXPIRED_PAGE);
            if (!all.isEmpty()) repo.expiredAfter(all.get(all.size() / 2).expiresAt(), all.get(all.size() / 2).fileId(), Reconciler.EXPIRED_PAGE);
            explainer.on = false;
            return new Measured(sessions, pass, allocated, new TreeMap<>(counter.counts), new TreeMap<>(counter.micros), top, explainer.plans);
        }
    }

    /** Sampled allocation weight by the first frame of Stowage's own code on the stack (this test excluded). */
    static Map<String, Long> heaviestFrames(Path jfr, String thread) throws Exception {
        Map<String, Long> out = new HashMap<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample") || e.getThread() == null
                    || !thread.equals(e.getThread().getJavaName()) || e.getStackTrace() == null) continue;
            List<String> own = new ArrayList<>();
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                String type = f.getMethod().getType().getName();
                if (type.startsWith("dev.stowage.") && !type.contains("ReconcilerPassBoundsIT")) {
                    own.add(type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + ":" + f.getLineNumber());
                    if (own.size() == 2) break;
                }
            }
            String key = own.isEmpty() ? "(other)" : String.join(" < ", own);
            out.merge(key, e.getLong("weight"), Long::sum);
        }
        return out;
    }

    /** The plan ({@code EXPLAIN}, its node types and relations, one line) of each statement run while on. */
    static final class Explainer implements SqlLogger {
        volatile boolean on;
        final List<String> plans = new ArrayList<>();

        @Override
        @SuppressWarnings("removal") // Binding's lookups are the only way to the bound arguments
        public void logBeforeExecution(StatementContext ctx) {
            if (!on || ctx.getParsedSql() == null) return;
            try (var ps = ctx.getConnection().prepareStatement("explain " + ctx.getParsedSql().getSql())) {
                var params = ctx.getParsedSql().getParameters();
                for (int i = 0; i < params.getParameterCount(); i++) {
                    ctx.getBinding().findForName(params.getParameterNames().get(i), ctx).orElseThrow().apply(i + 1, ps, ctx);
                }
                StringBuilder plan = new StringBuilder();
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) plan.append(rs.getString(1).strip()).append(" | ");
                }
                plans.add(plan.toString());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("cannot explain: " + e, e);
            }
        }
    }

    /** Counts the statements the pass's thread runs, by their first words, and their time. */
    static final class Counter implements SqlLogger {
        volatile Thread on;
        final Map<String, Long> counts = new ConcurrentHashMap<>();
        final Map<String, Long> micros = new ConcurrentHashMap<>();

        private static String key(StatementContext ctx) {
            String sql = ctx.getRenderedSql().strip().replaceAll("\\s+", " ");
            return sql.length() > 90 ? sql.substring(0, 90) : sql;
        }

        @Override
        public void logBeforeExecution(StatementContext ctx) {
            if (Thread.currentThread() != on || ctx.getRenderedSql() == null) return;
            counts.merge(key(ctx), 1L, Long::sum);
        }

        @Override
        public void logAfterExecution(StatementContext ctx) {
            if (Thread.currentThread() != on || ctx.getRenderedSql() == null || ctx.getExecutionMoment() == null) return;
            micros.merge(key(ctx), Duration.between(ctx.getExecutionMoment(), ctx.getCompletionMoment()).toNanos() / 1000, Long::sum);
        }
    }

    /**
     * Bulk fill: {@code sessions} pending files with their sessions over {@code sessions / 5} users (half of them past
     * their lifetime, every third multipart with two part checksums; the others created an hour ago, due for a
     * lookup), three ready files per session, and {@link #STUCK} files uploaded an hour ago.
     */
    static void fill(String url, int sessions, String raw) throws Exception {
        int users = Math.max(1, sessions / 5);
        String sql = """
                insert into accounts (user_id, plan, quota_bytes, used_bytes, reserved_bytes)
                select 'r' || lpad(a::text, 7, '0'), 'free', 1099511627776, 0, 10737418240 from generate_series(0, {{USERS}} - 1) a;
                create temporary table g on commit drop as
                select i, md5('r' || i)::uuid as id, 'r' || lpad(((i::bigint * 7919) % {{USERS}})::text, 7, '0') as owner,
                       (i / 3) % 2 = 0 as expired, i % 3 = 0 as multipart, (i::bigint * 7919) % 80000 as spread
                from generate_series(0, {{SESSIONS}} - 1) i;
                insert into files (id, owner_id, original_name, safe_name, declared_type, declared_size, bucket, object_key, status,
                                   source, created_at, updated_at)
                select id, owner, 'f-' || i || '.pdf', 'f-' || i || '.pdf', 'application/pdf', 1000, '{{RAW}}',
                       owner || '/' || id || '/f-' || i || '.pdf', 'pending', 'upload',
                       now() - interval '2 days' + spread * interval '1 second', now() - interval '2 days' + spread * interval '1 second'
                from g;
                insert into upload_sessions (file_id, kind, s3_upload_id, part_size, part_count, expires_at, created_at)
                select id, case when multipart then 'multipart' else 'single' end, case when multipart then 'mp-' || i end,
                       case when multipart then 5242880 end, case when multipart then 2 end,
                       case when expired then now() - interval '1 minute' - spread * interval '1 second'
                            else now() + interval '1 hour' + spread * interval '1 second' end,
                       case when expired then now() - interval '2 days' + spread * interval '1 second' else now() - interval '1 hour' end
                from g;
                insert into upload_part_checksums (file_id, part_number, part_size, sha256)
                select id, p, 5242880, repeat('ab', 32) from g cross join generate_series(1, 2) p where multipart;
                insert into files (id, owner_id, original_name, safe_name, declared_type, detected_type, declared_size, size_bytes, sha256,
                                   bucket, object_key, status, scan_result, source, created_at, updated_at, uploaded_at, ready_at)
                select x.id, owner, 'r-' || i || '-' || k || '.pdf', 'r-' || i || '-' || k || '.pdf', 'application/pdf', 'application/pdf',
                       1000, 1000, repeat('cd', 32), '{{RAW}}', owner || '/' || x.id || '/r.pdf', 'ready', 'clean', 'upload',
                       now() - interval '30 days', now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
                from g cross join generate_series(1, 3) k cross join lateral (select md5('r' || i || '-' || k)::uuid as id) x;
                insert into files (id, owner_id, original_name, safe_name, declared_type, declared_size, size_bytes, bucket, object_key,
                                   status, source, created_at, updated_at, uploaded_at)
                select x.id, 'r0000000', 's-' || s || '.pdf', 's-' || s || '.pdf', 'application/pdf', 1000, 1000, '{{RAW}}',
                       'r0000000/' || x.id || '/s.pdf', 'uploaded', 'upload', now() - interval '1 hour', now() - interval '1 hour',
                       now() - interval '1 hour'
                from generate_series(1, {{STUCK}}) s cross join lateral (select md5('s' || s)::uuid as id) x;
                """.replace("{{USERS}}", Integer.toString(users)).replace("{{SESSIONS}}", Integer.toString(sessions))
                .replace("{{STUCK}}", Integer.toString(STUCK)).replace("{{RAW}}", raw);
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); var st = c.createStatement()) {
            st.execute("set statement_timeout = 0");
            c.setAutoCommit(false);
            st.execute(sql);
            c.commit();
            c.setAutoCommit(true);
            st.execute("vacuum analyze");
        }
    }
}

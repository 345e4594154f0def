package dev.stowage.http;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.AdminDirectory;
import dev.stowage.files.FileRepository;
import dev.stowage.jobs.JobBoard;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.uploads.Quarantine;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operator console (docs/operations.md, "Console"): its pages {@code /admin/accounts},
 * {@code /admin/quarantine} and {@code /admin/jobs} (static HTML whose scripts call the API with an admin
 * token) and their API, all needing the {@code admin} role:
 * {@code GET /v1/admin/accounts} (keyset-paginated accounts with plan, quota, used and reserved bytes),
 * {@code GET /v1/admin/quarantine}, {@code POST /v1/admin/quarantine/{id}/release} (after a clean re-scan)
 * and {@code …/purge}, {@code GET /v1/admin/jobs} and {@code POST /v1/admin/jobs/{task}/{instance}/retry},
 * {@code GET /v1/admin/migrations} (the page {@code /admin/migrations}).
 * A plan is changed with {@code PUT /v1/admin/accounts/{userId}/plan} ({@link RetentionRoutes}).
 */
public final class AdminRoutes implements RouteModule {
    private final AdminDirectory directory;
    private final Quarantine quarantine;
    private final JobBoard jobs;
    private final FileRepository files;
    private final StowageConfig config;
    private final String scannerName;
    private final dev.stowage.migration.MigrationJournal journal;

    /**
     * @param directory   accounts and quarantined files
     * @param quarantine  release and purge
     * @param jobs        the job queue
     * @param files       repository (a file's variants for its view)
     * @param config      configuration (plans and their quotas)
     * @param scannerName the configured scanner's name, or {@code null} when there is none
     * @param journal     the migration journal (runs and their counts; read only)
     */
    public AdminRoutes(AdminDirectory directory, Quarantine quarantine, JobBoard jobs, FileRepository files, StowageConfig config,
                       String scannerName, dev.stowage.migration.MigrationJournal journal) {
        this.journal = journal;
        this.directory = directory;
        this.quarantine = quarantine;
        this.jobs = jobs;
        this.files = files;
        this.config = config;
        this.scannerName = scannerName;
    }

    /** The {@code limit} parameter: 1 to {@code max}, {@code def} when absent. */
    static int limit(Context ctx, int def, int max) {
        String raw = ctx.queryParam("limit");
        if (raw == null) return def;
        try {
            int v = Integer.parseInt(raw);
            if (v >= 1 && v <= max) return v;
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new Problem(ProblemCode.INVALID_LIMIT, "limit must be a whole number from 1 to " + max);
    }

    /**
     * A migration run as {@code stowage migrate status --json} shows it: files and bytes by state, outcomes, the
     * last minute's rate and an ETA (bytes left over that rate; {@code null} when nothing was copied in the last minute).
     */
    private Map<String, Object> migrationRun(dev.stowage.migration.MigrationJournal.Run run) {
        var c = journal.counts(run.id());
        long[] recent = journal.recent(run.id(), 60);
        long left = c.bytes().getOrDefault("pending", 0L) + c.bytes().getOrDefault("copying", 0L);
        long leftFiles = c.files().getOrDefault("pending", 0L) + c.files().getOrDefault("copying", 0L);
        double bps = recent[1] / 60.0;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", run.id().toString());
        m.put("source", run.source());
        m.put("createdAt", run.createdAt().toString());
        m.put("walkedAt", run.walkedAt() == null ? null : run.walkedAt().toString());
        m.put("files", c.files());
        m.put("bytes", c.bytes());
        m.put("outcomes", c.outcomes());
        m.put("lastMinute", Map.of("files", recent[0], "bytes", recent[1]));
        m.put("leftFiles", leftFiles);
        m.put("leftBytes", left);
        m.put("etaSeconds", leftFiles == 0 ? Long.valueOf(0) : bps > 0 ? Long.valueOf((long) (left / bps)) : null);
        return m;
    }

    private static void page(Context ctx, String resource) throws java.io.IOException {
        try (var in = AdminRoutes.class.getResourceAsStream("/web/admin/" + resource + ".html")) {
            ctx.header("Cache-Control", "no-cache");
            ctx.contentType("text/html; charset=utf-8").result(in.readAllBytes());
        }
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        for (String p : List.of("accounts", "quarantine", "jobs", "migrations")) r.get("/admin/" + p, ctx -> page(ctx, p));

        r.get("/v1/admin/accounts", ctx -> {
            CostRoutes.admin(api, ctx);
            String after = ctx.queryParam("after");
            String prefix = ctx.queryParam("prefix");
            if (after != null && !after.matches("[A-Za-z0-9._-]{1,128}")) {
                throw new Problem(ProblemCode.INVALID_CURSOR, "after must be a user id this API returned as next");
            }
            if (prefix != null && !prefix.matches("[A-Za-z0-9._-]{0,128}")) {
                throw new Problem(ProblemCode.INVALID_USER_ID, "prefix must be up to 128 characters of A-Z a-z 0-9 . _ -");
            }
            var page = directory.accounts(after, limit(ctx, 50, AdminDirectory.MAX_LIMIT), prefix);
            Map<String, Long> plans = new TreeMap<>(config.uploads().quotas());
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("accounts", page.items());
            body.put("next", page.next());
            body.put("plans", plans);
            ctx.header("Cache-Control", "no-store").json(body);
        });

        r.get("/v1/admin/quarantine", ctx -> {
            CostRoutes.admin(api, ctx);
            var page = directory.quarantined(ctx.queryParam("cursor"), limit(ctx, 50, AdminDirectory.MAX_LIMIT));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("files", page.items());
            body.put("next", page.next());
            body.put("scanner", scannerName);
            ctx.header("Cache-Control", "no-store").json(body);
        });
        r.post("/v1/admin/quarantine/{id}/release", ctx -> {
            CostRoutes.admin(api, ctx);
            var f = quarantine.release(UploadRoutes.id(ctx, "id"));
            ctx.json(FileViews.file(f, UploadRoutes.variants(files, f.id())));
        });
        r.post("/v1/admin/quarantine/{id}/purge", ctx -> {
            CostRoutes.admin(api, ctx);
            var f = quarantine.purge(UploadRoutes.id(ctx, "id"));
            ctx.json(FileViews.file(f, UploadRoutes.variants(files, f.id())));
        });

        r.get("/v1/admin/jobs", ctx -> {
            CostRoutes.admin(api, ctx);
            EnumSet<JobBoard.State> states = EnumSet.noneOf(JobBoard.State.class);
            String raw = ctx.queryParam("state");
            if (raw == null) {
                states.add(JobBoard.State.FAILING);
                states.add(JobBoard.State.DUE);
            } else {
                for (String s : raw.split(",", -1)) {
                    try {
                        states.add(JobBoard.State.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        throw new Problem(ProblemCode.INVALID_JOB_STATE, "state must be a comma-separated list of running, failing, due, scheduled");
                    }
                }
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("counts", jobs.counts());
            body.put("jobs", jobs.list(states, limit(ctx, 100, JobBoard.MAX_LIMIT)));
            ctx.header("Cache-Control", "no-store").json(body);
        });
        r.get("/v1/admin/migrations", ctx -> {
            CostRoutes.admin(api, ctx);
            List<Map<String, Object>> runs = new java.util.ArrayList<>();
            for (var run : journal.runs()) runs.add(migrationRun(run));
            ctx.header("Cache-Control", "no-store").json(Map.of("runs", runs));
        });
        r.post("/v1/admin/jobs/{task}/{instance}/retry", ctx -> {
            CostRoutes.admin(api, ctx);
            ctx.json(jobs.retryNow(ctx.pathParam("task"), ctx.pathParam("instance")));
        });
    }
}

package dev.stowage.http;

import dev.stowage.costs.CostService;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * The cost view for administrators: {@code GET /v1/admin/costs} (the newest snapshot's report, JSON; with
 * {@code ?maxAgeSeconds=N} a snapshot is taken first when the newest is older or an account changed since, see
 * {@link CostService#fresh};
 * {@code POST /v1/admin/costs/snapshot} lists the store now) and the page {@code GET /admin/costs}, whose
 * charts load the report with the caller's token. Admin routes need the {@code admin} role.
 */
public final class CostRoutes implements RouteModule {
    private final CostService costs;

    /** @param costs the cost service */
    public CostRoutes(CostService costs) {
        this.costs = costs;
    }

    static Principal admin(ApiServer api, Context ctx) {
        Principal p = api.principal(ctx);
        if (!p.isAdmin()) throw new Problem(ProblemCode.ADMIN_REQUIRED, "this route needs the admin role");
        return p;
    }

    /** The {@code maxAgeSeconds} parameter: 0 to 31,536,000 (a year). */
    static long maxAgeSeconds(String raw) {
        try {
            long v = Long.parseLong(raw);
            if (v >= 0 && v <= 31_536_000) return v;
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new Problem(ProblemCode.INVALID_MAX_AGE, "maxAgeSeconds must be a whole number of seconds from 0 to 31536000");
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.get("/v1/admin/costs", ctx -> {
            admin(api, ctx);
            ctx.header("Cache-Control", "no-store");
            String maxAge = ctx.queryParam("maxAgeSeconds");
            ctx.json(maxAge == null ? costs.latestOrSnapshot() : costs.fresh(java.time.Duration.ofSeconds(maxAgeSeconds(maxAge))));
        });
        r.post("/v1/admin/costs/snapshot", ctx -> {
            admin(api, ctx);
            ctx.header("Cache-Control", "no-store");
            ctx.json(costs.snapshot());
        });
        r.get("/admin/costs", ctx -> {
            try (var in = CostRoutes.class.getResourceAsStream("/web/admin/costs.html")) {
                ctx.header("Cache-Control", "no-cache");
                ctx.contentType("text/html; charset=utf-8").result(in.readAllBytes());
            }
        });
    }
}

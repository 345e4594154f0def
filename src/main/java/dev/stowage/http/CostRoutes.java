package dev.stowage.http;

import dev.stowage.costs.CostService;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * The cost view for administrators: {@code GET /v1/admin/costs} (the newest snapshot's report, JSON;
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

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.get("/v1/admin/costs", ctx -> {
            admin(api, ctx);
            ctx.header("Cache-Control", "no-store");
            ctx.json(costs.latestOrSnapshot());
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

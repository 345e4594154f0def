package dev.stowage.http;

import dev.stowage.files.FileRepository;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.retention.RetentionService;
import dev.stowage.security.Principal;
import io.javalin.config.RoutesConfig;
import java.util.Map;

/**
 * {@code POST /v1/files/{id}/restore} (a deleted file back within the restore window, whoever deleted it:
 * the user or retention) and {@code PUT /v1/admin/accounts/{userId}/plan} (the host application tells
 * Stowage a user's plan, which retention reads at the moment of deletion).
 */
public final class RetentionRoutes implements RouteModule {
    private final RetentionService retention;
    private final FileRepository files;

    /**
     * @param retention the retention service
     * @param files     repository (variants of a file)
     */
    public RetentionRoutes(RetentionService retention, FileRepository files) {
        this.retention = retention;
        this.files = files;
    }

    /** Body of {@code PUT /v1/admin/accounts/{userId}/plan}. */
    public record PlanRequest(String plan) {}

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.post("/v1/files/{id}/restore", ctx -> {
            var f = retention.restore(api.principal(ctx), UploadRoutes.id(ctx, "id"));
            ctx.json(FileViews.file(f, UploadRoutes.variants(files, f.id())));
        });
        r.put("/v1/admin/accounts/{userId}/plan", ctx -> {
            Principal who = api.principal(ctx);
            if (!who.isAdmin()) throw new Problem(ProblemCode.ADMIN_REQUIRED, "this route needs the admin role");
            var req = ApiServer.body(ctx, PlanRequest.class);
            String user = ctx.pathParam("userId");
            long quota = retention.setPlan(user, req.plan());
            ctx.json(Map.of("userId", user, "plan", req.plan(), "quotaBytes", quota));
        });
    }
}

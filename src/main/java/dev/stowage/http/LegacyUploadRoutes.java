package dev.stowage.http;

import dev.stowage.migration.LegacyLinks;
import dev.stowage.migration.LegacyPath;
import dev.stowage.problems.Problem;
import dev.stowage.security.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;
import java.util.UUID;

/**
 * Old links keep working after a migration: {@code GET /uploads/{userId}/{filename}} (folders below the
 * user allowed) answers 301 to the migrated file's {@code /v1/files/{id}/content}, for its owner only
 * (anyone else: 404, as for every file that is not theirs). The path is matched by its exact bytes, so
 * names that are not UTF-8 ({@code %E9}) and NFD names resolve to the file they were.
 */
public final class LegacyUploadRoutes implements RouteModule {
    private static final String PREFIX = "/uploads/";
    private final LegacyLinks links;

    /** @param links the journal lookup */
    public LegacyUploadRoutes(LegacyLinks links) {
        this.links = links;
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.get("/uploads/{userId}/<filename>", ctx -> {
            Principal who = api.principal(ctx);
            String user = ctx.pathParam("userId");
            String raw = ctx.req().getRequestURI();
            int at = raw.indexOf(PREFIX);
            byte[] path;
            try {
                path = LegacyPath.percentDecode(at < 0 ? "" : raw.substring(at + PREFIX.length()));
            } catch (IllegalArgumentException e) {
                throw Problem.notFound("file " + ctx.path());
            }
            if (!who.userId().equals(user)) throw Problem.notFound("file " + ctx.path());
            UUID id = links.find(user, path).orElseThrow(() -> Problem.notFound("file " + ctx.path()));
            ctx.header("Cache-Control", "private, max-age=3600");
            ctx.redirect("/v1/files/" + id + "/content", HttpStatus.MOVED_PERMANENTLY);
        });
    }
}

package dev.stowage.http;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileFilter;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileService;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import dev.stowage.uploads.UploadService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@code /v1/uploads}, {@code /v1/files}, {@code /v1/usage}. */
public final class UploadRoutes implements RouteModule {
    private final UploadService uploads;
    private final FileService fileService;
    private final FileRepository files;
    private final StowageConfig.Uploads rules;
    private final dev.stowage.images.VariantService variants;

    /**
     * @param uploads     the upload service
     * @param fileService the file service
     * @param files       repository (variants of a file)
     * @param rules       upload rules (quotas per plan)
     * @param variants    image variants (an image is served as its stripped original), or {@code null}
     */
    public UploadRoutes(UploadService uploads, FileService fileService, FileRepository files, StowageConfig.Uploads rules,
                        dev.stowage.images.VariantService variants) {
        this.variants = variants;
        this.uploads = uploads;
        this.fileService = fileService;
        this.files = files;
        this.rules = rules;
    }

    /**
     * Body of {@code POST /v1/uploads/{id}/parts}: {@code parts}, each {@code {"partNumber":n,"sha256":"<64 hex>"}}.
     * {@code partNumbers} (part numbers without checksums, the earlier shape) is still read, only to be answered
     * with {@code part_checksum_required} rather than {@code invalid_json}.
     */
    public record PartsRequest(List<UploadService.PartRequest> parts, List<Integer> partNumbers) {}

    static UUID id(Context ctx, String param) {
        try {
            return UUID.fromString(ctx.pathParam(param));
        } catch (IllegalArgumentException e) {
            throw Problem.notFound("resource " + ctx.pathParam(param));
        }
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.post("/v1/uploads", ctx -> {
            Principal who = api.principal(ctx);
            var req = ApiServer.body(ctx, UploadService.Initiate.class);
            ctx.status(201).json(uploads.initiate(who, req, rules.quotaFor(who.plan())));
        });
        r.get("/v1/uploads/{id}", ctx -> ctx.json(uploads.state(api.principal(ctx), id(ctx, "id"))));
        r.post("/v1/uploads/{id}/parts", ctx -> {
            Principal who = api.principal(ctx);
            UUID id = id(ctx, "id");
            var req = ApiServer.body(ctx, PartsRequest.class);
            if (req.parts() != null && req.partNumbers() != null) {
                throw new Problem(ProblemCode.INVALID_JSON, "send parts (each with partNumber and sha256), not partNumbers");
            }
            var parts = req.parts() != null || req.partNumbers() == null ? req.parts()
                    : req.partNumbers().stream().map(n -> new UploadService.PartRequest(n, null)).toList();
            ctx.json(Map.of("parts", uploads.signParts(who, id, parts)));
        });
        r.post("/v1/uploads/{id}/complete", ctx -> ctx.status(202).json(uploads.complete(api.principal(ctx), id(ctx, "id"))));
        r.delete("/v1/uploads/{id}", ctx -> {
            uploads.cancel(api.principal(ctx), id(ctx, "id"));
            ctx.status(204);
        });

        r.get("/v1/files", ctx -> {
            Principal who = api.principal(ctx);
            int limit;
            try {
                limit = Integer.parseInt(ctx.queryParamAsClass("limit", String.class).getOrDefault("50"));
            } catch (NumberFormatException e) {
                throw new Problem(ProblemCode.INVALID_LIMIT, "limit must be a whole number from 1 to 100");
            }
            boolean deleted = "true".equals(ctx.queryParam("deleted"));
            var filter = FileFilter.parse(ctx.queryParam("q"), ctx.queryParam("type"), ctx.queryParam("status"));
            var page = fileService.list(who, ctx.queryParam("cursor"), limit, deleted, filter);
            var variantsOf = files.variantsOf(page.items().stream().map(dev.stowage.files.FileRecord::id).toList()); // one statement a page
            ctx.json(Map.of("items", page.items().stream().map(f -> FileViews.file(f,
                            variantViews(f.id(), variantsOf.getOrDefault(f.id(), List.of())), fileService.restorableUntil(f))).toList(),
                    "nextCursor", page.nextCursor() == null ? "" : page.nextCursor()));
        });
        r.get("/v1/files/{id}", ctx -> {
            ctx.json(view(fileService.get(api.principal(ctx), id(ctx, "id"))));
        });
        r.get("/v1/files/{id}/content", ctx -> {
            Principal who = api.principal(ctx);
            UUID fileId = id(ctx, "id");
            if (variants != null) variants.ensureOriginal(fileService.get(who, fileId));
            var d = fileService.download(who, fileId);
            ctx.header("Cache-Control", "private, no-store");
            ctx.redirect(d.url(), io.javalin.http.HttpStatus.FOUND);
        });
        r.delete("/v1/files/{id}", ctx -> {
            ctx.json(view(fileService.delete(api.principal(ctx), id(ctx, "id"))));
        });
        r.get("/v1/usage", ctx -> {
            Principal who = api.principal(ctx);
            ctx.json(FileViews.usage(fileService.usage(who, rules.quotaFor(who.plan())), rules));
        });
    }

    private Map<String, Object> view(dev.stowage.files.FileRecord f) {
        return FileViews.file(f, variants(files, f.id()), fileService.restorableUntil(f));
    }

    /** The variants of a file as the API shows them. */
    static List<Map<String, Object>> variants(FileRepository files, UUID fileId) {
        return variantViews(fileId, files.variants(fileId));
    }

    private static List<Map<String, Object>> variantViews(UUID fileId, List<dev.stowage.files.StoredVariant> stored) {
        return stored.stream()
                .map(v -> {
                    Map<String, Object> m = new java.util.LinkedHashMap<>();
                    m.put("name", v.name());
                    m.put("contentType", v.contentType());
                    m.put("width", v.width());
                    m.put("height", v.height());
                    m.put("size", v.sizeBytes());
                    m.put("frames", v.frames());
                    if (v.sourceFrames() > 1) m.put(FileViews.SOURCE_FRAMES, v.sourceFrames());
                    if (v.stillReason() != null) m.put(FileViews.STILL_REASON, v.stillReason());
                    m.put("url", "/v1/files/" + fileId + "/variants/" + v.name());
                    return m;
                })
                .toList();
    }
}

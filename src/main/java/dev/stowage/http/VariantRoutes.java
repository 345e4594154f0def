package dev.stowage.http;

import dev.stowage.files.FileService;
import dev.stowage.images.VariantService;
import io.javalin.config.RoutesConfig;

/**
 * {@code GET /v1/files/{id}/variants/{name}}: a redirect to the stored variant, or the on-demand
 * fallback that generates it once and answers its bytes with immutable cache headers — no image link
 * ever breaks.
 */
public final class VariantRoutes implements RouteModule {
    private final FileService files;
    private final VariantService variants;
    private final dev.stowage.delivery.DeliveryService delivery;

    /**
     * @param files    the file service (ownership)
     * @param variants the variant service
     */
    public VariantRoutes(FileService files, VariantService variants) {
        this(files, variants, null);
    }

    /**
     * @param delivery where stored variants are served from (presigned, CDN, CloudFront); {@code null} = presigned
     * @see #VariantRoutes(FileService, VariantService)
     */
    public VariantRoutes(FileService files, VariantService variants, dev.stowage.delivery.DeliveryService delivery) {
        this.files = files;
        this.variants = variants;
        this.delivery = delivery;
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.get("/v1/files/{id}/variants/{name}", ctx -> {
            var f = files.get(api.principal(ctx), UploadRoutes.id(ctx, "id"));
            switch (variants.serve(f, ctx.pathParam("name"))) {
                case VariantService.Served.Redirect red -> {
                    ctx.header("Cache-Control", "private, max-age=60");
                    String url = delivery == null ? red.url() : delivery.variantUrl(f.ownerId(), red.variant().key(), red.url());
                    ctx.redirect(url, io.javalin.http.HttpStatus.FOUND);
                }
                case VariantService.Served.Bytes b -> {
                    ctx.header("Cache-Control", VariantService.IMMUTABLE);
                    ctx.contentType(b.contentType()).result(b.bytes());
                }
            }
        });
    }
}

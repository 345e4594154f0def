package dev.stowage.http;

import dev.stowage.files.FileRecord;
import dev.stowage.files.Usage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON shapes of files and usage, as documented in {@code /openapi.json}. */
final class FileViews {
    private FileViews() {}

    /** Keys of a variant's map that the file view lifts into {@code animated}/{@code frames}/{@code animationNote}. */
    static final String SOURCE_FRAMES = "sourceFrames", STILL_REASON = "stillReason";

    static Map<String, Object> file(FileRecord f, List<Map<String, Object>> variants) {
        return file(f, variants, null);
    }

    /** A file; {@code restorableUntil} (a deleted file's end of its restore window) is shown when not {@code null}. */
    static Map<String, Object> file(FileRecord f, List<Map<String, Object>> variants, java.time.Instant restorableUntil) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.id().toString());
        m.put("name", f.originalName());
        m.put("size", f.sizeBytes() != null ? f.sizeBytes() : f.declaredSize());
        m.put("contentType", f.detectedType() != null ? f.detectedType() : f.declaredType());
        m.put("status", f.status().id());
        m.put("sha256", f.sha256());
        Map<String, Object> scan = new LinkedHashMap<>();
        scan.put("result", f.scanResult());
        if (f.scanSignature() != null) scan.put("signature", f.scanSignature());
        if (f.scanLimit() != null && "limits_exceeded".equals(f.scanResult())) scan.put("limit", f.scanLimit());
        if (f.scanError() != null && "error".equals(f.scanResult())) scan.put("error", f.scanError());
        m.put("scan", scan);
        if (f.reasonCode() != null) m.put("reason", Map.of("code", f.reasonCode(), "message", f.reason() == null ? "" : f.reason()));
        m.put("source", f.source());
        m.put("createdAt", f.createdAt().toString());
        m.put("readyAt", f.readyAt() == null ? null : f.readyAt().toString());
        m.put("deletedAt", f.deletedAt() == null ? null : f.deletedAt().toString());
        if (restorableUntil != null) m.put("restorableUntil", restorableUntil.toString());
        m.put("variants", variants.stream().map(v -> {
            Map<String, Object> c = new LinkedHashMap<>(v);
            c.remove(SOURCE_FRAMES);
            c.remove(STILL_REASON);
            return c;
        }).toList());
        animation(m, variants);
        m.put("variantsStatus", f.variantsStatus());
        if (f.variantsReasonCode() != null) {
            m.put("variantsReason", Map.of("code", f.variantsReasonCode(), "message", f.variantsReason() == null ? "" : f.variantsReason()));
        }
        var delivery = dev.stowage.files.Delivery.of(f, variants.stream().anyMatch(v -> "original".equals(v.get("name"))));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("servedAs", delivery.servedAs().id());
        d.put("disposition", delivery.inline() ? "inline" : "attachment");
        if (delivery.reasonCode() != null) d.put("reason", delivery.reasonCode());
        m.put("delivery", d);
        m.put("links", Map.of("self", "/v1/files/" + f.id(), "content", "/v1/files/" + f.id() + "/content"));
        return m;
    }

    /**
     * For an image with variants: {@code animated} and {@code frames} (of the source, read from its header when
     * the variants were made), and for an animated source whose previews are still, {@code animationNote} with
     * a code ({@code engine_writes_stills}, {@code over_animation_limits}) and a message.
     */
    private static void animation(Map<String, Object> m, List<Map<String, Object>> variants) {
        if (variants.isEmpty()) return;
        int frames = variants.stream().mapToInt(v -> v.get(SOURCE_FRAMES) instanceof Integer n ? n : 1).max().orElse(1);
        m.put("animated", frames > 1);
        m.put("frames", frames);
        variants.stream().filter(v -> !"original".equals(v.get("name")) && v.get(STILL_REASON) != null).findFirst().ifPresent(v -> {
            String code = (String) v.get(STILL_REASON);
            m.put("animationNote", Map.of("code", code, "message", switch (code) {
                case dev.stowage.images.VariantService.STILL_ENGINE ->
                        "the previews show the first frame: this image engine writes still images (the libvips engine animates them)";
                case dev.stowage.images.VariantService.STILL_OVER_LIMITS ->
                        "the previews show the first frame: the animation is over " + dev.stowage.images.VipsImageEngine.MAX_ANIMATION_FRAMES
                                + " frames or " + dev.stowage.images.VipsImageEngine.MAX_ANIMATION_PIXELS + " pixels over all frames";
                default -> "the previews show the first frame";
            }));
        });
    }

    /**
     * {@code GET /v1/usage}: the caller's quota and usage, and under {@code uploads} how this server cuts
     * uploads ({@code maxSizeBytes}, {@code multipartThresholdBytes}, {@code partSizeBytes}; bytes), which a
     * client such as Uppy needs before it asks for an upload.
     */
    static Map<String, Object> usage(Usage u, dev.stowage.config.StowageConfig.Uploads rules) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("userId", u.userId());
        m.put("plan", u.plan());
        m.put("quotaBytes", u.quotaBytes());
        m.put("usedBytes", u.usedBytes());
        m.put("reservedBytes", u.reservedBytes());
        m.put("availableBytes", u.availableBytes());
        Map<String, Object> cut = new LinkedHashMap<>();
        cut.put("maxSizeBytes", rules.maxSizeBytes());
        cut.put("multipartThresholdBytes", rules.multipartThresholdBytes());
        cut.put("partSizeBytes", rules.partSizeBytes());
        m.put("uploads", cut);
        return m;
    }
}

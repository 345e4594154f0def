package dev.stowage.http;

import dev.stowage.files.FileRecord;
import dev.stowage.files.Usage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON shapes of files and usage, as documented in {@code /openapi.json}. */
final class FileViews {
    private FileViews() {}

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
        m.put("variants", variants);
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

    static Map<String, Object> usage(Usage u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("userId", u.userId());
        m.put("plan", u.plan());
        m.put("quotaBytes", u.quotaBytes());
        m.put("usedBytes", u.usedBytes());
        m.put("reservedBytes", u.reservedBytes());
        m.put("availableBytes", u.availableBytes());
        return m;
    }
}

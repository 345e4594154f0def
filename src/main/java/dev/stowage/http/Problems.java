package dev.stowage.http;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes RFC 9457 problem documents. */
final class Problems {
    private Problems() {}

    /** The problem type URI for a stable code. */
    static String type(String code) {
        return "urn:stowage:problem:" + code;
    }

    /**
     * Answers with a problem document.
     *
     * @param ctx    the request
     * @param status HTTP status
     * @param code   stable code
     * @param title  summary
     * @param detail this occurrence, may be {@code null}
     */
    static void write(Context ctx, int status, String code, String title, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type(code));
        body.put("title", title);
        body.put("status", status);
        if (detail != null) body.put("detail", detail);
        body.put("instance", ctx.path());
        body.put("code", code);
        Object rid = ctx.attribute(ApiServer.REQUEST_ID_ATTR);
        if (rid != null) body.put("requestId", rid);
        ctx.status(status).json(body).contentType("application/problem+json");
    }
}

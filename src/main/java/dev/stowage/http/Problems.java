package dev.stowage.http;

import dev.stowage.problems.ProblemCode;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes RFC 9457 problem documents of the {@link ProblemCode} catalogue. */
final class Problems {
    private Problems() {}

    /** The problem type URI for a stable code. */
    static String type(String code) {
        return "urn:stowage:problem:" + code;
    }

    /**
     * Answers with a problem document of a catalogue entry: its status, code and title.
     *
     * @param ctx    the request
     * @param code   the catalogue entry
     * @param detail this occurrence, may be {@code null}
     */
    static void write(Context ctx, ProblemCode code, String detail) {
        int status = code.status();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type(code.code()));
        body.put("title", code.title());
        body.put("status", status);
        if (detail != null) body.put("detail", detail);
        body.put("instance", ctx.path());
        body.put("code", code.code());
        Object rid = ctx.attribute(ApiServer.REQUEST_ID_ATTR);
        if (rid != null) body.put("requestId", rid);
        ctx.status(status).json(body).contentType("application/problem+json");
    }
}

package dev.stowage.http;

import dev.stowage.problems.ProblemCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors (a malformed URI, a header or URL too large, a body over the limit) as RFC 9457
 * problem documents with a request id, like every other Stowage error, instead of Jetty's HTML page.
 */
final class ProblemErrorHandler extends ErrorHandler {
    private final SecurityHeaders securityHeaders;

    ProblemErrorHandler(SecurityHeaders securityHeaders) {
        this.securityHeaders = securityHeaders;
    }

    static String json(int status, String detail, String path, String requestId) {
        ProblemCode known = switch (status) {
            case 400 -> ProblemCode.BAD_REQUEST;
            case 404 -> ProblemCode.NOT_FOUND;
            case 405 -> ProblemCode.METHOD_NOT_ALLOWED;
            case 413 -> ProblemCode.PAYLOAD_TOO_LARGE;
            case 414 -> ProblemCode.URI_TOO_LONG;
            case 431 -> ProblemCode.HEADERS_TOO_LARGE;
            default -> status >= 500 ? ProblemCode.INTERNAL_ERROR : null;
        };
        // the status is Jetty's (a 503 stays a 503); a status no catalogue code names answers http_<status>
        String code = known != null ? known.code() : "http_" + status;
        String title = known != null ? known.title() : HttpStatus.getMessage(status);
        StringBuilder sb = new StringBuilder("{\"type\":\"").append(Problems.type(code)).append("\",\"title\":\"")
                .append(escape(title)).append("\",\"status\":").append(status);
        if (detail != null && !detail.isBlank()) sb.append(",\"detail\":\"").append(escape(detail)).append('"');
        if (path != null) sb.append(",\"instance\":\"").append(escape(path)).append('"');
        sb.append(",\"code\":\"").append(code).append("\",\"requestId\":\"").append(requestId).append("\"}");
        return sb.toString();
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.toString();
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) throws IOException {
        String rid = UUID.randomUUID().toString();
        String path = null;
        try {
            path = request.getHttpURI().getPath();
        } catch (RuntimeException ignored) {
            // the URI itself was the problem
        }
        String body = json(code, message, path, rid);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        response.getHeaders().put("X-Request-Id", rid);
        securityHeaders.addTo(response.getHeaders(), request.isSecure());
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        String rid = UUID.randomUUID().toString();
        fields.put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        fields.put("X-Request-Id", rid);
        securityHeaders.addTo(fields, false);
        return ByteBuffer.wrap(json(status, reason, null, rid).getBytes(StandardCharsets.UTF_8));
    }
}

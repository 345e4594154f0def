package dev.stowage.http;

import dev.stowage.problems.ProblemCode;
import dev.stowage.storage.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import java.util.UUID;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The one place that turns errors into problem documents outside the catalogue's own {@code Problem}s:
 * dependency outages ({@link #unavailable}, answered 503 with {@code Retry-After} by {@link ApiServer}) and
 * Jetty's own errors (a malformed URI, a header or URL too large, a body over the limit) as RFC 9457
 * problem documents with a request id, like every other Stowage error, instead of Jetty's HTML page.
 */
final class ProblemErrorHandler extends ErrorHandler {
    /** Seconds a client waits before sending a request again that met a dependency outage ({@code Retry-After}). */
    static final int RETRY_AFTER_SECONDS = 5;
    /** SQL states of PostgreSQL being down or too slow: connection failures (class 08), shutdown, starting up, statement timeout, too many connections. */
    private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "57014", "53300");

    private final SecurityHeaders securityHeaders;

    ProblemErrorHandler(SecurityHeaders securityHeaders) {
        this.securityHeaders = securityHeaders;
    }

    /**
     * The catalogue entry of an error that means a dependency is unavailable rather than a fault of the
     * request or of Stowage: {@link ProblemCode#DATABASE_UNAVAILABLE} for a connection the pool could not
     * give in time, a connection failure or a statement cancelled by its timeout;
     * {@link ProblemCode#STORE_UNAVAILABLE} for a {@link StoreException} that is {@linkplain
     * StoreException#unavailable() unavailable}. The whole cause chain is looked at, as Jdbi and services wrap.
     *
     * @param error what a route threw
     * @return the code to answer with (status 503, with {@code Retry-After}), or {@code null} when the error is no outage
     */
    static ProblemCode unavailable(Throwable error) {
        int depth = 0;
        for (Throwable t = error; t != null && depth < 32; t = t.getCause() == t ? null : t.getCause(), depth++) {
            if (t instanceof StoreException s) {
                if (s.unavailable()) return ProblemCode.STORE_UNAVAILABLE;
                return null;
            }
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException) {
                return ProblemCode.DATABASE_UNAVAILABLE;
            }
            if (t instanceof SQLException q && q.getSQLState() != null
                    && (q.getSQLState().startsWith("08") || UNAVAILABLE_STATES.contains(q.getSQLState()))) {
                return ProblemCode.DATABASE_UNAVAILABLE;
            }
        }
        return null;
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

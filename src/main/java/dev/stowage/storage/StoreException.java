package dev.stowage.storage;

/**
 * The object store refused a request or could not be reached (docs/architecture.md §9). Every
 * {@link ObjectStore} and {@link BucketAdmin} operation throws it instead of the client library's own
 * exceptions, so features never see SDK types.
 *
 * <p>{@link #status()} is the HTTP status the store answered, or {@code 0} when no answer came (network
 * failure, timeout, a client-side refusal); {@link #code()} is the S3 error code ({@code NoSuchKey},
 * {@code NoSuchUpload}, {@code AccessDenied}, …) or {@code null} when there was none (HEAD answers have
 * no body). The message is the client library's own, first line first.
 */
public class StoreException extends RuntimeException {
    /** S3 error code: the object does not exist. */
    public static final String NO_SUCH_KEY = "NoSuchKey";
    /** S3 error code: the multipart upload does not exist (aborted, completed or never made). */
    public static final String NO_SUCH_UPLOAD = "NoSuchUpload";
    /** S3 error code: the bucket does not exist. */
    public static final String NO_SUCH_BUCKET = "NoSuchBucket";

    private final int status;
    private final String code;

    /**
     * @param status  HTTP status, 0 when the store did not answer
     * @param code    S3 error code, or {@code null}
     * @param message what happened
     * @param cause   the client library's exception, or {@code null}
     */
    public StoreException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    /** A refusal Stowage itself raises about a stored object (a check after writing failed). */
    public StoreException(String message) {
        this(0, null, message, null);
    }

    /** HTTP status of the answer, 0 when there was none. */
    public int status() {
        return status;
    }

    /** S3 error code, or {@code null}. */
    public String code() {
        return code;
    }

    /** Whether the store answered at all (a refusal), rather than not being reached. */
    public boolean answered() {
        return status != 0;
    }

    /**
     * Whether the store is unavailable rather than refusing this request: it could not be reached or did
     * not answer in time (a network failure or a timeout of the client library), or it answered with a server
     * error (5xx, such as {@code 503 SlowDown}). A refusal Stowage raises itself is not, nor is
     * {@code 501 Not Implemented}, which a store answers for a feature it lacks: a bucket plan or an audit
     * names that setting and goes on, where on an outage it stops, since no other setting can be read.
     */
    public boolean unavailable() {
        if (status == 501) return false;
        if (status >= 500) return true;
        if (status != 0) return false;
        for (Throwable t = getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.io.IOException
                    || t instanceof software.amazon.awssdk.core.exception.ApiCallTimeoutException
                    || t instanceof software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException
                    || t instanceof software.amazon.awssdk.core.exception.AbortedException) {
                return true;
            }
        }
        return false;
    }

    /** Whether the store answered 404 (whatever the code: a HEAD answer has none). */
    public boolean notFound() {
        return status == 404;
    }

    /**
     * One line saying what the store answered, without the client library's request ids, e.g.
     * {@code 501 NotImplemented: Not implemented}, or {@code no answer: Unable to execute HTTP request: …}.
     */
    public String reason() {
        String m = getMessage() == null ? "" : getMessage().lines().findFirst().orElse("");
        m = m.replaceFirst("\\s*\\(Service: .*$", "");
        if (status == 0) return "no answer: " + m;
        return status + (code == null ? "" : " " + code) + (m.isBlank() ? "" : ": " + m);
    }

    /** Whether the store says it does not implement the request (501, {@code NotImplemented}). */
    public boolean notImplemented() {
        return status == 501 || "NotImplemented".equals(code);
    }

    /** Whether the store answered with this S3 error code. */
    public boolean is(String errorCode) {
        return errorCode.equals(code);
    }
}

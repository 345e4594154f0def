package dev.stowage.problems;

import java.util.Objects;

/**
 * A request Stowage refuses, raised by services and routes and answered by the HTTP layer as an RFC 9457
 * problem document (status, code and title from its {@link ProblemCode}, the message as {@code detail})
 * or by the CLI as one line. Services never depend on HTTP types; this is their shared vocabulary, and
 * {@link ProblemCode} its catalogue.
 */
public final class Problem extends RuntimeException {
    private final ProblemCode code;
    private final Long retryAfterSeconds;

    /**
     * @param code    the catalogue entry
     * @param message what happened in this case, safe to show to the caller
     */
    public Problem(ProblemCode code, String message) {
        this(code, message, null);
    }

    /**
     * A refusal the caller may try again later, answered with a {@code Retry-After} header.
     *
     * @param code       the catalogue entry
     * @param message    what happened in this case, safe to show to the caller
     * @param retryAfter when to try again, rounded up to whole seconds (at least 1); {@code null} for none
     */
    public Problem(ProblemCode code, String message, java.time.Duration retryAfter) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
        this.retryAfterSeconds = retryAfter == null ? null : retryAfterSeconds(retryAfter);
    }

    /** Whole seconds, rounded up, at least 1: the value of a {@code Retry-After} header for {@code d}. */
    public static long retryAfterSeconds(java.time.Duration d) {
        long s = d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
        return Math.max(1, s);
    }

    /** Seconds after which the caller may try again ({@code Retry-After}), if the refusal says so. */
    public java.util.OptionalLong retryAfterSeconds() {
        return retryAfterSeconds == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(retryAfterSeconds);
    }

    /** The catalogue entry. */
    public ProblemCode problemCode() {
        return code;
    }

    /** The stable wire code. */
    public String code() {
        return code.code();
    }

    /** The HTTP status. */
    public int status() {
        return code.status();
    }

    /** 404 {@code not_found}: also what a user gets for another user's resource. */
    public static Problem notFound(String what) {
        return new Problem(ProblemCode.NOT_FOUND, what + " not found");
    }
}

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

    /**
     * @param code    the catalogue entry
     * @param message what happened in this case, safe to show to the caller
     */
    public Problem(ProblemCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
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

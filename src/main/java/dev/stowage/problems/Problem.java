package dev.stowage.problems;

/**
 * A request Stowage refuses, raised by services and answered by the HTTP layer as an RFC 9457 problem
 * document (status from {@link Kind}, the stable {@code code}, the message as {@code detail}) or by the
 * CLI as one line. Services never depend on HTTP types; this is their shared vocabulary.
 */
public final class Problem extends RuntimeException {
    /** What kind of refusal; the HTTP layer maps each to a status. */
    public enum Kind {
        /** 400: the request is malformed or invalid. */
        INVALID(400),
        /** 404: no such resource for this caller (also another user's resource). */
        NOT_FOUND(404),
        /** 409: the resource is not in a state that allows this. */
        CONFLICT(409),
        /** 413: the declared size is over the limit. */
        TOO_LARGE(413),
        /** 415: the type is not accepted. */
        UNSUPPORTED_TYPE(415),
        /** 403: the caller may not do this (e.g. the quota is exhausted). */
        FORBIDDEN(403),
        /** 401: the caller is not authenticated. */
        UNAUTHENTICATED(401),
        /** 503: a dependency is unavailable; retry later. */
        UNAVAILABLE(503);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        /** The HTTP status. */
        public int status() {
            return status;
        }
    }

    private final Kind kind;
    private final String code;

    /**
     * @param kind    what kind of refusal
     * @param code    stable machine-readable code, {@code snake_case}
     * @param message what happened, safe to show to the caller
     */
    public Problem(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
    }

    /** The kind. */
    public Kind kind() {
        return kind;
    }

    /** The stable code. */
    public String code() {
        return code;
    }

    /** 400 with a code. */
    public static Problem invalid(String code, String message) {
        return new Problem(Kind.INVALID, code, message);
    }

    /** 404 {@code not_found}. */
    public static Problem notFound(String what) {
        return new Problem(Kind.NOT_FOUND, "not_found", what + " not found");
    }

    /** 409 with a code. */
    public static Problem conflict(String code, String message) {
        return new Problem(Kind.CONFLICT, code, message);
    }
}

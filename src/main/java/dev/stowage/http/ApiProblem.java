package dev.stowage.http;

/**
 * An error answered as RFC 9457 {@code application/problem+json}. {@code code} is stable: clients and
 * tests match on it, never on the human text.
 */
public class ApiProblem extends RuntimeException {
    private final int status;
    private final String code;
    private final String title;

    /**
     * @param status HTTP status, 4xx or 5xx
     * @param code   stable machine-readable code, {@code snake_case} (e.g. {@code quota_exceeded})
     * @param title  short summary of the problem type
     * @param detail what happened in this case, safe to show to the caller
     */
    public ApiProblem(int status, String code, String title, String detail) {
        super(detail);
        this.status = status;
        this.code = code;
        this.title = title;
    }

    /** HTTP status. */
    public int status() {
        return status;
    }

    /** Stable code. */
    public String code() {
        return code;
    }

    /** Summary of the problem type. */
    public String title() {
        return title;
    }

    /** 400 with code {@code bad_request} or a more specific one. */
    public static ApiProblem badRequest(String code, String detail) {
        return new ApiProblem(400, code, "Bad request", detail);
    }

    /** 404 {@code not_found}: also what a user gets for another user's resource. */
    public static ApiProblem notFound(String detail) {
        return new ApiProblem(404, "not_found", "Not found", detail);
    }
}

package dev.stowage.cli;

/** A problem the user can fix; printed as one line without a stack trace, exit code 1. */
public final class UserError extends RuntimeException {
    /** @param message one line saying what is wrong and what to do */
    public UserError(String message) {
        super(message);
    }
}

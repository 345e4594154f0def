package dev.stowage.events;

/**
 * A notification body that is not one of the shapes {@link S3EventParser} accepts.
 *
 * <p>{@link #getMessage()} is one line that names the offending field by its JSON path (for
 * example {@code Records[2].s3.object.key is missing}) and never repeats values from the body, so
 * it is safe to return to the sender in an error response.
 */
public final class MalformedEventException extends RuntimeException {

    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message one line naming what is wrong, without values taken from the body
     */
    public MalformedEventException(String message) {
        super(message);
    }
}

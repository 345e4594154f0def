package dev.stowage.storage;

/**
 * A user-supplied filename that cannot become a safe object-key segment: missing, empty, dots or
 * spaces only, containing a NUL character or an unpaired UTF-16 surrogate, or longer than
 * {@link FilenameSanitizer#MAX_ORIGINAL_BYTES} UTF-8 bytes.
 *
 * <p>{@link #code()} is a stable machine-readable code for API error bodies (always
 * {@value #CODE}); {@link #getMessage()} is a human sentence that may change between versions.
 */
public final class InvalidFilenameException extends IllegalArgumentException {

    /** The stable error code carried by every instance. */
    public static final String CODE = "invalid_filename";

    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a human-readable reason, e.g. "filename contains a NUL character"
     */
    public InvalidFilenameException(String message) {
        super(message);
    }

    /**
     * The stable error code, for API error bodies.
     *
     * @return {@value #CODE}
     */
    public String code() {
        return CODE;
    }
}

package dev.stowage.images;

/**
 * libvips cannot be used in this process: the shared library is not installed (or not under the
 * configured name), it lacks a function the {@link VipsImageEngine} calls, or {@code vips_init} failed.
 * The message says which, and how to install libvips.
 */
public final class VipsUnavailableException extends IllegalStateException {

    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, for people
     * @param cause   the underlying error, or {@code null}
     */
    public VipsUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.stowage.images;

import java.io.IOException;

/**
 * The image data is damaged: a truncated file, corrupt compressed data, impossible dimensions. An
 * engine throws this instead of returning whatever the decoder produced (a truncated JPEG otherwise
 * decodes to an image whose missing part is filled with grey).
 *
 * <p>{@link #getMessage()} is one line for people, safe to store with the failed variant.
 */
public final class CorruptImageException extends IOException {

    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what is wrong with the data, one line
     */
    public CorruptImageException(String reason) {
        super(reason);
    }

    /**
     * @param reason what is wrong with the data, one line
     * @param cause  the decoder's exception
     */
    public CorruptImageException(String reason, Throwable cause) {
        super(reason, cause);
    }
}

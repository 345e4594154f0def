package dev.stowage.images;

import java.io.IOException;

/**
 * The engine cannot make previews of this image: a format it has no decoder for (HEIC and AVIF in the
 * pure-Java engine), a form of a format it does not handle, or an image over the engine's own pixel
 * ceiling. The data itself may be fine; another engine may succeed.
 *
 * <p>{@link #getMessage()} is one line for people, safe to store with the failed variant.
 */
public final class UnsupportedImageException extends IOException {

    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what is not supported, one line
     */
    public UnsupportedImageException(String reason) {
        super(reason);
    }
}

package dev.stowage.images;

import java.util.Objects;

/**
 * One encoded preview.
 *
 * @param bytes       the encoded image (no metadata)
 * @param width       its width in pixels, as displayed (already upright)
 * @param height      its height in pixels
 * @param contentType its MIME type, e.g. {@code image/webp}
 * @param extension   the file name extension for it, without the dot, e.g. {@code webp}
 */
public record RenderedVariant(byte[] bytes, int width, int height, String contentType, String extension) {

    public RenderedVariant {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(extension, "extension");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("dimensions must be positive: " + width + "x" + height);
    }
}

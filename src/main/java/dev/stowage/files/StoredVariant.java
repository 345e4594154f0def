package dev.stowage.files;

import java.util.UUID;

/**
 * A row of {@code variants}: a derived object of an image.
 *
 * @param fileId      the image
 * @param name        {@code thumb}, {@code medium} or {@code original}
 * @param bucket      the processed bucket
 * @param key         its object key
 * @param contentType its type
 * @param width       pixels
 * @param height      pixels
 * @param sizeBytes   bytes
 * @param digest      the recipe digest in its key
 * @param frames      frames of this variant's object (1: a still image)
 * @param sourceFrames frames of the image it was made from
 * @param stillReason why a variant of an animated source is still ({@code engine_writes_stills},
 *                    {@code over_animation_limits}), or {@code null}
 */
public record StoredVariant(UUID fileId, String name, String bucket, String key, String contentType, int width, int height,
                            long sizeBytes, String digest, int frames, int sourceFrames, String stillReason) {
    /** A still variant of a still image. */
    public StoredVariant(UUID fileId, String name, String bucket, String key, String contentType, int width, int height,
                         long sizeBytes, String digest) {
        this(fileId, name, bucket, key, contentType, width, height, sizeBytes, digest, 1, 1, null);
    }
}

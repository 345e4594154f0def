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
 */
public record StoredVariant(UUID fileId, String name, String bucket, String key, String contentType, int width, int height,
                            long sizeBytes, String digest) {}

package dev.stowage.images;

import java.util.Objects;

/**
 * An image the pipeline refuses to handle, with a stable machine-readable {@link #code()} and a
 * human-readable {@link #reason()}.
 *
 * <p>Thrown from the header probe ({@link ImageProbe}), the decode limits ({@link DecodeLimits}) and the
 * lossless metadata stripper ({@link MetadataStripper}) so that a bad upload ends as a clear per-file
 * error instead of a crashed worker. The codes are part of the API (stored with the failed variant and
 * shown to clients); the reason is for people and may change.
 *
 * <ul>
 *   <li>{@value #UNSUPPORTED_IMAGE}: not JPEG/PNG/GIF/WebP/HEIF, or a form of it that is not handled
 *       here (e.g. HEIF/AVIF in the stripper, a JPEG whose height is only given by a DNL marker).
 *   <li>{@value #TRUNCATED_IMAGE}: the data ends inside a structure that must be complete.
 *   <li>{@value #TOO_MANY_PIXELS}, {@value #TOO_LARGE_DIMENSIONS}, {@value #TOO_MANY_BYTES}: over a
 *       {@link DecodeLimits} limit.
 *   <li>{@value #CORRUPT_IMAGE}: the structure is present but invalid (bad CRC, zero width, impossible
 *       lengths, an unexpected marker...).
 * </ul>
 */
public class ImageRejectedException extends RuntimeException {

    /** Not an image format handled here. */
    public static final String UNSUPPORTED_IMAGE = "unsupported_image";
    /** The data ends before a structure that must be complete. */
    public static final String TRUNCATED_IMAGE = "truncated_image";
    /** Width × height is over {@link DecodeLimits#maxPixels()}. */
    public static final String TOO_MANY_PIXELS = "too_many_pixels";
    /** Width or height is over {@link DecodeLimits#maxDimension()}. */
    public static final String TOO_LARGE_DIMENSIONS = "too_large_dimensions";
    /** The file is larger than {@link DecodeLimits#maxBytes()}. */
    public static final String TOO_MANY_BYTES = "too_many_bytes";
    /** The container structure is invalid. */
    public static final String CORRUPT_IMAGE = "corrupt_image";

    private final String code;
    private final String reason;

    /**
     * @param code   one of the stable codes declared in this class
     * @param reason what was wrong, for people
     */
    public ImageRejectedException(String code, String reason) {
        super(Objects.requireNonNull(code, "code") + ": " + reason);
        this.code = code;
        this.reason = reason;
    }

    /** The stable code, e.g. {@value #TOO_MANY_PIXELS}. */
    public String code() {
        return code;
    }

    /** What was wrong, for people. */
    public String reason() {
        return reason;
    }
}

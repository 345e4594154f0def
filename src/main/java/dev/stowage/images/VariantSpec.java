package dev.stowage.images;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * What one preview variant is, independent of the engine that renders it.
 *
 * <p>Geometry is in display space, i.e. after the EXIF orientation has been applied:
 * <ul>
 *   <li>{@link Fit#COVER}: scale so that the image covers {@code width × height}, then cut the centre
 *       (Sharp's {@code fit: 'cover', position: 'centre'}). With {@code upscale} an image smaller than the
 *       box is enlarged to cover it; without, it is only cut.
 *   <li>{@link Fit#INSIDE_WIDTH}: scale to {@code width} pixels wide, aspect kept ({@code height} must be
 *       0). Without {@code upscale} an image narrower than {@code width} keeps its size (Sharp's
 *       {@code withoutEnlargement: true}).
 * </ul>
 *
 * @param name    the variant name, e.g. {@code thumb} or {@code medium}
 * @param width   target width in pixels
 * @param height  target height in pixels; 0 keeps the aspect ratio ({@link Fit#INSIDE_WIDTH} only)
 * @param fit     how the image is fitted to the target
 * @param upscale whether an image smaller than the target is enlarged
 * @param format  the output format; {@code webp}
 * @param quality the encoder's lossy quality, 1-100
 */
public record VariantSpec(String name, int width, int height, Fit fit, boolean upscale, String format, int quality) {

    /**
     * Version of the rendering rules that are not parameters of the spec (orientation, colour handling,
     * alpha, frame choice, metadata). Bump it when those change so that every variant key changes; it
     * belongs to the recipe, not to an engine, so switching engines alone does not re-key variants.
     */
    public static final String RULES_VERSION = "2";

    /** 150×150, centre cover crop (enlarging small images), WebP quality 80. */
    public static final VariantSpec THUMB = new VariantSpec("thumb", 150, 150, Fit.COVER, true, "webp", 80);

    /** At most 800 px wide, aspect kept, never enlarged, WebP quality 80. */
    public static final VariantSpec MEDIUM = new VariantSpec("medium", 800, 0, Fit.INSIDE_WIDTH, false, "webp", 80);

    /** How the image is fitted to the target size. */
    public enum Fit {
        /** Cover {@code width × height} and cut the centre. */
        COVER,
        /** Scale to {@code width}, aspect kept. */
        INSIDE_WIDTH
    }

    public VariantSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fit, "fit");
        Objects.requireNonNull(format, "format");
        if (!name.matches("[a-z0-9_-]{1,32}")) throw new IllegalArgumentException("variant name must be [a-z0-9_-]{1,32}: " + name);
        if (width <= 0) throw new IllegalArgumentException("width must be positive: " + width);
        if (height < 0) throw new IllegalArgumentException("height must not be negative: " + height);
        if (fit == Fit.COVER && height == 0) throw new IllegalArgumentException("COVER needs a height");
        if (fit == Fit.INSIDE_WIDTH && height != 0) throw new IllegalArgumentException("INSIDE_WIDTH takes no height");
        if (!format.equals("webp")) throw new IllegalArgumentException("unsupported output format: " + format);
        if (quality < 1 || quality > 100) throw new IllegalArgumentException("quality must be 1-100: " + quality);
    }

    /** The MIME type of the output. */
    public String contentType() {
        return "image/" + format;
    }

    /**
     * A canonical text of every parameter and the {@link #RULES_VERSION}, used in the digest of the
     * variant's object key: two specs render the same bytes (with the same engine) exactly when their
     * recipes are equal, and changing any parameter changes it. Stable across releases unless the rules
     * change.
     */
    public String recipe() {
        return String.format(Locale.ROOT,
                "variant/v%s;name=%s;width=%d;height=%d;fit=%s;upscale=%b;format=%s;quality=%d;"
                        + "orient=exif;colour=srgb8;alpha=keep;frame=first;metadata=none",
                RULES_VERSION, name, width, height, fit.name().toLowerCase(Locale.ROOT), upscale, format, quality);
    }

    /** The SHA-256 of {@link #recipe()}, as lower-case hex. */
    public String recipeDigest() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(recipe().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

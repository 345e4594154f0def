package dev.stowage.files;

import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a download ({@code /v1/files/{id}/content}) of a ready file serves, and how: the one decision, shown in
 * the file view as {@code delivery} (docs/architecture.md §6, docs/api.md). An image is never served with its
 * metadata inline:
 *
 * <ul>
 *   <li>{@link ServedAs#UPLOAD}: not an image — the upload as stored, inline for PDF and plain text, an
 *       attachment for anything else.
 *   <li>{@link ServedAs#STRIPPED}: an image with a stored {@code original} variant — that copy, written by
 *       Stowage to the processed bucket with every metadata segment removed at the container level (when the
 *       previews failed, the stripped bytes that arrived of a truncated or damaged file), inline.
 *   <li>{@link ServedAs#ATTACHMENT}: an image without a stripped copy — the upload as stored, as an attachment,
 *       with a reason: the code its variants failed with ({@code unsupported_image} for a format no stripper
 *       handles, e.g. HEIC/AVIF with the Java engine; {@code corrupt_image} or {@code truncated_image} for a
 *       container the stripper cannot parse), or {@value #NOT_YET_STRIPPED} while its variants are still to be
 *       made (a download makes the stripped original first).
 * </ul>
 *
 * @param servedAs   what is served
 * @param inline     {@code Content-Disposition: inline} rather than {@code attachment}
 * @param reasonCode why an image is an attachment; {@code null} otherwise
 */
public record Delivery(ServedAs servedAs, boolean inline, String reasonCode) {

    /** Types the upload itself is served inline as: the images (only when stripped, see above), PDF and plain text. */
    static final Set<String> INLINE_TYPES = Stream.concat(ImageType.MIME_TYPES.stream(),
            Stream.of("application/pdf", "text/plain")).collect(Collectors.toUnmodifiableSet());

    /** The reason of an image whose variants (and so its stripped original) are not made yet. */
    public static final String NOT_YET_STRIPPED = "not_yet_stripped";

    /** What a download serves; {@link #id()} is the wire name of {@code delivery.servedAs}. */
    public enum ServedAs {
        /** The upload as stored (not an image). */
        UPLOAD("upload"),
        /** The image's stripped {@code original} variant. */
        STRIPPED("stripped"),
        /** The image as stored, as an attachment (no stripped copy). */
        ATTACHMENT("attachment");

        private final String id;

        ServedAs(String id) {
            this.id = id;
        }

        /** The wire name, e.g. {@code stripped}. */
        public String id() {
            return id;
        }
    }

    public Delivery {
        Objects.requireNonNull(servedAs, "servedAs");
    }

    /**
     * Decides how a file is served.
     *
     * @param f                the file (its detected type, or declared type before verification, and its
     *                         variants status and reason)
     * @param strippedOriginal whether an {@code original} variant is stored for it
     * @return the decision
     */
    public static Delivery of(FileRecord f, boolean strippedOriginal) {
        String type = f.detectedType() != null ? f.detectedType() : f.declaredType();
        if (!ImageType.isImage(type)) return new Delivery(ServedAs.UPLOAD, INLINE_TYPES.contains(type), null);
        if (strippedOriginal) return new Delivery(ServedAs.STRIPPED, true, null);
        String reason = "failed".equals(f.variantsStatus()) && f.variantsReasonCode() != null ? f.variantsReasonCode() : NOT_YET_STRIPPED;
        return new Delivery(ServedAs.ATTACHMENT, false, reason);
    }
}

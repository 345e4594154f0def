package dev.stowage.uploads;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * One kind of file Stowage knows how to accept and serve.
 *
 * @param mimeType   the canonical MIME type, lower case, without parameters (e.g. {@code image/jpeg})
 * @param family     what the file is, for display and for deciding derived work: {@code image}, {@code pdf},
 *                   {@code document} (office formats) or {@code text}
 * @param extensions file-name extensions usually seen on this type, lower case, without the dot; the first
 *                   is the preferred one (e.g. {@code [jpg, jpeg]}). Informative only: detection never
 *                   looks at file names
 * @param active     {@code true} when a browser may run content of this type (script, markup); such files
 *                   are never served inline, always with {@code Content-Disposition: attachment}
 */
public record FileType(String mimeType, String family, List<String> extensions, boolean active) {

    /** The values {@link #family()} can take. */
    public static final Set<String> FAMILIES = Set.of("image", "pdf", "document", "text");

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException     when a component is null
     * @throws IllegalArgumentException when the MIME type is not {@code type/subtype} in lower case, the
     *                                  family is not one of {@link #FAMILIES}, or there is no extension
     */
    public FileType {
        Objects.requireNonNull(mimeType, "mimeType");
        Objects.requireNonNull(family, "family");
        extensions = List.copyOf(extensions);
        if (!mimeType.equals(mimeType.toLowerCase(Locale.ROOT)) || !mimeType.matches("[a-z0-9.+-]+/[a-z0-9.+-]+")) {
            throw new IllegalArgumentException("not a lower-case MIME type without parameters: '" + mimeType + "'");
        }
        if (!FAMILIES.contains(family)) {
            throw new IllegalArgumentException("unknown family '" + family + "' (expected one of image, pdf, document, text)");
        }
        if (extensions.isEmpty()) throw new IllegalArgumentException("a file type needs at least one extension");
    }

    /** The preferred file-name extension, without the dot (the first of {@link #extensions()}). */
    public String extension() {
        return extensions.getFirst();
    }
}

package dev.stowage.files;

import java.util.Arrays;
import java.util.List;

/**
 * The image types Stowage knows, written once: what uploads accept as images ({@code uploads.AllowedTypes}),
 * what gets variants ({@code images.VariantService}) and what a download serves inline
 * ({@link FileService}). Each by its canonical MIME type, as {@code files.detected_type} holds it.
 */
public enum ImageType {
    /** JPEG. */
    JPEG("image/jpeg", "jpg", "jpeg"),
    /** PNG. */
    PNG("image/png", "png"),
    /** GIF. */
    GIF("image/gif", "gif"),
    /** WebP. */
    WEBP("image/webp", "webp"),
    /** HEIC/HEIF (also named {@code image/heif}, an alias uploads resolve to this type). */
    HEIC("image/heic", "heic", "heif"),
    /** AVIF. */
    AVIF("image/avif", "avif");

    /** The canonical MIME types, in this order. */
    public static final List<String> MIME_TYPES = Arrays.stream(values()).map(ImageType::mimeType).toList();

    private final String mimeType;
    private final List<String> extensions;

    ImageType(String mimeType, String... extensions) {
        this.mimeType = mimeType;
        this.extensions = List.of(extensions);
    }

    /** The canonical MIME type, lower case, without parameters. */
    public String mimeType() {
        return mimeType;
    }

    /** The file name extensions, lower case, without the dot; the first is the usual one. */
    public List<String> extensions() {
        return extensions;
    }

    /** Whether a canonical MIME type (as detected and stored) is one of these images. */
    public static boolean isImage(String mimeType) {
        return mimeType != null && MIME_TYPES.contains(mimeType);
    }
}

package dev.stowage.uploads;

import dev.stowage.files.ImageType;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Decides whether an upload's content type is acceptable (docs/architecture.md §4, {@code verifying}): the type
 * detected from its bytes must be on the allow-list and agree with the type the client declared. Uploads
 * (at initiation and at verification) and migration share its rule for empty files, {@link #emptyImage}.
 *
 * <p>Two types agree when their essences (see {@link AllowedTypes#essence}) are equal, or when they are
 * <ul>
 *   <li>{@code text/plain} and {@code text/csv}, either way round: CSV has no magic bytes, so detection
 *       reports any text as {@code text/plain};
 *   <li>{@code image/heic} and {@code image/heif}, either way round: detection names the HEIF container
 *       after its major brand, clients after the platform's habit.
 * </ul>
 * An accepted file takes the declared type (a CSV declared {@code text/csv} stays CSV), except an image
 * declared as another allowed image format, which takes the detected type (a phone's JPEG declared
 * {@code image/heic} is a JPEG), and an <b>undecided</b> declaration ({@link #undecided}: none, or
 * {@code application/octet-stream}, what a client sends when it cannot tell), which takes the detected type
 * when that is allowed.
 */
public final class TypeCheck {

    private static final Set<String> TEXT = Set.of("text/plain", "text/csv");
    private static final Set<String> HEIF = Set.of("image/heic", "image/heif");
    private static final String OCTET_STREAM = "application/octet-stream";

    /** File-name extensions that say "image", lower case: the allowed image types' and a few common others. */
    static final Set<String> IMAGE_EXTENSIONS = Stream.concat(
            Arrays.stream(ImageType.values()).flatMap(i -> i.extensions().stream()),
            Stream.of("jfif", "svg", "bmp", "tif", "tiff", "ico")).collect(Collectors.toUnmodifiableSet());

    private TypeCheck() {
    }

    /**
     * Whether a declared type leaves the type to the bytes: null, blank or {@code application/octet-stream}
     * (parameters and case ignored), what a browser's empty {@code File.type} becomes. Initiation lets such an
     * upload through (under the size and quota checks) and verification decides its type ({@link #check}).
     *
     * @param declaredMime the declared type, or null
     * @return {@code true} when the client declared no type of its own
     */
    public static boolean undecided(String declaredMime) {
        String declared = AllowedTypes.essence(declaredMime);
        return declared.isEmpty() || declared.equals(OCTET_STREAM);
    }

    /**
     * The one rule for empty files, for uploads and migration alike: a zero-byte file is stored and served
     * like any other, unless it claims to be an image — declared as an {@code image/*} type, or named with
     * an image extension ({@link #IMAGE_EXTENSIONS}, any case) — since an empty file cannot be one.
     *
     * @param size         the file's size in bytes
     * @param declaredMime the declared type (parameters and case ignored), or null when none (migration)
     * @param name         the file's name, or null
     * @return a rejection with code {@link TypeVerdict#EMPTY_IMAGE} for an empty image; empty otherwise
     *         (also for every file that is not empty)
     */
    public static Optional<TypeVerdict.Rejected> emptyImage(long size, String declaredMime, String name) {
        if (size != 0) return Optional.empty();
        String declared = AllowedTypes.essence(declaredMime);
        if (declared.startsWith("image/")) {
            return Optional.of(new TypeVerdict.Rejected(TypeVerdict.EMPTY_IMAGE,
                    "the file is empty but declared as " + declared + ": an empty file cannot be an image"));
        }
        String ext = extension(name);
        if (IMAGE_EXTENSIONS.contains(ext)) {
            return Optional.of(new TypeVerdict.Rejected(TypeVerdict.EMPTY_IMAGE,
                    "the file is empty but named as an image (." + ext + "): an empty file cannot be an image"));
        }
        return Optional.empty();
    }

    /**
     * Checks a detected type against the declared type and the allow-list, for a file of unknown name.
     * Same as {@link #check(String, String, String, AllowedTypes)} with a null name.
     *
     * @param declaredMime the declared type
     * @param detectedMime the detected type
     * @param allowed      the allow-list
     * @return the verdict, never null
     */
    public static TypeVerdict check(String declaredMime, String detectedMime, AllowedTypes allowed) {
        return check(declaredMime, detectedMime, null, allowed);
    }

    /**
     * Checks a detected type against the declared type and the allow-list.
     *
     * <ol>
     *   <li>Nothing detected: rejected {@code type_not_allowed}.
     *   <li>Empty ({@link TypeDetector#EMPTY}): rejected {@code empty_image} when {@link #emptyImage} says
     *       so; else accepted as the declared type if that is allowed, else rejected {@code type_not_allowed}.
     *   <li>Undecided declaration ({@link #undecided}): accepted as the detected type if that is allowed,
     *       else rejected {@code type_not_allowed}.
     *   <li>Declared and detected agree: accepted as the declared type if that is allowed, else
     *       rejected {@code type_not_allowed}.
     *   <li>They do not agree and the detected type is not allowed (an ELF or EXE declared
     *       {@code image/jpeg}, an SVG or HTML declared as an image, junk detected as
     *       {@code application/octet-stream}): rejected {@code type_not_allowed}.
     *   <li>Both are allowed images of different formats (a JPEG declared {@code image/heic}): accepted as
     *       the detected type.
     *   <li>Otherwise, the detected type is allowed but is not what was declared (a PNG declared
     *       {@code application/pdf}): rejected {@code type_mismatch}.
     * </ol>
     *
     * @param declaredMime the {@code Content-Type} the client declared; parameters and case ignored; null,
     *                     blank or {@code application/octet-stream} leaves the type to the bytes
     * @param detectedMime the type {@link TypeDetector} found in the bytes; parameters and case ignored
     * @param name         the file's name, for the empty-file rule only; may be null
     * @param allowed      the allow-list
     * @return {@link TypeVerdict.Accepted} or {@link TypeVerdict.Rejected}, never null
     * @throws NullPointerException when {@code allowed} is null
     */
    public static TypeVerdict check(String declaredMime, String detectedMime, String name, AllowedTypes allowed) {
        Objects.requireNonNull(allowed, "allowed");
        String declared = AllowedTypes.essence(declaredMime);
        String detected = AllowedTypes.essence(detectedMime);
        String declaredText = declared.isEmpty() ? "no type" : declared;

        if (detected.isEmpty()) {
            return new TypeVerdict.Rejected(TypeVerdict.TYPE_NOT_ALLOWED,
                    "no type could be detected from the bytes (declared " + declaredText + ")");
        }
        if (detected.equals(TypeDetector.EMPTY)) {
            Optional<TypeVerdict.Rejected> image = emptyImage(0, declared, name);
            if (image.isPresent()) return image.get();
            Optional<FileType> type = allowed.byMime(declared);
            if (type.isPresent()) return new TypeVerdict.Accepted(type.get());
            return new TypeVerdict.Rejected(TypeVerdict.TYPE_NOT_ALLOWED,
                    "the file is empty and declared as " + declaredText + ", which is not an allowed type");
        }
        if (undecided(declared)) {
            Optional<FileType> type = allowed.byMime(detected);
            if (type.isPresent()) return new TypeVerdict.Accepted(type.get());
            return notAllowed(detected, declaredText);
        }
        if (agree(declared, detected)) {
            Optional<FileType> type = allowed.byMime(declared);
            if (type.isPresent()) return new TypeVerdict.Accepted(type.get());
            if (allowed.allows(detected)) {
                return new TypeVerdict.Rejected(TypeVerdict.TYPE_NOT_ALLOWED,
                        "the declared type " + declared + " is not an allowed type (the content is " + detected + ")");
            }
            return new TypeVerdict.Rejected(TypeVerdict.TYPE_NOT_ALLOWED,
                    "the content is " + detected + ", which is not an allowed type (declared " + declaredText + ")");
        }
        if (!allowed.allows(detected)) return notAllowed(detected, declaredText);
        Optional<FileType> detectedType = allowed.byMime(detected);
        if (isImage(allowed.byMime(declared)) && isImage(detectedType)) {
            return new TypeVerdict.Accepted(detectedType.get());
        }
        return new TypeVerdict.Rejected(TypeVerdict.TYPE_MISMATCH,
                "declared " + declaredText + " but the content is " + detected);
    }

    private static TypeVerdict.Rejected notAllowed(String detected, String declaredText) {
        String what = detected.equals(OCTET_STREAM) ? "of no recognised type (" + OCTET_STREAM + ")" : detected;
        return new TypeVerdict.Rejected(TypeVerdict.TYPE_NOT_ALLOWED,
                "the content is " + what + ", which is not an allowed type (declared " + declaredText + ")");
    }

    private static boolean isImage(Optional<FileType> type) {
        return type.isPresent() && type.get().family().equals("image");
    }

    /** The lower-case suffix after the last dot of a name (path separators ignored), or "". */
    private static String extension(String name) {
        if (name == null) return "";
        int dot = name.lastIndexOf('.');
        int sep = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        return dot > sep && dot < name.length() - 1 ? name.substring(dot + 1).strip().toLowerCase(Locale.ROOT) : "";
    }

    /** Whether two essences name the same content for upload purposes (rules on the class). */
    static boolean agree(String declared, String detected) {
        if (declared.isEmpty() || detected.isEmpty()) return false;
        return declared.equals(detected)
                || TEXT.contains(declared) && TEXT.contains(detected)
                || HEIF.contains(declared) && HEIF.contains(detected);
    }
}

package dev.stowage.uploads;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether an upload's content type is acceptable (docs/architecture.md §4, {@code verifying}): the type
 * detected from its bytes must be on the allow-list and agree with the type the client declared.
 *
 * <p>Two types agree when their essences (see {@link AllowedTypes#essence}) are equal, or when they are
 * <ul>
 *   <li>{@code text/plain} and {@code text/csv}, either way round: CSV has no magic bytes, so detection
 *       reports any text as {@code text/plain};
 *   <li>{@code image/heic} and {@code image/heif}, either way round: detection names the HEIF container
 *       after its major brand, clients after the platform's habit.
 * </ul>
 * An accepted file takes the declared type (a CSV declared {@code text/csv} stays CSV).
 */
public final class TypeCheck {

    private static final Set<String> TEXT = Set.of("text/plain", "text/csv");
    private static final Set<String> HEIF = Set.of("image/heic", "image/heif");
    private static final String OCTET_STREAM = "application/octet-stream";

    private TypeCheck() {
    }

    /**
     * Checks a detected type against the declared type and the allow-list.
     *
     * <ol>
     *   <li>Nothing detected, or {@link TypeDetector#EMPTY}: rejected {@code type_not_allowed} (an empty
     *       file has no type).
     *   <li>Declared and detected agree: accepted as the declared type if that is allowed, else
     *       rejected {@code type_not_allowed}.
     *   <li>They do not agree and the detected type is not allowed (an ELF or EXE declared
     *       {@code image/jpeg}, an SVG, junk detected as {@code application/octet-stream}): rejected
     *       {@code type_not_allowed}.
     *   <li>They do not agree but the detected type is allowed (a PNG declared {@code image/jpeg}, a
     *       missing declaration): rejected {@code type_mismatch}.
     * </ol>
     *
     * @param declaredMime the {@code Content-Type} the client declared; parameters and case ignored; null
     *                     or blank agrees with nothing
     * @param detectedMime the type {@link TypeDetector} found in the bytes; parameters and case ignored
     * @param allowed      the allow-list
     * @return {@link TypeVerdict.Accepted} or {@link TypeVerdict.Rejected}, never null
     * @throws NullPointerException when {@code allowed} is null
     */
    public static TypeVerdict check(String declaredMime, String detectedMime, AllowedTypes allowed) {
        Objects.requireNonNull(allowed, "allowed");
        String declared = AllowedTypes.essence(declaredMime);
        String detected = AllowedTypes.essence(detectedMime);
        String declaredText = declared.isEmpty() ? "no type" : declared;

        if (detected.isEmpty() || detected.equals(TypeDetector.EMPTY)) {
            return new TypeVerdict.Rejected(TypeVerdict.TYPE_NOT_ALLOWED,
                    "the file is empty: there are no bytes to detect a type from (declared " + declaredText + ")");
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
        if (!allowed.allows(detected)) {
            String what = detected.equals(OCTET_STREAM)
                    ? "of no recognised type (" + OCTET_STREAM + ")"
                    : detected;
            return new TypeVerdict.Rejected(TypeVerdict.TYPE_NOT_ALLOWED,
                    "the content is " + what + ", which is not an allowed type (declared " + declaredText + ")");
        }
        return new TypeVerdict.Rejected(TypeVerdict.TYPE_MISMATCH,
                "declared " + declaredText + " but the content is " + detected);
    }

    /** Whether two essences name the same content for upload purposes (rules on the class). */
    static boolean agree(String declared, String detected) {
        if (declared.isEmpty() || detected.isEmpty()) return false;
        return declared.equals(detected)
                || TEXT.contains(declared) && TEXT.contains(detected)
                || HEIF.contains(declared) && HEIF.contains(detected);
    }
}

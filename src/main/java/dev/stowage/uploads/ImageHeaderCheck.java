package dev.stowage.uploads;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The verifier's question about an image's header: does it declare more than Stowage will ever decode (a
 * decompression bomb)? Owned here so that {@code uploads} does not depend on {@code images}; the root package
 * wires {@code images.DecodeLimits#tooLarge} in (docs/architecture.md §13, rule 3).
 */
@FunctionalInterface
public interface ImageHeaderCheck {

    /** Refuses nothing: for a verifier built without image limits. */
    ImageHeaderCheck NONE = (file, mimeType) -> Optional.empty();

    /**
     * Reads at most the header of {@code file}, never its pixels.
     *
     * @param file     the verified upload, on local disk
     * @param mimeType the type detected from its bytes; anything but an image is never refused
     * @return why the image is too large to decode (a sentence with its width × height in pixels), or empty
     *         when it is within the limits, not an image, or has a header too damaged to tell (variants decide)
     * @throws IOException when the file cannot be read
     */
    Optional<String> tooLarge(Path file, String mimeType) throws IOException;
}

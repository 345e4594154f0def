package dev.stowage.scanning;

/**
 * The outcome of one malware scan. Only {@link Clean} means the content was scanned and nothing was
 * found: a scan that failed or could not look at the whole content is never clean.
 */
public sealed interface ScanResult {

    /** Whether the content was scanned completely and no signature matched. */
    default boolean isClean() {
        return this instanceof Clean;
    }

    /** Scanned completely; no signature matched. */
    record Clean() implements ScanResult {}

    /**
     * A signature matched.
     *
     * @param signature the scanner's name for what it found, e.g. {@code Win.Test.EICAR_HDB-1}
     */
    record Infected(String signature) implements ScanResult {
        public Infected {
            if (signature == null || signature.isBlank()) throw new IllegalArgumentException("signature is required");
        }
    }

    /**
     * Not scanned because the content is larger than the scanner accepts.
     *
     * @param limitBytes the largest content the scanner accepts, in bytes
     */
    record TooLarge(long limitBytes) implements ScanResult {}

    /**
     * The scan did not produce a verdict (scanner unreachable, timed out, refused the stream, or the
     * content could not be read). Retrying later may succeed.
     *
     * @param reason one line saying what went wrong
     */
    record Failed(String reason) implements ScanResult {}
}

package dev.stowage.scanning;

/**
 * The verdict of one malware scan (docs/architecture.md §4, "Scanning"). Four kinds, never mixed up:
 * only {@link Clean} means the whole content was scanned and nothing was found; only {@link Infected}
 * means a signature matched; {@link LimitsExceeded} means the scanner did not look at all of it (never
 * malware, never clean); {@link Failed} means there is no verdict at all (retry later).
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
     * @param signature the scanner's name for what it found, e.g. {@code Win.Test.EICAR_HDB-1}; never a
     *                  limit alert ({@code Heuristics.Limits.Exceeded.*}) nor {@code (null)}
     */
    record Infected(String signature) implements ScanResult {
        public Infected {
            if (signature == null || signature.isBlank()) throw new IllegalArgumentException("signature is required");
        }
    }

    /**
     * Not fully scanned: the content, or something inside it, is over one of the scanner's limits, so the
     * scanner did not look at all of it. Deterministic for the content: scanning again with the same
     * limits gives the same answer.
     *
     * @param limit  which limit, as clamd names it: {@code MaxFileSize}, {@code MaxScanSize}, {@code MaxFiles},
     *               {@code MaxRecursion}, {@code MaxScanTime}, … ({@code Heuristics.Limits.Exceeded.<limit>}), or
     *               {@code StreamMaxLength} (clamd refused the stream as too long, or the content is over this
     *               scanner's own {@code max_stream_bytes} and was not sent)
     * @param detail one line for people: what was exceeded and, where known, by how much
     */
    record LimitsExceeded(String limit, String detail) implements ScanResult {
        /** Stowage's own stream limit and clamd's, as the one name the verdict gives it. */
        public static final String STREAM_MAX_LENGTH = "StreamMaxLength";

        public LimitsExceeded {
            if (limit == null || !limit.matches("[A-Za-z][A-Za-z0-9_]{0,63}")) throw new IllegalArgumentException("bad limit name: " + limit);
            if (detail == null || detail.isBlank()) throw new IllegalArgumentException("detail is required");
        }
    }

    /**
     * The scan did not produce a verdict (scanner unreachable, timed out, answered an error or something
     * that is not a verdict, or the content could not be read). Retrying later may succeed.
     *
     * @param reason one line saying what went wrong
     */
    record Failed(String reason) implements ScanResult {}
}

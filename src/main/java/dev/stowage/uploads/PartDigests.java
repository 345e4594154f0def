package dev.stowage.uploads;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SHA-256 of each part's byte range of a multipart object, computed while the object streams by
 * (docs/architecture.md §4): part {@code n} (1-based) covers bytes {@code (n−1)·partSize} to
 * {@code min(n·partSize, size) − 1}, so every part has {@code partSize} bytes but the last. Pure: feed the
 * bytes in order with {@link #update}, then read {@link #hex()}. Not thread-safe.
 */
final class PartDigests {
    private final long partSize;
    private final long size;
    private final List<String> done = new ArrayList<>();
    private MessageDigest current = sha256();
    private long inPart;
    private long seen;
    private List<String> result;

    /**
     * @param partSize the uniform part size in bytes, &gt; 0
     * @param size     the object's size in bytes, ≥ 0
     */
    PartDigests(long partSize, long size) {
        if (partSize <= 0 || size < 0) throw new IllegalArgumentException("part size " + partSize + ", size " + size);
        this.partSize = partSize;
        this.size = size;
    }

    /** The number of parts an object of {@code size} bytes has in parts of {@code partSize} (at least 1). */
    static int partCount(long partSize, long size) {
        return (int) Math.max(1, (size + partSize - 1) / partSize);
    }

    /** The next {@code len} bytes of the object. */
    void update(byte[] b, int off, int len) {
        if (result != null) throw new IllegalStateException("the digests were already read");
        while (len > 0) {
            int n = (int) Math.min(len, partSize - inPart);
            current.update(b, off, n);
            inPart += n;
            seen += n;
            off += n;
            len -= n;
            if (inPart == partSize) finishPart();
        }
    }

    private void finishPart() {
        done.add(HexFormat.of().formatHex(current.digest()));
        current = sha256();
        inPart = 0;
    }

    /**
     * Each part's SHA-256 (lowercase hex), part 1 first.
     *
     * @throws IllegalStateException when the bytes fed are not exactly {@code size}
     */
    List<String> hex() {
        if (result == null) {
            if (seen != size) throw new IllegalStateException("fed " + seen + " of " + size + " bytes");
            if (inPart > 0 || size == 0) finishPart();
            result = List.copyOf(done);
        }
        return result;
    }

    /**
     * The first disagreement between declared and computed part checksums, as a rejection reason naming
     * the part and its byte range; empty when every part has a declaration and matches it.
     *
     * @param declared lowercase hex SHA-256 by 1-based part number
     */
    Optional<String> mismatch(Map<Integer, String> declared) {
        List<String> computed = hex();
        for (int n = 1; n <= computed.size(); n++) {
            long first = (n - 1) * partSize;
            long last = Math.min(n * partSize, size) - 1;
            String want = declared.get(n);
            String got = computed.get(n - 1);
            String range = "bytes " + first + "–" + last;
            if (want == null) return Optional.of("part " + n + " (" + range + ") was stored without a declared SHA-256");
            if (!want.equals(got)) return Optional.of("part " + n + " (" + range + ") has SHA-256 " + got + ", declared " + want);
        }
        var beyond = declared.keySet().stream().filter(n -> n > computed.size()).findFirst();
        return beyond.map(n -> "a SHA-256 was declared for part " + n + ", but the object has " + computed.size() + " parts");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.stowage.files;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The SHA-256 declared for each part of a multipart upload, rows of {@code upload_part_checksums}
 * (docs/architecture.md §4): the latest declaration of a part wins. They outlive the upload session so
 * verification can check every part's byte range, and go when the file leaves verification.
 *
 * @param partSize the upload's uniform part size in bytes (part {@code n} covers bytes
 *                 {@code (n-1)·partSize} to {@code n·partSize − 1}; the last part is shorter)
 * @param byPart   lowercase hex SHA-256 by 1-based part number, ascending
 */
public record PartChecksums(long partSize, SortedMap<Integer, String> byPart) {
    public PartChecksums {
        byPart = Collections.unmodifiableSortedMap(new TreeMap<>(byPart));
    }
}

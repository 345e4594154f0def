package dev.stowage.storage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Defends one paginated listing (ListParts, ListObjectsV2, ListObjectVersions, ListMultipartUploads) against a
 * store that does not page as the protocol says (docs/architecture.md §9): every page is checked before the next
 * one is asked for, and the listing stops with an {@link InvalidListingException} naming the listing, bucket and
 * key when
 * <ul>
 *   <li>a truncated page's next marker does not advance: missing, the marker just sent, or one sent before;</li>
 *   <li>a page repeats an earlier one (the same entries, in the same order);</li>
 *   <li>a count is beyond the protocol's limit: more than {@value #MAX_PAGE_ENTRIES} entries in a page, or more
 *       entries in all than the listing may have ({@value #MAX_PARTS} parts for ListParts).</li>
 * </ul>
 * A guard lives for one listing and is not thread-safe. It holds a marker and a 32-byte digest per page.
 */
public final class ListingGuard {
    /** Most parts one multipart upload can have (S3: part numbers 1 to 10,000). */
    public static final int MAX_PARTS = 10_000;
    /** Most entries one page of any S3 listing holds ({@code max-keys}, {@code max-uploads}, {@code max-parts}: 1,000). */
    public static final int MAX_PAGE_ENTRIES = 1_000;

    private final String listing;
    private final String bucket;
    private final String key;
    private final long maxEntries;
    private final Set<String> markersSent = new HashSet<>();
    private final Set<String> pageDigests = new HashSet<>();
    private long entries;
    private int pages;

    private ListingGuard(String listing, String bucket, String key, long maxEntries) {
        this.listing = listing;
        this.bucket = bucket;
        this.key = key;
        this.maxEntries = maxEntries;
    }

    /**
     * A guard for one listing.
     *
     * @param listing    the S3 operation, as {@code ListObjectsV2}
     * @param bucket     the bucket listed
     * @param key        the key or prefix listed ({@code null}: the whole bucket)
     * @param maxEntries most entries the whole listing may hold ({@link Long#MAX_VALUE}: no limit but the page's)
     */
    public static ListingGuard of(String listing, String bucket, String key, long maxEntries) {
        if (maxEntries < 0) throw new IllegalArgumentException("maxEntries must be 0 or more, got " + maxEntries);
        return new ListingGuard(listing, bucket, key, maxEntries);
    }

    /** A guard for the ListParts of one multipart upload: at most {@value #MAX_PARTS} parts. */
    public static ListingGuard parts(String bucket, String key) {
        return of("ListParts", bucket, key, MAX_PARTS);
    }

    /** Pages checked so far. */
    public int pages() {
        return pages;
    }

    /** Entries checked so far, over every page. */
    public long entries() {
        return entries;
    }

    /**
     * Checks one page before its entries are used.
     *
     * @param sent      the marker (continuation token, key marker, part-number marker) this page was asked
     *                  with, {@code null} for the first page
     * @param entryIds  what identifies each entry of the page, in the page's order (a key; key and version id;
     *                  key and upload id; a part number)
     * @param truncated whether the store says more pages follow
     * @param next      the marker the store gives for the next page ({@code null} when none was given)
     * @throws InvalidListingException when the page breaks a rule above
     */
    public void page(String sent, List<String> entryIds, boolean truncated, String next) {
        pages++;
        markersSent.add(sent == null ? "" : sent);
        if (entryIds.size() > MAX_PAGE_ENTRIES) {
            throw invalid("a page of " + entryIds.size() + " entries, more than the protocol's " + MAX_PAGE_ENTRIES);
        }
        entries += entryIds.size();
        if (entries > maxEntries) {
            throw invalid(entries + " entries after " + pages + " pages, more than the protocol's " + maxEntries);
        }
        if (!entryIds.isEmpty() && !pageDigests.add(digest(entryIds))) {
            throw invalid("page " + pages + " repeats an earlier page (" + entryIds.size() + " entries from " + entryIds.getFirst() + ")");
        }
        if (!truncated) return;
        if (next == null || next.isEmpty()) throw invalid("page " + pages + " is truncated but gives no next marker");
        if (markersSent.contains(next)) {
            throw invalid("page " + pages + " is truncated but its next marker '" + shown(next) + "' does not advance"
                    + (next.equals(sent == null ? "" : sent) ? " (the marker just sent)" : " (a marker sent before)"));
        }
    }

    /**
     * Checks one page of ListParts: besides {@link #page}'s rules, part numbers lie above the marker sent and at
     * most {@value #MAX_PARTS}, and the next part-number marker is above the marker sent.
     *
     * @param sent        the part-number marker sent ({@code null} or 0 for the first page)
     * @param partNumbers the page's part numbers, in its order
     * @param next        NextPartNumberMarker, or {@code null}
     * @throws InvalidListingException when the page breaks a rule
     */
    public void partsPage(Integer sent, List<Integer> partNumbers, boolean truncated, Integer next) {
        int after = sent == null ? 0 : sent;
        for (Integer n : partNumbers) {
            if (n == null || n <= after || n > MAX_PARTS) {
                pages++;
                throw invalid("page " + pages + " lists part " + n + ", outside " + (after + 1) + ".." + MAX_PARTS);
            }
        }
        if (truncated && (next == null || next <= after || next > MAX_PARTS)) {
            pages++;
            throw invalid("page " + pages + " is truncated but its next part-number marker " + next
                    + " does not advance past " + after);
        }
        page(sent == null || sent == 0 ? null : sent.toString(), partNumbers.stream().map(String::valueOf).toList(),
                truncated, next == null ? null : next.toString());
    }

    /**
     * A key and the version or upload id beside it, as one marker or entry id of a listing (for ListObjectVersions
     * and ListMultipartUploads, whose markers and entries are pairs).
     *
     * @param id the version or upload id, or {@code null}
     */
    public static String marker(String key, String id) {
        return key == null ? null : id == null ? key : key + '\u0000' + id;
    }

    private InvalidListingException invalid(String what) {
        return new InvalidListingException(listing, bucket, key, what);
    }

    private static String shown(String marker) {
        return marker.length() > 80 ? marker.substring(0, 80) + "…" : marker;
    }

    private static String digest(List<String> ids) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String id : ids) {
                md.update(id.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

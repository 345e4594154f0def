package dev.stowage.storage;

/**
 * A store answered a paginated listing in a way the protocol does not allow (a marker that does not advance, a
 * repeated page, more entries than the protocol's limit), so the listing was stopped ({@link ListingGuard}). It is
 * not an outage ({@link #unavailable()} is false): asking again gets the same answer. Clients see it as 502
 * {@code store_listing_invalid}.
 */
public final class InvalidListingException extends StoreException {
    private final String listing;
    private final String bucket;
    private final String key;

    /**
     * @param listing the S3 operation, as {@code ListParts}
     * @param bucket  the bucket listed
     * @param key     the key or prefix listed, or {@code null} for the whole bucket
     * @param what    what was wrong
     */
    public InvalidListingException(String listing, String bucket, String key, String what) {
        super(listing + " of bucket " + bucket + (key == null ? "" : ", key " + key) + " stopped: " + what);
        this.listing = listing;
        this.bucket = bucket;
        this.key = key;
    }

    /** The S3 operation, as {@code ListParts}. */
    public String listing() {
        return listing;
    }

    /** The bucket listed. */
    public String bucket() {
        return bucket;
    }

    /** The key or prefix listed, or {@code null}. */
    public String key() {
        return key;
    }
}

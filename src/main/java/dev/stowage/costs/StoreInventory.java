package dev.stowage.costs;

import dev.stowage.storage.BucketAdmin;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bytes and object counts of a bucket per storage class, from a paginated {@code ListObjectsV2}
 * (1,000 keys a page): memory stays bounded by the number of storage classes, whatever the number of
 * objects. The storage class is the one the provider reports per object; a provider that reports none is
 * counted as {@code STANDARD}. Current versions only: noncurrent versions of a versioned bucket are not
 * listed. {@link #measure} asks the provider's own count first where it may.
 */
public final class StoreInventory {
    private final ObjectStore s3;
    private final int pageSize;

    /** Totals of one storage class. */
    public static final class Tally {
        long bytes;
        long objects;

        /** Bytes. */
        public long bytes() {
            return bytes;
        }

        /** Objects. */
        public long objects() {
            return objects;
        }
    }

    /**
     * @param s3       the object store
     * @param pageSize keys per listing page, 1 to 1,000
     */
    public StoreInventory(ObjectStore s3, int pageSize) {
        this.s3 = s3;
        this.pageSize = pageSize;
    }

    /**
     * A bucket's totals the cheapest way the store offers: the provider's own count ({@link BucketAdmin#usage},
     * one request, all of it as {@code STANDARD}, noncurrent versions included) when {@code providerCount} and
     * the provider answers, else {@link #list}.
     *
     * @return storage class → totals; empty when the bucket does not exist
     * @throws dev.stowage.storage.StoreException when the store refuses or cannot be reached
     */
    public Map<String, Tally> measure(String bucket, boolean providerCount) {
        var counted = providerCount ? s3.buckets().usage(bucket) : java.util.Optional.<BucketAdmin.Usage>empty();
        if (counted.isEmpty()) return list(bucket);
        Tally t = new Tally();
        t.bytes = counted.get().bytes();
        t.objects = counted.get().objects();
        return Map.of("STANDARD", t);
    }

    /**
     * Lists a bucket.
     *
     * @return storage class → totals; empty when the bucket does not exist
     * @throws StoreException when the store refuses the listing for another reason
     */
    public Map<String, Tally> list(String bucket) {
        Map<String, Tally> out = new TreeMap<>();
        try {
            for (ObjectStore.Listed o : s3.list(bucket, null, pageSize)) {
                String cls = o.storageClass() == null || o.storageClass().isBlank() ? "STANDARD" : o.storageClass();
                Tally t = out.computeIfAbsent(cls, k -> new Tally());
                t.bytes += o.size();
                t.objects++;
            }
        } catch (StoreException e) {
            if (!e.is(StoreException.NO_SUCH_BUCKET)) throw e;
            return out;
        }
        return out;
    }
}

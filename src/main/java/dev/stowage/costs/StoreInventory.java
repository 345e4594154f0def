package dev.stowage.costs;

import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bytes and object counts of a bucket per storage class, from a paginated {@code ListObjectsV2}
 * (1,000 keys a page): memory stays bounded by the number of storage classes, whatever the number of
 * objects. The storage class is the one the provider reports per object; a provider that reports none is
 * counted as {@code STANDARD}. Current versions only: noncurrent versions of a versioned bucket are not
 * listed.
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

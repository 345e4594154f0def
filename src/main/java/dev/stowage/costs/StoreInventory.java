package dev.stowage.costs;

import dev.stowage.storage.S3Clients;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Bytes and object counts of a bucket per storage class, from a paginated {@code ListObjectsV2}
 * (1,000 keys a page): memory stays bounded by the number of storage classes, whatever the number of
 * objects. The storage class is the one the provider reports per object; a provider that reports none is
 * counted as {@code STANDARD}. Current versions only: noncurrent versions of a versioned bucket are not
 * listed.
 */
public final class StoreInventory {
    private final S3Clients s3;
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
     * @param s3       clients
     * @param pageSize keys per listing page, 1 to 1,000
     */
    public StoreInventory(S3Clients s3, int pageSize) {
        this.s3 = s3;
        this.pageSize = pageSize;
    }

    /**
     * Lists a bucket.
     *
     * @return storage class → totals; empty when the bucket does not exist
     * @throws S3Exception when the store refuses the listing for another reason
     */
    public Map<String, Tally> list(String bucket) {
        Map<String, Tally> out = new TreeMap<>();
        try {
            for (var page : s3.client().listObjectsV2Paginator(r -> r.bucket(bucket).maxKeys(pageSize))) {
                for (S3Object o : page.contents()) {
                    String cls = o.storageClassAsString() == null || o.storageClassAsString().isBlank() ? "STANDARD" : o.storageClassAsString();
                    Tally t = out.computeIfAbsent(cls, k -> new Tally());
                    t.bytes += o.size() == null ? 0 : o.size();
                    t.objects++;
                }
            }
        } catch (software.amazon.awssdk.services.s3.model.NoSuchBucketException e) {
            return out;
        }
        return out;
    }
}

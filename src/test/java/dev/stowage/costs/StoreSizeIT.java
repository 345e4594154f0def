package dev.stowage.costs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.ObjectStore.Body;
import dev.stowage.storage.ObjectStore.Put;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How a cost snapshot learns a bucket's size on Ceph RGW (docs/architecture.md §7): from the gateway's own
 * bucket stats, one request per bucket whatever it holds, where the credentials have the capability
 * {@code buckets=read}; by listing where they have not, or where {@code costs.store_size: listing}. The
 * raw bucket is versioned on RGW, so the two ways differ in a way the test can see: the stats count the
 * replaced object's noncurrent version (which the store keeps and bills), the listing does not.
 */
class StoreSizeIT {

    /** Two current objects (1,000 and 500 bytes) and one noncurrent version (1,000 bytes) in raw. */
    private static void fill(Harness h) {
        ObjectStore store = h.stowage.store();
        String raw = h.config.storage().buckets().raw();
        store.put(Put.of(raw, "sized/replaced"), new Body.Bytes(new byte[1000]));
        store.put(Put.of(raw, "sized/replaced"), new Body.Bytes(new byte[1000]));
        store.put(Put.of(raw, "sized/kept"), new Body.Bytes(new byte[500]));
    }

    private static CostReport.Usage raw(CostReport r, Harness h) {
        String raw = h.config.storage().buckets().raw();
        var rows = r.usage().stream().filter(u -> u.bucket().equals(raw)).toList();
        assertThat(rows).as("raw bucket rows of %s", r.usage()).hasSize(1);
        return rows.getFirst();
    }

    @Test
    void withTheCapabilityTheSnapshotTakesTheGatewaysCountVersionsIncludedAndListingIsStillThereWhenAsked() {
        try (var h = new Harness(TestServers.rgwConfig(Map.of()), TestServers.rgw().credentials())) {
            fill(h);
            String raw = h.config.storage().buckets().raw();
            var usage = h.stowage.store().buckets().usage(raw);
            assertThat(usage).as("the gateway's bucket stats").isPresent();
            assertThat(usage.get().source()).isEqualTo("ceph-admin-bucket-stats");
            assertThat(usage.get().objects()).isEqualTo(3);
            assertThat(usage.get().bytes()).isEqualTo(2500);

            var counted = raw(h.stowage.costs().snapshot(), h);
            assertThat(counted.storageClass()).isEqualTo("STANDARD");
            assertThat(counted.storeObjects()).as("from the stats: the noncurrent version counts").isEqualTo(3);
            assertThat(counted.storeBytes()).isEqualTo(2500);

            StowageConfig listing = h.config.withCosts(h.config.costs().withStoreSize("listing"));
            var listed = raw(new CostService(h.stowage.store(), h.stowage.db().jdbi(), h.stowage.files(), listing, Clock.systemUTC()).snapshot(), h);
            assertThat(listed.storeObjects()).as("from a listing: current versions").isEqualTo(2);
            assertThat(listed.storeBytes()).isEqualTo(1500);
        }
    }

    @Test
    void withoutTheCapabilityTheGatewayRefusesItsCountAndTheSnapshotLists() {
        var rgw = TestServers.rgw();
        try (var h = new Harness(TestServers.rgwConfig(Map.of()), rgw.plainCredentials())) {
            fill(h);
            String raw = h.config.storage().buckets().raw();
            assertThat(h.stowage.store().buckets().usage(raw)).as("403 from the admin API: no count").isEmpty();
            var r = raw(h.stowage.costs().snapshot(), h);
            assertThat(r.storeObjects()).as("listed: current versions only").isEqualTo(2);
            assertThat(r.storeBytes()).isEqualTo(1500);
        }
    }
}

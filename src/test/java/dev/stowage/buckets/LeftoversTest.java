package dev.stowage.buckets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.buckets.Leftovers.Kind;
import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.BucketAdmin;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.ObjectStore.VersionEntry;
import dev.stowage.storage.ObjectStore.VersionPage;
import dev.stowage.storage.ProviderProfile;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The judging of a version listing, page by page (pure logic over a listing held in memory, with S3's marker
 * semantics): which versions are noncurrent for too long, which delete markers stand alone, and that a key cut
 * by the end of a bounded pass is judged whole in the next pass.
 */
class LeftoversTest {
    static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    static final List<String> requests = new ArrayList<>();

    static Instant daysAgo(int d) {
        return NOW.minus(Duration.ofDays(d));
    }

    /** A store holding only a version listing, paged as S3 pages it (key-marker alone: after that key). */
    static ObjectStore store(List<VersionEntry> listing) {
        BucketAdmin admin = (BucketAdmin) Proxy.newProxyInstance(BucketAdmin.class.getClassLoader(), new Class<?>[] {BucketAdmin.class},
                (p, m, a) -> m.getName().equals("exists") ? a[0].equals("raw") : null);
        return (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(), new Class<?>[] {ObjectStore.class}, (p, m, a) -> switch (m.getName()) {
            case "profile" -> ProviderProfile.of(Provider.CEPH);
            case "buckets" -> admin;
            case "multipartUploadsPage" -> new ObjectStore.UploadPage(List.of(), null, null);
            case "versionsPage" -> {
                int size = (int) a[2];
                String keyMarker = (String) a[3], idMarker = (String) a[4];
                requests.add(keyMarker + "/" + idMarker);
                int from = 0;
                if (keyMarker != null) {
                    while (from < listing.size() && (listing.get(from).key().compareTo(keyMarker) < 0
                            || (listing.get(from).key().equals(keyMarker) && (idMarker == null || !listing.get(from).versionId().equals(idMarker))))) from++;
                    if (idMarker != null) from++; // after that version
                }
                int to = Math.min(listing.size(), from + size);
                var page = listing.subList(from, to);
                boolean more = to < listing.size();
                yield new VersionPage(List.copyOf(page), more ? page.getLast().key() : null, more ? page.getLast().versionId() : null);
            }
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    static StowageConfig config(int pageSize, int maxPages) {
        var base = new StowageConfig(StowageConfig.Mode.PRODUCTION, null,
                new StowageConfig.Storage(Provider.CEPH, null, "us-east-1", true, new StowageConfig.Buckets("raw", "processed", "backups", "logs"), null),
                null, null);
        return base.withCosts(base.costs().withLeftovers(new StowageConfig.Leftovers(Duration.ZERO, maxPages, pageSize, Duration.ofHours(48))));
    }

    static VersionEntry v(String key, String id, boolean marker, boolean latest, int daysAgo) {
        return new VersionEntry(key, id, marker, latest, daysAgo(daysAgo));
    }

    // raw: noncurrent versions kept 30 days, lone markers removed; plus 2 days of grace
    static final List<VersionEntry> LISTING = List.of(
            v("a", "a3", false, true, 1),
            v("a", "a2", false, false, 40),   // noncurrent since a3 was written (1 day): fine
            v("a", "a1", false, false, 50),   // noncurrent since a2 (40 days): counts
            v("b", "b2", true, true, 40),     // a marker with b1 behind it: not lone
            v("b", "b1", false, false, 60),   // noncurrent since the marker (40 days): counts
            v("c", "c2", true, true, 10),     // lone markers: counts
            v("c", "c1", true, false, 20),
            v("d", "d1", true, true, 1),      // lone but within the grace
            v("e", "e1", false, true, 100));

    @Test
    void versionsAndMarkersAreJudgedByWhenTheyStartedToAge() {
        var r = new Leftovers(store(LISTING), config(1000, 10), Clock.fixed(NOW, ZoneOffset.UTC)).scan();
        var noncurrent = result(r, Kind.NONCURRENT_VERSIONS);
        var markers = result(r, Kind.EXPIRED_DELETE_MARKERS);
        assertThat(noncurrent.count()).isEqualTo(2);
        assertThat(noncurrent.examples()).containsExactly("a", "b");
        assertThat(noncurrent.oldest()).isEqualTo(daysAgo(40));
        assertThat(noncurrent.allowed()).isEqualTo(Duration.ofDays(32));
        assertThat(markers.count()).isEqualTo(1);
        assertThat(markers.examples()).containsExactly("c");
        assertThat(markers.truncated()).isFalse();
    }

    @Test
    void aKeyCutByTheEndOfABoundedPassIsJudgedWholeInTheNext() {
        requests.clear();
        // passes of 2 pages of 2 entries: the first ends inside key b (marker b2, then b1 on the next page)
        var leftovers = new Leftovers(store(LISTING), config(2, 2), Clock.fixed(NOW, ZoneOffset.UTC));
        var first = leftovers.scan();
        assertThat(result(first, Kind.NONCURRENT_VERSIONS).truncated()).isTrue();
        assertThat(result(first, Kind.NONCURRENT_VERSIONS).examples()).containsExactly("a");
        assertThat(result(first, Kind.EXPIRED_DELETE_MARKERS).count()).as("b is not judged on half its versions").isZero();
        var second = leftovers.scan();
        assertThat(requests.get(2)).as("the second pass starts after a, the last key judged whole").isEqualTo("a/null");
        assertThat(result(second, Kind.NONCURRENT_VERSIONS).examples()).containsExactly("b");
        assertThat(result(second, Kind.EXPIRED_DELETE_MARKERS).examples()).as("b has a version behind its marker").doesNotContain("b");
        // on until the end, then back at the start
        long markers = result(second, Kind.EXPIRED_DELETE_MARKERS).count();
        Leftovers.Report next = second;
        for (int i = 0; i < 5 && result(next, Kind.NONCURRENT_VERSIONS).truncated(); i++) {
            next = leftovers.scan();
            markers += result(next, Kind.EXPIRED_DELETE_MARKERS).count();
        }
        assertThat(result(next, Kind.NONCURRENT_VERSIONS).truncated()).isFalse();
        assertThat(markers).as("c found once over the passes").isEqualTo(1);
        int before = requests.size();
        leftovers.scan();
        assertThat(requests.get(before)).as("after the last page the next pass starts over").isEqualTo("null/null");
    }

    static Leftovers.Result result(Leftovers.Report r, Kind k) {
        return r.results().stream().filter(x -> x.bucket().equals("raw") && x.kind() == k).findFirst().orElseThrow();
    }
}

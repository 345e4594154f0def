package dev.stowage.costs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.audit.Auditor;
import dev.stowage.audit.Finding;
import dev.stowage.buckets.Leftovers;
import dev.stowage.buckets.Leftovers.Kind;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.ObjectStore.Body;
import dev.stowage.storage.ObjectStore.Put;
import dev.stowage.testing.Harness;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The leftovers monitor finds an abandoned multipart upload (initiated, one part uploaded, never completed)
 * once it is older than the bucket's abort rule allows, and not before: as a gauge, an alert and an audit
 * finding — on the embedded store and on Ceph RGW (conformance pair), plus noncurrent versions and expired
 * delete markers on RGW, which versions. A store cannot backdate an upload, so "older" is a clock moved
 * forward past the rule's days plus the grace; the passes are bounded and resume where they stopped.
 */
class LeftoversIT {
    /** The worker's own pass is off: the test runs the passes with its clocks. */
    static StowageConfig quiet(StowageConfig c, int pageSize, int maxPages) {
        return c.withCosts(c.costs().withLeftovers(new StowageConfig.Leftovers(Duration.ZERO, maxPages, pageSize, Duration.ofHours(48))));
    }

    @Test
    void onTheEmbeddedStore() {
        try (var h = new Harness(Map.of(), c -> quiet(c, 1000, 10))) {
            abandonedUploadIsFound(h);
            passesAreBoundedAndResume(h);
        }
    }

    @Test
    void onCephRgw() {
        try (var h = new Harness(quiet(TestServers.rgwConfig(Map.of()), 1000, 10), TestServers.rgw().credentials())) {
            abandonedUploadIsFound(h);
            passesAreBoundedAndResume(h);
            noncurrentVersionsAndExpiredDeleteMarkersAreFound(h);
        }
    }

    static void noncurrentVersionsAndExpiredDeleteMarkersAreFound(Harness h) {
        ObjectStore store = h.stowage.store();
        String raw = h.config.storage().buckets().raw();
        store.put(Put.of(raw, "v/replaced"), new Body.Bytes(bytes("first")));
        store.put(Put.of(raw, "v/replaced"), new Body.Bytes(bytes("second")));       // one noncurrent version
        var kept = store.put(Put.of(raw, "v/deleted"), new Body.Bytes(bytes("kept")));
        store.delete(raw, "v/deleted");                                                 // a marker with a version behind it
        var gone = store.put(Put.of(raw, "m/alone"), new Body.Bytes(bytes("gone")));
        store.delete(raw, "m/alone");
        store.deleteVersion(raw, "m/alone", gone.versionId());                         // a marker with nothing behind it
        assertThat(kept.versionId()).isNotNull();

        var now = byKind(new Leftovers(store, h.config, Clock.systemUTC()).scan(), raw);
        assertThat(now.get(Kind.NONCURRENT_VERSIONS).count()).isZero();
        assertThat(now.get(Kind.EXPIRED_DELETE_MARKERS).count()).as("within the grace").isZero();

        // raw keeps noncurrent versions 30 days; plus 2 days of grace
        var later = byKind(new Leftovers(store, h.config, Clock.offset(Clock.systemUTC(), Duration.ofDays(33))).scan(), raw);
        assertThat(later.get(Kind.NONCURRENT_VERSIONS).count()).as(later.get(Kind.NONCURRENT_VERSIONS).describe()).isEqualTo(2);
        assertThat(later.get(Kind.NONCURRENT_VERSIONS).examples()).containsExactlyInAnyOrder("v/deleted", "v/replaced");
        assertThat(later.get(Kind.EXPIRED_DELETE_MARKERS).count()).isEqualTo(1);
        assertThat(later.get(Kind.EXPIRED_DELETE_MARKERS).examples()).containsExactly("m/alone");
        assertThat(later.get(Kind.EXPIRED_DELETE_MARKERS).truncated()).isFalse();
    }

    static void abandonedUploadIsFound(Harness h) {
        ObjectStore store = h.stowage.store();
        String raw = h.config.storage().buckets().raw();
        String id = store.createMultipart(Put.of(raw, "staging/abandoned").contentType("application/octet-stream"), false);
        store.uploadPart(raw, "staging/abandoned", id, 1, new Body.Bytes(new byte[64 * 1024]), null);
        try {
            // fresh, under the normal rule (7 days + 2 days of grace): nothing
            var fresh = new LeftoversMonitor(new Leftovers(store, h.config, Clock.systemUTC()), h.stowage.costs(), Duration.ZERO).run();
            assertThat(byKind(fresh, raw).get(Kind.INCOMPLETE_UPLOADS).count()).isZero();
            assertThat(gauge(h, raw)).isEqualTo("0.0");
            assertThat(leftoverFindings(h, Clock.systemUTC(), raw)).singleElement()
                    .satisfies(f -> assertThat(f.status()).isEqualTo(Finding.Status.PASS));

            // ten days on: past the rule and its grace
            Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(10));
            var old = new LeftoversMonitor(new Leftovers(store, h.config, later), h.stowage.costs(), Duration.ZERO).run();
            var found = byKind(old, raw).get(Kind.INCOMPLETE_UPLOADS);
            assertThat(found.count()).isEqualTo(1);
            assertThat(found.examples()).containsExactly("staging/abandoned");
            assertThat(found.allowed()).isEqualTo(Duration.ofDays(9));
            assertThat(found.truncated()).isFalse();
            assertThat(gauge(h, raw)).isEqualTo("1.0");
            var alerts = h.stowage.costs().latestOrSnapshot().alerts();
            assertThat(alerts).anySatisfy(a -> {
                assertThat(a.kind()).isEqualTo(LeftoversMonitor.ALERT);
                assertThat(a.subject()).isEqualTo(raw + "/incomplete_uploads");
                assertThat(a.message()).contains("1 incomplete multipart uploads older than 9 days", "staging/abandoned");
            });
            assertThat(leftoverFindings(h, later, raw)).singleElement().satisfies(f -> {
                assertThat(f.status()).isEqualTo(Finding.Status.FAIL);
                assertThat(f.control()).isEqualTo("STOWAGE.4");
                assertThat(f.detail()).contains("1 incomplete multipart uploads older than 9 days");
            });
            // the alert is raised once a day per bucket and kind
            new LeftoversMonitor(new Leftovers(store, h.config, later), h.stowage.costs(), Duration.ZERO).run();
            assertThat(h.stowage.costs().latestOrSnapshot().alerts().stream().filter(a -> a.kind().equals(LeftoversMonitor.ALERT))).hasSize(1);
        } finally {
            store.abortMultipart(raw, "staging/abandoned", id);
        }
    }

    static void passesAreBoundedAndResume(Harness h) {
        ObjectStore store = h.stowage.store();
        String raw = h.config.storage().buckets().raw();
        List<String> keys = List.of("staging/a", "staging/b", "staging/c");
        List<String> ids = keys.stream().map(k -> store.createMultipart(Put.of(raw, k), false)).toList();
        try {
            var leftovers = new Leftovers(store, quiet(h.config, 1, 1), Clock.offset(Clock.systemUTC(), Duration.ofDays(10)));
            // one page of one upload a pass: each pass says it stopped early, and the next goes on from there
            for (String expected : List.of("staging/a", "staging/b", "staging/c", "staging/a")) {
                var r = byKind(leftovers.scan(), raw).get(Kind.INCOMPLETE_UPLOADS);
                assertThat(r.pages()).isEqualTo(1);
                assertThat(r.examples()).containsExactly(expected);
                assertThat(r.truncated()).isEqualTo(!expected.equals("staging/c"));
                if (r.truncated()) assertThat(r.describe()).contains("stopped after 1 listing pages");
            }
        } finally {
            for (int i = 0; i < keys.size(); i++) store.abortMultipart(raw, keys.get(i), ids.get(i));
        }
    }

    static Map<Kind, Leftovers.Result> byKind(Leftovers.Report r, String bucket) {
        var m = new java.util.EnumMap<Kind, Leftovers.Result>(Kind.class);
        for (var x : r.results()) if (x.bucket().equals(bucket)) m.put(x.kind(), x);
        return m;
    }

    static List<Finding> leftoverFindings(Harness h, Clock clock, String bucket) {
        return new Auditor(h.stowage.store(), h.config, false, clock).run().findings().stream()
                .filter(f -> f.control().equals("STOWAGE.4") && f.resource().equals(bucket) && f.detail().contains("incomplete multipart uploads"))
                .toList();
    }

    static String gauge(Harness h, String bucket) {
        String line = "stowage_leftovers{bucket=\"" + bucket + "\",kind=\"incomplete_uploads\"} ";
        return h.metrics().lines().filter(l -> l.startsWith(line)).map(l -> l.substring(line.length()))
                .findFirst().orElse("absent");
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

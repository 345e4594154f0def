package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.S3FaultProxy;
import dev.stowage.testing.TestServers;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The start-up probe against Ceph RGW, directly and behind a proxy that plays an older or smaller store. */
class ProviderProbeIT {
    private final TestServers.Rgw rgw = TestServers.rgw();

    /** A Ceph storage section with its raw bucket created, at {@code endpoint} (the gateway or a proxy before it). */
    private StowageConfig.Storage ceph() {
        var storage = rgw.storage();
        try (S3Clients c = S3Clients.create(storage, rgw.credentials())) {
            new S3ObjectStore(c).buckets().create(storage.buckets().raw(), storage.region());
            c.client().putBucketVersioning(r -> r.bucket(storage.buckets().raw()).versioningConfiguration(v -> v.status("Enabled")));
        }
        return storage;
    }

    private static StowageConfig.Storage at(StowageConfig.Storage s, URI endpoint) {
        return new StowageConfig.Storage(s.provider(), endpoint, s.region(), s.pathStyle(), s.buckets(), s.cors(), s.timeouts());
    }

    private static boolean crcOnly(S3FaultProxy.Request r) {
        return !r.headers().containsKey("content-md5");
    }

    @Test
    void onCephEveryCheckAnswersAndTheProbeLeavesNothingBehind() {
        var storage = ceph();
        ProviderProbe.run(storage, rgw.credentials()); // a cold JVM's first SDK calls are slow: time the second
        long t0 = System.nanoTime();
        var report = ProviderProbe.run(storage, rgw.credentials());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("probe of ceph took " + ms + " ms\n" + report.table());
        assertThat(report.probed()).isTrue();
        assertThat(report.problems()).isEmpty();
        assertThat(report.checks()).filteredOn(c -> c.capability() != null && c.capability().required())
                .extracting(ProviderProbe.Check::result).containsOnly(ProviderProbe.Result.OK).hasSize(3);
        assertThat(report.profile()).isEqualTo(ProviderProfile.of(storage.provider()));
        try (S3Clients c = S3Clients.create(storage, rgw.credentials())) {
            var store = new S3ObjectStore(c);
            // versions and delete markers of the probe objects are gone too
            assertThat(store.versions(storage.buckets().raw(), ProviderProbe.PREFIX)).isEmpty();
            assertThat(store.multipartUploads(storage.buckets().raw(), ProviderProbe.PREFIX)).isEmpty();
        }
    }

    @Test
    void aStoreRefusingCrcOnlyTaggingAndDeleteObjectsGetsContentMd5AndTaggingThenWorks() {
        var direct = ceph();
        String refusal = S3FaultProxy.error(400, "Bad Request", "InvalidRequest", "Missing required header for this request: Content-Md5");
        try (var proxy = S3FaultProxy.to(direct.endpoint(), r ->
                (r.method().equals("PUT") && r.has("tagging") || r.method().equals("POST") && r.has("delete")) && crcOnly(r) ? refusal : null)) {
            var storage = at(direct, proxy.endpoint());
            var report = ProviderProbe.run(storage, rgw.credentials());
            System.out.println(report.table());
            assertThat(report.problems()).isEmpty();
            assertThat(report.profile().contentMd5()).isTrue();
            assertThat(report.profile().has(Capability.OBJECT_TAGGING)).isTrue();
            assertThat(report.checks()).filteredOn(c -> c.capability() == Capability.OBJECT_TAGGING).singleElement()
                    .satisfies(c -> assertThat(c.detail()).contains("refused without Content-MD5 (400 InvalidRequest"));
            assertThat(report.table()).contains("Checksums: Content-MD5 on requests that require a checksum");

            String bucket = storage.buckets().raw();
            String key = "probe-test/" + java.util.UUID.randomUUID();
            // the provider's profile as recorded: the tag set is refused
            try (S3Clients plain = S3Clients.create(storage, rgw.credentials())) {
                var store = new S3ObjectStore(plain);
                store.put(ObjectStore.Put.of(bucket, key), ObjectStore.Body.of(new byte[] {1, 2, 3}));
                assertThatThrownBy(() -> store.putTags(bucket, key, Map.of("stowage-state", "ready")))
                        .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.status()).isEqualTo(400));
            }
            // the probed profile: Content-MD5 goes along and the store takes tags and batch deletes
            try (S3Clients probed = S3Clients.create(storage, rgw.credentials(), true, report.profile())) {
                var store = new S3ObjectStore(probed);
                store.putTags(bucket, key, Map.of("stowage-state", "ready"));
                assertThat(store.tags(bucket, key)).containsEntry("stowage-state", "ready");
                assertThat(store.deleteMany(bucket, java.util.List.of(key))).isEmpty();
                assertThat(store.head(bucket, key, false)).isEmpty();
            }
            assertThat(proxy.seen()).anySatisfy(r -> {
                assertThat(r.has("tagging") && r.method().equals("PUT")).isTrue();
                assertThat(r.headers()).containsKey("content-md5");
            });
        }
    }

    @Test
    void aStoreWithoutDeleteObjectsIsAProblemNamedWithBucketAndProvider() {
        var direct = ceph();
        try (var proxy = S3FaultProxy.to(direct.endpoint(), r -> r.method().equals("POST") && r.has("delete")
                ? S3FaultProxy.error(501, "Not Implemented", "NotImplemented", "Not implemented") : null)) {
            var storage = at(direct, proxy.endpoint());
            var report = ProviderProbe.run(storage, rgw.credentials());
            assertThat(report.problems()).singleElement().asString()
                    .contains("ceph store at " + proxy.endpoint()).contains("refuses DeleteObjects on bucket " + storage.buckets().raw())
                    .contains("501 NotImplemented").contains("batch-delete");
            assertThat(report.profile().has(Capability.BATCH_DELETE)).isFalse();
        }
        // the probe objects were deleted one by one instead
        try (S3Clients c = S3Clients.create(direct, rgw.credentials())) {
            assertThat(new S3ObjectStore(c).list(direct.buckets().raw(), ProviderProbe.PREFIX, 100)).isEmpty();
        }
    }

    @Test
    void aSettingReadAnswered501IsTakenOutOfTheProfile() {
        var direct = ceph();
        try (var proxy = S3FaultProxy.to(direct.endpoint(), r -> r.method().equals("GET") && r.has("lifecycle")
                ? S3FaultProxy.error(501, "Not Implemented", "NotImplemented", "Not implemented") : null)) {
            var report = ProviderProbe.run(at(direct, proxy.endpoint()), rgw.credentials());
            assertThat(report.problems()).isEmpty();
            assertThat(report.profile().has(Capability.LIFECYCLE)).isFalse();
            assertThat(report.profile().insteadOf(Capability.LIFECYCLE)).contains("GetBucketLifecycleConfiguration answered 501 NotImplemented");
            assertThat(report.profile().has(Capability.VERSIONING)).isTrue();
        }
    }
}

package dev.stowage.buckets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketChange.Action;
import dev.stowage.storage.S3Clients;
import dev.stowage.testing.TestServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CORSRule;

/**
 * {@code buckets plan | apply | plan} against the embedded S3 server and against Ceph RGW: every setting
 * configuration asks for is made, read back equal, and left alone by a second apply; what a provider
 * cannot hold is listed as unsupported with what Stowage does instead.
 */
class BucketPlannerIT {

    private static List<BucketChange> changes(List<BucketChange> plan) {
        return plan.stream().filter(BucketChange::isChange).toList();
    }

    @Test
    void embeddedServerCreatesBucketsAndListsEverythingElseAsUnsupported() {
        var storage = new StowageConfig.Storage(Provider.EMBEDDED, TestServers.embeddedS3(), "us-east-1", true,
                TestServers.freshBuckets(), new StowageConfig.Cors(List.of("http://localhost:8080"), Duration.ofHours(1)), TestServers.TIMEOUTS);
        var b = storage.buckets();
        try (S3Clients s3 = TestServers.embeddedClients(storage)) {
            var planner = new BucketPlanner(new dev.stowage.storage.S3ObjectStore(s3), storage);
            List<BucketChange> before = planner.plan();
            assertThat(changes(before)).extracting(BucketChange::setting, BucketChange::action)
                    .containsOnly(tuple("bucket", Action.CREATE)).hasSize(4);
            assertThat(before).filteredOn(c -> c.action() == Action.UNSUPPORTED)
                    .extracting(BucketChange::bucket, BucketChange::setting).containsExactly(
                            tuple(b.raw(), "versioning"), tuple(b.raw(), "encryption"), tuple(b.raw(), "public-access-block"),
                            tuple(b.raw(), "lifecycle"), tuple(b.raw(), "cors"), tuple(b.raw(), "policy"), tuple(b.raw(), "logging"),
                            tuple(b.processed(), "encryption"), tuple(b.processed(), "public-access-block"), tuple(b.processed(), "lifecycle"),
                            tuple(b.processed(), "cors"), tuple(b.processed(), "policy"), tuple(b.processed(), "logging"),
                            tuple(b.backups(), "versioning"), tuple(b.backups(), "encryption"), tuple(b.backups(), "public-access-block"),
                            tuple(b.backups(), "lifecycle"), tuple(b.backups(), "policy"), tuple(b.backups(), "logging"),
                            tuple(b.logs(), "encryption"), tuple(b.logs(), "public-access-block"), tuple(b.logs(), "lifecycle"),
                            tuple(b.logs(), "policy"));
            assertThat(before).filteredOn(c -> c.action() == Action.UNSUPPORTED)
                    .allSatisfy(c -> assertThat(c.detail()).startsWith("unsupported by embedded: "));
            // what Stowage does instead is said, e.g. for the raw bucket's lifecycle and versioning
            assertThat(BucketPlanner.render(before, false)).contains("  + bucket: create in us-east-1",
                    "  ! versioning: unsupported by embedded: dev only: deleted files are kept by Stowage's soft delete, not by the store",
                    "  ! lifecycle: unsupported by embedded: dev only: Stowage's sweepers expire abandoned uploads (rules not held: "
                            + "stowage-transition, stowage-expire-staging, stowage-abort-multipart, stowage-expire-temporary, stowage-noncurrent)",
                    "4 change(s) to apply.");

            assertThat(planner.apply()).hasSize(4);
            List<BucketChange> after = planner.plan();
            assertThat(changes(after)).isEmpty();
            assertThat(BucketPlanner.render(after, false)).endsWith("No changes.\n");
            assertThat(planner.apply()).isEmpty();
            var names = s3.client().listBuckets().buckets().stream().map(x -> x.name()).toList();
            assertThat(names).containsAll(b.all());
        }
    }

    @Test
    void cephGatewayGetsEverySettingItCanHoldAndReadsItBackAsConfigured() {
        var rgw = TestServers.rgw();
        var storage = rgw.storage();
        var b = storage.buckets();
        var settings = StowageConfig.BucketSettings.DEFAULT;
        try (S3Clients s3 = S3Clients.create(storage, rgw.credentials())) {
            var planner = new BucketPlanner(new dev.stowage.storage.S3ObjectStore(s3), storage, settings, Optional.empty());
            List<BucketChange> before = planner.plan();
            assertThat(changes(before)).extracting(BucketChange::bucket, BucketChange::setting, BucketChange::action).containsExactly(
                    tuple(b.raw(), "bucket", Action.CREATE), tuple(b.raw(), "versioning", Action.CREATE),
                    tuple(b.raw(), "lifecycle", Action.CREATE), tuple(b.raw(), "cors", Action.CREATE),
                    tuple(b.processed(), "bucket", Action.CREATE), tuple(b.processed(), "lifecycle", Action.CREATE),
                    tuple(b.processed(), "cors", Action.CREATE),
                    tuple(b.backups(), "bucket", Action.CREATE), tuple(b.backups(), "versioning", Action.CREATE),
                    tuple(b.backups(), "lifecycle", Action.CREATE),
                    tuple(b.logs(), "bucket", Action.CREATE), tuple(b.logs(), "lifecycle", Action.CREATE));
            // RGW 16: no default encryption, no enforced block public access, no access logging; and over plain HTTP
            // a TLS-only policy would lock Stowage out
            assertThat(before).filteredOn(c -> c.action() == Action.UNSUPPORTED && c.bucket().equals(b.raw()))
                    .extracting(BucketChange::setting).containsExactly("encryption", "public-access-block", "policy", "logging");
            assertThat(before).filteredOn(c -> c.setting().equals("policy")).allSatisfy(c ->
                    assertThat(c.detail()).startsWith("unsupported by ceph over plain HTTP (" + rgw.endpoint() + ")"));
            assertThat(planner.apply()).hasSize(12);
            assertThat(changes(planner.plan())).isEmpty();
            assertThat(planner.apply()).isEmpty();

            // read back: what configuration says, checked against the configuration's values, not the planner's
            var inspect = new BucketInspector(new dev.stowage.storage.S3ObjectStore(s3));
            assertThat(inspect.versioning(b.raw())).isEqualTo("Enabled");
            assertThat(inspect.versioning(b.backups())).isEqualTo("Enabled");
            assertThat(inspect.versioning(b.processed())).isNull();
            assertThat(inspect.versioning(b.logs())).isNull();
            var raw = settings.raw();
            assertThat(views(inspect.lifecycle(b.raw()))).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "stowage-transition", "prefix= tags=[] transitions=[" + raw.transitionDays() + "→STANDARD_IA] exp=0 marker=false nc=0 abort=0",
                    "stowage-expire-temporary", "prefix= tags=[stowage-state=pending] transitions=[] exp=" + raw.temporaryExpireDays() + " marker=false nc=0 abort=0",
                    "stowage-expire-staging", "prefix=staging/ tags=[] transitions=[] exp=" + raw.temporaryExpireDays() + " marker=false nc=0 abort="
                            + raw.temporaryExpireDays(),
                    "stowage-abort-multipart", "prefix= tags=[] transitions=[] exp=0 marker=false nc=0 abort=" + raw.abortIncompleteMultipartDays(),
                    "stowage-noncurrent", "prefix= tags=[] transitions=[] exp=0 marker=true nc=" + raw.noncurrentExpireDays() + " abort=0"));
            assertThat(views(inspect.lifecycle(b.processed()))).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "stowage-abort-multipart", "prefix= tags=[] transitions=[] exp=0 marker=false nc=0 abort=7"));
            assertThat(views(inspect.lifecycle(b.backups()))).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "stowage-transition", "prefix= tags=[] transitions=[90→GLACIER] exp=0 marker=false nc=0 abort=0",
                    "stowage-expire", "prefix= tags=[] transitions=[] exp=1095 marker=false nc=0 abort=0",
                    "stowage-abort-multipart", "prefix= tags=[] transitions=[] exp=0 marker=false nc=0 abort=7",
                    "stowage-noncurrent", "prefix= tags=[] transitions=[] exp=0 marker=true nc=30 abort=0"));
            assertThat(views(inspect.lifecycle(b.logs()))).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "stowage-expire", "prefix= tags=[] transitions=[] exp=" + settings.logs().expireDays() + " marker=false nc=0 abort=0",
                    "stowage-abort-multipart", "prefix= tags=[] transitions=[] exp=0 marker=false nc=0 abort=7"));
            var rules = inspect.cors(b.raw());
            assertThat(rules).hasSize(1);
            assertThat(rules.getFirst().allowedOrigins()).containsExactlyInAnyOrder("http://localhost:8080", "https://app.example.com");
            assertThat(rules.getFirst().allowedMethods()).containsExactlyInAnyOrder("GET", "HEAD", "PUT");
            assertThat(rules.getFirst().exposeHeaders()).containsExactlyInAnyOrder("ETag", "Content-Range", "Accept-Ranges", "Content-Length");
            assertThat(rules.getFirst().allowedHeaders()).contains("range", "if-match", "if-none-match", "x-amz-acl", "x-amz-storage-class");
            assertThat(inspect.cors(b.backups())).isEmpty();
            assertThat(inspect.policy(b.raw())).isNull();

            // drift: versioning suspended, a lifecycle rule removed by hand, CORS opened on processed and added on backups
            s3.client().putBucketVersioning(r -> r.bucket(b.raw()).versioningConfiguration(v -> v.status(BucketVersioningStatus.SUSPENDED)));
            s3.client().putBucketLifecycleConfiguration(r -> r.bucket(b.backups()).lifecycleConfiguration(l -> l.rules(
                    s3.client().getBucketLifecycleConfiguration(g -> g.bucket(b.backups())).rules().stream()
                            .filter(x -> !x.id().equals("stowage-expire")).toList())));
            s3.client().putBucketCors(r -> r.bucket(b.processed()).corsConfiguration(c -> c.corsRules(
                    CORSRule.builder().allowedOrigins("*").allowedMethods("GET", "PUT", "DELETE").build())));
            s3.client().putBucketCors(r -> r.bucket(b.backups()).corsConfiguration(c -> c.corsRules(
                    CORSRule.builder().allowedOrigins("*").allowedMethods("GET").build())));
            // the raw bucket's rule as releases before ranged downloads set it: no Range, only ETag exposed
            s3.client().putBucketCors(r -> r.bucket(b.raw()).corsConfiguration(c -> c.corsRules(CORSRule.builder().id("stowage-browser")
                    .allowedOrigins(storage.cors().allowedOrigins()).allowedMethods("GET", "HEAD", "PUT")
                    .allowedHeaders("content-type", "x-amz-meta-original-filename", "x-amz-tagging").exposeHeaders("ETag")
                    .maxAgeSeconds((int) storage.cors().maxAge().toSeconds()).build())));
            List<BucketChange> drift = changes(planner.plan());
            assertThat(drift).extracting(BucketChange::bucket, BucketChange::setting, BucketChange::action).containsExactly(
                    tuple(b.raw(), "versioning", Action.UPDATE),
                    tuple(b.raw(), "cors", Action.UPDATE),
                    tuple(b.processed(), "cors", Action.UPDATE),
                    tuple(b.backups(), "lifecycle", Action.UPDATE),
                    tuple(b.backups(), "cors", Action.DELETE));
            assertThat(drift.get(1).detail()).contains("range", "if-match", "Content-Range", "Accept-Ranges");
            assertThat(BucketPlanner.render(drift, false)).contains("~ cors", "Content-Range");
            assertThat(planner.apply()).hasSize(5);
            assertThat(changes(planner.plan())).isEmpty();
            assertThat(inspect.versioning(b.raw())).isEqualTo("Enabled");
            assertThat(inspect.cors(b.processed()).getFirst().allowedMethods()).containsExactlyInAnyOrder("GET", "HEAD");
            assertThat(inspect.cors(b.raw()).getFirst().exposeHeaders()).contains("Content-Range");
            assertThat(views(inspect.lifecycle(b.backups()))).containsKey("stowage-expire");
        }
    }

    /** Each rule as a line of what it does, independent of how the store spells it. */
    static Map<String, String> views(List<dev.stowage.storage.BucketAdmin.LifecycleRule> rules) {
        var out = new java.util.TreeMap<String, String>();
        for (var r : rules) {
            var v = LifecycleRules.view(r);
            assertThat(v.enabled()).as(r.id() + " enabled").isTrue();
            out.put(v.id(), "prefix=" + v.prefix() + " tags=" + v.tags() + " transitions=" + v.transitions() + " exp=" + v.expirationDays()
                    + " marker=" + v.expiredDeleteMarker() + " nc=" + v.noncurrentDays() + " abort=" + v.abortDays());
        }
        return out;
    }
}

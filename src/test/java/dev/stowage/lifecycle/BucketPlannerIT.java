package dev.stowage.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.lifecycle.BucketChange.Action;
import dev.stowage.storage.S3Clients;
import dev.stowage.testing.TestServers;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CORSRule;

/** {@code buckets plan | apply | plan} against the embedded S3 server and against Ceph RGW. */
class BucketPlannerIT {

    private static List<BucketChange> changes(List<BucketChange> plan) {
        return plan.stream().filter(BucketChange::isChange).toList();
    }

    @Test
    void embeddedServerCreatesBucketsAndReportsCorsUnsupported() {
        var storage = new StowageConfig.Storage(Provider.EMBEDDED, TestServers.embeddedS3(), "us-east-1", true,
                TestServers.freshBuckets(), new StowageConfig.Cors(List.of("http://localhost:8080"), Duration.ofHours(1)));
        try (S3Clients s3 = TestServers.embeddedClients(storage)) {
            var planner = new BucketPlanner(s3, storage);
            List<BucketChange> before = planner.plan();
            assertThat(changes(before)).extracting(BucketChange::setting, BucketChange::action)
                    .containsOnly(org.assertj.core.groups.Tuple.tuple("bucket", Action.CREATE)).hasSize(4);
            assertThat(before).filteredOn(c -> c.action() == Action.UNSUPPORTED)
                    .extracting(BucketChange::bucket).containsExactly(storage.buckets().raw(), storage.buckets().processed());
            assertThat(before).filteredOn(c -> c.action() == Action.UNSUPPORTED)
                    .allSatisfy(c -> assertThat(c.detail()).startsWith("unsupported by embedded: "));
            assertThat(BucketPlanner.render(before, false)).contains("  + bucket: create in us-east-1", "4 change(s) to apply.");

            assertThat(planner.apply()).hasSize(4);
            List<BucketChange> after = planner.plan();
            assertThat(changes(after)).isEmpty();
            assertThat(BucketPlanner.render(after, false)).endsWith("No changes.\n");
            assertThat(planner.apply()).isEmpty();
            var names = s3.client().listBuckets().buckets().stream().map(b -> b.name()).toList();
            assertThat(names).containsAll(storage.buckets().all());
        }
    }

    @Test
    void cephGatewayGetsBucketsAndCorsAndDriftIsRepaired() {
        var rgw = TestServers.rgw();
        var storage = rgw.storage();
        try (S3Clients s3 = S3Clients.create(storage, rgw.credentials())) {
            var planner = new BucketPlanner(s3, storage);
            List<BucketChange> before = planner.plan();
            assertThat(changes(before)).extracting(BucketChange::bucket, BucketChange::setting, BucketChange::action).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().raw(), "bucket", Action.CREATE),
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().raw(), "cors", Action.CREATE),
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().processed(), "bucket", Action.CREATE),
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().processed(), "cors", Action.CREATE),
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().backups(), "bucket", Action.CREATE),
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().logs(), "bucket", Action.CREATE));
            planner.apply();
            assertThat(changes(planner.plan())).isEmpty();

            // the live rule is what a browser upload needs
            List<CORSRule> rules = s3.client().getBucketCors(r -> r.bucket(storage.buckets().raw())).corsRules();
            assertThat(rules).hasSize(1);
            assertThat(rules.getFirst().allowedOrigins()).containsExactlyInAnyOrder("http://localhost:8080", "https://app.example.com");
            assertThat(rules.getFirst().allowedMethods()).containsExactlyInAnyOrder("GET", "HEAD", "PUT");
            assertThat(rules.getFirst().exposeHeaders()).containsExactly("ETag");

            // drift: someone opens CORS by hand on the processed bucket and adds CORS on the backups bucket
            s3.client().putBucketCors(r -> r.bucket(storage.buckets().processed()).corsConfiguration(c -> c.corsRules(
                    CORSRule.builder().allowedOrigins("*").allowedMethods("GET", "PUT", "DELETE").build())));
            s3.client().putBucketCors(r -> r.bucket(storage.buckets().backups()).corsConfiguration(c -> c.corsRules(
                    CORSRule.builder().allowedOrigins("*").allowedMethods("GET").build())));
            assertThat(changes(planner.plan())).extracting(BucketChange::bucket, BucketChange::action).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().processed(), Action.UPDATE),
                    org.assertj.core.groups.Tuple.tuple(storage.buckets().backups(), Action.DELETE));
            assertThat(planner.apply()).hasSize(2);
            assertThat(changes(planner.plan())).isEmpty();
            assertThat(s3.client().getBucketCors(r -> r.bucket(storage.buckets().processed())).corsRules().getFirst().allowedMethods())
                    .containsExactlyInAnyOrder("GET", "HEAD");
        }
    }
}

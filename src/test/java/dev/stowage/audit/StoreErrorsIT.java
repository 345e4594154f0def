package dev.stowage.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.buckets.BucketChange;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.S3Clients;
import dev.stowage.storage.S3ObjectStore;
import dev.stowage.testing.S3FaultProxy;
import dev.stowage.testing.TestServers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A store that answers {@code 501 NotImplemented} for one sub-resource (lifecycle) while the provider's profile
 * says it has it: the audit names bucket, setting and provider and still reports its other findings; apply
 * names the refused setting and makes the others.
 */
class StoreErrorsIT {
    private final TestServers.Rgw rgw = TestServers.rgw();

    private static String notImplemented(S3FaultProxy.Request r, String method) {
        return r.method().equals(method) && r.has("lifecycle") ? S3FaultProxy.error(501, "Not Implemented", "NotImplemented", "Not implemented") : null;
    }

    private StowageConfig config(java.net.URI endpoint) {
        var storage = rgw.storage();
        var st = new StowageConfig.Storage(storage.provider(), endpoint, storage.region(), storage.pathStyle(), storage.buckets(),
                storage.cors(), storage.timeouts(), false);
        // no database is opened: a URL is only needed to pass validation
        return TestServers.embeddedConfig(Map.of("STOWAGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:9/none")).withStorage(st);
    }

    @Test
    void a501OnOneSettingIsNamedAndTheAuditKeepsItsOtherFindings() {
        var direct = config(rgw.endpoint());
        try (S3Clients c = S3Clients.create(direct.storage(), rgw.credentials())) {
            new BucketPlanner(new S3ObjectStore(c), direct).apply();
        }
        try (var proxy = S3FaultProxy.to(rgw.endpoint(), r -> notImplemented(r, "GET"));
             S3Clients c = S3Clients.create(config(proxy.endpoint()).storage(), rgw.credentials())) {
            var cfg = config(proxy.endpoint()).withStorage(new StowageConfig.Storage(direct.storage().provider(), proxy.endpoint(),
                    direct.storage().region(), true, direct.storage().buckets(), direct.storage().cors(), direct.storage().timeouts(), false));
            AuditReport report = new Auditor(new S3ObjectStore(c), cfg, false).run();
            System.out.println(report.text());
            String raw = cfg.storage().buckets().raw();
            assertThat(report.errors()).extracting(Finding::resource).containsExactlyElementsOf(cfg.storage().buckets().all());
            assertThat(report.errors()).allSatisfy(f -> assertThat(f.control()).isEqualTo("S3.13"));
            assertThat(report.errors().getFirst().detail())
                    .isEqualTo("could not check lifecycle on bucket " + raw + " (provider ceph): 501 NotImplemented: Not implemented");
            // the other findings are all there: versioning passes, public access and TLS are checked, the configuration too
            assertThat(report.findings()).anySatisfy(f -> {
                assertThat(f.control()).isEqualTo("S3.14");
                assertThat(f.resource()).isEqualTo(raw);
                assertThat(f.status()).isEqualTo(Finding.Status.PASS);
            });
            assertThat(report.findings()).extracting(Finding::control).contains("S3.2", "S3.3", "S3.5", "S3.4", "S3.8", "STOWAGE.1", "STOWAGE.2", "STOWAGE.3");
            assertThat(report.text()).contains("ERR  LOW      S3.13     " + raw + ": could not check lifecycle on bucket " + raw + " (provider ceph): 501 NotImplemented")
                    .contains("4 check(s) could not be made (ERR).");
            assertThat(report.json()).contains("\"status\" : \"ERROR\"");
        }
    }

    @Test
    void a501OnOneSettingInApplyIsNamedAndTheOtherSettingsAreMade() {
        try (var proxy = S3FaultProxy.to(rgw.endpoint(), r -> notImplemented(r, "PUT"));
             S3Clients c = S3Clients.create(config(proxy.endpoint()).storage(), rgw.credentials())) {
            var cfg = config(proxy.endpoint());
            var outcome = new BucketPlanner(new S3ObjectStore(c), cfg).applyAll();
            System.out.println(BucketPlanner.render(outcome.lines(), true));
            String raw = cfg.storage().buckets().raw();
            assertThat(outcome.failed()).extracting(BucketChange::setting).containsOnly("lifecycle").hasSize(4);
            assertThat(outcome.failed()).extracting(BucketChange::detail)
                    .contains("could not apply lifecycle on bucket " + raw + " (provider ceph): 501 NotImplemented: Not implemented");
            // buckets, versioning and CORS were made regardless
            assertThat(outcome.done()).extracting(BucketChange::setting).contains("bucket", "versioning", "cors");
            assertThat(outcome.done()).filteredOn(ch -> ch.setting().equals("bucket")).hasSize(4);
            // lifecycle is best-effort by default: nothing required is missing
            assertThat(outcome.requiredMissing()).isEmpty();
            assertThat(BucketPlanner.render(outcome.lines(), true)).contains("  x lifecycle: could not apply lifecycle on bucket " + raw)
                    .contains("4 setting(s) the store refused (x).");
        }
    }
}

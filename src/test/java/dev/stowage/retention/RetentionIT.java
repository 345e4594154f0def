package dev.stowage.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.security.DevTokens;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Premium-aware retention against real servers: on Ceph RGW (versioned raw bucket) an old file of a
 * free user is deleted and restorable, a premium user's is kept, a user who upgrades between the dry run
 * and the run keeps the file, and after the restore window the file is purged from every version; on the
 * embedded server (no versioning) Stowage keeps the object itself until the purge.
 */
class RetentionIT {
    static final String ADMIN = new DevTokens(Harness.SECRET).issue("billing", "free", List.of("admin"), Duration.ofHours(1));

    static StowageConfig rgwConfig() {
        var rgw = TestServers.rgw();
        var env = new HashMap<String, String>();
        env.put("STORAGE_PROVIDER", "ceph");
        env.put("S3_ENDPOINT", rgw.endpoint().toString());
        StowageConfig c = TestServers.embeddedConfig(env);
        // no sweeper in the background: the test runs the passes
        var r = c.retention();
        return c.withRetention(new StowageConfig.Retention(r.rawMaxAge(), r.premiumPlans(), r.restoreWindow(), Duration.ZERO, r.batchSize()));
    }

    static String upload(Harness h, String user, String text) {
        return h.uploadText(user, text);
    }

    static void age(Harness h, String fileId, int days) {
        h.stowage.files().jdbi().useHandle(x -> x.execute("update files set created_at = now() - make_interval(days => ?) where id = ?", days, UUID.fromString(fileId)));
    }

    static String key(Harness h, String fileId) {
        return h.stowage.files().find(UUID.fromString(fileId)).orElseThrow().objectKey();
    }

    static int head(Harness h, String key) {
        try {
            h.stowage.s3().client().headObject(r -> r.bucket(h.config.storage().buckets().raw()).key(key));
            return 200;
        } catch (S3Exception e) {
            return e.statusCode();
        }
    }

    static List<String> actions(RetentionReport report, String action) {
        return report.withAction(action).stream().map(i -> i.fileId().toString()).toList();
    }

    @Test
    void onCephAnOldFreeFileIsDeletedAndRestorablePremiumAndUpgradedUsersKeepTheirsAndTheWindowEndsInAPurge() {
        try (var h = new Harness(rgwConfig(), TestServers.rgw().credentials())) {
            String raw = h.config.storage().buckets().raw();
            String alice = upload(h, "alice", "alice's old notes\n");
            String bob = upload(h, "bob", "bob's old notes\n");
            String carol = upload(h, "carol", "carol's old notes\n");
            String fresh = upload(h, "alice", "alice's new notes\n");
            assertThat(h.callWithToken("PUT", "/v1/admin/accounts/bob/plan", ADMIN, Map.of("plan", "premium")).status()).isEqualTo(200);
            // the plan route is for the host application only
            assertThat(h.call("PUT", "/v1/admin/accounts/alice/plan", "alice", Map.of("plan", "premium")).json().path("code").asText())
                    .isEqualTo("admin_required");
            for (String id : List.of(alice, bob, carol)) age(h, id, 400);
            var svc = h.stowage.retention();

            RetentionReport dry = svc.run(true);
            System.out.println(dry.text());
            assertThat(actions(dry, "would_delete")).containsExactlyInAnyOrder(alice, carol);
            assertThat(actions(dry, "kept_premium")).containsExactly(bob);
            assertThat(h.call("GET", "/v1/files/" + alice, "alice", null).json().path("status").asText()).isEqualTo("ready");

            // carol's company upgrades between the dry run and the run
            var up = h.callWithToken("PUT", "/v1/admin/accounts/carol/plan", ADMIN, Map.of("plan", "premium"));
            assertThat(up.status()).isEqualTo(200);
            assertThat(up.json().path("quotaBytes").asLong()).isEqualTo(h.config.uploads().quotaFor("premium"));

            RetentionReport run = svc.run(false);
            System.out.println(run.text());
            assertThat(actions(run, "deleted")).containsExactly(alice);
            assertThat(actions(run, "kept_premium")).containsExactlyInAnyOrder(bob, carol);
            assertThat(run.withAction("deleted").getFirst().plan()).isEqualTo("free");
            assertThat(run.text()).contains("deleted", "raw upload older than 365 days, plan free; restorable for 30 days");
            assertThat(h.call("GET", "/v1/files/" + alice, "alice", null).json().path("status").asText()).isEqualTo("deleted");
            assertThat(h.call("GET", "/v1/files/" + fresh, "alice", null).json().path("status").asText()).isEqualTo("ready");
            assertThat(h.call("GET", "/v1/files/" + carol, "carol", null).json().path("status").asText()).isEqualTo("ready");
            // the store: a delete marker hides the object, its bytes are a noncurrent version
            String aliceKey = key(h, alice);
            assertThat(head(h, aliceKey)).isEqualTo(404);
            var versions = h.stowage.s3().client().listObjectVersions(r -> r.bucket(raw).prefix(aliceKey));
            assertThat(versions.deleteMarkers()).hasSize(1);
            assertThat(versions.versions()).hasSize(1);
            assertThat(h.call("GET", "/v1/files/" + alice + "/content", "alice", null).json().path("code").asText()).isEqualTo("file_not_ready");
            // recorded for the report
            long recorded = h.stowage.files().jdbi().withHandle(x -> x.createQuery(
                    "select count(*) from retention_actions where run_id = :r and action = 'deleted' and plan = 'free'")
                    .bind("r", run.runId()).mapTo(Long.class).one());
            assertThat(recorded).isEqualTo(1);
            // alice turns premium after the deletion: she can still restore within the window
            h.callWithToken("PUT", "/v1/admin/accounts/alice/plan", ADMIN, Map.of("plan", "premium"));
            var restored = h.call("POST", "/v1/files/" + alice + "/restore", "alice", null);
            assertThat(restored.status()).isEqualTo(200);
            assertThat(restored.json().path("status").asText()).isEqualTo("ready");
            assertThat(head(h, aliceKey)).isEqualTo(200);
            var dl = h.call("GET", "/v1/files/" + alice + "/content", "alice", null);
            assertThat(new String(Harness.getBytes(dl.raw().headers().firstValue("Location").orElseThrow()).body(), StandardCharsets.UTF_8))
                    .isEqualTo("alice's old notes\n");
            assertThat(h.call("POST", "/v1/files/" + alice + "/restore", "alice", null).json().path("code").asText()).isEqualTo("not_deleted");
            assertThat(h.call("POST", "/v1/files/" + alice + "/restore", "bob", null).status()).isEqualTo(404);

            // back to free and deleted again; 31 days later the window is over: purged, every version gone
            h.callWithToken("PUT", "/v1/admin/accounts/alice/plan", ADMIN, Map.of("plan", "free"));
            assertThat(actions(svc.run(false), "deleted")).containsExactly(alice);
            h.stowage.files().jdbi().useHandle(x -> x.execute("update files set deleted_at = now() - interval '31 days' where id = ?", UUID.fromString(alice)));
            assertThat(h.call("POST", "/v1/files/" + alice + "/restore", "alice", null).json().path("code").asText()).isEqualTo("restore_window_over");
            RetentionReport purge = svc.run(false);
            System.out.println(purge.text());
            assertThat(actions(purge, "purged")).containsExactly(alice);
            var after = h.stowage.s3().client().listObjectVersions(r -> r.bucket(raw).prefix(aliceKey));
            assertThat(after.versions()).isEmpty();
            assertThat(after.deleteMarkers()).isEmpty();
            assertThat(h.call("GET", "/v1/files/" + alice, "alice", null).status()).isEqualTo(404);
            // quota: alice's used bytes count only her fresh file
            assertThat(h.call("GET", "/v1/usage", "alice", null).json().path("usedBytes").asLong()).isEqualTo("alice's new notes\n".length());
        }
    }

    @Test
    void withoutVersioningStowageKeepsTheObjectUntilThePurge() {
        try (var h = new Harness(Map.of(), c -> c.withRetention(new StowageConfig.Retention(Duration.ofDays(365), List.of("premium"),
                Duration.ofDays(30), Duration.ZERO, 500)))) {
            String dave = upload(h, "dave", "dave's old notes\n");
            age(h, dave, 400);
            var svc = h.stowage.retention();
            assertThat(svc.versioned()).isFalse();
            assertThat(actions(svc.run(false), "deleted")).containsExactly(dave);
            String k = key(h, dave);
            assertThat(head(h, k)).isEqualTo(200);
            assertThat(h.call("POST", "/v1/files/" + dave + "/restore", "dave", null).json().path("status").asText()).isEqualTo("ready");
            assertThat(actions(svc.run(false), "deleted")).containsExactly(dave);
            h.stowage.files().jdbi().useHandle(x -> x.execute("update files set deleted_at = now() - interval '31 days' where id = ?", UUID.fromString(dave)));
            assertThat(actions(svc.run(true), "would_purge")).containsExactly(dave);
            assertThat(head(h, k)).isEqualTo(200);
            assertThat(actions(svc.run(false), "purged")).containsExactly(dave);
            assertThat(head(h, k)).isEqualTo(404);
        }
    }
}

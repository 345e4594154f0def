package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.security.DevTokens;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.testing.Harness;
import dev.stowage.testing.QuarantineFixtures;
import dev.stowage.testing.TestClamd;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The operator console's API without a browser, on Ceph RGW (a versioned raw bucket, so "every version" is
 * checked where versions exist) with the test clamd: the admin role is required, bad input gets a stable
 * code, accounts are read from their own rows, and release and purge of quarantined files leave no orphaned
 * object (no version either) and no leaked quota.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminRoutesIT {
    static final String EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    Harness h;
    String admin;
    String raw;

    @BeforeAll
    void start() {
        var clamd = TestClamd.clamd();
        h = new Harness(TestServers.rgwConfig(Map.of()).withScanner(new StowageConfig.Scanner(clamd.host(), clamd.port(),
                TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(30))), TestServers.rgw().credentials());
        admin = new DevTokens(Harness.SECRET).issue("ops", "free", List.of("admin"), Duration.ofHours(1));
        raw = h.config.storage().buckets().raw();
    }

    @AfterAll
    void stop() {
        if (h != null) h.close();
    }

    Harness.Resp asAdmin(String method, String path, Object body) {
        return h.callWithToken(method, path, admin, body);
    }

    /** Keys and version ids of every version and delete marker under {@code prefix} of the raw bucket. */
    List<String> versions(String prefix) {
        var out = new ArrayList<String>();
        var r = h.stowage.s3().client().listObjectVersions(b -> b.bucket(raw).prefix(prefix));
        r.versions().forEach(v -> out.add(v.key() + "@" + v.versionId()));
        r.deleteMarkers().forEach(v -> out.add(v.key() + "@marker:" + v.versionId()));
        return out;
    }

    JsonNode usage(String user) {
        return h.call("GET", "/v1/usage", user, null).json();
    }

    @Test
    void everyConsoleRouteRefusesACallerWithoutTheAdminRole() {
        String id = UUID.randomUUID().toString();
        for (String[] route : new String[][] {{"GET", "/v1/admin/accounts"}, {"GET", "/v1/admin/quarantine"},
                {"POST", "/v1/admin/quarantine/" + id + "/release"}, {"POST", "/v1/admin/quarantine/" + id + "/purge"},
                {"GET", "/v1/admin/jobs"}, {"POST", "/v1/admin/jobs/verify-file/" + id + "/retry"}, {"GET", "/v1/admin/costs?maxAgeSeconds=60"}, {"GET", "/v1/admin/migrations"}}) {
            var r = h.call(route[0], route[1], "mallory", null);
            assertThat(r.status()).as(route[1]).isEqualTo(403);
            assertThat(r.raw().headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
            assertThat(r.json().path("code").asText()).isEqualTo("admin_required");
            assertThat(h.callWithToken(route[0], route[1], null, null).status()).as(route[1] + " without a token").isEqualTo(401);
        }
    }

    @Test
    void badInputGetsAStableCodeAndChangesNothing() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("/v1/admin/accounts?limit=0", "invalid_limit");
        cases.put("/v1/admin/accounts?limit=201", "invalid_limit");
        cases.put("/v1/admin/accounts?after=a%20b", "invalid_cursor");
        cases.put("/v1/admin/accounts?prefix=%2F", "invalid_user_id");
        cases.put("/v1/admin/quarantine?cursor=bm90LWEtY3Vyc29y", "invalid_cursor");
        cases.put("/v1/admin/jobs?state=broken", "invalid_job_state");
        cases.put("/v1/admin/jobs?limit=x", "invalid_limit");
        cases.put("/v1/admin/costs?maxAgeSeconds=-1", "invalid_max_age");
        cases.forEach((path, code) -> {
            var r = asAdmin("GET", path, null);
            assertThat(r.status()).as(path).isEqualTo(400);
            assertThat(r.json().path("code").asText()).as(path).isEqualTo(code);
        });
        assertThat(asAdmin("POST", "/v1/admin/quarantine/not-a-uuid/release", null).json().path("code").asText()).isEqualTo("not_found");
        assertThat(asAdmin("POST", "/v1/admin/quarantine/" + UUID.randomUUID() + "/purge", null).status()).isEqualTo(404);
        var retry = asAdmin("POST", "/v1/admin/jobs/verify-file/" + UUID.randomUUID() + "/retry", null);
        assertThat(retry.status()).isEqualTo(404);
        assertThat(retry.json().path("code").asText()).isEqualTo("job_not_found");
        // a ready file is neither released nor purged: it stays ready, its object and its bytes counted
        String ready = h.uploadText("kate", "just text\n");
        assertThat(h.awaitSettled("kate", ready, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");
        long used = usage("kate").path("usedBytes").asLong();
        for (String action : List.of("release", "purge")) {
            var r = asAdmin("POST", "/v1/admin/quarantine/" + ready + "/" + action, null);
            assertThat(r.status()).as(action).isEqualTo(409);
            assertThat(r.json().path("code").asText()).isEqualTo("not_quarantined");
        }
        assertThat(h.call("GET", "/v1/files/" + ready, "kate", null).json().path("status").asText()).isEqualTo("ready");
        assertThat(usage("kate").path("usedBytes").asLong()).isEqualTo(used);
    }

    @Test
    void accountsArePagedInUserIdOrderWithTheirOwnBookkeeping() {
        for (String u : List.of("acc-a", "acc-b", "acc-c")) assertThat(asAdmin("PUT", "/v1/admin/accounts/" + u + "/plan", Map.of("plan", "free")).status()).isEqualTo(200);
        String f = h.uploadText("acc-b", "some bytes of acc-b\n");
        h.awaitSettled("acc-b", f, Duration.ofSeconds(60));
        var first = asAdmin("GET", "/v1/admin/accounts?prefix=acc-&limit=2", null).json();
        assertThat(first.path("accounts").findValuesAsText("userId")).containsExactly("acc-a", "acc-b");
        assertThat(first.path("plans").has("free")).isTrue();
        var second = asAdmin("GET", "/v1/admin/accounts?prefix=acc-&limit=2&after=" + first.path("next").asText(), null).json();
        assertThat(second.path("accounts").findValuesAsText("userId")).containsExactly("acc-c");
        assertThat(second.path("next").isNull()).isTrue();
        JsonNode b = first.path("accounts").get(1);
        JsonNode u = usage("acc-b");
        assertThat(b.path("usedBytes").asLong()).isEqualTo(u.path("usedBytes").asLong()).isEqualTo("some bytes of acc-b\n".length());
        assertThat(b.path("reservedBytes").asLong()).isZero();
        assertThat(b.path("quotaBytes").asLong()).isEqualTo(u.path("quotaBytes").asLong());
    }

    @Test
    void aReleaseAfterACleanRescanMakesTheFileReadyAtItsFinalKeyAndCountsItOnce() {
        String user = "q-clean";
        asAdmin("PUT", "/v1/admin/accounts/" + user + "/plan", Map.of("plan", "free"));
        byte[] bytes = "a report an older signature database took for malware\n".getBytes(StandardCharsets.UTF_8);
        UUID id = QuarantineFixtures.quarantinedButClean(h.stowage, user, "report.txt", bytes);
        var listed = asAdmin("GET", "/v1/admin/quarantine?limit=200", null).json();
        assertThat(listed.path("files").findValuesAsText("id")).contains(id.toString());
        assertThat(listed.path("scanner").asText()).startsWith("clamd");

        var r = asAdmin("POST", "/v1/admin/quarantine/" + id + "/release", null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.json().path("status").asText()).isEqualTo("ready");
        JsonNode f = h.call("GET", "/v1/files/" + id, user, null).json();
        assertThat(f.path("status").asText()).isEqualTo("ready");
        assertThat(f.at("/scan/result").asText()).isEqualTo("clean");
        assertThat(usage(user).path("usedBytes").asLong()).isEqualTo(bytes.length);
        // served: the bytes that were scanned, from the final key; nothing left under quarantine/, no version either
        var content = h.call("GET", "/v1/files/" + id + "/content", user, null);
        assertThat(content.status()).isIn(302, 303, 307);
        assertThat(Harness.getBytes(content.raw().headers().firstValue("Location").orElseThrow()).body()).isEqualTo(bytes);
        assertThat(versions(ObjectKeys.QUARANTINE_PREFIX + user + "/" + id + "/")).isEmpty();
        assertThat(versions(user + "/" + id + "/")).hasSize(1);
        // the tag set written with the ready state keeps the SHA-256 (a file migrated in parts has it nowhere else on the object)
        var fin = h.stowage.files().find(id).orElseThrow();
        assertThat(h.stowage.store().tags(fin.bucket(), fin.objectKey()))
                .containsEntry("stowage-state", "ready").containsEntry("sha256", sha256Hex(bytes));
        // a second release is refused and counts nothing twice
        assertThat(asAdmin("POST", "/v1/admin/quarantine/" + id + "/release", null).json().path("code").asText()).isEqualTo("not_quarantined");
        assertThat(usage(user).path("usedBytes").asLong()).isEqualTo(bytes.length);
        assertThat(asAdmin("GET", "/v1/admin/quarantine?limit=200", null).json().path("files").findValuesAsText("id")).doesNotContain(id.toString());
    }

    @Test
    void aStillInfectedFileStaysAndAPurgeRemovesEveryVersionOfItsCopy() {
        String user = "q-eicar";
        String id = h.upload(user, "notes.txt", "text/plain", EICAR.getBytes(StandardCharsets.US_ASCII));
        assertThat(h.awaitSettled(user, id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("quarantined");
        String qprefix = ObjectKeys.QUARANTINE_PREFIX + user + "/" + id + "/";
        assertThat(h.awaitNoObjects(raw, user + "/", Duration.ofSeconds(10))).isEmpty();

        var r = asAdmin("POST", "/v1/admin/quarantine/" + id + "/release", null);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json().path("code").asText()).isEqualTo("still_infected");
        assertThat(r.json().path("detail").asText()).contains(TestClamd.EICAR_SIGNATURE);
        assertThat(h.call("GET", "/v1/files/" + id, user, null).json().path("status").asText()).isEqualTo("quarantined");
        assertThat(versions(qprefix)).hasSize(1);
        assertThat(h.stowage.s3().client().listObjectsV2(b -> b.bucket(raw).prefix(user + "/")).contents()).as("nothing copied back").isEmpty();
        assertThat(usage(user).path("usedBytes").asLong()).isZero();

        var p = asAdmin("POST", "/v1/admin/quarantine/" + id + "/purge", null);
        assertThat(p.status()).as(p.raw().body()).isEqualTo(200);
        assertThat(p.json().path("status").asText()).isEqualTo("purged");
        assertThat(versions(qprefix)).isEmpty();
        assertThat(usage(user).path("usedBytes").asLong()).isZero();
        assertThat(usage(user).path("reservedBytes").asLong()).isZero();
        var row = h.stowage.db().jdbi().withHandle(x -> x.createQuery("select status, deleted_by, purged_at is not null, scan_signature from files where id = :id")
                .bind("id", UUID.fromString(id)).mapToMap().one());
        assertThat(row).containsEntry("status", "purged").containsEntry("deleted_by", "operator").containsEntry("scan_signature", TestClamd.EICAR_SIGNATURE);
        // asked again (a retry after a crash): the same answer, nothing left
        assertThat(asAdmin("POST", "/v1/admin/quarantine/" + id + "/purge", null).status()).isEqualTo(200);
        assertThat(asAdmin("POST", "/v1/admin/quarantine/" + id + "/release", null).json().path("code").asText()).isEqualTo("not_quarantined");
    }

    @Test
    void aFailingJobRetriedIsDueNowAndARunningOneIsNot() {
        Instant later = Instant.now().plus(Duration.ofHours(1));
        h.stowage.db().jdbi().useHandle(x -> {
            x.execute("""
                    insert into scheduled_tasks (task_name, task_instance, execution_time, picked, consecutive_failures, last_failure, version)
                    values ('console-test', 'failing-1', ?, false, 4, now() - interval '1 minute', 1)""", Timestamp.from(later));
            x.execute("""
                    insert into scheduled_tasks (task_name, task_instance, execution_time, picked, picked_by, last_heartbeat, version)
                    values ('console-test', 'running-1', now(), true, 'some-worker', now(), 1)""");
        });
        JsonNode list = asAdmin("GET", "/v1/admin/jobs?state=failing,running", null).json();
        JsonNode failing = find(list, "failing-1");
        assertThat(failing.path("state").asText()).isEqualTo("failing");
        assertThat(failing.path("consecutiveFailures").asInt()).isEqualTo(4);
        assertThat(list.at("/counts/failing").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(find(list, "running-1").path("state").asText()).isEqualTo("running");

        Instant before = Instant.now();
        var r = asAdmin("POST", "/v1/admin/jobs/console-test/failing-1/retry", null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(Instant.parse(r.json().path("executionTime").asText())).isBefore(Instant.now().plusSeconds(1)).isAfter(before.minusSeconds(5));
        assertThat(r.json().path("state").asText()).isEqualTo("failing"); // failing, and due now
        assertThat(r.json().path("consecutiveFailures").asInt()).isEqualTo(4);
        assertThat(r.json().path("lastFailure").isNull()).as("when it last failed stays known").isFalse();
        var running = asAdmin("POST", "/v1/admin/jobs/console-test/running-1/retry", null);
        assertThat(running.status()).isEqualTo(409);
        assertThat(running.json().path("code").asText()).isEqualTo("job_running");
    }

    static JsonNode find(JsonNode list, String instance) {
        for (JsonNode j : list.path("jobs")) if (j.path("instance").asText().equals(instance)) return j;
        throw new AssertionError("no job " + instance + " in " + list);
    }

    static String sha256Hex(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

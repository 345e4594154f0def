package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.security.DevTokens;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Health, metrics, request ids, authentication and problem+json over real PostgreSQL and S3. */
class ApiServerIT {
    static Stowage stowage;
    static String base;
    static final String SECRET = "test-secret-test-secret-test-secret-0123";

    @BeforeAll
    static void start() {
        StowageConfig config = TestServers.embeddedConfig(Map.of());
        stowage = new Stowage(config, TestServers.embeddedCredentials());
        new BucketPlanner(stowage.store(), config.storage()).apply();
        stowage.startWorker(1).startApi(null);
        base = "http://127.0.0.1:" + stowage.api().port();
    }

    @AfterAll
    static void stop() {
        stowage.close();
    }

    private static String token(String sub, Duration ttl) {
        return new DevTokens(SECRET).issue(sub, "pro", List.of(), ttl);
    }

    @Test
    void livenessAndReadinessNameEachDependency() {
        var live = Http.get(base + "/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).isEqualTo("{\"status\":\"up\"}");
        var ready = Http.get(base + "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"database\":{\"status\":\"up\"}", "\"object_store\":{\"status\":\"up\"}",
                "\"worker\":{\"status\":\"up\"}");
    }

    @Test
    void readinessIs503AndSaysWhyWhenTheBucketIsMissing() {
        StowageConfig config = TestServers.embeddedConfig(Map.of());   // buckets never created
        try (Stowage s = new Stowage(config, TestServers.embeddedCredentials())) {
            s.startApi(null);
            var ready = Http.get("http://127.0.0.1:" + s.api().port() + "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("\"status\":\"down\"", "\"object_store\":{\"status\":\"down\"",
                    "bucket " + config.storage().buckets().raw() + " does not exist (run 'stowage buckets apply')", "\"database\":{\"status\":\"up\"}");
        }
    }

    @Test
    void unknownRouteIsAProblemDocumentCarryingTheRequestId() {
        var r = Http.get(base + "/v1/nothing-here");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        String rid = r.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(rid).matches("[0-9a-f-]{36}");
        assertThat(r.body()).contains("\"status\":404", "\"code\":\"not_found\"", "\"type\":\"urn:stowage:problem:not_found\"",
                "\"instance\":\"/v1/nothing-here\"", "\"requestId\":\"" + rid + "\"");
    }

    @Test
    void aSaneIncomingRequestIdIsKeptAnInsaneOneReplaced() {
        assertThat(Http.get(base + "/health/live", "X-Request-Id", "edge-42.abc").headers().firstValue("X-Request-Id"))
                .contains("edge-42.abc");
        assertThat(Http.get(base + "/health/live", "X-Request-Id", "<script>").headers().firstValue("X-Request-Id").orElseThrow())
                .matches("[0-9a-f-]{36}");
    }

    @Test
    void bearerTokensAreVerified() {
        var none = Http.get(base + "/v1/me");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(none.body()).contains("\"code\":\"unauthenticated\"", "missing bearer token");

        var forged = Http.get(base + "/v1/me", "Authorization", "Bearer " + new DevTokens("another-secret-another-secret-0123456").issue("mallory", "pro", List.of(), Duration.ofMinutes(5)));
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(forged.body()).contains("\"code\":\"unauthenticated\"");

        var expired = Http.get(base + "/v1/me", "Authorization", "Bearer " + token("alice", Duration.ofSeconds(-120)));
        assertThat(expired.statusCode()).isEqualTo(401);
        assertThat(expired.body()).containsIgnoringCase("expired");

        var garbage = Http.get(base + "/v1/me", "Authorization", "Bearer not.a.jwt");
        assertThat(garbage.statusCode()).isEqualTo(401);

        var ok = Http.get(base + "/v1/me", "Authorization", "Bearer " + token("alice", Duration.ofMinutes(5)));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"userId\":\"alice\"", "\"plan\":\"pro\"");
    }

    @Test
    void devTokensAreIssuedOnlyByTheDevStack() {
        var r = Http.postJson(base + "/v1/dev/tokens", "{\"userId\":\"bob\"}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("\"code\":\"not_found\"");
    }

    @Test
    void metricsAreExportedForPrometheus() {
        Http.get(base + "/health/live");
        var m = Http.get(base + "/metrics", "Authorization", "Bearer " + TestServers.METRICS_TOKEN);
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body()).contains("http_server_requests_seconds_count{method=\"GET\",route=\"/health/live\",status=\"200\"}",
                "jvm_memory_used_bytes");
    }

    @Test
    void theWebUiIsServed() {
        var r = Http.get(base + "/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("<title>Stowage</title>");
    }
}

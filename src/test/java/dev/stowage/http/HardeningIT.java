package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.stowage.config.StowageConfig;
import dev.stowage.security.DevTokens;
import dev.stowage.security.JwtAuthenticator;
import dev.stowage.testing.Http;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hostile and malformed requests get problem documents, never HTML, 500s or unbounded metrics. */
class HardeningIT {
    static final String SECRET = "0123456789abcdef0123456789abcdef";
    static ApiServer api;
    static String base;

    @BeforeAll
    static void start() {
        var config = new StowageConfig(StowageConfig.Mode.DEV,
                new StowageConfig.Http("127.0.0.1", 0, URI.create("http://localhost"), Duration.ofSeconds(5)),
                null, null, new StowageConfig.Auth(SECRET, null, null, null));
        api = new ApiServer(config, List.of(), new JwtAuthenticator(config.auth()), new DevTokens(SECRET),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start();
        base = "http://127.0.0.1:" + api.port();
    }

    @AfterAll
    static void stop() {
        api.stop();
    }

    /** Sends raw bytes, returns the raw response (status line, headers, body). */
    static String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void jettyLevelErrorsAreProblemDocuments() throws Exception {
        String badUri = raw("GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(badUri).startsWith("HTTP/1.1 400").containsIgnoringCase("content-type: application/problem+json")
                .contains("\"code\":\"bad_request\"").containsIgnoringCase("x-request-id: ").doesNotContain("<html");
        String hugeHeader = raw("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
        assertThat(hugeHeader).startsWith("HTTP/1.1 431").contains("\"code\":\"headers_too_large\"").doesNotContain("<html");
        String hugeUrl = raw("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(hugeUrl).startsWith("HTTP/1.1 414").contains("\"code\":\"uri_too_long\"");
        String traversal = raw("GET /../pom.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(traversal).startsWith("HTTP/1.1 400").contains("application/problem+json").doesNotContain("<project");
        assertThat(Http.get(base + "/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void aWrongMethodIs405() {
        var r = Http.method("DELETE", base + "/health/live");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.body()).contains("\"code\":\"method_not_allowed\"");
    }

    @Test
    void unknownMethodsDoNotCreateMetricSeries() {
        Http.method("M1", base + "/x");
        Http.method("M2", base + "/x");
        String metrics = Http.get(base + "/metrics").body();
        assertThat(metrics).doesNotContain("method=\"M1\"", "method=\"M2\"").contains("method=\"OTHER\"");
    }

    @Test
    void aTokenWithANullRoleIsRefusedNot500() throws Exception {
        var claims = new JWTClaimsSet.Builder().subject("a").claim("roles", Arrays.asList((String) null))
                .expirationTime(new Date(System.currentTimeMillis() + 60_000)).build();
        var jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(SECRET));
        var r = Http.get(base + "/v1/me", "Authorization", "Bearer " + jwt.serialize());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("\"code\":\"unauthenticated\"");
    }

    @Test
    void devTokenRequestsAreTypeChecked() {
        record Case(String body, String code) {}
        for (Case c : List.of(
                new Case("{\"userId\":null}", "invalid_user_id"),
                new Case("{\"userId\":true}", "invalid_user_id"),
                new Case("{\"userId\":1.5}", "invalid_user_id"),
                new Case("{\"plan\":{\"x\":[1]}}", "invalid_plan"),
                new Case("{\"plan\":\"\"}", "invalid_plan"),
                new Case("{\"plan\":\"" + "p".repeat(10_000) + "\"}", "invalid_plan"),
                new Case("{\"roles\":\"admin\"}", "invalid_roles"),
                new Case("{\"roles\":[null,1,{}]}", "invalid_roles"),
                new Case("{\"userId\":\"a\"} garbage", "invalid_json"),
                new Case("[1,2]", "invalid_json"))) {
            var r = Http.postJson(base + "/v1/dev/tokens", c.body());
            assertThat(r.statusCode()).as(c.body()).isEqualTo(400);
            assertThat(r.body()).as(c.body()).contains("\"code\":\"" + c.code() + "\"");
        }
        var ok = Http.postJson(base + "/v1/dev/tokens", "{\"userId\":\"alice\",\"plan\":\"pro\",\"roles\":[\"admin\"]}");
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(ok.body()).contains("\"userId\":\"alice\"", "\"plan\":\"pro\"");
    }
}

package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.security.DevTokens;
import dev.stowage.security.JwtAuthenticator;
import dev.stowage.testing.Harness;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The browser-security headers of a production stack whose public URL is https (embedded S3 and
 * PostgreSQL), on the pages, a script, a download redirect, problem documents (of a route and of Jetty
 * itself) and {@code /metrics}, which takes only the metrics token; and a dev API over http, where there is
 * no HSTS and {@code /metrics} stays open.
 */
class SecurityHeadersIT {
    static final String PUBLIC_URL = "https://files.example.test";
    static Harness h;
    static String csp;

    @BeforeAll
    static void start() {
        h = new Harness(Map.of("STOWAGE_PUBLIC_URL", PUBLIC_URL, "STOWAGE_CORS_ORIGINS", PUBLIC_URL), c -> c);
        URI s3 = TestServers.embeddedS3();
        String store = "http://" + s3.getHost() + ":" + s3.getPort();
        csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data: " + PUBLIC_URL + " " + store
                + "; connect-src 'self' " + PUBLIC_URL + " " + store
                + "; frame-src 'self' " + store
                + "; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
    }

    static void hasSecurityHeaders(HttpResponse<?> r, boolean hsts) {
        var hd = r.headers();
        String what = r.request().method() + " " + r.uri().getPath() + " (" + r.statusCode() + ")";
        assertThat(hd.allValues("Content-Security-Policy")).as(what).containsExactly(csp);
        assertThat(hd.allValues("X-Frame-Options")).as(what).containsExactly("DENY");
        assertThat(hd.allValues("X-Content-Type-Options")).as(what).containsExactly("nosniff");
        assertThat(hd.allValues("Referrer-Policy")).as(what).containsExactly("no-referrer");
        if (hsts) assertThat(hd.allValues("Strict-Transport-Security")).as(what).containsExactly("max-age=31536000");
        else assertThat(hd.firstValue("Strict-Transport-Security")).as(what).isEmpty();
    }

    @Test
    void pagesScriptsRedirectsProblemsAndMetricsCarryTheHeaders() {
        for (String page : List.of("/", "/admin/costs", "/stowage-upload.js", "/app.js", "/token-link.js", "/admin/costs.js", "/app.css")) {
            var r = Http.get(h.base + page);
            assertThat(r.statusCode()).as(page).isEqualTo(200);
            hasSecurityHeaders(r, true);
        }
        // the pages load no inline script: every <script> has a src, no on…= attribute, no style= attribute
        for (String page : List.of("/", "/admin/costs")) {
            String html = Http.get(h.base + page).body();
            assertThat(html).as(page).doesNotContainPattern("<script(?![^>]*\\ssrc=)[^>]*>").doesNotContainPattern("\\son[a-z]+=").doesNotContain(" style=");
        }

        // a download redirect: the presigned URL it points to is on an origin the policy lets the page reach
        String id = h.upload("hana", "notes.txt", "text/plain", "security headers\n".getBytes(StandardCharsets.UTF_8));
        assertThat(h.awaitSettled("hana", id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");
        var redirect = h.call("GET", "/v1/files/" + id + "/content", "hana", null).raw();
        assertThat(redirect.statusCode()).isEqualTo(302);
        hasSecurityHeaders(redirect, true);
        URI to = URI.create(redirect.headers().firstValue("Location").orElseThrow());
        assertThat(csp).contains("connect-src 'self' " + PUBLIC_URL + " " + to.getScheme() + "://" + to.getHost() + ":" + to.getPort() + ";");

        // problem documents: a route's, and Jetty's own (a malformed URI)
        var missing = h.call("GET", "/v1/files/" + UUID.randomUUID(), "hana", null).raw();
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        hasSecurityHeaders(missing, true);
        String jetty = raw("GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(jetty).startsWith("HTTP/1.1 400").contains("application/problem+json")
                .contains("\r\nContent-Security-Policy: " + csp + "\r\n", "\r\nX-Frame-Options: DENY\r\n", "\r\nX-Content-Type-Options: nosniff\r\n",
                        "\r\nReferrer-Policy: no-referrer\r\n", "\r\nStrict-Transport-Security: max-age=31536000\r\n");

        // /metrics: the metrics token, nothing else (not a user's JWT either)
        var anonymous = Http.get(h.base + "/metrics");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("\"code\":\"unauthenticated\"").doesNotContain("jvm_");
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        hasSecurityHeaders(anonymous, true);
        assertThat(Http.get(h.base + "/metrics", "Authorization", "Bearer " + Harness.token("hana", "free")).statusCode()).isEqualTo(401);
        assertThat(Http.get(h.base + "/metrics", "Authorization", "Bearer " + TestServers.METRICS_TOKEN + "x").statusCode()).isEqualTo(401);
        assertThat(Http.get(h.base + "/metrics", "Authorization", TestServers.METRICS_TOKEN).statusCode()).isEqualTo(401);
        var scraped = Http.get(h.base + "/metrics", "Authorization", "Bearer " + TestServers.METRICS_TOKEN);
        assertThat(scraped.statusCode()).isEqualTo(200);
        assertThat(scraped.body()).contains("jvm_memory_used_bytes");
        hasSecurityHeaders(scraped, true);
    }

    @Test
    void withoutAMetricsTokenServeRefusesMetricsAndDevServesThemWithoutHsts() {
        String secret = "0123456789abcdef0123456789abcdef";
        var http = new StowageConfig.Http("127.0.0.1", 0, URI.create("http://localhost:8080"), Duration.ofSeconds(5));
        var auth = new StowageConfig.Auth(secret, null, null, null);
        for (var mode : List.of(StowageConfig.Mode.PRODUCTION, StowageConfig.Mode.DEV)) {
            var config = new StowageConfig(mode, http, null, null, auth);
            try (var api = new ApiServer(config, List.of(), new JwtAuthenticator(auth), mode == StowageConfig.Mode.DEV ? new DevTokens(secret) : null,
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start()) {
                var r = Http.get("http://127.0.0.1:" + api.port() + "/metrics");
                assertThat(r.statusCode()).as(mode.name()).isEqualTo(mode == StowageConfig.Mode.DEV ? 200 : 401);
                if (mode == StowageConfig.Mode.PRODUCTION) assertThat(r.body()).contains("STOWAGE_METRICS_TOKEN");
                assertThat(r.headers().allValues("Content-Security-Policy")).containsExactly("default-src 'self'; script-src 'self'; style-src 'self'"
                        + "; img-src 'self' blob: data: http://localhost:8080; connect-src 'self' http://localhost:8080"
                        + "; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
                assertThat(r.headers().firstValue("Strict-Transport-Security")).as("no HSTS over http").isEmpty();
                assertThat(r.headers().allValues("X-Frame-Options")).containsExactly("DENY");
            }
        }
    }

    /** Sends raw bytes (what a client library would refuse to send) and returns the whole answer. */
    static String raw(String request) {
        URI base = URI.create(h.base);
        try (var s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}

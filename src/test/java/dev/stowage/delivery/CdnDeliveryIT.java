package dev.stowage.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code delivery.mode: cloudfront} over the embedded store: variant links redirect to CloudFront signed
 * URLs on the user's prefix, the variant objects carry immutable cache headers (read back from the
 * store), downloads of a non-image stay presigned GETs of the raw bucket, and {@code POST /v1/cdn/session}
 * sets the cookies for a premium plan only, on the domain the API and the CDN share.
 */
class CdnDeliveryIT {
    static final CloudFrontKeys KEYS = new CloudFrontKeys();
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    static Harness h;

    @BeforeAll
    static void start() {
        h = new Harness(Map.of(
                "STOWAGE_DELIVERY_MODE", "cloudfront",
                "STOWAGE_PUBLIC_URL", "https://api.example.test",
                "STOWAGE_CDN_BASE_URL", "https://cdn.example.test",
                "STOWAGE_CLOUDFRONT_KEY_PAIR_ID", "K2JCJMDEHXQW5F",
                "STOWAGE_CLOUDFRONT_PRIVATE_KEY", KEYS.pkcs1Pem()), c -> c);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static String upload(String user, String name, String type, byte[] bytes) {
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", name, "size", bytes.length, "contentType", type));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        String id = init.json().path("fileId").asText();
        h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        assertThat(h.awaitSettled(user, id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");
        return id;
    }

    static HttpResponse<String> post(String path, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(h.base + path)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void variantLinksRedirectToSignedCdnUrlsAndTheStoredVariantsAreImmutable() throws Exception {
        String id = upload("dora", "storm.jpg", "image/jpeg", Files.readAllBytes(TestServers.fixture("images/photos/mate_Storm.jpg")));
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (h.stowage.variants().list(java.util.UUID.fromString(id)).size() < 3 && System.nanoTime() < end) Thread.sleep(100);
        var variants = h.stowage.variants().list(java.util.UUID.fromString(id));
        assertThat(variants).hasSize(3);
        for (var v : variants) {
            // cache headers read back from the stored object
            var head = h.stowage.s3().client().headObject(r -> r.bucket(v.bucket()).key(v.key()));
            assertThat(head.cacheControl()).as(v.key()).isEqualTo("public, max-age=31536000, immutable");
            System.out.printf("[CdnDeliveryIT] stored %s: Cache-Control: %s, Content-Type: %s%n", v.key(), head.cacheControl(), head.contentType());

            var link = h.call("GET", "/v1/files/" + id + "/variants/" + v.name(), "dora", null);
            assertThat(link.status()).isEqualTo(302);
            String location = link.raw().headers().firstValue("Location").orElseThrow();
            assertThat(location).startsWith("https://cdn.example.test/" + v.key() + "?");
            var q = CloudFrontSigningTest.query(location);
            String policy = CloudFrontSigner.policyJson(q.get("Policy"));
            JsonNode st = Harness.JSON.readTree(policy).path("Statement").get(0);
            assertThat(st.path("Resource").asText()).isEqualTo("https://cdn.example.test/dora/*");
            long exp = st.at("/Condition/DateLessThan/AWS:EpochTime").asLong();
            assertThat(exp).isBetween(Instant.now().getEpochSecond() + 250, Instant.now().getEpochSecond() + 310);
            assertThat(CloudFrontKeys.verifies(KEYS.pair.getPublic(), policy, q.get("Signature"))).isTrue();
        }
    }

    @Test
    void rawUploadsAreNeverBehindTheCdn() {
        String id = upload("dora", "notes.txt", "text/plain", "plain text, never on the CDN\n".getBytes());
        var content = h.call("GET", "/v1/files/" + id + "/content", "dora", null);
        assertThat(content.status()).isEqualTo(302);
        String location = content.raw().headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith(TestServers.embeddedS3().toString()).contains(h.config.storage().buckets().raw())
                .doesNotContain("cdn.example.test").contains("X-Amz-Signature=");
        assertThat(Harness.getBytes(location).body()).asString().startsWith("plain text");
    }

    @Test
    void cdnSessionSetsTheThreeCookiesForAPremiumPlanAndRefusesOthers() throws Exception {
        var refused = post("/v1/cdn/session", Harness.token("erin", "free"));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(Harness.JSON.readTree(refused.body()).path("code").asText()).isEqualTo("plan_not_premium");
        assertThat(refused.headers().allValues("Set-Cookie")).isEmpty();

        var ok = post("/v1/cdn/session", Harness.token("erin", "premium"));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode body = Harness.JSON.readTree(ok.body());
        assertThat(body.path("resource").asText()).isEqualTo("https://cdn.example.test/erin/*");
        List<String> cookies = ok.headers().allValues("Set-Cookie");
        assertThat(cookies).hasSize(3);
        assertThat(cookies).extracting(c -> c.substring(0, c.indexOf('=')))
                .containsExactlyInAnyOrder("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id");
        for (String c : cookies) {
            // no cookie_domain configured: the domain both api.example.test and cdn.example.test belong to
            assertThat(List.of(c.split("; "))).contains("Domain=example.test", "Path=/", "Secure", "HttpOnly", "SameSite=Lax");
        }
        assertThat(ok.headers().firstValue("Cache-Control")).contains("no-store");
    }

    @Test
    void cdnModeRedirectsVariantsToTheCdnUnsignedAndKeepsDownloadsPresigned() throws Exception {
        try (Harness cdn = new Harness(Map.of("STOWAGE_DELIVERY_MODE", "cdn", "STOWAGE_CDN_BASE_URL", "https://img.stowage.test"), c -> c)) {
            byte[] photo = Files.readAllBytes(TestServers.fixture("images/photos/mate_Storm.jpg"));
            var init = cdn.call("POST", "/v1/uploads", "finn", Map.of("filename", "storm.jpg", "size", photo.length, "contentType", "image/jpeg"));
            assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), photo).statusCode()).isEqualTo(200);
            String id = init.json().path("fileId").asText();
            cdn.call("POST", "/v1/uploads/" + id + "/complete", "finn", null);
            assertThat(cdn.awaitSettled("finn", id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (cdn.stowage.variants().list(java.util.UUID.fromString(id)).size() < 3 && System.nanoTime() < end) Thread.sleep(100);
            var thumb = cdn.stowage.variants().list(java.util.UUID.fromString(id)).stream().filter(v -> v.name().equals("thumb")).findFirst().orElseThrow();
            var link = cdn.call("GET", "/v1/files/" + id + "/variants/thumb", "finn", null);
            assertThat(link.status()).isEqualTo(302);
            assertThat(link.raw().headers().firstValue("Location")).contains("https://img.stowage.test/" + thumb.key());
            assertThat(cdn.stowage.s3().client().headObject(r -> r.bucket(thumb.bucket()).key(thumb.key())).cacheControl())
                    .isEqualTo("public, max-age=31536000, immutable");
            // the download of the image (its stripped original) is a presigned GET of the store, never a CDN URL
            String content = cdn.call("GET", "/v1/files/" + id + "/content", "finn", null).raw().headers().firstValue("Location").orElseThrow();
            assertThat(content).startsWith(TestServers.embeddedS3().toString()).contains("X-Amz-Signature=").doesNotContain("img.stowage.test");
            // no cookies outside cloudfront mode
            var session = HTTP.send(HttpRequest.newBuilder(URI.create(cdn.base + "/v1/cdn/session")).header("Authorization", "Bearer " + Harness.token("finn", "premium"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(session.statusCode()).isEqualTo(409);
            assertThat(Harness.JSON.readTree(session.body()).path("code").asText()).isEqualTo("cdn_cookies_unavailable");
        }
    }
}

package dev.stowage.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.config.ConfigException;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.problems.Problem;
import dev.stowage.security.Principal;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * CloudFront signed URLs and cookies: signatures verified with the public key of a key pair made here,
 * the custom policy (the user's prefix with a wildcard, epoch seconds), the cookie attributes, and the
 * refusal for plans without premium content.
 */
class CloudFrontSigningTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final CloudFrontKeys KEYS = new CloudFrontKeys();
    /** Not on a whole second, so a policy that kept milliseconds would show it. */
    static final Instant NOW = Instant.parse("2026-03-01T10:00:00.789Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    static StowageConfig config(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "STORAGE_PROVIDER", "aws",
                "STOWAGE_DATABASE_URL", "jdbc:postgresql://db/stowage",
                "STOWAGE_JWT_SECRET", "0123456789abcdef0123456789abcdef",
                "STOWAGE_ALLOW_UNSCANNED", "true",
                "STOWAGE_DELIVERY_MODE", "cloudfront",
                "STOWAGE_CDN_BASE_URL", "https://cdn.example.com",
                "STOWAGE_PUBLIC_URL", "https://api.example.com",
                "STOWAGE_CLOUDFRONT_KEY_PAIR_ID", "K2JCJMDEHXQW5F",
                "STOWAGE_CLOUDFRONT_PRIVATE_KEY", KEYS.pkcs8Pem(),
                "STOWAGE_CLOUDFRONT_DISTRIBUTION_ARN", "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"));
        env.putAll(extra);
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("delivery", Map.of("cloudfront", Map.of("cookie_domain", "example.com", "url_ttl_seconds", 300, "cookie_ttl_seconds", 3600)));
        return ConfigLoader.fromTree(tree, env, StowageConfig.Mode.PRODUCTION);
    }

    static DeliveryService service() {
        return new DeliveryService(config(Map.of()).delivery(), CLOCK);
    }

    static Map<String, String> query(String url) {
        Map<String, String> q = new LinkedHashMap<>();
        for (String kv : URI.create(url).getRawQuery().split("&")) {
            int eq = kv.indexOf('=');
            q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    /** Checks a custom policy: one statement, the resource, and the expiry as whole epoch seconds. */
    static void assertPolicy(String policyJson, String resource, long epochSeconds) throws Exception {
        JsonNode p = JSON.readTree(policyJson);
        assertThat(p.path("Statement")).hasSize(1);
        JsonNode st = p.path("Statement").get(0);
        assertThat(st.path("Resource").asText()).isEqualTo(resource).endsWith("/*");
        JsonNode epoch = st.at("/Condition/DateLessThan/AWS:EpochTime");
        assertThat(epoch.isIntegralNumber()).as("AWS:EpochTime is a whole number: " + policyJson).isTrue();
        assertThat(epoch.asLong()).isEqualTo(epochSeconds);
        assertThat(Long.toString(epoch.asLong())).as("seconds, not milliseconds").hasSize(10);
        assertThat(policyJson).doesNotContain(Long.toString(NOW.toEpochMilli()).substring(0, 11));
    }

    @Test
    void aSignedUrlVerifiesWithThePublicKeyAndItsPolicyCoversTheUsersPrefix() throws Exception {
        String url = service().variantUrl("alice", "alice/0190e0a4-aaaa-7bbb-8ccc-123456789abc/thumb-0123456789ab.webp", "unused");
        assertThat(url).startsWith("https://cdn.example.com/alice/0190e0a4-aaaa-7bbb-8ccc-123456789abc/thumb-0123456789ab.webp?");
        Map<String, String> q = query(url);
        assertThat(q.keySet()).containsExactlyInAnyOrder("Policy", "Signature", "Key-Pair-Id");
        assertThat(q.get("Key-Pair-Id")).isEqualTo("K2JCJMDEHXQW5F");
        String policy = CloudFrontSigner.policyJson(q.get("Policy"));
        assertPolicy(policy, "https://cdn.example.com/alice/*", NOW.getEpochSecond() + 300);
        assertThat(CloudFrontKeys.verifies(KEYS.pair.getPublic(), policy, q.get("Signature"))).as("signature verifies").isTrue();
        // and a signature over another policy does not: the check bites
        assertThat(CloudFrontKeys.verifies(KEYS.pair.getPublic(), policy.replace("alice", "mallory"), q.get("Signature"))).isFalse();
        assertThat(CloudFrontKeys.verifies(new CloudFrontKeys().pair.getPublic(), policy, q.get("Signature"))).isFalse();
    }

    @Test
    void signedCookiesVerifyWithThePublicKeyAndCarryDomainPathSecureHttpOnlySameSite() throws Exception {
        var s = service().session(new Principal("alice", "premium", Set.of()));
        assertThat(s.resource()).isEqualTo("https://cdn.example.com/alice/*");
        assertThat(s.expiresAt()).isEqualTo(Instant.ofEpochSecond(NOW.getEpochSecond() + 3600));
        Map<String, String> values = new LinkedHashMap<>();
        for (String header : s.setCookieHeaders()) {
            List<String> parts = List.of(header.split("; "));
            int eq = parts.getFirst().indexOf('=');
            values.put(parts.getFirst().substring(0, eq), parts.getFirst().substring(eq + 1));
            assertThat(parts.subList(1, parts.size())).as(header).contains("Domain=example.com", "Path=/", "Secure", "HttpOnly", "SameSite=Lax",
                    "Max-Age=3600", "Expires=Sun, 1 Mar 2026 11:00:00 GMT");
        }
        assertThat(values.keySet()).containsExactly("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id");
        assertThat(values.get("CloudFront-Key-Pair-Id")).isEqualTo("K2JCJMDEHXQW5F");
        String policy = CloudFrontSigner.policyJson(values.get("CloudFront-Policy"));
        assertPolicy(policy, "https://cdn.example.com/alice/*", NOW.getEpochSecond() + 3600);
        assertThat(CloudFrontKeys.verifies(KEYS.pair.getPublic(), policy, values.get("CloudFront-Signature"))).as("cookie signature verifies").isTrue();
        // cookie values use only characters allowed in a cookie value (RFC 6265 cookie-octet)
        values.values().forEach(v -> assertThat(v).matches("[A-Za-z0-9\\-_~]+"));
    }

    @Test
    void cookiesAreRefusedForAPlanWithoutPremiumContent() {
        assertThatThrownBy(() -> service().session(new Principal("bob", "free", Set.of())))
                .isInstanceOfSatisfying(Problem.class, p -> {
                    assertThat(p.code()).isEqualTo("plan_not_premium");
                    assertThat(p.status()).isEqualTo(403);
                });
        var pro = new DeliveryService(config(Map.of()).delivery().withPremiumPlans(List.of("pro", "premium")), CLOCK);
        assertThat(pro.session(new Principal("bob", "pro", Set.of())).setCookieHeaders()).hasSize(3);
    }

    @Test
    void presignedAndCdnModesLinkToTheStoreAndToTheCdnWithoutCookies() {
        var presigned = new DeliveryService(StowageConfig.Delivery.PRESIGNED, CLOCK);
        assertThat(presigned.variantUrl("alice", "alice/f/thumb-0123456789ab.webp", "https://s3.example/x?X-Amz-Signature=1"))
                .isEqualTo("https://s3.example/x?X-Amz-Signature=1");
        var cdn = new DeliveryService(config(Map.of("STOWAGE_DELIVERY_MODE", "cdn")).delivery(), CLOCK);
        assertThat(cdn.variantUrl("alice", "alice/f/thumb-0123456789ab.webp", "presigned")).isEqualTo("https://cdn.example.com/alice/f/thumb-0123456789ab.webp");
        assertThat(cdn.cdnUrl("al ice/f/ü.webp")).isEqualTo("https://cdn.example.com/al%20ice/f/%C3%BC.webp");
        assertThatThrownBy(() -> cdn.session(new Principal("alice", "premium", Set.of())))
                .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.code()).isEqualTo("cdn_cookies_unavailable"));
    }

    @Test
    void aPkcs1KeyAsOpensslWritesItSignsTheSame() throws Exception {
        var d = new DeliveryService(config(Map.of("STOWAGE_CLOUDFRONT_PRIVATE_KEY", KEYS.pkcs1Pem())).delivery(), CLOCK);
        Map<String, String> q = query(d.variantUrl("carol", "carol/f/medium-0123456789ab.webp", null));
        assertThat(CloudFrontKeys.verifies(KEYS.pair.getPublic(), CloudFrontSigner.policyJson(q.get("Policy")), q.get("Signature"))).isTrue();
        assertThat(PemKeys.rsaPrivateKey(KEYS.pkcs1Pem())).isEqualTo(KEYS.pair.getPrivate());
        assertThatThrownBy(() -> PemKeys.rsaPrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("AAAA");
    }

    @Test
    void cloudfrontModeReportsEveryMissingSettingAtOnceAndKeepsKeysOutOfTheFile() {
        Map<String, String> env = new HashMap<>(Map.of(
                "STORAGE_PROVIDER", "aws", "STOWAGE_DATABASE_URL", "jdbc:postgresql://db/stowage",
                "STOWAGE_JWT_SECRET", "0123456789abcdef0123456789abcdef", "STOWAGE_ALLOW_UNSCANNED", "true",
                "STOWAGE_DELIVERY_MODE", "cloudfront", "STOWAGE_CDN_BASE_URL", "http://cdn.example.com",
                "STOWAGE_CLOUDFRONT_DISTRIBUTION_ARN", "arn:aws:s3:::nope"));
        Map<String, Object> tree = Map.of("delivery", Map.of("cloudfront", Map.of("private_key", "-----BEGIN PRIVATE KEY-----", "cookie_same_site", "sometimes")));
        assertThatThrownBy(() -> ConfigLoader.fromTree(new LinkedHashMap<>(tree), env, StowageConfig.Mode.PRODUCTION))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(String.join("\n", e.problems()))
                        .contains("delivery.cdn_base_url [from STOWAGE_CDN_BASE_URL]: 'http://cdn.example.com' must be https",
                                "delivery.cloudfront.key_pair_id: is required",
                                "delivery.cloudfront.private_key: a private key does not belong in stowage.yaml",
                                "delivery.cloudfront.distribution_arn [from STOWAGE_CLOUDFRONT_DISTRIBUTION_ARN]: 'arn:aws:s3:::nope' is not a distribution ARN",
                                "delivery.cloudfront.cookie_same_site: 'sometimes' is not Lax, Strict or None"));
        assertThat(config(Map.of()).delivery().cloudFront().toString()).doesNotContain("PRIVATE KEY");
    }

    @Test
    void theOriginPolicyLetsOnlyTheDistributionReadTheProcessedBucket() throws Exception {
        JsonNode policy = JSON.readTree(CloudFrontOrigin.policyJson("uploads-processed", "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"));
        assertThat(policy.path("Version").asText()).isEqualTo("2012-10-17");
        JsonNode st = policy.path("Statement").get(0);
        assertThat(st.path("Effect").asText()).isEqualTo("Allow");
        assertThat(st.at("/Principal/Service").asText()).isEqualTo("cloudfront.amazonaws.com");
        assertThat(st.path("Action").asText()).isEqualTo("s3:GetObject");
        assertThat(st.path("Resource").asText()).isEqualTo("arn:aws:s3:::uploads-processed/*");
        assertThat(st.at("/Condition/StringEquals/AWS:SourceArn").asText()).isEqualTo("arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE");
        String settings = CloudFrontOrigin.distributionSettings(config(Map.of()).withDelivery(config(Map.of()).delivery()));
        assertThat(settings).contains("https://cdn.example.com", "uploads-processed.s3.us-east-1.amazonaws.com", "never uploads-raw",
                "Origin Access Control", CloudFrontOrigin.CACHE_POLICY_USE_ORIGIN_HEADERS, "K2JCJMDEHXQW5F",
                "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE");
    }
}

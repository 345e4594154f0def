package dev.stowage.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig.Mode;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Configuration that cannot break requests: every signed URL and cookie lifetime is refused outside 60 s to
 * 7 days, and the CloudFront cookie domain is one browsers accept from the API host, both at start with the
 * key, the value and what to do.
 */
class RequestSafeConfigTest {
    static final String RANGE = " is out of range (expected 60 to 604800 seconds: at least 60 allows for 30 s of clock skew between"
            + " clients, Stowage and the store; at most 7 days, the longest a SigV4 presigned URL is valid)";
    static final String PEM = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";

    static Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "STORAGE_PROVIDER", "aws",
                "STOWAGE_DATABASE_URL", "jdbc:postgresql://db/stowage",
                "STOWAGE_JWT_SECRET", "0123456789abcdef0123456789abcdef",
                "STOWAGE_ALLOW_UNSCANNED", "true"));
        env.putAll(extra);
        return env;
    }

    static Map<String, String> cloudFront(String publicUrl, String cdn) {
        return env(Map.of("STOWAGE_PUBLIC_URL", publicUrl, "STOWAGE_DELIVERY_MODE", "cloudfront", "STOWAGE_CDN_BASE_URL", cdn,
                "STOWAGE_CLOUDFRONT_KEY_PAIR_ID", "K2JCJMDEHXQW5F", "STOWAGE_CLOUDFRONT_PRIVATE_KEY", PEM));
    }

    static StowageConfig load(Map<String, Object> tree, Map<String, String> env) {
        return ConfigLoader.fromTree(new LinkedHashMap<>(tree), env, Mode.PRODUCTION);
    }

    static List<String> problems(Map<String, Object> tree, Map<String, String> env) {
        try {
            load(tree, env);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("the configuration was accepted");
    }

    @Test
    void everyUrlAndCookieLifetimeOutside60SecondsTo7DaysIsRefusedWithKeyValueAndRange() {
        Map<String, Object> tree = Map.of(
                "uploads", Map.of("url_ttl_seconds", 0, "download_url_ttl_seconds", 59, "session_ttl_seconds", 0),
                "audit", Map.of("max_upload_url_ttl_seconds", 604801, "max_download_url_ttl_seconds", -5),
                "delivery", Map.of("cloudfront", Map.of("url_ttl_seconds", 0, "cookie_ttl_seconds", 9999999)));
        assertThat(problems(tree, cloudFront("https://api.example.test", "https://cdn.example.test"))).containsExactly(
                "uploads.url_ttl_seconds: 0" + RANGE,
                "uploads.session_ttl_seconds: 0 is out of range (expected 60 to 2592000 seconds)",
                "uploads.download_url_ttl_seconds: 59" + RANGE,
                "delivery.cloudfront.url_ttl_seconds: 0" + RANGE,
                "delivery.cloudfront.cookie_ttl_seconds: 9999999" + RANGE,
                "audit.max_upload_url_ttl_seconds: 604801" + RANGE,
                "audit.max_download_url_ttl_seconds: -5" + RANGE);
    }

    @Test
    void aLifetimeFromTheEnvironmentOrNotANumberIsNamedToo() {
        assertThat(problems(Map.of("uploads", Map.of("download_url_ttl_seconds", "soon")), env(Map.of())))
                .containsExactly("uploads.download_url_ttl_seconds: 'soon' is not a number of seconds from 60 to 604800");
        assertThat(problems(Map.of("uploads", Map.of("url_ttl_seconds", 30)), env(Map.of())))
                .containsExactly("uploads.url_ttl_seconds: 30" + RANGE);
    }

    @Test
    void theBoundsThemselvesAreAccepted() {
        var c = load(Map.of("uploads", Map.of("url_ttl_seconds", 60, "download_url_ttl_seconds", 604800, "session_ttl_seconds", 60),
                "audit", Map.of("max_upload_url_ttl_seconds", 60, "max_download_url_ttl_seconds", 604800)), env(Map.of()));
        assertThat(c.uploads().urlTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.uploads().downloadUrlTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(c.uploads().sessionTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.audit().maxDownloadUrlTtl()).isEqualTo(Duration.ofDays(7));
        // the defaults lie inside the range
        var d = load(Map.of(), env(Map.of()));
        for (Duration ttl : List.of(d.uploads().urlTtl(), d.uploads().downloadUrlTtl(), d.audit().maxUploadUrlTtl(), d.audit().maxDownloadUrlTtl())) {
            assertThat(ttl.toSeconds()).isBetween(UrlLifetimes.MIN_SECONDS, UrlLifetimes.MAX_SECONDS);
        }
    }

    @Test
    void theCookieDomainDefaultsToTheDomainTheApiAndTheCdnShare() {
        assertThat(load(Map.of(), cloudFront("https://api.example.test", "https://cdn.example.test")).delivery().cloudFront().cookieDomain())
                .isEqualTo("example.test");
        assertThat(load(Map.of(), cloudFront("https://files.eu.acme.co.uk", "https://img.eu.acme.co.uk")).delivery().cloudFront().cookieDomain())
                .isEqualTo("eu.acme.co.uk");
        assertThat(load(Map.of(), cloudFront("https://acme.co.uk", "https://cdn.acme.co.uk")).delivery().cloudFront().cookieDomain())
                .isEqualTo("acme.co.uk");
        // an explicit domain browsers accept is kept (a leading dot dropped)
        assertThat(load(Map.of("delivery", Map.of("cloudfront", Map.of("cookie_domain", ".example.test"))),
                cloudFront("https://api.eu.example.test", "https://cdn.example.test")).delivery().cloudFront().cookieDomain())
                .isEqualTo("example.test");
    }

    @Test
    void aCloudFrontDefaultDomainWithAnApiElsewhereIsRefusedSayingWhatToConfigure() {
        assertThat(problems(Map.of(), cloudFront("https://api.example.test", "https://d111111abcdef8.cloudfront.net"))).containsExactly(
                "delivery.cloudfront.cookie_domain: the API host 'api.example.test' (http.public_url) and the CDN host"
                        + " 'd111111abcdef8.cloudfront.net' (delivery.cdn_base_url, a *.cloudfront.net name (cloudfront.net is a public suffix:"
                        + " no other site's cookies ever reach it)) share no domain that can carry cookies, so browsers would drop the signed"
                        + " cookies (RFC 6265 §5.3); give the distribution a CNAME under the API's domain (e.g. delivery.cdn_base_url:"
                        + " https://cdn.example.test) or set delivery.cloudfront.cookie_domain to a domain both hosts belong to (e.g. example.test)");
    }

    @Test
    void hostsSharingOnlyAPublicSuffixOrAnApiOnLocalhostAreRefused() {
        assertThat(problems(Map.of(), cloudFront("https://stowage.example.co.uk", "https://cdn.other.co.uk"))).containsExactly(
                "delivery.cloudfront.cookie_domain: the API host 'stowage.example.co.uk' (http.public_url) and the CDN host 'cdn.other.co.uk'"
                        + " (delivery.cdn_base_url) share no domain that can carry cookies, so browsers would drop the signed cookies"
                        + " (RFC 6265 §5.3); give the distribution a CNAME under the API's domain (e.g. delivery.cdn_base_url:"
                        + " https://cdn.example.co.uk) or set delivery.cloudfront.cookie_domain to a domain both hosts belong to (e.g. example.co.uk)");
        assertThat(problems(Map.of(), cloudFront("http://localhost:8080", "https://cdn.example.test"))).containsExactly(
                "delivery.cloudfront.cookie_domain: the API host 'localhost' (http.public_url) and the CDN host 'cdn.example.test'"
                        + " (delivery.cdn_base_url) share no domain that can carry cookies, so browsers would drop the signed cookies"
                        + " (RFC 6265 §5.3); set http.public_url to the API's public address (a domain name, not 'localhost'), give the"
                        + " distribution a CNAME under that domain as delivery.cdn_base_url, or set delivery.cloudfront.cookie_domain to a"
                        + " domain both hosts belong to");
    }

    @Test
    void anExplicitCookieDomainIsCheckedTheSameWay() {
        String fix = "; give the distribution a CNAME under the API's domain (e.g. delivery.cdn_base_url: https://cdn.example.test)"
                + " or set delivery.cloudfront.cookie_domain to a domain both hosts belong to (e.g. example.test)";
        var env = cloudFront("https://api.example.test", "https://d111111abcdef8.cloudfront.net");
        assertThat(problems(Map.of("delivery", Map.of("cloudfront", Map.of("cookie_domain", "d111111abcdef8.cloudfront.net"))), env)).containsExactly(
                "delivery.cloudfront.cookie_domain: 'd111111abcdef8.cloudfront.net' does not cover the API host 'api.example.test'"
                        + " (http.public_url): browsers refuse cookies a host sets for another domain (RFC 6265 §5.3)" + fix);
        assertThat(problems(Map.of("delivery", Map.of("cloudfront", Map.of("cookie_domain", "cloudfront.net"))), env)).containsExactly(
                "delivery.cloudfront.cookie_domain: 'cloudfront.net' is a public suffix or not a registrable domain: browsers refuse"
                        + " cookies for it (RFC 6265 §5.3)" + fix);
        assertThat(problems(Map.of("delivery", Map.of("cloudfront", Map.of("cookie_domain", "example.test"))), env)).containsExactly(
                "delivery.cloudfront.cookie_domain: 'example.test' does not cover the CDN host 'd111111abcdef8.cloudfront.net'"
                        + " (delivery.cdn_base_url): browsers would never send the cookies to the CDN" + fix);
        assertThat(problems(Map.of("delivery", Map.of("cloudfront", Map.of("cookie_domain", "co.uk"))),
                cloudFront("https://api.acme.co.uk", "https://cdn.acme.co.uk"))).singleElement().asString()
                .startsWith("delivery.cloudfront.cookie_domain: 'co.uk' is a public suffix or not a registrable domain");
    }

    @Test
    void theCookieDomainIsNotCheckedOutsideCloudFrontModeNorForBucketCommands() {
        var cdnMode = env(Map.of("STOWAGE_DELIVERY_MODE", "cdn", "STOWAGE_CDN_BASE_URL", "https://d111111abcdef8.cloudfront.net"));
        assertThat(load(Map.of(), cdnMode).delivery().mode()).isEqualTo(StowageConfig.DeliveryMode.CDN);
        var c = ConfigLoader.fromTree(new LinkedHashMap<>(), cloudFront("http://localhost:8080", "https://d111111abcdef8.cloudfront.net"), Mode.PRODUCTION, true);
        assertThat(c.delivery().cloudFront().cookieDomain()).isEqualTo("d111111abcdef8.cloudfront.net");
    }

    @Test
    void sharedParentFollowsThePublicSuffixList() {
        assertThat(CookieDomains.sharedParent("api.example.test", "cdn.example.test")).contains("example.test");
        assertThat(CookieDomains.sharedParent("a.b.example.com", "c.b.example.com")).contains("b.example.com");
        assertThat(CookieDomains.sharedParent("API.Example.COM", "cdn.example.com")).contains("example.com");
        assertThat(CookieDomains.sharedParent("example.com", "cdn.example.com")).contains("example.com");
        assertThat(CookieDomains.sharedParent("x.github.io", "y.github.io")).isEmpty();
        assertThat(CookieDomains.sharedParent("a.cloudfront.net", "b.cloudfront.net")).isEmpty();
        assertThat(CookieDomains.sharedParent("api.example.com", "cdn.example.org")).isEmpty();
        assertThat(CookieDomains.sharedParent("10.0.0.1", "10.0.0.2")).isEmpty();
        assertThat(CookieDomains.sharedParent("localhost", "localhost")).isEmpty();
        assertThat(CookieDomains.problem("example.com", "api.example.com", "cdn.example.com")).isEmpty();
        assertThat(CookieDomains.problem("example.com", "badexample.com", "cdn.example.com")).isPresent();
    }
}

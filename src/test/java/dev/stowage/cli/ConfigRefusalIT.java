package dev.stowage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.StowageProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configurations that would break every request stop {@code stowage serve} and {@code stowage dev} before they
 * listen: exit code 2 and one line naming the key, the value and what is allowed (a separate JVM, as a user runs it).
 */
class ConfigRefusalIT {
    static final String RANGE = " is out of range (expected 60 to 604800 seconds: at least 60 allows for 30 s of clock skew between"
            + " clients, Stowage and the store; at most 7 days, the longest a SigV4 presigned URL is valid)";
    static final Map<String, String> SERVE_ENV = Map.of(
            "STORAGE_PROVIDER", "aws",
            "STOWAGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/stowage",
            "STOWAGE_JWT_SECRET", "0123456789abcdef0123456789abcdef",
            "STOWAGE_ALLOW_UNSCANNED", "true");

    @TempDir
    Path dir;

    StowageProcess.Result run(String yaml, Map<String, String> env, String... args) throws Exception {
        Files.writeString(dir.resolve("stowage.yaml"), yaml);
        return StowageProcess.run(dir, env, 120, args);
    }

    @Test
    void zeroUrlLifetimesStopServeAndDev() throws Exception {
        var serve = run("""
                uploads:
                  url_ttl_seconds: 0
                  download_url_ttl_seconds: 0
                """, SERVE_ENV, "serve");
        assertThat(serve.exit()).as(serve.err()).isEqualTo(2);
        assertThat(serve.err().lines().toList()).containsExactly(
                "stowage: invalid configuration:",
                "  uploads.url_ttl_seconds: 0" + RANGE,
                "  uploads.download_url_ttl_seconds: 0" + RANGE);
        assertThat(serve.out()).isEmpty();

        var dev = run("""
                uploads:
                  download_url_ttl_seconds: 700000
                """, Map.of(), "dev", "--data-dir", dir.resolve("data").toString());
        assertThat(dev.exit()).as(dev.err()).isEqualTo(2);
        assertThat(dev.err().lines().toList()).containsExactly(
                "stowage: invalid configuration:",
                "  uploads.download_url_ttl_seconds: 700000" + RANGE);
        assertThat(dir.resolve("data")).as("nothing was started").doesNotExist();
    }

    @Test
    void cloudFrontCookiesABrowserWouldDropStopServe() throws Exception {
        var env = new java.util.HashMap<>(SERVE_ENV);
        env.putAll(Map.of("STOWAGE_PUBLIC_URL", "https://api.example.test", "STOWAGE_DELIVERY_MODE", "cloudfront",
                "STOWAGE_CDN_BASE_URL", "https://d111111abcdef8.cloudfront.net", "STOWAGE_CLOUDFRONT_KEY_PAIR_ID", "K2JCJMDEHXQW5F",
                "STOWAGE_CLOUDFRONT_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----\\n"));
        var serve = run("", env, "serve");
        assertThat(serve.exit()).as(serve.err()).isEqualTo(2);
        assertThat(serve.err().lines().toList()).containsExactly(
                "stowage: invalid configuration:",
                "  delivery.cloudfront.cookie_domain: the API host 'api.example.test' (http.public_url) and the CDN host"
                        + " 'd111111abcdef8.cloudfront.net' (delivery.cdn_base_url, a *.cloudfront.net name (cloudfront.net is a public suffix:"
                        + " no other site's cookies ever reach it)) share no domain that can carry cookies, so browsers would drop the signed"
                        + " cookies (RFC 6265 §5.3); give the distribution a CNAME under the API's domain (e.g. delivery.cdn_base_url:"
                        + " https://cdn.example.test) or set delivery.cloudfront.cookie_domain to a domain both hosts belong to (e.g. example.test)");

        var explicit = run("""
                delivery:
                  cloudfront:
                    cookie_domain: d111111abcdef8.cloudfront.net
                """, env, "serve");
        assertThat(explicit.exit()).as(explicit.err()).isEqualTo(2);
        assertThat(explicit.err()).contains("  delivery.cloudfront.cookie_domain: 'd111111abcdef8.cloudfront.net' does not cover the API host"
                + " 'api.example.test' (http.public_url): browsers refuse cookies a host sets for another domain (RFC 6265 §5.3)");
    }
}

package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.S3Clients;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

/** The policy lists exactly the origins presigned URLs and the CDN point browsers to; HSTS only over https. */
class SecurityHeadersTest {
    static final StowageConfig.Buckets BUCKETS = new StowageConfig.Buckets("acme-raw", "acme-processed", "acme-backups", "acme-logs");

    static StowageConfig config(String publicUrl, StowageConfig.Storage storage, URI cdn) {
        var c = new StowageConfig(StowageConfig.Mode.PRODUCTION,
                new StowageConfig.Http("0.0.0.0", 8080, URI.create(publicUrl), Duration.ofSeconds(5)), storage, null, null);
        return cdn == null ? c : c.withDelivery(new StowageConfig.Delivery(StowageConfig.DeliveryMode.CDN, cdn, null, List.of()));
    }

    static StowageConfig.Storage storage(Provider p, String endpoint, String region, boolean pathStyle) {
        return new StowageConfig.Storage(p, endpoint == null ? null : URI.create(endpoint), region, pathStyle, BUCKETS,
                new StowageConfig.Cors(List.of("https://app.example.com"), Duration.ofHours(1)));
    }

    @Test
    void awsVirtualHostedBucketsAndTheCdnAreTheOnlyOtherOrigins() {
        var s = storage(Provider.AWS, null, "eu-west-1", false);
        assertThat(S3Clients.presignedOrigins(s)).containsExactly(
                "https://acme-raw.s3.eu-west-1.amazonaws.com", "https://acme-processed.s3.eu-west-1.amazonaws.com");
        var h = SecurityHeaders.of(config("https://files.example.com", s, URI.create("https://cdn.example.com")), S3Clients.presignedOrigins(s));
        String others = "https://files.example.com https://acme-raw.s3.eu-west-1.amazonaws.com https://acme-processed.s3.eu-west-1.amazonaws.com https://cdn.example.com";
        assertThat(h.contentSecurityPolicy()).isEqualTo("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data: " + others
                + "; connect-src 'self' " + others
                + "; frame-src 'self' https://acme-raw.s3.eu-west-1.amazonaws.com https://acme-processed.s3.eu-west-1.amazonaws.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    }

    @Test
    void aPathStyleEndpointIsOneOriginWithItsPortAndDefaultPortsAreDropped() {
        var ceph = storage(Provider.CEPH, "http://rgw.internal:7480", "us-east-1", true);
        assertThat(S3Clients.presignedOrigins(ceph)).containsExactly("http://rgw.internal:7480");
        var minio = storage(Provider.MINIO, "https://minio.example.com:443", "us-east-1", false);
        assertThat(S3Clients.presignedOrigins(minio)).containsExactly("https://acme-raw.minio.example.com", "https://acme-processed.minio.example.com");
        assertThat(SecurityHeaders.origin(URI.create("HTTP://Example.com:80/x?y"))).isEqualTo("http://example.com");
        assertThat(SecurityHeaders.of(config("http://localhost:8080", ceph, null), S3Clients.presignedOrigins(ceph)).contentSecurityPolicy())
                .contains("; connect-src 'self' http://localhost:8080 http://rgw.internal:7480; frame-src 'self' http://rgw.internal:7480; ");
    }

    @Test
    void hstsOnlyWhenThePublicUrlIsHttpsOrTheRequestCameOverTls() {
        var https = SecurityHeaders.of(config("https://files.example.com", null, null), List.of());
        var http = SecurityHeaders.of(config("http://localhost:8080", null, null), List.of());
        HttpFields.Mutable a = HttpFields.build(), b = HttpFields.build(), c = HttpFields.build();
        https.addTo(a, false);
        http.addTo(b, false);
        http.addTo(c, true);
        assertThat(a.get("Strict-Transport-Security")).isEqualTo("max-age=31536000");
        assertThat(b.get("Strict-Transport-Security")).isNull();
        assertThat(c.get("Strict-Transport-Security")).isEqualTo("max-age=31536000");
        for (HttpFields f : List.of(a, b, c)) {
            assertThat(f.get("X-Frame-Options")).isEqualTo("DENY");
            assertThat(f.get("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(f.get("Referrer-Policy")).isEqualTo("no-referrer");
        }
    }
}

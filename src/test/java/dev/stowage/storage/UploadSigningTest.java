package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The header set a presigned upload fixes and the overrides a presigned download carries, per provider
 * (presigning makes no request, so no server is needed), and the browser CORS rule that has to let
 * exactly those requests through.
 */
class UploadSigningTest {

    private static S3Clients clients(Provider p) {
        URI endpoint = p == Provider.AWS ? null : URI.create("http://store.internal:9000");
        var storage = new StowageConfig.Storage(p, endpoint, p == Provider.R2 ? "auto" : "eu-central-1", p != Provider.AWS,
                new StowageConfig.Buckets("a-raw", "a-processed", "a-backups", "a-logs"),
                new StowageConfig.Cors(List.of("http://localhost:8080"), Duration.ofHours(1)));
        return S3Clients.create(storage, StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret")));
    }

    private static ObjectStore.Put upload() {
        return ObjectStore.Put.of("a-raw", "alice/0199/report.pdf").contentType("application/pdf").contentLength(1234)
                .metadata(Map.of("original-filename", "report.pdf", "uploader-id", "alice", "uploaded-at", "2026-12-06T20:00:00Z",
                        "sha256", "ab".repeat(32)))
                .tagging("stowage-state=pending");
    }

    /** The signed headers, lower-case names, without the two the HTTP client sets itself. */
    private static Map<String, String> signed(ObjectStore.Presigned p) {
        Map<String, String> out = new TreeMap<>();
        p.signedHeaders().forEach((k, v) -> {
            String lk = k.toLowerCase(java.util.Locale.ROOT);
            if (!lk.equals("host") && !lk.equals("content-length")) out.put(lk, String.join(",", v));
        });
        return out;
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void aPresignedPutSignsAPrivateAclWhereTheProviderHasAclsAndTheStandardClassEverywhere(Provider p) {
        try (var c = clients(p)) {
            var headers = signed(new S3ObjectStore(c).presignPut(upload(), Duration.ofMinutes(15)));
            assertThat(headers).containsEntry("x-amz-storage-class", "STANDARD")
                    .containsEntry("content-type", "application/pdf")
                    .containsEntry("x-amz-meta-uploader-id", "alice")
                    .containsEntry("x-amz-tagging", "stowage-state=pending");
            boolean acls = p == Provider.CEPH || p == Provider.EMBEDDED;
            assertThat(ProviderProfile.of(p).has(Capability.OBJECT_ACLS)).isEqualTo(acls);
            if (acls) assertThat(headers).containsEntry("x-amz-acl", "private");
            // AWS (owner-enforced buckets) refuses every ACL but bucket-owner-full-control; R2 and MinIO have none
            else assertThat(headers).doesNotContainKey("x-amz-acl");
        }
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void everyHeaderAPresignedPutSignsPassesTheBrowserCorsRule(Provider p) {
        try (var c = clients(p)) {
            var headers = signed(new S3ObjectStore(c).presignPut(upload().sha256("cd".repeat(32)), Duration.ofMinutes(15)));
            assertThat(BrowserCors.ALLOWED_HEADERS).containsAll(headers.keySet());
        }
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void aPresignedGetCarriesStowagesTypeDispositionAndCacheControl(Provider p) {
        try (var c = clients(p)) {
            var url = new S3ObjectStore(c).presignGet("a-raw", "alice/0199/page.html", Duration.ofMinutes(5),
                    "text/plain", "attachment; filename=\"page.html\"").url();
            Map<String, String> q = new TreeMap<>();
            for (String kv : url.getRawQuery().split("&")) {
                int i = kv.indexOf('=');
                q.put(kv.substring(0, i), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
            }
            assertThat(q).containsEntry("response-content-type", "text/plain")
                    .containsEntry("response-content-disposition", "attachment; filename=\"page.html\"")
                    .containsEntry("response-cache-control", "private, max-age=300");
        }
    }

    @Test
    void theCorsRuleLetsRangedAndConditionalDownloadsThroughAndExposesWhatTheyRead() {
        assertThat(BrowserCors.RAW_METHODS).contains("GET", "HEAD", "PUT");
        assertThat(BrowserCors.PROCESSED_METHODS).containsExactly("GET", "HEAD");
        assertThat(BrowserCors.ALLOWED_HEADERS).contains("range", "if-match", "if-none-match", "x-amz-acl", "x-amz-storage-class");
        assertThat(BrowserCors.EXPOSED_HEADERS).containsExactlyInAnyOrder("ETag", "Content-Range", "Accept-Ranges", "Content-Length");
        // S3 and RGW match allowed headers case-insensitively, but the planner compares them as stored: lower case only
        assertThat(BrowserCors.ALLOWED_HEADERS).allMatch(h -> h.equals(h.toLowerCase(java.util.Locale.ROOT)));
        assertThat(BrowserCors.ALLOWED_HEADERS).doesNotHaveDuplicates();
    }
}

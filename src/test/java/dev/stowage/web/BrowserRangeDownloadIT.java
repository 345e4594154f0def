package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Harness;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ranged downloads from a page (must-show 9): headless Chromium on the page's origin fetches Stowage's
 * download URL with {@code Range: bytes=10-19} and gets 206, exactly those ten bytes, and a readable
 * {@code Content-Range}, so the bucket CORS rule allows the {@code Range} header (a preflight) and exposes
 * the response headers. On the {@code stowage dev} stack's embedded S3 server and on Ceph RGW with the
 * bucket CORS rule that {@code buckets apply} sets.
 */
class BrowserRangeDownloadIT {
    @TempDir
    static Path dir;
    static BrowserStack web;
    /** 64 bytes: bytes 10–19 are {@code ABCDEFGHIJ}. */
    static final byte[] TEXT = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n!".getBytes(StandardCharsets.US_ASCII);

    @BeforeAll
    static void start() throws Exception {
        web = BrowserStack.start(dir);
        web.openPage();
    }

    @AfterAll
    static void stop() {
        if (web != null) web.close();
    }

    /** Fetches {@code url} from the page with the given request headers; answers status, body, and the named response headers. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> fetch(String url, Map<String, String> headers) {
        return (Map<String, Object>) web.jsAsync("""
                const [url, headers, done] = arguments;
                fetch(url, {headers}).then(async r => done({status: r.status, body: await r.text(),
                    contentRange: r.headers.get('Content-Range'), etag: r.headers.get('ETag'),
                    contentLength: r.headers.get('Content-Length'), contentType: r.headers.get('Content-Type')}))
                  .catch(e => done({error: String(e)}));""", url, headers);
    }

    /**
     * Asserts the ranged fetch of a 64-byte download URL from a page of {@code origin} (whose
     * Content-Security-Policy lists the store), then resumes it with If-Match on the ETag it exposed.
     */
    private static void rangedFetch(String origin, String url) {
        web.driver.get(origin + "/health/live");
        var r = fetch(url, Map.of("Range", "bytes=10-19"));
        assertThat(r).as("fetch from %s", origin).doesNotContainKey("error");
        assertThat(((Number) r.get("status")).intValue()).as("%s", r).isEqualTo(206);
        assertThat(r.get("body")).isEqualTo("ABCDEFGHIJ");
        assertThat(r.get("contentRange")).isEqualTo("bytes 10-19/" + TEXT.length);
        assertThat(r.get("contentLength")).isEqualTo("10");
        assertThat(r.get("etag")).as("ETag exposed").isNotNull();

        var resumed = fetch(url, Map.of("Range", "bytes=60-", "If-Match", (String) r.get("etag")));
        assertThat(resumed).doesNotContainKey("error");
        assertThat(((Number) resumed.get("status")).intValue()).as("%s", resumed).isEqualTo(206);
        assertThat(resumed.get("body")).isEqualTo("yz\n!");
        assertThat(resumed.get("contentRange")).isEqualTo("bytes 60-63/" + TEXT.length);
    }

    /** The download URL Stowage redirects to, read from the redirect of {@code /v1/files/{id}/content}. */
    private static String downloadUrl(String api, String token, String id) {
        var r = Http.get(api + "/v1/files/" + id + "/content", "Authorization", "Bearer " + token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        return r.headers().firstValue("Location").orElseThrow();
    }

    @Test
    void aPageReadsTenBytesOfADownloadWithARangeRequest() throws Exception {
        var init = BrowserStack.JSON.readTree(Http.postJson(web.page + "/v1/uploads",
                "{\"filename\":\"alphabet.txt\",\"size\":" + TEXT.length + ",\"contentType\":\"text/plain\"}",
                "Authorization", "Bearer " + web.token()).body());
        assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), TEXT).statusCode()).isEqualTo(200);
        String id = init.path("fileId").asText();
        Http.postJson(web.page + "/v1/uploads/" + id + "/complete", "", "Authorization", "Bearer " + web.token());
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!web.api("/v1/files/" + id).path("status").asText().equals("ready")) {
            assertThat(System.nanoTime()).as("alphabet.txt ready in time").isLessThan(end);
            Thread.sleep(100);
        }
        String url = downloadUrl(web.page, web.token(), id);
        assertThat(url).startsWith(web.s3);
        rangedFetch(web.page, url);
    }

    @Test
    void aPageReadsTenBytesOfADownloadWithARangeRequestOnCephRgw() throws Exception {
        var rgw = TestServers.rgw();
        // the page must be this stack's: its Content-Security-Policy lets it reach this stack's store only
        int port = BrowserStack.freePort();
        String origin = "http://localhost:" + port;
        var config = TestServers.embeddedConfig(Map.of("STORAGE_PROVIDER", "ceph", "S3_ENDPOINT", rgw.endpoint().toString(),
                "STOWAGE_HTTP_PORT", Integer.toString(port), "STOWAGE_PUBLIC_URL", origin, "STOWAGE_CORS_ORIGINS", origin));
        assertThat(config.storage().cors().allowedOrigins()).isEqualTo(List.of(origin));
        try (var h = new Harness(config, rgw.credentials())) {
            String id = h.upload("rita", "alphabet.txt", "text/plain", TEXT);
            JsonNode f = h.awaitSettled("rita", id, Duration.ofSeconds(60));
            assertThat(f.path("status").asText()).isEqualTo("ready");
            String url = downloadUrl(h.base, Harness.token("rita", "free"), id);
            assertThat(url).startsWith(rgw.endpoint().toString());
            rangedFetch(origin, url);
        }
    }
}

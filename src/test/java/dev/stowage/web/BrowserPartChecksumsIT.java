package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page's upload client signs every part with its SHA-256 and declares the whole file's, in headless
 * Chromium against a {@code stowage dev} stack (embedded store, which keeps and enforces checksums): a
 * multipart upload becomes ready with the source's SHA-256 declared at initiation and each part's signed
 * into its URL; a late stale PUT of part 2 through its first URL, injected by wrapping the page's
 * {@code XMLHttpRequest}, never makes the file ready with other bytes — also from a page whose Stowage
 * stores on Ceph RGW, which takes the stale part and leaves verification to reject the file; and the
 * client's refusal message names the signed headers and the one that differed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserPartChecksumsIT {
    /** The found file: 12,582,912 bytes of text, parts 5,242,880 / 5,242,880 / 2,097,152. */
    private static final int SIZE = 12_582_912;
    private static final int PART = 5_242_880;

    /**
     * Injected into the page before a file is chosen: part 2's first attempt is failed before it is sent (its
     * URL A kept), so the client signs part 2 again (URL B) and sends the right bytes; when that PUT has
     * answered, and before the client sees it, the page PUTs {@code source[5242881:10485761]} through URL A
     * with A's signed headers: the late stale part. {@code window.__stale} records A, B, the stale PUT's
     * status and body, and the client's description of a refusal.
     */
    private static final String LATE_STALE_PUT_OF_PART_2 = """
            window.__stale = { a: null, b: null, status: null, body: null, message: null };
            window.addEventListener('change', (e) => { if (e.target.files?.[0]) window.__chosen = e.target.files[0]; }, true);
            window.__stowageTestHooks = { beforePut(partNumber, attempt, request) {
              if (partNumber !== 2) return;
              if (attempt === 1) { window.__stale.a = request; throw new Error('injected failure of part 2'); }
              window.__stale.b = request.url;
            } };
            const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
            XMLHttpRequest.prototype.open = function (method, url, ...rest) { this.__url = url; return open.call(this, method, url, ...rest); };
            XMLHttpRequest.prototype.send = function (body) {
              const s = window.__stale;
              if (s.b && this.__url === s.b) {
                const onload = this.onload;
                this.onload = async () => {
                  try {
                    const res = await fetch(s.a.url, { method: 'PUT', headers: s.a.headers, body: window.__chosen.slice(5242881, 10485761) });
                    s.status = res.status;
                    s.body = await res.text();
                    const { describeStoreRefusal } = await import('/stowage-upload.js');
                    s.message = describeStoreRefusal({ what: 'part 2', status: s.status, body: s.body, url: s.a.url, headers: s.a.headers });
                  } catch (e) {
                    s.status = 0;
                    s.message = String(e);
                  }
                  onload.call(this);
                };
              }
              return send.call(this, body);
            };
            """;

    @TempDir
    static Path dir;

    static BrowserStack web;

    @BeforeAll
    static void start() throws Exception {
        web = BrowserStack.start(dir);
    }

    @AfterAll
    static void stop() {
        if (web != null) web.close();
    }

    private static Path found(String name, String seed) throws Exception {
        var sb = new StringBuilder(SIZE + 64);
        for (int i = 0; sb.length() < SIZE; i++) sb.append(seed).append(" line ").append(i).append('\n');
        Path p = dir.resolve(name);
        Files.write(p, Arrays.copyOf(sb.toString().getBytes(StandardCharsets.US_ASCII), SIZE));
        return p;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static String declaredSha256(String fileId) {
        return web.stack.stowage().files().jdbi().withHandle(h -> h.createQuery("select declared_sha256 from files where id = :id")
                .bind("id", UUID.fromString(fileId)).mapTo(String.class).one());
    }

    /** Records every PUT the page's client is about to send ({@code window.__puts}: partNumber, attempt, url, headers). */
    private static void recordPuts() {
        web.js("""
                window.__puts = [];
                window.__stowageTestHooks = { beforePut(partNumber, attempt, request) {
                  window.__puts.push({ partNumber, attempt, url: request.url, headers: request.headers });
                } };
                """);
    }

    @Test
    @Order(1)
    void aMultipartUploadFromThePageIsReadyWithTheWholeFileSha256Declared() throws Exception {
        Path file = found("found-a.txt", "a");
        byte[] bytes = Files.readAllBytes(file);
        web.openPage();
        recordPuts();
        web.choose(file);

        var row = web.awaitListed("found-a.txt", "ready");
        String id = row.getDomAttribute("data-file-id");
        JsonNode f = web.api("/v1/files/" + id);
        assertThat(f.path("sha256").asText()).isEqualTo(sha256(bytes));
        assertThat(declaredSha256(id)).as("the initiation carried the whole file's SHA-256").isEqualTo(sha256(bytes));

        JsonNode puts = BrowserStack.JSON.readTree((String) web.js("return JSON.stringify(window.__puts)"));
        assertThat(puts).hasSize(3);
        for (JsonNode p : puts) {
            int n = p.path("partNumber").asInt();
            byte[] slice = Arrays.copyOfRange(bytes, (n - 1) * PART, Math.min(SIZE, n * PART));
            assertThat(p.path("headers").path("x-amz-checksum-sha256").asText()).as("part " + n + " signed with its own SHA-256")
                    .isEqualTo(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256(slice))));
            assertThat(p.path("url").asText()).contains("X-Amz-SignedHeaders=").contains("x-amz-checksum-sha256");
        }
    }

    @Test
    @Order(2)
    void aLateStalePutOfPart2FromThePageNeverMakesTheFileReady() throws Exception {
        Path file = found("found-b.txt", "b");
        byte[] bytes = Files.readAllBytes(file);
        web.openPage();
        web.js(LATE_STALE_PUT_OF_PART_2);
        web.choose(file);

        new WebDriverWait(web.driver, BrowserStack.UPLOAD_TIMEOUT).until(d -> web.js("return window.__stale.status") != null);
        JsonNode stale = BrowserStack.JSON.readTree((String) web.js("return JSON.stringify(window.__stale)"));
        if (stale.path("status").asInt() >= 200 && stale.path("status").asInt() < 300) {
            // a store that took the stale bytes: verification finds part 2's range wrong
            var r = web.awaitListed("found-b.txt", "rejected");
            JsonNode f = web.api("/v1/files/" + r.getDomAttribute("data-file-id"));
            assertThat(f.path("reason").path("code").asText()).isEqualTo("checksum_mismatch");
            assertThat(f.path("reason").path("message").asText()).contains("part 2");
            return;
        }
        // the embedded store refuses bytes that do not match the signed x-amz-checksum-sha256: part 2 stays right
        assertThat(stale.path("status").asInt()).as(stale.toString()).isEqualTo(400);
        assertThat(stale.path("message").asText()).as("the refusal names the signed checksum header")
                .startsWith("part 2: the object store answered 400")
                .contains("do not match the signed x-amz-checksum-sha256 " + stale.at("/a/headers/x-amz-checksum-sha256").asText());
        var ready = web.awaitListed("found-b.txt", "ready");
        JsonNode f = web.api("/v1/files/" + ready.getDomAttribute("data-file-id"));
        assertThat(f.path("sha256").asText()).as("ready only with the source's bytes").isEqualTo(sha256(bytes));
        assertThat(stale.at("/a/headers/x-amz-checksum-sha256").asText())
                .isEqualTo(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256(Arrays.copyOfRange(bytes, PART, 2 * PART)))));
    }

    @Test
    @Order(3)
    void aSignatureRefusalNamesTheSignedHeadersAndTheOneThatDiffered() throws Exception {
        web.openPage();
        String url = "https://b.s3.amazonaws.com/u/f/found.txt?partNumber=2&uploadId=x"
                + "&X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-sha256&X-Amz-Signature=00";
        // AWS's SignatureDoesNotMatch document carries the canonical request it computed
        String aws = """
                <?xml version="1.0" encoding="UTF-8"?>
                <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>
                <CanonicalRequest>PUT
                /u/f/found.txt
                partNumber=2&amp;uploadId=x
                content-length:5242880
                host:b.s3.amazonaws.com
                x-amz-checksum-sha256:RIGHT=

                content-length;host;x-amz-checksum-sha256
                UNSIGNED-PAYLOAD</CanonicalRequest></Error>""";
        Map<?, ?> out = (Map<?, ?>) web.jsAsync("""
                const [url, aws, done] = arguments;
                import('/stowage-upload.js').then(({ describeStoreRefusal }) => done({
                  compared: describeStoreRefusal({ what: 'part 2', status: 403, body: aws, url, headers: { 'x-amz-checksum-sha256': 'STALE=' } }),
                  named: describeStoreRefusal({ what: 'part 2', status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code></Error>', url,
                    headers: { 'x-amz-checksum-sha256': 'STALE=' } }),
                  missing: describeStoreRefusal({ what: 'part 2', status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code></Error>', url, headers: {} }),
                  digest: describeStoreRefusal({ what: 'part 2', status: 400, url, headers: { 'x-amz-checksum-sha256': 'STALE=' },
                    body: '<Error><Code>XAmzContentSHA256Mismatch</Code></Error>' }),
                })).catch((e) => done({ error: String(e) }));
                """, url, aws);
        assertThat(out.get("compared")).asString().isEqualTo("part 2: the object store answered 403 SignatureDoesNotMatch: the signed header "
                + "x-amz-checksum-sha256 differed — the store received \"RIGHT=\", the client sent \"STALE=\". The request had to carry "
                + "exactly the signed headers: content-length, host, x-amz-checksum-sha256: STALE=.");
        assertThat(out.get("named")).asString().startsWith("part 2: the object store answered 403 SignatureDoesNotMatch: the request had to "
                + "carry exactly the signed headers: content-length, host, x-amz-checksum-sha256: STALE=.").contains("likely causes");
        assertThat(out.get("missing")).asString().contains("Not sent: x-amz-checksum-sha256.");
        assertThat(out.get("digest")).asString().startsWith("part 2: the object store answered 400 XAmzContentSHA256Mismatch: "
                + "the bytes sent do not match the signed x-amz-checksum-sha256 STALE=");
        assertThat(out.get("compared")).asString().doesNotEndWith("403 SignatureDoesNotMatch");
    }

    /**
     * The same late stale PUT on Ceph RGW, which does not keep part checksums: the page is served by a Stowage
     * whose store is RGW (the bucket CORS rule allows the page's origin), RGW takes the stale part 2 (200),
     * and verification rejects the file with {@code checksum_mismatch} naming part 2 and releases its
     * reservation; it is never {@code ready}.
     */
    @Test
    @Order(4)
    void aLateStalePutOfPart2FromThePageNeverMakesTheFileReadyOnCephRgw() throws Exception {
        var rgw = TestServers.rgw();
        int port = BrowserStack.freePort();
        String page = "http://localhost:" + port;
        var config = TestServers.embeddedConfig(Map.of("STORAGE_PROVIDER", "ceph", "S3_ENDPOINT", rgw.endpoint().toString(),
                "STOWAGE_HTTP_PORT", Integer.toString(port), "STOWAGE_PUBLIC_URL", page, "STOWAGE_CORS_ORIGINS", page));
        Path file = found("found-c.txt", "c");
        byte[] bytes = Files.readAllBytes(file);
        try (var h = new Harness(config, rgw.credentials());
             var browser = BrowserStack.browse(page, Harness.token(BrowserStack.USER, "free"), dir.resolve("rgw"))) {
            assertThat(h.base).isEqualTo("http://127.0.0.1:" + port);
            browser.openPage();
            browser.js(LATE_STALE_PUT_OF_PART_2);
            browser.choose(file);

            new WebDriverWait(browser.driver, BrowserStack.UPLOAD_TIMEOUT).until(d -> browser.js("return window.__stale.status") != null);
            JsonNode stale = BrowserStack.JSON.readTree((String) browser.js("return JSON.stringify(window.__stale)"));
            assertThat(stale.path("status").asInt()).as("RGW takes the stale part: " + stale).isEqualTo(200);

            var row = browser.awaitListed("found-c.txt", "rejected");
            JsonNode f = browser.api("/v1/files/" + row.getDomAttribute("data-file-id"));
            assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("rejected");
            assertThat(f.path("reason").path("code").asText()).isEqualTo("checksum_mismatch");
            assertThat(f.path("reason").path("message").asText())
                    .contains("part 2 (bytes 5242880–10485759)", sha256(Arrays.copyOfRange(bytes, PART, 2 * PART)));
            assertThat(browser.api("/v1/usage").path("reservedBytes").asLong()).as("the reservation is released").isZero();
        }
    }
}

package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.dev.DevStack;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page and its upload client ({@code /stowage-upload.js}) in headless Chromium against a whole
 * {@code stowage dev} stack: a photo in one presigned PUT, a 30 MB CSV in parts with one part failing
 * once, a reload in the middle of an upload that resumes without sending stored parts again, and the
 * proof that the bytes went to the object store, never through the API.
 *
 * <p>The page is loaded from {@code http://localhost:<port>}, the dev stack's public URL and so the
 * origin its embedded S3 server allows (CORS). PUTs are observed and disturbed through the page's
 * test hook {@code window.__stowageTestHooks.beforePut}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserUploadIT {
    private static final ObjectMapper JSON = BrowserStack.JSON;
    private static final String USER = BrowserStack.USER; // the page's dev token is for this user

    @TempDir
    static Path dir;

    static BrowserStack web;
    static DevStack stack;
    static WebDriver driver;
    static String page;
    static String s3;
    static Path downloads;
    /** Every PUT the pages sent to the object store, over all tests. */
    static final List<JsonNode> allPuts = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        web = BrowserStack.start(dir);
        stack = web.stack;
        driver = web.driver;
        page = web.page;
        s3 = web.s3;
        downloads = web.downloads;
    }

    @AfterAll
    static void stop() {
        if (web != null) web.close();
    }

    // ---- the tests ----

    @Test
    @Order(1)
    void aPhotoGoesUpInOnePutAndDownloadsWithItsName() throws Exception {
        Path photo = TestServers.fixture("images/photos/mate_Aqua.jpg");
        openPage();
        installPutRecorder(0, 0);
        choose(photo);

        WebElement bar = waitFor(By.cssSelector("progress[data-file-name='mate_Aqua.jpg']"));
        WebElement row = awaitListed("mate_Aqua.jpg", "ready");
        assertThat(Double.parseDouble(bar.getDomProperty("value"))).isEqualTo(Double.parseDouble(bar.getDomProperty("max")))
                .isEqualTo((double) Files.size(photo));
        assertThat(upload("mate_Aqua.jpg").getDomAttribute("data-state")).isEqualTo("ready");
        assertThat(row.getText()).contains("200 kB", "image/jpeg", "not scanned for malware");
        assertThat(overall()).isEqualTo(1.0);

        List<JsonNode> puts = sentPuts();
        assertThat(puts).hasSize(1);
        assertThat(puts.getFirst().path("partNumber").asInt()).as("a single PUT").isZero();
        assertThat(puts.getFirst().path("size").asLong()).isEqualTo(Files.size(photo));
        allPuts.addAll(puts);

        // the API has the checksum the page computed with WebCrypto and checked against the bytes
        String id = fileIdOf("mate_Aqua.jpg"); // (the list re-renders its rows as the file's variants settle)
        JsonNode file = api("/v1/files/" + id);
        assertThat(file.path("sha256").asText()).isEqualTo(sha256(photo));

        screenshot("browser-upload-photo.png");

        // the download link fetches with the token, follows the redirect and saves under the original name;
        // an image comes back as its stripped original: the upload's pixels, without its metadata (GIMP's comment)
        new WebDriverWait(driver, Duration.ofSeconds(10)).ignoring(StaleElementReferenceException.class)
                .until(d -> {
                    awaitListed("mate_Aqua.jpg", "ready").findElement(By.cssSelector("a.download")).click();
                    return true;
                });
        Path saved = web.awaitDownload("mate_Aqua.jpg");
        assertThat(Files.readString(saved, StandardCharsets.ISO_8859_1)).doesNotContain("Created with GIMP");
        assertThat(Files.readString(photo, StandardCharsets.ISO_8859_1)).contains("Created with GIMP");
        BufferedImage uploaded = ImageIO.read(photo.toFile());
        BufferedImage downloaded = ImageIO.read(saved.toFile());
        assertThat(downloaded.getRGB(0, 0, 2560, 1600, null, 0, 2560)).as("the same pixels")
                .isEqualTo(uploaded.getRGB(0, 0, 2560, 1600, null, 0, 2560));
        // and the presigned URL it followed names the file too
        var redirect = Http.method("GET", page + "/v1/files/" + id + "/content", "Authorization", "Bearer " + stack.devToken(USER));
        assertThat(redirect.statusCode()).isEqualTo(302);
        var object = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(redirect.headers().firstValue("Location").orElseThrow())).build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(object.headers().firstValue("Content-Disposition").orElseThrow()).contains("filename=\"mate_Aqua.jpg\"");
    }

    @Test
    @Order(2)
    void aThirtyMegabyteCsvGoesUpInPartsAndAFailedPartIsRetried() throws Exception {
        Path csv = csv("export-b.csv");
        openPage();
        installPutRecorder(2, 0); // part 2 fails once, before it is sent
        choose(csv);

        WebElement row = awaitListed("export-b.csv", "ready");
        WebElement bar = upload("export-b.csv").findElement(By.tagName("progress"));
        assertThat(bar.getDomProperty("value")).isEqualTo(bar.getDomProperty("max"));

        var attempts = attemptsByPart(putLog());
        long parts = (Files.size(csv) + (5 << 20) - 1) / (5 << 20);
        assertThat(attempts).as("every part once, part 2 twice").hasSize((int) parts);
        assertThat(attempts.get(2)).containsExactly(1, 2);
        attempts.forEach((n, a) -> {
            if (n != 2) assertThat(a).as("attempts of part " + n).containsExactly(1);
        });
        assertThat(upload("export-b.csv").getDomAttribute("data-retries")).as("the page saw one retry").isEqualTo("1");
        List<JsonNode> puts = sentPuts();
        assertThat(puts.stream().mapToLong(p -> p.path("size").asLong()).sum()).as("each byte sent once").isEqualTo(Files.size(csv));
        allPuts.addAll(puts);

        JsonNode file = api("/v1/files/" + row.getDomAttribute("data-file-id"));
        assertThat(file.path("size").asLong()).isEqualTo(Files.size(csv));
        assertThat(file.path("sha256").asText()).isEqualTo(sha256(csv));
    }

    @Test
    @Order(3)
    void aReloadInTheMiddleResumesWithoutSendingStoredPartsAgain() throws Exception {
        Path csv = csv("resume-c.csv");
        openPage();
        installPutRecorder(0, 2500); // slow: every PUT waits 2.5 s before it is sent
        choose(csv);

        WebElement item = waitFor(By.cssSelector("li.upload[data-file-name='resume-c.csv'][data-file-id]"));
        String id = item.getDomAttribute("data-file-id");
        Set<Integer> storedBefore = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (storedBefore.isEmpty()) {
            assertThat(System.nanoTime()).as("no part was stored within 60 s").isLessThan(deadline);
            for (JsonNode p : api("/v1/uploads/" + id).path("parts")) storedBefore.add(p.path("partNumber").asInt());
            Thread.sleep(100);
        }
        List<JsonNode> before = sentPuts();
        int partCount = api("/v1/uploads/" + id).path("partCount").asInt();
        assertThat(storedBefore.size()).as("the reload happens before the end").isLessThan(partCount);

        driver.navigate().refresh();
        waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(waitFor(By.cssSelector("#unfinished li[data-file-id='" + id + "']")).getText()).contains("resume-c.csv");
        screenshot("browser-upload-unfinished.png");
        installPutRecorder(0, 0);
        choose(csv);

        WebElement row = awaitListed("resume-c.csv", "ready");
        assertThat(row.getDomAttribute("data-file-id")).as("the same upload continued").isEqualTo(id);
        String resumed = upload("resume-c.csv").getDomAttribute("data-resumed-parts");
        assertThat(resumed).as("the client was told which parts were stored").isNotBlank();
        Set<Integer> skipped = new HashSet<>(Stream.of(resumed.split(",")).map(Integer::valueOf).toList());
        assertThat(skipped).containsAll(storedBefore);

        List<JsonNode> after = sentPuts();
        Set<Integer> sentAfter = new HashSet<>(after.stream().map(p -> p.path("partNumber").asInt()).toList());
        assertThat(after).as("each remaining part sent once").hasSize(sentAfter.size());
        assertThat(sentAfter).as("parts stored before the reload are not sent again").doesNotContainAnyElementsOf(storedBefore)
                .doesNotContainAnyElementsOf(skipped);
        assertThat(sentAfter.size() + skipped.size()).isEqualTo(partCount);
        assertThat(waitFor(By.id("unfinished")).isDisplayed()).isFalse();
        assertThat(api("/v1/uploads/" + id).path("status").asText()).isEqualTo("ready");

        JsonNode file = api("/v1/files/" + id);
        assertThat(file.path("size").asLong()).isEqualTo(Files.size(csv));
        assertThat(file.path("sha256").asText()).as("the resumed upload is byte for byte the file").isEqualTo(sha256(csv));
        allPuts.addAll(before);
        allPuts.addAll(after);
    }

    @Test
    @Order(4)
    void theApiNeverReceivedTheUploadBytes() throws Exception {
        // every PUT the page sent went to the object store's endpoint, and only there
        assertThat(allPuts).hasSizeGreaterThanOrEqualTo(1 + 6 + 6)
                .allSatisfy(p -> assertThat(p.path("url").asText()).startsWith(s3 + "/"));
        // and the browser's own record of this page's requests: uploads (XHR) only to the object store
        @SuppressWarnings("unchecked")
        var entries = (List<Map<String, Object>>) js("return performance.getEntriesByType('resource').map(e => ({name: e.name, type: e.initiatorType}))");
        assertThat(entries).filteredOn(e -> "xmlhttprequest".equals(e.get("type"))).isNotEmpty()
                .allSatisfy(e -> assertThat(e.get("name").toString()).startsWith(s3 + "/"));
        assertThat(entries).filteredOn(e -> "fetch".equals(e.get("type")))
                .allSatisfy(e -> assertThat(e.get("name").toString()).startsWith(page + "/"));

        // the API served no PUT at all: its request metrics list only control calls
        String metrics = Http.get(page + "/metrics").body();
        List<String> requests = metrics.lines().filter(l -> l.startsWith("http_server_requests_seconds_count{")).toList();
        assertThat(requests).anyMatch(l -> l.contains("method=\"POST\"") && l.contains("route=\"/v1/uploads/{id}/parts\""))
                .anyMatch(l -> l.contains("route=\"/v1/uploads/{id}/complete\""))
                .noneMatch(l -> l.contains("method=\"PUT\"") || l.contains("method=\"PATCH\""))
                .noneMatch(l -> l.contains("status=\"413\""));
        // and it could not have taken them: a body over 1 MB is refused unread, even a valid one
        String json = "{\"filename\":\"probe.txt\",\"size\":10,\"contentType\":\"text/plain\"}";
        var small = postJson("/v1/uploads", json);
        assertThat(small.statusCode()).as(small.body()).isEqualTo(201);
        var big = postJson("/v1/uploads", json + " ".repeat(1_000_000));
        assertThat(big.statusCode()).as(big.body()).isEqualTo(413);
        assertThat(big.body()).contains("\"code\":\"payload_too_large\"");
        String probe = JSON.readTree(small.body()).path("fileId").asText();
        assertThat(Http.method("DELETE", page + "/v1/uploads/" + probe, "Authorization", "Bearer " + stack.devToken(USER)).statusCode()).isEqualTo(204);
    }

    @Test
    @Order(5)
    void aTokenInTheAddressSignsInOnceConfirmedAndLeavesTheAddressBar() {
        String alice = stack.devToken("alice");
        driver.get(page + "/?token=" + alice + "#files");
        waitFor(By.id("token-switch-accept")).click(); // BrowserSecurityIT: declining keeps the account in use
        waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(driver.findElement(By.id("who")).getText()).contains("Signed in as alice (free plan, saved token)");
        assertThat(driver.getCurrentUrl()).isEqualTo(page + "/#files");
        assertThat(driver.findElement(By.id("no-files")).isDisplayed()).as("alice sees none of dev-user's files").isTrue();
        assertThat(js("return sessionStorage.getItem('stowage.token')")).isEqualTo(alice);
        assertThat(js("return localStorage.getItem('stowage.token')")).isNull();
        // a refused token is dropped; under dev the page falls back to a dev token
        js("sessionStorage.setItem('stowage.token', 'not-a-token')");
        openPage();
        assertThat(js("return sessionStorage.getItem('stowage.token')")).isNull();
        driver.findElement(By.cssSelector("#who button")).click();
        assertThat(driver.findElement(By.id("token-form")).isDisplayed()).isTrue();
    }

    @Test
    @Order(6)
    void filesWithoutAnExtensionAreTypedFromTheirBytes() throws Exception {
        // Chromium gives a file without an extension an empty File.type: the page looks at its first bytes
        Path jpeg = Files.copy(TestServers.fixture("images/photos/mate_FreshFlower.jpg"), dir.resolve("flower"));
        // bytes the page does not sniff (a ZIP container): declared application/octet-stream, the server decides
        Path odt = Files.copy(TestServers.fixture("docs/styles.odt"), dir.resolve("minutes"));
        openPage();
        assertThat(js("return new File([new Uint8Array([0xff, 0xd8, 0xff])], 'flower').type")).isEqualTo("");
        choose(jpeg);
        WebElement photo = awaitListed("flower", "ready");
        assertThat(photo.getText()).contains("image/jpeg");
        var stowage = stack.stowage();
        var photoRow = stowage.files().find(java.util.UUID.fromString(fileIdOf("flower"))).orElseThrow();
        assertThat(photoRow.declaredType()).as("declared by the page from the bytes").isEqualTo("image/jpeg");
        assertThat(photoRow.detectedType()).isEqualTo("image/jpeg");

        choose(odt);
        WebElement doc = awaitListed("minutes", "ready");
        assertThat(doc.getText()).contains("application/vnd.oasis.opendocument.text");
        var docRow = stowage.files().find(java.util.UUID.fromString(fileIdOf("minutes"))).orElseThrow();
        assertThat(docRow.declaredType()).as("left to the server").isEqualTo("application/octet-stream");
        assertThat(docRow.detectedType()).isEqualTo("application/vnd.oasis.opendocument.text");

        // the page's sniffer, in the browser, on the first bytes of each common type
        @SuppressWarnings("unchecked")
        var sniffed = (Map<String, Object>) web.jsAsync("""
                const done = arguments[arguments.length - 1];
                const ftyp = (major, ...compatible) => {
                  const n = 16 + 4 * compatible.length, b = new Uint8Array(n + 8);
                  b[3] = n;
                  b.set(new TextEncoder().encode('ftyp' + major + '\\0\\0\\0\\0' + compatible.join('')), 4);
                  return b;
                };
                const samples = {
                  jpeg: [0xff, 0xd8, 0xff, 0xe0], png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0],
                  gif: new TextEncoder().encode('GIF89a'), webp: new TextEncoder().encode('RIFF\\0\\0\\0\\0WEBPVP8 '),
                  pdf: new TextEncoder().encode('%PDF-1.7'), android: ftyp('isom', 'isom', 'iso2', 'mp41'),
                  mov: ftyp('qt  ', 'qt  '), m4a: ftyp('M4A ', 'M4A ', 'isom'), heic: ftyp('heic', 'mif1', 'heic'),
                  mif1: ftyp('mif1', 'mif1', 'heic'), avif: ftyp('avif', 'avif', 'mif1', 'miaf'), gp3: ftyp('3gp5', '3gp5', 'isom'),
                  zip: new TextEncoder().encode('PK\\x03\\x04'), text: new TextEncoder().encode('hello'),
                };
                import('/stowage-upload.js').then(async (m) => {
                  const out = {};
                  for (const [k, v] of Object.entries(samples)) out[k] = (await m.sniffType(new Blob([new Uint8Array(v)]))) ?? 'none';
                  out.declared = await m.declaredTypeOf(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])], 'x'));
                  out.unknown = await m.declaredTypeOf(new File(['hello'], 'notes'));
                  done(out);
                }, (e) => done({ error: String(e) }));
                """);
        assertThat(sniffed).containsAllEntriesOf(Map.ofEntries(
                Map.entry("jpeg", "image/jpeg"), Map.entry("png", "image/png"), Map.entry("gif", "image/gif"),
                Map.entry("webp", "image/webp"), Map.entry("pdf", "application/pdf"), Map.entry("android", "video/mp4"),
                Map.entry("mov", "video/quicktime"), Map.entry("m4a", "audio/mp4"), Map.entry("heic", "image/heic"),
                Map.entry("mif1", "image/heic"), Map.entry("avif", "image/avif"), Map.entry("gp3", "video/3gpp"),
                Map.entry("zip", "none"), Map.entry("text", "none"),
                Map.entry("declared", "image/png"), Map.entry("unknown", "application/octet-stream")));
    }

    // ---- page helpers ----

    private static void openPage() {
        web.openPage();
    }

    /**
     * Installs the PUT test hook: records every PUT ({@code window.__putLog}: partNumber, attempt, url, size,
     * sent), fails the first attempt of part {@code failPart} (0 = none) before it is sent, and delays every
     * PUT by {@code delayMs}.
     */
    private static void installPutRecorder(int failPart, int delayMs) {
        js("""
                const [failPart, delayMs] = arguments;
                window.__putLog = [];
                window.__stowageTestHooks = {
                  async beforePut(partNumber, attempt, request) {
                    const entry = { partNumber, attempt, url: request.url, size: request.size, sent: false };
                    window.__putLog.push(entry);
                    if (partNumber === failPart && attempt === 1) throw new Error('injected failure of part ' + partNumber);
                    if (delayMs) await new Promise(r => setTimeout(r, delayMs));
                    entry.sent = true;
                  }
                };
                """, failPart, delayMs);
    }

    /** The PUTs the hook let through (sent to the object store) since it was installed on this page. */
    private static List<JsonNode> sentPuts() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        putLog().forEach(p -> {
            if (p.path("sent").asBoolean()) out.add(p);
        });
        return out;
    }

    /** Every PUT attempt the hook saw, including the ones it failed. */
    private static JsonNode putLog() throws IOException {
        return JSON.readTree((String) js("return JSON.stringify(window.__putLog)"));
    }

    /** Attempt numbers of each part that reached the hook, by part number. */
    private static Map<Integer, List<Integer>> attemptsByPart(JsonNode log) {
        Map<Integer, List<Integer>> m = new TreeMap<>();
        log.forEach(p -> m.computeIfAbsent(p.path("partNumber").asInt(), k -> new ArrayList<>()).add(p.path("attempt").asInt()));
        return m;
    }

    /** The file id of a listed file, read in one step (a row found earlier may have been rendered again since). */
    private static String fileIdOf(String name) {
        return (String) js("return document.querySelector(`#file-rows tr[data-file-name='${arguments[0]}']`).dataset.fileId", name);
    }

    private static void choose(Path file) {
        web.choose(file);
    }

    private static WebElement upload(String name) {
        return web.upload(name);
    }

    private static WebElement awaitListed(String name, String status) {
        return web.awaitListed(name, status);
    }

    private static double overall() {
        WebElement bar = driver.findElement(By.id("overall-progress"));
        return Double.parseDouble(bar.getDomProperty("value")) / Double.parseDouble(bar.getDomProperty("max"));
    }

    private static WebElement waitFor(By by) {
        return web.waitFor(by);
    }

    private static Object js(String script, Object... args) {
        return web.js(script, args);
    }

    private static void screenshot(String name) throws IOException {
        web.screenshot(name);
    }

    // ---- data helpers ----

    private static HttpResponse<String> postJson(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(page + path))
                .header("Authorization", "Bearer " + stack.devToken(USER)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode api(String path) throws IOException {
        return web.api(path);
    }

    /** A CSV file of just over 30 MB (six 5 MiB parts). */
    private static Path csv(String name) throws IOException {
        Path p = dir.resolve(name);
        try (Writer w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
            w.write("id,name,amount\n");
            long written = 15;
            for (int i = 0; written < 30_000_000; i++) {
                String line = i + ",row " + i + "," + (i * 7 % 1000) + "\n";
                w.write(line);
                written += line.length();
            }
        }
        return p;
    }

    private static String sha256(Path p) throws Exception {
        return BrowserStack.sha256(p);
    }
}

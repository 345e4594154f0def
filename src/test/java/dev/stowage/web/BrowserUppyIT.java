package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chromium.ChromiumNetworkConditions;
import org.openqa.selenium.chromium.HasNetworkConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Uppy (Dashboard, Golden Retriever, AwsS3 with the options of {@code /stowage-uppy.js}) at {@code /uppy.html}
 * in headless Chromium against one {@code stowage dev} stack whose multipart threshold is the smallest allowed
 * (5 MiB, parts of 5 MiB): a photo goes up in one PUT, a larger file in parts, an interrupted multipart upload
 * continues after a reload with the same upload id without sending a stored part again, and the page is
 * accessible and quiet under Stowage's Content-Security-Policy. Uppy itself is the bundle the build fetched
 * from the npm registry and serves from {@code /vendor/uppy/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserUppyIT {
    static final long MiB = 1024 * 1024;
    @TempDir
    static Path dir;
    BrowserStack web;

    @BeforeAll
    void start() throws Exception {
        web = BrowserStack.start(dir, """
                uploads:
                  multipart_threshold_bytes: 5242880
                  part_size_bytes: 5242880
                """);
    }

    @AfterAll
    void stop() {
        if (web != null) web.close();
    }

    @Test
    @Order(1)
    void aPhotoUploadsThroughUppyAndIsReady() throws Exception {
        Path photo = TestServers.fixture("images/photos/mate_Aqua.jpg");
        open();
        choose(photo);
        startUpload();
        WebElement done = awaitResult("mate_Aqua.jpg");
        assertThat(done.getDomAttribute("data-status")).isEqualTo("ready");
        String id = done.getDomAttribute("data-file-id");

        JsonNode file = web.api("/v1/files/" + id);
        assertThat(file.path("status").asText()).isEqualTo("ready");
        assertThat(file.path("name").asText()).isEqualTo("mate_Aqua.jpg");
        assertThat(file.path("contentType").asText()).isEqualTo("image/jpeg");
        assertThat(file.path("sha256").asText()).isEqualTo(BrowserStack.sha256(photo));
        assertThat(events("created")).as("a single PUT: no multipart upload was created").isEmpty();
        assertThat(events("signed")).isEmpty();
    }

    @Test
    @Order(2)
    void aMultipartFileUploadsThroughUppy() throws Exception {
        Path big = data("two-parts.csv", 7 * MiB + 123);
        open();
        var net = (HasNetworkConditions) web.driver;
        net.setNetworkConditions(slowUploads(3_000_000)); // a window to read the session while it is open
        JsonNode state;
        try {
            choose(big);
            startUpload();
            String created = web.waitFor(By.cssSelector("#log li[data-event='created'][data-name='two-parts.csv']")).getDomAttribute("data-upload-id");
            state = web.api("/v1/uploads/" + created);
        } finally {
            net.deleteNetworkConditions();
        }
        assertThat(state.path("kind").asText()).as("Stowage decided: multipart").isEqualTo("multipart");
        assertThat(state.path("partCount").asInt()).isEqualTo(2);
        assertThat(state.path("partSize").asLong()).isEqualTo(5 * MiB);
        WebElement done = awaitResult("two-parts.csv");
        String id = done.getDomAttribute("data-file-id");
        assertThat(id).isEqualTo(state.path("fileId").asText());
        assertThat(done.getDomAttribute("data-status")).isEqualTo("ready");

        assertThat(events("created")).singleElement().satisfies(e -> assertThat(e.getDomAttribute("data-upload-id")).isEqualTo(id));
        assertThat(parts(events("signed"))).as("Uppy cut the parts Stowage expects and signed each once").containsExactlyInAnyOrder(1, 2);
        assertThat(parts(events("part"))).containsExactlyInAnyOrder(1, 2);
        assertThat(web.api("/v1/usage").path("uploads").path("multipartThresholdBytes").asLong())
                .as("the rule the page followed is the test configuration's").isEqualTo(5 * MiB);
        JsonNode file = web.api("/v1/files/" + id);
        assertThat(file.path("size").asLong()).isEqualTo(Files.size(big));
        assertThat(file.path("sha256").asText()).isEqualTo(BrowserStack.sha256(big));
    }

    @Test
    @Order(3)
    void aMultipartUploadResumesAfterReload() throws Exception {
        Path big = data("resume.csv", 10 * MiB + 4096); // parts of 5 MiB, 5 MiB and 4 KiB: the small one is stored first
        open();
        var net = (HasNetworkConditions) web.driver;
        net.setNetworkConditions(slowUploads(1_500_000)); // the reload comes before the end
        String id;
        Set<Integer> storedBefore = new TreeSet<>();
        try {
            choose(big);
            startUpload();
            id = web.waitFor(By.cssSelector("#log li[data-event='created'][data-name='resume.csv']")).getDomAttribute("data-upload-id");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (storedBefore.isEmpty()) {
                assertThat(System.nanoTime()).as("no part stored within 60 s").isLessThan(deadline);
                web.api("/v1/uploads/" + id).path("parts").forEach(p -> storedBefore.add(p.path("partNumber").asInt()));
                Thread.sleep(50);
            }
            web.driver.navigate().refresh();
        } finally {
            net.deleteNetworkConditions();
        }
        JsonNode atReload = web.api("/v1/uploads/" + id);
        assertThat(atReload.path("status").asText()).isEqualTo("pending");
        assertThat(atReload.path("partCount").asInt()).isEqualTo(3);
        assertThat(storedBefore.size()).as("the reload came before the end").isLessThan(3);

        web.waitFor(By.cssSelector("body[data-ready='true']"));
        web.waitFor(By.cssSelector("#log li[data-event='restored']"));
        startUpload();
        WebElement done = awaitResult("resume.csv");
        assertThat(done.getDomAttribute("data-file-id")).as("the same upload continued").isEqualTo(id);
        assertThat(done.getDomAttribute("data-status")).isEqualTo("ready");

        WebElement listed = web.waitFor(By.cssSelector("#log li[data-event='listed']"));
        assertThat(listed.getDomAttribute("data-upload-id")).isEqualTo(id);
        Set<Integer> skipped = new TreeSet<>(Stream.of(listed.getDomAttribute("data-parts").split(","))
                .filter(s -> !s.isEmpty()).map(Integer::valueOf).toList());
        assertThat(skipped).as("listParts named the parts stored before the reload").containsAll(storedBefore);
        assertThat(events("created")).as("no new upload after the reload").isEmpty();
        List<Integer> sentAfter = parts(events("signed"));
        assertThat(sentAfter).as("each missing part signed once, none of the stored ones")
                .doesNotHaveDuplicates().doesNotContainAnyElementsOf(skipped);
        Set<Integer> all = new HashSet<>(sentAfter);
        all.addAll(skipped);
        assertThat(all).containsExactlyInAnyOrder(1, 2, 3);

        JsonNode file = web.api("/v1/files/" + id);
        assertThat(file.path("status").asText()).isEqualTo("ready");
        assertThat(file.path("sha256").asText()).as("the resumed upload is byte for byte the file").isEqualTo(BrowserStack.sha256(big));
    }

    @Test
    @Order(4)
    void aRefusalOfStowageIsTheFilesUppyErrorWithItsMessage() throws Exception {
        Path zip = dir.resolve("archive.zip");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new java.util.zip.ZipEntry("a.txt"));
            out.write("hello".getBytes());
        }
        open();
        choose(zip);
        startUpload();
        WebElement error = web.waitFor(By.cssSelector("#log li[data-event='error'][data-name='archive.zip']"));
        assertThat(error.getDomAttribute("data-code")).isEqualTo("type_not_allowed");
        assertThat(error.getText()).as("the problem's detail and code").contains("is not accepted").contains("(type_not_allowed)");
        assertThat(web.waitFor(By.cssSelector(".uppy-Dashboard-Item.is-error")).getDomAttribute("id")).contains("archive");
        assertThat(web.api("/v1/usage").path("reservedBytes").asLong()).as("nothing reserved").isZero();
        uppyCancelAll();
    }

    @Test
    @Order(5)
    void axeFindsNoSeriousOrCriticalViolations() throws Exception {
        open();
        choose(TestServers.fixture("images/photos/mate_Aqua.jpg"));
        web.waitFor(By.cssSelector(".uppy-Dashboard-Item"));
        assertThat(web.axeViolations()).isEmpty();
        uppyCancelAll();
    }

    @Test
    @Order(6)
    void noConsoleErrorsUnderTheCsp() throws Exception {
        web.consoleErrors(); // what earlier tests left
        open();
        Path photo = Files.copy(TestServers.fixture("images/photos/mate_FreshFlower.jpg"), dir.resolve("flower.jpg"));
        choose(photo);
        web.waitFor(By.cssSelector(".uppy-Dashboard-Item-previewImg")); // Uppy's thumbnail (a blob: URL)
        startUpload();
        assertThat(awaitResult("flower.jpg").getDomAttribute("data-status")).isEqualTo("ready");
        assertThat(web.consoleErrors()).as("nothing refused by the CSP, no script error").isEmpty();
        String csp = dev.stowage.testing.Http.get(web.page + "/uppy.html").headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(csp).contains("script-src 'self';").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
    }

    @Test
    @Order(7)
    void screenshots() throws Exception {
        open();
        choose(TestServers.fixture("images/photos/mate_Aqua.jpg"));
        web.waitFor(By.cssSelector(".uppy-Dashboard-Item"));
        var shots = web.screenshots("uppy");
        assertThat(shots).hasSize(2).allSatisfy(p -> assertThat(Files.size(p)).isGreaterThan(10_000));
        web.driver.manage().window().setSize(new org.openqa.selenium.Dimension(360, 900));
        try {
            assertThat(web.scrollsSideways()).as("no sideways scrolling at 360 px").isFalse();
        } finally {
            web.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1200, 900));
            uppyCancelAll();
        }
    }

    // ---- helpers ----

    /** Opens /uppy.html with nothing left from an earlier test (Golden Retriever's saved state included). */
    private void open() {
        web.driver.get(web.page + "/uppy.html");
        web.js("localStorage.clear(); indexedDB.databases().then(ds => ds.forEach(d => indexedDB.deleteDatabase(d.name)));");
        web.driver.get(web.page + "/uppy.html");
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(web.driver.findElement(By.id("who")).getText()).contains("Signed in as " + BrowserStack.USER);
        web.waitFor(By.cssSelector(".uppy-Dashboard"));
    }

    private void choose(Path file) {
        web.driver.findElement(By.cssSelector(".uppy-Dashboard-input")).sendKeys(file.toAbsolutePath().toString());
    }

    private void startUpload() {
        new WebDriverWait(web.driver, Duration.ofSeconds(30))
                .until(d -> d.findElements(By.cssSelector("button.uppy-StatusBar-actionBtn--upload")).stream().findFirst().orElse(null))
                .click();
    }

    private void uppyCancelAll() {
        web.driver.findElements(By.cssSelector(".uppy-DashboardContent-back")).forEach(WebElement::click);
    }

    private WebElement awaitResult(String name) {
        return new WebDriverWait(web.driver, BrowserStack.UPLOAD_TIMEOUT)
                .withMessage(() -> name + " not uploaded; activity: " + web.driver.findElement(By.id("log")).getText())
                .until(d -> {
                    var err = d.findElements(By.cssSelector("#log li[data-event='error']"));
                    if (!err.isEmpty()) throw new AssertionError("Uppy reported: " + err.getFirst().getText());
                    return d.findElements(By.cssSelector("#results li[data-file-name='" + name + "']")).stream().findFirst().orElse(null);
                });
    }

    /** Chromium's network emulation: uploads at {@code bytesPerSecond}, the rest as fast as it goes. */
    private static ChromiumNetworkConditions slowUploads(int bytesPerSecond) {
        var c = new ChromiumNetworkConditions();
        c.setUploadThroughput(bytesPerSecond);
        c.setDownloadThroughput(100_000_000);
        return c;
    }

    private List<WebElement> events(String event) {
        return web.driver.findElements(By.cssSelector("#log li[data-event='" + event + "']"));
    }

    private static List<Integer> parts(List<WebElement> events) {
        List<Integer> out = new ArrayList<>();
        for (WebElement e : events) out.add(Integer.valueOf(e.getDomAttribute("data-part")));
        return out;
    }

    /** A CSV file of exactly {@code size} bytes of rows with random numbers (an allowed type; parts differ). */
    private Path data(String name, long size) throws Exception {
        var rnd = new Random(size);
        var sb = new StringBuilder((int) size + 64);
        for (int row = 1; sb.length() < size; row++) sb.append(row).append(',').append(rnd.nextLong()).append(',').append(rnd.nextInt(1000)).append('\n');
        sb.setLength((int) size - 1);
        sb.append('\n');
        return Files.writeString(dir.resolve(name), sb);
    }
}

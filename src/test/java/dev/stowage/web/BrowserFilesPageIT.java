package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The user's file page in headless Chromium against a whole {@code stowage dev} stack: preview (image and PDF) in
 * a modal dialog, delete with undo, the recently deleted view with restore, search and filters (also checked
 * through the API), the quota bar, a 360 px layout without sideways scrolling, axe-core, the console and the
 * favicon. One stack and browser for the class; screenshots go to {@code target/screenshots/files*-{1280,360}.png}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserFilesPageIT {
    static final String PHOTO = "Holiday by the sea.jpg";
    static final String PDF = "Quarterly-report-with-an-exceptionally-long-file-name-that-keeps-going-2024-final.pdf";
    static final String ODT = "meeting notes with a rather long name that has to wrap on a phone screen.odt";
    static final String NOTES = "notes.txt";
    static final String DELETE_ME = "delete me.txt";
    static final String RESTORE_ME = "restore me.txt";
    static final String EXPIRED = "too late.txt";

    BrowserStack web;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        web = BrowserStack.start(dir);
        Path in = Files.createDirectories(dir.resolve("in"));
        List<Path> files = new ArrayList<>();
        files.add(Files.copy(TestServers.fixture("images/photos/mate_FreshFlower.jpg"), in.resolve(PHOTO)));
        files.add(Files.copy(TestServers.fixture("docs/shared-mime-info-spec.pdf"), in.resolve(PDF)));
        files.add(Files.copy(TestServers.fixture("docs/styles.odt"), in.resolve(ODT)));
        for (String name : List.of(NOTES, DELETE_ME, RESTORE_ME, EXPIRED)) {
            files.add(Files.writeString(in.resolve(name), "plain text of " + name + "\n"));
        }
        web.openPage();
        web.driver.findElement(By.id("file-input")).sendKeys(String.join("\n", files.stream().map(p -> p.toAbsolutePath().toString()).toList()));
        for (Path p : files) web.awaitListed(p.getFileName().toString(), "ready");
        web.consoleErrors(); // from here on, errors are the page's
    }

    @AfterAll
    void stop() {
        if (web != null) web.close();
    }

    String idOf(String name) {
        return web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + name + "']")).getDomAttribute("data-file-id");
    }

    @SuppressWarnings("unchecked")
    List<String> listedNames() {
        return (List<String>) web.js("return [...document.querySelectorAll('#file-rows tr')].map(r => r.dataset.fileName)");
    }

    void awaitNames(String why, List<String> names) {
        new WebDriverWait(web.driver, Duration.ofSeconds(15)).withMessage(() -> why + ": listed " + listedNames())
                .until(d -> listedNames().stream().sorted().toList().equals(names.stream().sorted().toList()));
    }

    List<String> apiNames(String query) throws Exception {
        List<String> names = new ArrayList<>();
        web.api("/v1/files?" + query).path("items").forEach(f -> names.add(f.path("name").asText()));
        return names;
    }

    @Test
    @Order(1)
    void searchAndFiltersNarrowTheList() throws Exception {
        List<String> all = List.of(PHOTO, PDF, ODT, NOTES, DELETE_ME, RESTORE_ME, EXPIRED);
        awaitNames("unfiltered", all);
        WebElement q = web.driver.findElement(By.id("filter-q"));
        q.sendKeys("ME.TXT");
        awaitNames("name contains 'ME.TXT', any case", List.of(DELETE_ME, RESTORE_ME));
        assertThat(apiNames("q=ME.TXT")).containsExactlyInAnyOrder(DELETE_ME, RESTORE_ME);
        assertThat(apiNames("q=me&type=application/")).containsExactlyInAnyOrder(PDF, ODT); // "file-name", "meeting"
        q.clear();
        q.sendKeys(Keys.ENTER);
        new Select(web.driver.findElement(By.id("filter-type"))).selectByVisibleText("Images");
        awaitNames("images", List.of(PHOTO));
        assertThat(apiNames("type=image/")).containsExactly(PHOTO);
        new Select(web.driver.findElement(By.id("filter-type"))).selectByVisibleText("Documents");
        awaitNames("documents", List.of(PDF, ODT, NOTES, DELETE_ME, RESTORE_ME, EXPIRED));
        new Select(web.driver.findElement(By.id("filter-status"))).selectByVisibleText("Rejected");
        awaitNames("documents that were rejected", List.of());
        assertThat(web.driver.findElement(By.id("no-files")).getText()).isEqualTo("No files match the search and filters.");
        assertThat(apiNames("status=rejected")).isEmpty();
        assertThat(apiNames("status=ready&type=application/pdf")).containsExactly(PDF);
        new Select(web.driver.findElement(By.id("filter-status"))).selectByVisibleText("Any status");
        new Select(web.driver.findElement(By.id("filter-type"))).selectByVisibleText("All types");
        awaitNames("filters cleared", all);

        // bad filters: problem+json with the stable code, naming the parameter
        for (String bad : List.of("status=purged", "status=bogus", "type=image", "q=" + "x".repeat(101))) {
            var r = Http.get(web.page + "/v1/files?" + bad, "Authorization", "Bearer " + web.token());
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
            JsonNode p = BrowserStack.JSON.readTree(r.body());
            assertThat(p.path("code").asText()).as(bad).isEqualTo("invalid_filter");
            assertThat(p.path("detail").asText()).as(bad).startsWith(bad.substring(0, bad.indexOf('=')));
        }
        // a LIKE wildcard is a plain character
        assertThat(apiNames("q=" + URLEncoder.encode("%", StandardCharsets.UTF_8))).isEmpty();
    }

    @Test
    @Order(2)
    void clickingAThumbnailOpensThePreviewAndEscClosesIt() throws Exception {
        // thumbnails are fetched once their row comes near the viewport
        web.js("arguments[0].scrollIntoView({block: 'center'})", web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + PHOTO + "']")));
        WebElement thumb = new WebDriverWait(web.driver, Duration.ofSeconds(90)).until(d -> d.findElements(
                By.cssSelector("#file-rows tr[data-file-name='" + PHOTO + "'] td[data-thumb='shown'] img")).stream().findFirst().orElse(null));
        new WebDriverWait(web.driver, Duration.ofSeconds(90)).until(d -> variantNames(PHOTO).contains("medium"));
        web.driver.navigate().refresh(); // the row now lists the medium variant
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        thumb = web.waitFor(By.cssSelector("#file-rows tr[data-file-name='" + PHOTO + "'] td.thumb"));
        web.js("arguments[0].scrollIntoView({block: 'center'})", thumb);
        thumb.click();
        WebElement dialog = web.waitFor(By.cssSelector("dialog#preview[open][data-kind='image']"));
        assertThat(web.driver.findElement(By.id("preview-title")).getText()).isEqualTo(PHOTO);
        WebElement img = dialog.findElement(By.cssSelector("img.preview-image"));
        assertThat(img.getDomAttribute("alt")).isEqualTo(PHOTO);
        new WebDriverWait(web.driver, Duration.ofSeconds(10)).until(d -> ((Number) web.js("return arguments[0].naturalWidth", img)).intValue() > 0);
        JsonNode medium = variant(PHOTO, "medium");
        assertThat(((Number) web.js("return arguments[0].naturalWidth", img)).intValue()).as("the medium variant").isEqualTo(medium.path("width").asInt());
        assertThat(web.js("return document.activeElement.id")).as("focus moves into the dialog").isEqualTo("preview-close");
        // the focus stays inside: tabbing goes round the dialog's controls only (the rest of the page is inert)
        for (int i = 0; i < 4; i++) {
            web.driver.switchTo().activeElement().sendKeys(Keys.TAB);
            assertThat((Boolean) web.js("return document.getElementById('preview').contains(document.activeElement)"))
                    .as("focus after %d tabs", i + 1).isTrue();
        }
        assertThat(web.axeViolations()).as("axe with the preview open").isEmpty();
        web.screenshots("files-preview");
        web.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
        new WebDriverWait(web.driver, Duration.ofSeconds(5)).until(d -> !dialog.isDisplayed());
        assertThat(web.js("return document.activeElement.closest('tr')?.dataset.fileName")).as("focus back on the file").isEqualTo(PHOTO);

        // a PDF opens in the browser's viewer, framed from the store's presigned GET
        web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + PDF + "'] button.open")).click();
        WebElement frame = web.waitFor(By.cssSelector("dialog#preview[open][data-kind='pdf'] iframe.preview-pdf"));
        assertThat(frame.getDomAttribute("src")).startsWith(web.s3).contains("X-Amz-Signature");
        assertThat(frame.getDomAttribute("title")).isEqualTo("PDF preview of " + PDF);
        web.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
        new WebDriverWait(web.driver, Duration.ofSeconds(5)).until(d -> d.findElements(By.cssSelector("dialog#preview[open]")).isEmpty());

        // a type without a preview says so and offers the download
        web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + ODT + "'] button.open")).sendKeys(Keys.ENTER);
        WebElement none = web.waitFor(By.cssSelector("dialog#preview[open][data-kind='none']"));
        assertThat(none.findElement(By.cssSelector(".no-preview")).getText()).contains("No preview for application/vnd.oasis.opendocument.text");
        assertThat(none.findElement(By.id("preview-download")).getText()).isEqualTo("Download");
        web.driver.findElement(By.id("preview-close")).click();
        assertThat(web.driver.findElements(By.cssSelector("dialog#preview[open]"))).isEmpty();
    }

    List<String> variantNames(String name) {
        try {
            List<String> out = new ArrayList<>();
            web.api("/v1/files/" + idOf(name)).path("variants").forEach(v -> out.add(v.path("name").asText()));
            return out;
        } catch (Exception e) {
            return List.of();
        }
    }

    JsonNode variant(String name, String variant) throws Exception {
        for (JsonNode v : web.api("/v1/files/" + idOf(name)).path("variants")) if (v.path("name").asText().equals(variant)) return v;
        throw new AssertionError("no " + variant + " variant");
    }

    @Test
    @Order(3)
    void deleteShowsUndoAndUndoRestoresTheFile() throws Exception {
        String id = idOf(DELETE_ME);
        web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + DELETE_ME + "'] button.delete")).click();
        assertThat(web.driver.findElements(By.cssSelector("#file-rows tr[data-file-name='" + DELETE_ME + "']"))).as("the row goes at once").isEmpty();
        WebElement toast = web.waitFor(By.cssSelector("#toast:not([hidden])"));
        new WebDriverWait(web.driver, Duration.ofSeconds(10)).until(d -> toast.getText().contains("Deleted " + DELETE_ME));
        assertThat(toast.getDomAttribute("role")).isEqualTo("status");
        new WebDriverWait(web.driver, Duration.ofSeconds(10)).until(d -> status(id).equals("deleted"));
        toast.findElement(By.id("toast-undo")).click();
        web.awaitListed(DELETE_ME, "ready");
        assertThat(web.api("/v1/files/" + id).path("status").asText()).isEqualTo("ready");
    }

    String status(String id) {
        try {
            return web.api("/v1/files/" + id).path("status").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @Order(4)
    void aDeletedFileIsRestoredFromRecentlyDeleted() throws Exception {
        String id = idOf(RESTORE_ME);
        String late = idOf(EXPIRED);
        for (String f : List.of(id, late)) {
            var r = Http.method("DELETE", web.page + "/v1/files/" + f, "Authorization", "Bearer " + web.token());
            assertThat(r.statusCode()).isEqualTo(200);
        }
        // one deleted longer ago than the restore window (not purged yet: the retention pass has not run)
        web.stack.stowage().db().jdbi().useHandle(h -> h.createUpdate("update files set deleted_at = now() - interval '400 days' where id = :id")
                .bind("id", java.util.UUID.fromString(late)).execute());
        web.driver.findElement(By.id("view-deleted")).click();
        awaitNames("recently deleted", List.of(RESTORE_ME, EXPIRED));
        assertThat(web.driver.findElement(By.id("view-deleted")).getDomAttribute("aria-pressed")).isEqualTo("true");
        WebElement lateRow = web.awaitListed(EXPIRED, "deleted");
        assertThat(lateRow.getText()).contains("cannot be restored: the restore window ended", "Restore window over");
        assertThat(lateRow.findElements(By.cssSelector("button.restore"))).isEmpty();
        WebElement row = web.awaitListed(RESTORE_ME, "deleted");
        assertThat(row.getText()).contains("restorable until");
        assertThat(web.axeViolations()).as("axe on the recently deleted view").isEmpty();
        web.screenshots("files-deleted");
        row.findElement(By.cssSelector("button.restore")).click();
        awaitNames("restored file leaves the deleted view", List.of(EXPIRED));
        assertThat(web.api("/v1/files/" + id).path("status").asText()).isEqualTo("ready");
        var refused = Http.method("POST", web.page + "/v1/files/" + late + "/restore", "Authorization", "Bearer " + web.token());
        assertThat(refused.body()).contains("restore_window_over");
        web.driver.findElement(By.id("view-files")).click();
        web.awaitListed(RESTORE_ME, "ready");
    }

    @Test
    @Order(5)
    void theQuotaBarShowsUsedOfQuota() throws Exception {
        JsonNode u = web.api("/v1/usage");
        web.driver.findElement(By.id("refresh")).click();
        WebElement quota = web.waitFor(By.cssSelector("#quota:not([hidden])"));
        new WebDriverWait(web.driver, Duration.ofSeconds(10)).until(d -> quota.getDomAttribute("data-used").equals(u.path("usedBytes").asText()));
        assertThat(quota.getDomAttribute("data-quota")).isEqualTo(u.path("quotaBytes").asText());
        WebElement meter = web.driver.findElement(By.id("quota-meter"));
        long taken = u.path("usedBytes").asLong() + u.path("reservedBytes").asLong();
        assertThat(((Number) web.js("return arguments[0].value", meter)).longValue()).isEqualTo(taken);
        assertThat(((Number) web.js("return arguments[0].max", meter)).longValue()).isEqualTo(u.path("quotaBytes").asLong());
        assertThat((String) web.js("return arguments[0].labels[0].textContent", meter)).isEqualTo("Storage used");
        String text = web.driver.findElement(By.id("quota-text")).getText();
        assertThat(text).matches("[0-9.,]+ (B|KiB|MiB) of [0-9.,]+ (MiB|GiB|TiB) used.*");
        System.out.println("[BrowserFilesPageIT] quota: " + text + " (usage " + u + ")");
        assertThat(quota.getDomAttribute("class")).doesNotContain("warn");
    }

    @Test
    @Order(6)
    void at360PxNothingScrollsSideways() throws Exception {
        var size = web.driver.manage().window().getSize();
        try {
            for (int width : new int[] {360, 390, 800, 860, 1280}) {
                web.driver.manage().window().setSize(new Dimension(width, 900));
                web.js("return document.body.offsetWidth"); // a layout at the new width
                assertThat(web.scrollsSideways()).as("scrolls sideways at %d px; too wide: %s", width, web.js("""
                        const w = document.documentElement.clientWidth;
                        return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5)
                            .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ');
                        """)).isFalse();
            }
            web.driver.manage().window().setSize(new Dimension(360, 900));
            WebElement name = web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + PDF + "'] td.name"));
            assertThat(name.getSize().getHeight()).as("the long name wraps").isGreaterThan(30);
            WebElement status = web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + ODT + "'] td.file-status"));
            assertThat(status.getLocation().getX() + status.getSize().getWidth()).as("the status is on screen").isLessThanOrEqualTo(360);
            assertThat(web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + ODT + "'] td.type")).getText())
                    .isEqualTo("application/vnd.oasis.opendocument.text");
        } finally {
            web.driver.manage().window().setSize(size);
        }
        web.screenshots("files");
    }

    @Test
    @Order(7)
    void axeFindsNoSeriousOrCriticalViolations() throws Exception {
        assertThat(web.axeViolations()).as("axe on the file list").isEmpty();
    }

    @Test
    @Order(8)
    void noConsoleErrorsAndAFavicon() throws Exception {
        assertThat(web.consoleErrors()).as("console errors while using the page").isEmpty();
        assertThat(web.js("return document.querySelector('link[rel=icon]').href")).isEqualTo(web.page + "/favicon.svg");
        var svg = Http.get(web.page + "/favicon.svg");
        assertThat(svg.statusCode()).isEqualTo(200);
        assertThat(svg.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("image/svg+xml"));
        var ico = Http.get(web.page + "/favicon.ico");
        assertThat(ico.statusCode()).isEqualTo(200);
        web.openPage();
        assertThat(web.consoleErrors()).as("console errors on a fresh load").isEmpty();
    }
}

package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in headless Chromium under its Content-Security-Policy, against a whole {@code stowage dev}
 * stack: uploads, a thumbnail, a download and the cost charts run with no violation in the console (and a
 * violation, when provoked, does show there); a {@code ?token=} link of another account asks before it
 * switches, declining keeps the account in use and its files, confirming switches; the page cannot be framed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserSecurityIT {
    static final String PHOTO = "mate_FreshFlower.jpg";
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

    /** The console's Content-Security-Policy reports since the last look. */
    static List<String> cspViolations() {
        return web.consoleErrors().stream().filter(m -> m.contains("Content Security Policy") || m.contains("Refused to")).toList();
    }

    static String who() {
        return web.driver.findElement(By.id("who")).getText();
    }

    @Test
    @Order(1)
    void uploadsThumbnailsDownloadsAndChartsRunUnderThePolicy() throws Exception {
        web.openPage();
        web.choose(TestServers.fixture("images/photos/" + PHOTO));
        Path text = Files.writeString(dir.resolve("plans.txt"), "the plans of dev-user\n".repeat(100));
        web.choose(text);
        web.awaitListed("plans.txt", "ready");
        web.awaitListed(PHOTO, "ready");
        WebElement img = new WebDriverWait(web.driver, Duration.ofSeconds(90))
                .until(d -> d.findElements(By.cssSelector("#file-rows tr[data-file-name='" + PHOTO + "'] td.thumb[data-thumb='shown'] img")).stream().findFirst().orElse(null));
        assertThat(img.getDomProperty("src")).as("the thumbnail, through a blob: URL").startsWith("blob:");
        web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='plans.txt'] a.download")).click();
        assertThat(Files.readString(web.awaitDownload("plans.txt"))).isEqualTo(Files.readString(text));

        web.driver.get(web.page + "/admin/costs");
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat((Long) web.js("return document.querySelectorAll('canvas').length")).isEqualTo(2L);
        assertThat(web.js("return typeof Chart.getChart('usage-chart')")).isEqualTo("object");
        assertThat(cspViolations()).as("violations reported while uploading, listing, downloading and charting").isEmpty();

        // the check would see one: an inline script and an inline style attribute are refused and reported
        web.driver.get(web.page + "/");
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(web.js("""
                const s = document.createElement('script'); s.textContent = 'window.__inline = 1;'; document.body.append(s);
                document.getElementById('who').setAttribute('style', 'color: red');
                return window.__inline ?? null""")).as("an inline script does not run").isNull();
        List<String> provoked = new WebDriverWait(web.driver, Duration.ofSeconds(10)).until(d -> {
            List<String> v = cspViolations();
            return v.size() >= 2 ? v : null;
        });
        assertThat(String.join("\n", provoked)).contains("inline script violates the following Content Security Policy directive 'script-src 'self''",
                "inline style violates the following Content Security Policy directive 'style-src 'self''");
    }

    @Test
    @Order(2)
    void aTokenLinkOfAnotherUserAsksBeforeSwitchingAndDecliningKeepsTheAccountInUse() throws Exception {
        String alice = web.stack.devToken("alice");
        web.openPage();
        assertThat(web.driver.findElements(By.cssSelector("#file-rows tr[data-file-name='plans.txt']"))).hasSize(1);

        // a link with alice's token: the page asks, and says who is who; the token has left the address bar already
        web.driver.get(web.page + "/?token=" + alice + "#files");
        WebElement question = web.waitFor(By.id("token-switch"));
        assertThat(question.findElement(By.cssSelector("[data-link-user]")).getText()).isEqualTo("alice");
        assertThat(question.findElement(By.cssSelector("[data-current-user]")).getText()).isEqualTo(BrowserStack.USER);
        assertThat(question.getText()).contains("The link you opened signs in as alice (free plan). This page is signed in as dev-user.");
        assertThat(web.driver.getCurrentUrl()).isEqualTo(web.page + "/#files");
        assertThat(web.driver.findElement(By.id("upload-section")).isDisplayed()).as("nothing can be uploaded while it asks").isFalse();

        // declining keeps dev-user and dev-user's files; nothing of alice's is kept
        web.driver.findElement(By.id("token-switch-keep")).click();
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(who()).startsWith("Signed in as dev-user");
        assertThat(web.driver.findElements(By.id("token-switch"))).isEmpty();
        assertThat(web.driver.findElements(By.cssSelector("#file-rows tr[data-file-name='plans.txt']"))).hasSize(1);
        assertThat(web.driver.findElement(By.id("messages")).getText()).contains("Still signed in as dev-user; the link was not used.");
        assertThat(web.js("return [sessionStorage.getItem('stowage.token'), localStorage.getItem('stowage.token')]"))
                .isEqualTo(java.util.Arrays.asList(null, null));
        web.driver.navigate().refresh();
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(who()).startsWith("Signed in as dev-user");

        // confirming switches: alice sees none of dev-user's files, and her token is kept in this tab
        web.driver.get(web.page + "/?token=" + alice);
        web.waitFor(By.id("token-switch-accept")).click();
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(who()).startsWith("Signed in as alice (free plan, saved token)");
        assertThat(web.driver.findElement(By.id("no-files")).isDisplayed()).isTrue();
        assertThat(web.js("return sessionStorage.getItem('stowage.token')")).isEqualTo(alice);
        assertThat(web.driver.getCurrentUrl()).doesNotContain("token=");

        // a link of the account in use is taken without a question; a refused one changes nothing
        Thread.sleep(1100); // a token issued a second later differs
        String alice2 = web.stack.devToken("alice");
        assertThat(alice2).isNotEqualTo(alice);
        web.driver.get(web.page + "/?token=" + alice2);
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(web.driver.findElements(By.id("token-switch"))).isEmpty();
        assertThat(who()).startsWith("Signed in as alice");
        web.driver.get(web.page + "/?token=not-a-token");
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(web.driver.findElements(By.id("token-switch"))).isEmpty();
        assertThat(who()).startsWith("Signed in as alice");
        assertThat(web.driver.findElement(By.id("messages")).getText()).contains("The token in the link was refused; the account in use did not change.");
        assertThat(web.js("return sessionStorage.getItem('stowage.token')")).isEqualTo(alice2);

        // a token an older page left in localStorage moves to this tab's sessionStorage
        web.js("sessionStorage.clear(); localStorage.setItem('stowage.token', arguments[0])", web.stack.devToken("bob"));
        web.driver.navigate().refresh();
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(who()).startsWith("Signed in as bob");
        assertThat(web.js("return localStorage.getItem('stowage.token')")).isNull();
        web.js("sessionStorage.clear()");
        assertThat(cspViolations()).isEmpty();
    }

    @Test
    @Order(3)
    void noPageCanFrameThePageNotEvenItsOwn() {
        web.driver.get(web.page + "/");
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        cspViolations();
        // same origin, so the parent could read the frame if it loaded; frame-ancestors 'none' and DENY block it
        web.js("const f = document.createElement('iframe'); f.id = 'framed'; f.src = '/'; document.body.append(f);");
        List<String> framing = new WebDriverWait(web.driver, Duration.ofSeconds(15)).until(d -> {
            List<String> v = cspViolations();
            return v.isEmpty() ? null : v;
        });
        assertThat(String.join("\n", framing)).contains("frame-ancestors 'none'");
        assertThat(web.js("try { return document.getElementById('framed').contentDocument?.getElementById('who') ? 'loaded' : 'blocked'; }"
                + " catch (e) { return 'blocked'; }")).isEqualTo("blocked");
    }
}

package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.dev.DevStack;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Supplier;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the browser tests share: a whole {@code stowage dev} stack served from
 * {@code http://localhost:<port>} (its public URL, and so the origin its embedded S3 server allows by
 * CORS), a headless Chromium that saves downloads into a directory of its own, and helpers to drive
 * the page at {@code /}.
 */
final class BrowserStack implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The user of the page's dev token. */
    static final String USER = "dev-user";
    static final Duration UPLOAD_TIMEOUT = Duration.ofSeconds(120);

    /** The {@code stowage dev} stack, or {@code null} for a browser alone ({@link #browse}). */
    final DevStack stack;
    final WebDriver driver;
    /** The page's origin, e.g. {@code http://localhost:41234}. */
    final String page;
    /** The embedded object store's endpoint ({@code null} without {@link #stack}). */
    final String s3;
    /** Where Chromium saves downloads. */
    final Path downloads;
    private final Supplier<String> token;

    private BrowserStack(DevStack stack, WebDriver driver, String page, Path downloads, Supplier<String> token) {
        this.stack = stack;
        this.driver = driver;
        this.page = page;
        this.s3 = stack == null ? null : stack.s3Endpoint().toString();
        this.downloads = downloads;
        this.token = token;
    }

    /** Starts the stack and the browser, keeping their data under {@code dir}. */
    static BrowserStack start(Path dir) throws Exception {
        return start(dir, null, Map.of());
    }

    /** As {@link #start(Path)} with more environment (e.g. {@code STOWAGE_CLAMD_HOST} and {@code _PORT} for a scanner). */
    static BrowserStack start(Path dir, Map<String, String> extraEnv) throws Exception {
        return start(dir, null, extraEnv);
    }

    /**
     * Starts the stack with a configuration file of {@code yaml} (e.g. a smaller multipart threshold) and the
     * browser, keeping their data under {@code dir}; {@code null} for none.
     */
    static BrowserStack start(Path dir, String yaml) throws Exception {
        return start(dir, yaml, Map.of());
    }

    private static BrowserStack start(Path dir, String yaml, Map<String, String> extraEnv) throws Exception {
        int port = freePort();
        String page = "http://localhost:" + port;
        Path file = yaml == null ? null : Files.writeString(dir.resolve("stowage.yaml"), yaml);
        var env = new java.util.HashMap<String, String>(extraEnv);
        env.putAll(Map.of(
                "STOWAGE_HTTP_PORT", Integer.toString(port),
                "STOWAGE_HTTP_HOST", "127.0.0.1",
                "STOWAGE_PUBLIC_URL", page,
                "STOWAGE_CORS_ORIGINS", page));
        StowageConfig config = ConfigLoader.load(file, env, StowageConfig.Mode.DEV);
        DevStack stack = DevStack.start(config, dir.resolve("data"), new DevStack.Ports(port, 0, 0));
        try {
            Path downloads = Files.createDirectories(dir.resolve("downloads"));
            return new BrowserStack(stack, chromium(dir, downloads), page, downloads, () -> stack.devToken(USER));
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
    }

    /**
     * Only the browser, on the page of a Stowage already serving {@code page} (e.g. a {@code testing.Harness}
     * on Ceph RGW started on {@link #freePort()} with {@code STOWAGE_CORS_ORIGINS} = {@code page}), signed in
     * with {@code token}, a bearer token of {@link #USER}. {@link #stack} and {@link #s3} are {@code null};
     * closing it quits the browser only.
     */
    static BrowserStack browse(String page, String token, Path dir) throws Exception {
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        return new BrowserStack(null, chromium(dir, downloads), page, downloads, () -> token);
    }

    /** A TCP port that was free a moment ago, for a server whose origin must be known before it starts. */
    static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts headless Chromium through Debian's {@code /usr/bin/chromedriver}, with its profile under
     * {@code dir} and downloads saved into {@code downloads}; aborts the test when the browser tier is
     * excluded ({@code -Dstowage.tiers=embedded}) and fails it when Chromium is not installed.
     */
    static WebDriver chromium(Path dir, Path downloads) throws IOException {
        var options = new ChromeOptions();
        options.setBinary(Files.exists(Path.of("/usr/lib/chromium/chromium")) ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chrome-profile")), "--window-size=1200,900");
        options.setExperimentalOption("prefs", Map.of(
                "download.default_directory", downloads.toString(),
                "download.prompt_for_download", false));
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL")); // the console, read by consoleErrors()
        if (!Files.isExecutable(Path.of("/usr/bin/chromedriver"))) {
            if ("embedded".equals(System.getProperty("stowage.tiers", "all"))) {
                System.err.println("browser tier SKIPPED by -Dstowage.tiers=embedded");
                org.junit.jupiter.api.Assumptions.abort("browser tier excluded by -Dstowage.tiers=embedded");
            }
            throw new AssertionError("the browser test tier needs Debian's chromium and chromium-driver "
                    + "(apt-get install chromium chromium-driver), or exclude it with -Dstowage.tiers=embedded");
        }
        var service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort()
                .build();
        WebDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return driver;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            if (stack != null) stack.close();
        }
    }

    /** A dev token of {@link #USER}, for calls from the test itself. */
    String token() {
        return token.get();
    }

    // ---- the page ----

    /**
     * Opens the page and waits until it has signed in and listed the files: with its dev token under
     * {@code stowage dev}, else with {@link #token()} passed as {@code ?token=}.
     */
    void openPage() {
        driver.get(stack != null ? page + "/" : page + "/?token=" + token());
        if (stack == null) {
            // a link's token is used only once the user confirms its account (unless that account is already in use)
            WebElement first = waitFor(By.cssSelector("body[data-ready='true'], #token-switch-accept"));
            if ("token-switch-accept".equals(first.getDomAttribute("id"))) first.click();
        }
        waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(driver.findElement(By.id("who")).getText()).contains("Signed in as " + USER);
    }

    /** Chooses a file in the page's file input, which starts its upload. */
    void choose(Path file) {
        driver.findElement(By.id("file-input")).sendKeys(file.toAbsolutePath().toString());
    }

    /** The row of the upload list for a file name. */
    WebElement upload(String name) {
        return driver.findElement(By.cssSelector("li.upload[data-file-name='" + name + "']"));
    }

    /** Waits until the file list has a row for {@code name} with {@code status}. */
    WebElement awaitListed(String name, String status) {
        return new WebDriverWait(driver, UPLOAD_TIMEOUT)
                .withMessage(() -> name + " not listed as " + status + "; page says: " + driver.findElement(By.tagName("main")).getText())
                .until(d -> d.findElements(By.cssSelector("#file-rows tr[data-file-name='" + name + "'][data-status='" + status + "']"))
                        .stream().findFirst().orElse(null));
    }

    WebElement waitFor(By by) {
        return new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> d.findElements(by).stream().findFirst().orElse(null));
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    Object jsAsync(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
    }

    /** Waits until Chromium has finished saving {@code name} into {@link #downloads}. */
    Path awaitDownload(String name) {
        Path saved = downloads.resolve(name);
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> Files.exists(saved) && !partialDownloads());
        return saved;
    }

    private boolean partialDownloads() {
        try (var files = Files.list(downloads)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".crdownload"));
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * The console messages of level SEVERE since the last call (Chromium reports a Content-Security-Policy
     * violation there, as "Refused to …").
     */
    java.util.List<String> consoleErrors() {
        return driver.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(e -> e.getMessage()).toList();
    }

    /** Saves a screenshot of the browser window as {@code target/screenshots/<name>}. */
    Path screenshot(String name) throws IOException {
        Path out = Files.createDirectories(TestServers.repoRoot().resolve("target/screenshots")).resolve(name);
        Files.write(out, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        return out;
    }

    /**
     * Saves the page as it is at 1280 px and at 360 px wide as {@code target/screenshots/<name>-1280.png} and
     * {@code <name>-360.png}, then restores the window; the 360 px shot is of the whole page height.
     */
    java.util.List<Path> screenshots(String name) throws IOException {
        var size = driver.manage().window().getSize();
        var out = new java.util.ArrayList<Path>();
        try {
            for (int width : new int[] {1280, 360}) {
                driver.manage().window().setSize(new org.openqa.selenium.Dimension(width, 900));
                long h = ((Number) js("return Math.min(4000, document.documentElement.scrollHeight)")).longValue();
                driver.manage().window().setSize(new org.openqa.selenium.Dimension(width, (int) Math.max(900, h)));
                out.add(screenshot(name + "-" + width + ".png"));
            }
        } finally {
            driver.manage().window().setSize(size);
        }
        return out;
    }

    /**
     * Whether the page scrolls sideways at its current window width: the document wider than the viewport.
     */
    boolean scrollsSideways() {
        return (Boolean) js("return document.documentElement.scrollWidth > document.documentElement.clientWidth");
    }

    /**
     * Runs axe-core (the {@code org.webjars.npm:axe-core} test dependency, injected into the page) on the
     * page as it is and returns its violations of impact {@code serious} or {@code critical}, one line each:
     * {@code <rule id> (<impact>): <help> at <selectors>}. An empty list is a page with none.
     */
    java.util.List<String> axeViolations() throws IOException {
        if (!Boolean.TRUE.equals(js("return typeof window.axe === 'object'"))) {
            String axe;
            try (var in = BrowserStack.class.getResourceAsStream("/META-INF/resources/webjars/axe-core/4.6.3/axe.min.js")) {
                if (in == null) throw new IOException("axe.min.js is not on the test classpath");
                axe = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            js(axe); // executed by WebDriver, not by a <script> tag: the page's CSP does not apply
        }
        Object r = jsAsync("""
                const done = arguments[arguments.length - 1];
                axe.run(document, {resultTypes: ['violations']}).then(res => done(JSON.stringify(res.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                        + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')))))
                  .catch(e => done(JSON.stringify(['axe failed: ' + e])));
                """);
        var list = new java.util.ArrayList<String>();
        JSON.readTree((String) r).forEach(n -> list.add(n.asText()));
        return list;
    }

    // ---- the API ----

    /** A GET of the API as {@link #USER}; must answer 200. */
    JsonNode api(String path) throws IOException {
        var r = Http.get(page + path, "Authorization", "Bearer " + token());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static String sha256(Path p) throws Exception {
        var md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

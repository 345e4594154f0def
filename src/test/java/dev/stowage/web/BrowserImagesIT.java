package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.TestServers;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
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
 * Images on the web page, in headless Chromium against a whole {@code stowage dev} stack: a phone photo
 * stored sideways with EXIF orientation 6 and GPS gets an upright 150×150 thumbnail in the file list
 * (fetched with the token and shown through an object URL), and downloads as an original that keeps
 * only the orientation tag and still displays upright; an image without variants says why; object
 * URLs are given back when their rows go.
 *
 * <p>Uprightness is judged against references made here from the source's stored pixels (decoded by
 * TwelveMonkeys, which ignores the EXIF orientation): rotated 90° clockwise (what orientation 6 asks
 * for), not rotated, and rotated the wrong way. What Chromium shows must be close to the first and far
 * from the other two. Screenshots go to {@code target/screenshots/browser-images-*.png}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserImagesIT {
    private static final String PHOTO = "derived_phone_o6_gps.jpg";
    /** An image whose previews fail (a decompression bomb is rejected at verification instead, so never listed ready). */
    private static final String DAMAGED = "truncated_Storm.jpg";
    private static final String HEIC = "heic_Wood.heic";
    private static final Duration VARIANTS_TIMEOUT = Duration.ofSeconds(90);
    /**
     * Mean absolute difference (0–255, over all pixels and channels) below which two renderings are the
     * same picture: WebP q80 and two different resamplers measure about 2.5 here.
     */
    private static final double SAME = 5;
    /**
     * … and above which they are not: the fixture is a low-contrast wood texture, so even a quarter turn
     * only measures about 12.
     */
    private static final double DIFFERENT = 8;

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

    // ---- the tests ----

    @Test
    @Order(1)
    void aSidewaysPhonePhotoGetsAnUprightThumbnailInTheList() throws Exception {
        Path photo = TestServers.fixture("images/photos/" + PHOTO);
        web.openPage();
        recordThumbStates();
        web.choose(photo);

        web.awaitListed(PHOTO, "ready");
        WebElement img = awaitThumb(PHOTO);
        assertThat(img.getDomAttribute("alt")).isEqualTo(PHOTO);
        assertThat(img.getDomProperty("src")).as("shown through an object URL").startsWith("blob:");
        assertThat(naturalSize(img)).as("the thumb variant's own size").containsExactly(150L, 150L);
        assertThat(img.getSize().getWidth()).as("drawn at 64 CSS px").isEqualTo(64);

        // what the row went through: a placeholder while the variants were made (when the list caught that
        // moment), then the thumbnail — never an error
        List<String> states = thumbStates(PHOTO);
        assertThat(states).last().isEqualTo("shown");
        assertThat(states).doesNotContain("error", "failed");
        System.out.println("[BrowserImagesIT] thumbnail states of " + PHOTO + ": " + states);

        // upright: close to the source turned 90° clockwise, far from it unturned or turned the other way
        BufferedImage shown = canvasPixels(img, 150, 150);
        BufferedImage stored = storedPixels(photo);
        BufferedImage square = scale(centreSquare(stored), 150, 150); // the recipe's centre cover crop, before turning
        BufferedImage uprightRef = rotateClockwise(square);
        BufferedImage wrongWayRef = rotateAnticlockwise(square);
        double upright = meanAbsoluteDifference(shown, uprightRef);
        double unturned = meanAbsoluteDifference(shown, square);
        double wrongWay = meanAbsoluteDifference(shown, wrongWayRef);
        System.out.printf("[BrowserImagesIT] thumbnail vs reference, mean abs. difference: upright %.1f, unturned %.1f, turned the wrong way %.1f;"
                        + " luma correlation: %.2f, %.2f, %.2f%n", upright, unturned, wrongWay,
                correlation(shown, uprightRef), correlation(shown, square), correlation(shown, wrongWayRef));
        assertThat(upright).as("difference from the upright reference").isLessThan(SAME);
        assertThat(unturned).as("difference from the stored (sideways) pixels").isGreaterThan(DIFFERENT);
        assertThat(wrongWay).as("difference from the pixels turned the wrong way").isGreaterThan(DIFFERENT);
        // and, whatever the contrast, the picture's structure: its brightness follows the upright reference only
        assertThat(correlation(shown, uprightRef)).isGreaterThan(0.9);
        assertThat(correlation(shown, square)).isLessThan(0.5);
        assertThat(correlation(shown, wrongWayRef)).isLessThan(0.5);

        // the same thumbnail the API hands out
        String id = rowOf(PHOTO).getDomAttribute("data-file-id");
        new WebDriverWait(web.driver, VARIANTS_TIMEOUT).until(d -> variantsStatus(id).equals("ready"));
        BufferedImage served = ImageIO.read(new ByteArrayInputStream(getFollowing("/v1/files/" + id + "/variants/thumb")));
        assertThat(meanAbsoluteDifference(shown, served)).as("page thumbnail vs the stored variant").isLessThan(3);

        web.js("arguments[0].scrollIntoView({block: 'center'})", rowOf(PHOTO));
        web.screenshot("browser-images-thumbnail.png");
        // for a person to look at: the page's thumbnail, the upright reference, the stored pixels — side by side, twice the size
        sideBySide("browser-images-thumbnail-vs-references.png", shown, uprightRef, square);
    }

    @Test
    @Order(2)
    void theDownloadedOriginalKeepsOnlyTheOrientationTagAndDisplaysUpright() throws Exception {
        Path photo = TestServers.fixture("images/photos/" + PHOTO);
        WebElement row = web.awaitListed(PHOTO, "ready");
        String id = row.getDomAttribute("data-file-id");
        row.findElement(By.cssSelector("a.download")).click();
        byte[] original = Files.readAllBytes(web.awaitDownload(PHOTO));
        assertThat(original).as("the page saved what the API serves").isEqualTo(getFollowing("/v1/files/" + id + "/content"));

        // the upload had EXIF with a GPS IFD (tag 0x8825), XMP, IPTC and a comment: so the checks below can fail
        byte[] upload = Files.readAllBytes(photo);
        byte[] uploadExif = segments(upload).stream().filter(s -> s.marker() == 0xE1 && s.id().equals("Exif")).findFirst().orElseThrow().payload();
        assertThat(exifTags(uploadExif)).contains("0x0112=6").anyMatch(t -> t.startsWith("0x8825="));
        assertThat(latin1(headers(upload))).contains("http://ns.adobe.com/xap/1.0/", "Photoshop 3.0", "private comment");

        List<Segment> segments = segments(original);
        List<String> metadata = segments.stream().filter(s -> s.marker() >= 0xE0 || s.marker() == 0xFE).map(Segment::describe).toList();
        System.out.println("[BrowserImagesIT] metadata segments of the downloaded original: " + metadata);
        assertThat(segments).filteredOn(s -> s.marker() == 0xE1).as("one APP1, a minimal Exif").singleElement()
                .satisfies(s -> assertThat(s.id()).isEqualTo("Exif"));
        assertThat(segments).as("no IPTC/Photoshop (APP13), MPF, comment or other application segment")
                .allSatisfy(s -> {
                    if (s.marker() >= 0xE0 || s.marker() == 0xFE) {
                        assertThat(s.describe()).isIn("APP0 JFIF", "APP1 Exif", "APP2 ICC_PROFILE", "APP14 Adobe");
                    }
                });
        byte[] exif = segments.stream().filter(s -> s.marker() == 0xE1).findFirst().orElseThrow().payload();
        assertThat(exifTags(exif)).as("IFD0 holds Orientation = 6 and nothing else (no GPS or Exif IFD pointer), no IFD1")
                .containsExactly("0x0112=6");
        // (the marker segments, where metadata lives: three given bytes turn up by chance in 300 kB of scan data)
        assertThat(latin1(headers(original))).doesNotContain("GPS", "http://ns.adobe.com", "Photoshop", "private comment", "KONICA");
        assertThat(original.length).isLessThan(upload.length);
        // the pixels are the upload's, bit for bit (both decoded as stored, orientation not applied)
        BufferedImage stored = storedPixels(photo);
        BufferedImage kept = ImageIO.read(new ByteArrayInputStream(original));
        assertThat(kept.getWidth()).isEqualTo(1920);
        assertThat(kept.getHeight()).isEqualTo(2560);
        assertThat(kept.getRGB(0, 0, 1920, 2560, null, 0, 1920)).as("decoded pixels").isEqualTo(stored.getRGB(0, 0, 1920, 2560, null, 0, 1920));

        // Chromium applies the orientation tag (image-orientation: from-image): 2560×1920, landscape, upright
        web.driver.get("about:blank");
        @SuppressWarnings("unchecked")
        var size = (List<Object>) web.jsAsync("""
                const [src, done] = [arguments[0], arguments[arguments.length - 1]];
                document.body.style.margin = '0';
                const img = new Image();
                img.onload = () => done([img.naturalWidth, img.naturalHeight]);
                img.onerror = () => done(['error']);
                img.alt = 'downloaded original';
                img.style.width = '640px';
                img.src = src;
                document.body.append(img);
                """, "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(original));
        assertThat(size).as("natural size in Chromium").containsExactly(2560L, 1920L);
        WebElement shownOriginal = web.driver.findElement(By.tagName("img"));
        BufferedImage shown = canvasPixels(shownOriginal, 160, 120);
        BufferedImage small = scale(stored, 120, 160); // the stored (portrait) pixels at 1/16
        BufferedImage uprightRef = rotateClockwise(small);
        BufferedImage wrongWayRef = rotateAnticlockwise(small);
        double upright = meanAbsoluteDifference(shown, uprightRef);
        double wrongWay = meanAbsoluteDifference(shown, wrongWayRef);
        System.out.printf("[BrowserImagesIT] original in Chromium vs reference, mean abs. difference: upright %.1f, turned the wrong way %.1f;"
                + " luma correlation: %.2f, %.2f%n", upright, wrongWay, correlation(shown, uprightRef), correlation(shown, wrongWayRef));
        assertThat(upright).isLessThan(SAME);
        assertThat(wrongWay).isGreaterThan(DIFFERENT);
        assertThat(correlation(shown, uprightRef)).isGreaterThan(0.9);
        assertThat(correlation(shown, wrongWayRef)).isLessThan(0.5);
        web.screenshot("browser-images-original.png");
    }

    @Test
    @Order(3)
    void anImageWithoutVariantsSaysWhyAndShownThumbnailsAreNotFetchedAgain() throws Exception {
        web.openPage();
        WebElement before = awaitThumb(PHOTO);
        String blob = before.getDomProperty("src");
        recordThumbStates();
        web.choose(TestServers.fixture("images/special/" + DAMAGED));
        web.awaitListed(DAMAGED, "ready");

        WebElement note = new WebDriverWait(web.driver, VARIANTS_TIMEOUT)
                .withMessage(() -> DAMAGED + " never said why it has no preview: " + thumbStates(DAMAGED))
                .until(d -> d.findElements(By.cssSelector("#file-rows tr[data-file-name='" + DAMAGED + "'] td[data-thumb='failed'] .thumb-note"))
                        .stream().findFirst().orElse(null));
        assertThat(note.getText()).isEqualTo("No preview: damaged image");
        assertThat(note.getDomAttribute("title")).as("the server's reason").isNotBlank();
        assertThat(web.driver.findElements(By.cssSelector("#file-rows tr[data-file-name='" + DAMAGED + "'] img"))).isEmpty();
        assertThat(web.api("/v1/files/" + rowOf(DAMAGED).getDomAttribute("data-file-id")).path("variantsReason").path("code").asText())
                .isEqualTo("corrupt_image");

        // the list was fetched and drawn again several times meanwhile; the photo's row and thumbnail stayed as they were
        assertThat(thumbStates(PHOTO)).as("the photo's thumbnail cell was not rebuilt").isEmpty();
        assertThat(awaitThumb(PHOTO).getDomProperty("src")).isEqualTo(blob);
        web.screenshot("browser-images-list.png");
    }

    @Test
    @Order(4)
    void objectUrlsAreGivenBackWhenTheirRowsGo() {
        String blob = awaitThumb(PHOTO).getDomProperty("src");
        assertThat(blobReadable(blob)).as("the thumbnail's object URL while its row is shown").isTrue();
        // another user's list replaces every row
        web.driver.findElement(By.cssSelector("#who button")).click();
        web.driver.findElement(By.id("token-input")).sendKeys(web.stack.devToken("alice"));
        web.driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
        new WebDriverWait(web.driver, Duration.ofSeconds(30)).until(d -> d.findElement(By.id("no-files")).isDisplayed());
        assertThat(web.driver.findElements(By.cssSelector("#file-rows tr"))).isEmpty();
        assertThat(blobReadable(blob)).as("revoked with its row").isFalse();
        web.js("sessionStorage.removeItem('stowage.token')");
    }

    @Test
    @Order(5)
    void aHeicPhotoGetsAThumbnailWhenLibvipsIsInstalledAndSaysWhyWhenNot() throws Exception {
        boolean libvips;
        try {
            dev.stowage.images.VipsImageEngine.load();
            libvips = true;
        } catch (dev.stowage.images.VipsUnavailableException e) {
            libvips = false; // the dev stack's images.engine = auto then runs the pure-Java engine
        }
        web.openPage();
        recordThumbStates();
        web.choose(TestServers.fixture("images/special/" + HEIC));
        web.awaitListed(HEIC, "ready");
        String id = rowOf(HEIC).getDomAttribute("data-file-id");
        if (!libvips) {
            WebElement note = new WebDriverWait(web.driver, VARIANTS_TIMEOUT)
                    .until(d -> d.findElements(By.cssSelector("#file-rows tr[data-file-name='" + HEIC + "'] td[data-thumb='failed'] .thumb-note"))
                            .stream().findFirst().orElse(null));
            assertThat(note.getText()).isEqualTo("No preview: format not supported");
            assertThat(web.api("/v1/files/" + id).path("variantsReason").path("code").asText()).isEqualTo("unsupported_image");
            return;
        }
        WebElement img = awaitThumb(HEIC);
        assertThat(naturalSize(img)).as("the thumb variant's own size").containsExactly(150L, 150L);
        assertThat(thumbStates(HEIC)).last().isEqualTo("shown");
        assertThat(thumbStates(HEIC)).doesNotContain("error", "failed");
        new WebDriverWait(web.driver, VARIANTS_TIMEOUT).until(d -> variantsStatus(id).equals("ready"));

        // the HEIC is mate_Wood.jpg encoded with HEVC: its thumbnail shows the same picture as the JPEG's,
        // made here by the pure-Java engine (another decoder and resampler)
        BufferedImage shown = canvasPixels(img, 150, 150);
        byte[] jpegThumb = new dev.stowage.images.JavaImageEngine()
                .render(Files.readAllBytes(TestServers.fixture("images/photos/mate_Wood.jpg")), dev.stowage.images.VariantSpec.THUMB).bytes();
        BufferedImage reference = ImageIO.read(new ByteArrayInputStream(jpegThumb));
        double diff = meanAbsoluteDifference(shown, reference);
        System.out.printf("[BrowserImagesIT] HEIC thumbnail vs the JPEG's: mean abs. difference %.1f, luma correlation %.2f; file %s%n",
                diff, correlation(shown, reference), web.api("/v1/files/" + id));
        assertThat(diff).isLessThan(SAME);
        assertThat(correlation(shown, reference)).isGreaterThan(0.9);
        // its original is served as an upright JPEG without metadata, labelled as one
        var redirect = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(web.page + "/v1/files/" + id + "/content"))
                .header("Authorization", "Bearer " + web.token()).build(), HttpResponse.BodyHandlers.discarding());
        String location = java.net.URLDecoder.decode(redirect.headers().firstValue("Location").orElseThrow(), StandardCharsets.UTF_8);
        assertThat(location).contains("response-content-type=image/jpeg").contains("heic_Wood.jpg");
        byte[] original = getFollowing("/v1/files/" + id + "/content");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(original));
        assertThat(List.of(decoded.getWidth(), decoded.getHeight())).containsExactly(2560, 1920);
        assertThat(segments(original)).allSatisfy(seg -> assertThat(seg.marker()).isNotEqualTo(0xE1));
        // found inside the script: the list may redraw the row between a lookup and its use
        web.js("document.querySelector(`#file-rows tr[data-file-name='${arguments[0]}']`).scrollIntoView({block: 'center'})", HEIC);
        web.screenshot("browser-images-heic.png");
    }

    // ---- page helpers ----

    private static WebElement rowOf(String name) {
        return web.driver.findElement(By.cssSelector("#file-rows tr[data-file-name='" + name + "']"));
    }

    private static String variantsStatus(String id) {
        try {
            return web.api("/v1/files/" + id).path("variantsStatus").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the row of {@code name} shows its thumbnail, loaded. */
    private static WebElement awaitThumb(String name) {
        return new WebDriverWait(web.driver, VARIANTS_TIMEOUT)
                .withMessage(() -> "no thumbnail of " + name + " (states " + thumbStates(name) + "); page says: "
                        + web.driver.findElement(By.tagName("main")).getText())
                .until(d -> d.findElements(By.cssSelector("#file-rows tr[data-file-name='" + name + "'] td[data-thumb='shown'] img"))
                        .stream().filter(i -> Boolean.TRUE.equals(web.js("return arguments[0].complete && arguments[0].naturalWidth > 0", i)))
                        .findFirst().orElse(null));
    }

    /** From now on, records every state ({@code data-thumb}) a thumbnail cell shows, with its file name. */
    private static void recordThumbStates() {
        web.js("""
                window.__thumbStates?.observer.disconnect();
                const log = [];
                const seen = (td) => {
                  const tr = td.closest('tr');
                  if (tr && td.dataset.thumb) log.push([tr.dataset.fileName, td.dataset.thumb]);
                };
                const observer = new MutationObserver((changes) => {
                  for (const c of changes) {
                    if (c.type === 'attributes') seen(c.target);
                    else for (const n of c.addedNodes) if (n.querySelectorAll) n.querySelectorAll('td.thumb').forEach(seen);
                  }
                });
                observer.observe(document.getElementById('file-rows'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-thumb'] });
                window.__thumbStates = { log, observer };
                """);
    }

    private static List<String> thumbStates(String name) {
        List<?> log = (List<?>) web.js("return window.__thumbStates ? window.__thumbStates.log : []");
        List<String> out = new ArrayList<>();
        for (Object e : log) {
            List<?> pair = (List<?>) e;
            if (name.equals(pair.get(0))) out.add((String) pair.get(1));
        }
        return out;
    }

    private static List<Long> naturalSize(WebElement img) {
        @SuppressWarnings("unchecked")
        var size = (List<Long>) web.js("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img);
        return size;
    }

    /** The image as Chromium draws it (orientation applied), scaled to width×height on a canvas, read back as PNG. */
    private static BufferedImage canvasPixels(WebElement img, int width, int height) throws IOException {
        String png = (String) web.js("""
                const [img, w, h] = arguments;
                const c = document.createElement('canvas');
                c.width = w;
                c.height = h;
                const g = c.getContext('2d');
                g.imageSmoothingQuality = 'high';
                g.drawImage(img, 0, 0, w, h);
                return c.toDataURL('image/png');
                """, img, width, height);
        assertThat(png).startsWith("data:image/png;base64,");
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(png.substring(png.indexOf(',') + 1))));
    }

    /** Whether the page can still read an object URL. */
    private static boolean blobReadable(String url) {
        return Boolean.TRUE.equals(web.jsAsync("""
                const [url, done] = arguments;
                // loaded as an image: the page's Content-Security-Policy allows blob: for images, not for fetch()
                const img = new Image();
                img.onload = () => done(img.naturalWidth > 0);
                img.onerror = () => done(false);
                img.src = url;
                """, url));
    }

    // ---- data helpers ----

    /** GET of an API path as the page's user, following a redirect to the object store. */
    private static byte[] getFollowing(String path) throws Exception {
        var http = HttpClient.newHttpClient();
        var first = http.send(HttpRequest.newBuilder(URI.create(web.page + path)).header("Authorization", "Bearer " + web.token()).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (first.statusCode() == 200) return first.body();
        assertThat(first.statusCode()).as(path).isEqualTo(302);
        var object = http.send(HttpRequest.newBuilder(URI.create(first.headers().firstValue("Location").orElseThrow())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(object.statusCode()).as(path + " → object store").isEqualTo(200);
        return object.body();
    }

    /** The stored pixels of the fixture (TwelveMonkeys' JPEG reader; the EXIF orientation is not applied). */
    private static BufferedImage storedPixels(Path photo) throws IOException {
        BufferedImage img = ImageIO.read(photo.toFile());
        assertThat(img.getWidth()).as("stored sideways").isEqualTo(1920);
        assertThat(img.getHeight()).isEqualTo(2560);
        return img;
    }

    private static BufferedImage centreSquare(BufferedImage img) {
        int side = Math.min(img.getWidth(), img.getHeight());
        return img.getSubimage((img.getWidth() - side) / 2, (img.getHeight() - side) / 2, side, side);
    }

    private static BufferedImage scale(BufferedImage img, int width, int height) {
        var out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        var g = out.createGraphics();
        g.drawImage(img.getScaledInstance(width, height, Image.SCALE_AREA_AVERAGING), 0, 0, null);
        g.dispose();
        return out;
    }

    /** Turned 90° clockwise: the left column becomes the top row. */
    private static BufferedImage rotateClockwise(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        var out = new BufferedImage(h, w, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) out.setRGB(h - 1 - y, x, img.getRGB(x, y));
        }
        return out;
    }

    private static BufferedImage rotateAnticlockwise(BufferedImage img) {
        return rotateClockwise(rotateClockwise(rotateClockwise(img)));
    }

    /** Mean absolute difference of two same-sized images, over every pixel and RGB channel, 0–255. */
    private static double meanAbsoluteDifference(BufferedImage a, BufferedImage b) {
        assertThat(b.getWidth()).isEqualTo(a.getWidth());
        assertThat(b.getHeight()).isEqualTo(a.getHeight());
        long sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) sum += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
            }
        }
        return sum / (3.0 * a.getWidth() * a.getHeight());
    }

    /** Saves images next to each other at twice their size, 10 px apart, under {@code target/screenshots/}. */
    private static void sideBySide(String name, BufferedImage... images) throws IOException {
        int width = 0;
        int height = 0;
        for (BufferedImage i : images) {
            width += 2 * i.getWidth() + 10;
            height = Math.max(height, 2 * i.getHeight());
        }
        var out = new BufferedImage(width - 10, height, BufferedImage.TYPE_INT_RGB);
        var g = out.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        int x = 0;
        for (BufferedImage i : images) {
            g.drawImage(i, x, 0, 2 * i.getWidth(), 2 * i.getHeight(), null);
            x += 2 * i.getWidth() + 10;
        }
        g.dispose();
        ImageIO.write(out, "png", Files.createDirectories(TestServers.repoRoot().resolve("target/screenshots")).resolve(name).toFile());
    }

    /** Pearson correlation of the brightness (Rec. 601 luma) of two same-sized images: 1 = the same picture. */
    private static double correlation(BufferedImage a, BufferedImage b) {
        int n = a.getWidth() * a.getHeight();
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = luma(a.getRGB(i % a.getWidth(), i / a.getWidth()));
            y[i] = luma(b.getRGB(i % a.getWidth(), i / a.getWidth()));
        }
        double mx = Arrays.stream(x).average().orElseThrow();
        double my = Arrays.stream(y).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    private static double luma(int rgb) {
        return 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
    }

    // ---- JPEG structure ----

    /** A marker segment before the image data: marker (0xE1 = APP1, 0xFE = COM, …) and payload. */
    record Segment(int marker, byte[] payload) {
        /** The identifier at the start of an application segment ("Exif", "JFIF", "ICC_PROFILE", …). */
        String id() {
            int end = 0;
            while (end < payload.length && end < 32 && payload[end] != 0) end++;
            String id = new String(payload, 0, end, StandardCharsets.ISO_8859_1);
            return id.startsWith("Adobe") ? "Adobe" : id; // APP14 "Adobe" has no terminating zero
        }

        String describe() {
            return marker == 0xFE ? "COM" : "APP" + (marker - 0xE0) + " " + id();
        }
    }

    /** The marker segments from SOI up to the first SOS; checks the file ends with EOI. */
    static List<Segment> segments(byte[] jpeg) {
        assertThat(jpeg[0] & 0xff).isEqualTo(0xFF);
        assertThat(jpeg[1] & 0xff).isEqualTo(0xD8);
        assertThat(Arrays.copyOfRange(jpeg, jpeg.length - 2, jpeg.length)).as("ends with EOI, nothing after it")
                .containsExactly((byte) 0xFF, (byte) 0xD9);
        List<Segment> out = new ArrayList<>();
        int i = 2;
        while (true) {
            assertThat(jpeg[i] & 0xff).as("marker at " + i).isEqualTo(0xFF);
            while ((jpeg[i] & 0xff) == 0xFF) i++;
            int marker = jpeg[i++] & 0xff;
            if (marker == 0xDA) return out;
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
            int length = ((jpeg[i] & 0xff) << 8) | (jpeg[i + 1] & 0xff);
            out.add(new Segment(marker, Arrays.copyOfRange(jpeg, i + 2, i + length)));
            i += length;
        }
    }

    /** The bytes before the image data (every marker segment), where metadata lives. */
    static byte[] headers(byte[] jpeg) {
        int size = 2;
        for (Segment s : segments(jpeg)) size += 4 + s.payload().length;
        return Arrays.copyOf(jpeg, size);
    }

    /**
     * The entries of IFD0 of an Exif APP1 payload as {@code 0xTAG=value} (the value of a SHORT or LONG,
     * else its type), then {@code next=offset} when IFD0 links to a further IFD (IFD1: a thumbnail).
     */
    static List<String> exifTags(byte[] app1) {
        assertThat(new String(app1, 0, 6, StandardCharsets.ISO_8859_1)).isEqualTo("Exif\0\0");
        var tiff = ByteBuffer.wrap(app1, 6, app1.length - 6).slice();
        tiff.order(tiff.get(0) == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        assertThat(tiff.getShort(2)).as("TIFF magic").isEqualTo((short) 42);
        int ifd = tiff.getInt(4);
        int count = tiff.getShort(ifd) & 0xffff;
        List<String> tags = new ArrayList<>();
        for (int e = 0; e < count; e++) {
            int at = ifd + 2 + 12 * e;
            int tag = tiff.getShort(at) & 0xffff;
            int type = tiff.getShort(at + 2) & 0xffff;
            String value = switch (type) {
                case 3 -> Integer.toString(tiff.getShort(at + 8) & 0xffff);
                case 4 -> Integer.toUnsignedString(tiff.getInt(at + 8));
                default -> "type" + type;
            };
            tags.add(String.format("0x%04X=%s", tag, value));
        }
        int next = tiff.getInt(ifd + 2 + 12 * count);
        if (next != 0) tags.add("next=" + next);
        return tags;
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}

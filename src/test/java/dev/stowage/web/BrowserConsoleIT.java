package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.security.DevTokens;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.testing.Http;
import dev.stowage.testing.QuarantineFixtures;
import dev.stowage.testing.TestClamd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in headless Chromium against one {@code stowage dev} stack with the test clamd as its
 * scanner: the cost page opens on a fresh snapshot with distinct axis labels, a plan changed on the accounts
 * page is the API's, quarantined files are released only after a clean re-scan or purged with their copy, a
 * failing job is made due now; every page passes axe-core (no serious or critical violation) and fits 360 px.
 * Screenshots: {@code target/screenshots/admin-<page>-1280.png} and {@code -360.png}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserConsoleIT {
    static final String EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    static final List<String> PAGES = List.of("costs", "accounts", "quarantine", "jobs", "migrations");

    @TempDir
    static Path dir;
    BrowserStack web;
    String admin;
    String raw;
    Instant uploadedAt;
    UUID clean;
    String stillInfected;
    String toPurge;

    @BeforeAll
    void start() throws Exception {
        var clamd = TestClamd.clamd();
        web = BrowserStack.start(dir, Map.of("STOWAGE_CLAMD_HOST", clamd.host(), "STOWAGE_CLAMD_PORT", Integer.toString(clamd.port())));
        var s = web.stack.stowage();
        raw = s.config().storage().buckets().raw();
        admin = new DevTokens(web.stack.secrets().jwtSecret()).issue("ops", "free", List.of("admin"), Duration.ofHours(1));
        // the snapshot of an empty store, as taken at start-up, and two older ones worth fractions of a cent
        s.costs().snapshot();
        for (int days : new int[] {2, 1}) {
            s.db().jdbi().useHandle(x -> x.createUpdate("""
                            insert into cost_snapshots (taken_at, price_table, storage_usd, requests_usd, write_requests, projected_monthly_usd, listed_objects, list_millis)
                            values (:t, 'self-hosted', :u, 0, 0, :u, 1, 1)""").bind("t", Timestamp.from(Instant.now().minus(Duration.ofDays(days))))
                    .bind("u", 0.0001 * (3 - days)).execute());
        }
        // then files: a ready one, two infected ones (quarantined by the scan), one a re-scan finds clean
        String ready = upload(BrowserStack.USER, "notes.txt", "a line of text\n".repeat(2000).getBytes(StandardCharsets.UTF_8));
        stillInfected = upload("mal-keep", "invoice.txt", EICAR.getBytes(StandardCharsets.US_ASCII));
        toPurge = upload("mal-purge", "readme.txt", EICAR.getBytes(StandardCharsets.US_ASCII));
        assertThat(settle(ready)).isEqualTo("ready");
        assertThat(settle(stillInfected)).isEqualTo("quarantined");
        assertThat(settle(toPurge)).isEqualTo("quarantined");
        uploadedAt = Instant.now();
        s.files().ensureAccount("q-owner", "free", s.config().uploads().quotaFor("free"));
        clean = QuarantineFixtures.quarantinedButClean(s, "q-owner", "report.txt",
                "a report an older signature database took for malware\n".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() {
        if (web != null) web.close();
    }

    String upload(String user, String name, byte[] bytes) throws Exception {
        String token = web.stack.devToken(user);
        var init = BrowserStack.JSON.readTree(Http.postJson(web.page + "/v1/uploads",
                "{\"filename\":\"" + name + "\",\"size\":" + bytes.length + ",\"contentType\":\"text/plain\"}", "Authorization", "Bearer " + token).body());
        var put = java.net.http.HttpRequest.newBuilder(java.net.URI.create(init.at("/upload/url").asText()))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bytes));
        init.at("/upload/headers").properties().forEach(e -> put.header(e.getKey(), e.getValue().asText()));
        assertThat(java.net.http.HttpClient.newHttpClient().send(put.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
        String id = init.path("fileId").asText();
        Http.postJson(web.page + "/v1/uploads/" + id + "/complete", "", "Authorization", "Bearer " + token);
        return id;
    }

    /** The file's status once verification has decided it, as its owner sees it. */
    String settle(String id) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            String st = adminFile(id).path("status").asText();
            if (!List.of("pending", "uploaded", "verifying", "scanning").contains(st) || System.nanoTime() > end) return st;
            Thread.sleep(100);
        }
    }

    /** GET /v1/files/{id} as the file's owner. */
    JsonNode adminFile(String id) throws Exception {
        String owner = web.stack.stowage().files().find(UUID.fromString(id)).orElseThrow().ownerId();
        var r = Http.get(web.page + "/v1/files/" + id, "Authorization", "Bearer " + web.stack.devToken(owner));
        return BrowserStack.JSON.readTree(r.body());
    }

    JsonNode api(String method, String path) throws Exception {
        var r = method.equals("GET") ? Http.get(web.page + path, "Authorization", "Bearer " + admin)
                : Http.method(method, web.page + path, "Authorization", "Bearer " + admin);
        return BrowserStack.JSON.readTree(r.body());
    }

    /** Opens a console page (signed in with the dev admin token under dev) and waits until it has loaded. */
    void open(String page) {
        web.driver.get(web.page + "/admin/" + page);
        web.waitFor(By.cssSelector("body[data-ready='true'], body[data-ready='error']"));
        assertThat(web.driver.findElement(By.id("error")).isDisplayed()).as(page + ": " + web.driver.findElement(By.id("error")).getText()).isFalse();
        assertThat(web.driver.findElement(By.id("who")).getText()).isEqualTo("Signed in as dev-admin");
    }

    /** Keys under the file's quarantine prefix (the dev store keeps no versions: AdminRoutesIT checks those on Ceph RGW). */
    List<String> quarantineStore(String user, String id) {
        return web.stack.stowage().s3().client().listObjectsV2(b -> b.bucket(raw).prefix(ObjectKeys.QUARANTINE_PREFIX + user + "/" + id + "/"))
                .contents().stream().map(o -> o.key()).toList();
    }

    WebElement quarantineRow(String id) {
        return web.waitFor(By.cssSelector("#quarantine-rows tr[data-file-id='" + id + "']"));
    }

    String awaitOutcome(WebElement row) {
        return new WebDriverWait(web.driver, Duration.ofSeconds(60)).until(d -> row.getDomAttribute("data-outcome"));
    }

    @Test
    @Order(1)
    void theCostPageOpensOnAFreshSnapshotWithDistinctAxisLabels() throws Exception {
        open("costs");
        // not the empty store's snapshot: one taken after the uploads, whose figures the API now answers
        Instant taken = Instant.parse(web.driver.findElement(By.id("taken-at")).getDomAttribute("data-taken-at"));
        assertThat(taken).isAfter(uploadedAt);
        long pageBytes = Long.parseLong(web.driver.findElement(By.id("total-bytes")).getDomAttribute("data-bytes"));
        assertThat(pageBytes).isGreaterThan(30_000);
        assertThat(pageBytes).isEqualTo(api("GET", "/v1/admin/costs").at("/totals/bytes").asLong());
        assertThat(web.driver.findElement(By.id("taken-at")).getText()).contains("s ago");
        for (String chart : List.of("cost-chart", "usage-chart")) {
            @SuppressWarnings("unchecked")
            List<String> labels = (List<String>) web.js("return Chart.getChart(arguments[0]).scales.y.ticks.map(t => t.label)", chart);
            assertThat(labels).as(chart + " y-axis").hasSizeGreaterThan(2).doesNotHaveDuplicates();
        }
        web.screenshots("admin-costs");
    }

    @Test
    @Order(2)
    void aPlanChangeOnTheAccountsPageIsSeenThroughTheApi() throws Exception {
        open("accounts");
        WebElement row = web.waitFor(By.cssSelector("#account-rows tr[data-user-id='" + BrowserStack.USER + "']"));
        assertThat(row.getDomAttribute("data-used-bytes")).isEqualTo(Long.toString("a line of text\n".length() * 2000L));
        WebElement input = row.findElement(By.cssSelector("input[name=plan]"));
        input.clear();
        input.sendKeys("pro");
        row.findElement(By.cssSelector("button[type=submit]")).click();
        WebElement updated = web.waitFor(By.cssSelector("#account-rows tr[data-user-id='" + BrowserStack.USER + "'][data-plan='pro']"));
        JsonNode page = api("GET", "/v1/admin/accounts?prefix=" + BrowserStack.USER);
        JsonNode account = page.path("accounts").get(0);
        assertThat(account.path("userId").asText()).isEqualTo(BrowserStack.USER);
        assertThat(account.path("plan").asText()).isEqualTo("pro");
        assertThat(updated.getDomAttribute("data-quota-bytes")).isEqualTo(account.path("quotaBytes").asText());
        assertThat(web.driver.findElement(By.id("status")).getText()).contains("now on plan pro");
        web.screenshots("admin-accounts");
    }

    @Test
    @Order(3)
    void aQuarantinedFileReleasedAfterACleanRescanIsReady() throws Exception {
        open("quarantine");
        WebElement row = quarantineRow(clean.toString());
        assertThat(row.getText()).contains(QuarantineFixtures.OLD_SIGNATURE, "q-owner", "report.txt");
        web.screenshots("admin-quarantine");
        row.findElement(By.cssSelector("button[data-action=release]")).click();
        assertThat(awaitOutcome(row)).isEqualTo("ready");
        JsonNode f = adminFile(clean.toString());
        assertThat(f.path("status").asText()).isEqualTo("ready");
        assertThat(f.at("/scan/result").asText()).isEqualTo("clean");
        assertThat(quarantineStore("q-owner", clean.toString())).isEmpty();
        var usage = web.stack.stowage().files().usage("q-owner").orElseThrow();
        assertThat(usage.usedBytes()).isEqualTo(f.path("size").asLong());
    }

    @Test
    @Order(4)
    void aStillInfectedFileIsNotReleased() throws Exception {
        open("quarantine");
        WebElement row = quarantineRow(stillInfected);
        assertThat(row.getText()).contains(TestClamd.EICAR_SIGNATURE);
        row.findElement(By.cssSelector("button[data-action=release]")).click();
        assertThat(awaitOutcome(row)).isEqualTo("still_infected");
        assertThat(row.findElement(By.cssSelector(".outcome")).getText()).contains("Still infected", TestClamd.EICAR_SIGNATURE);
        assertThat(adminFile(stillInfected).path("status").asText()).isEqualTo("quarantined");
        assertThat(quarantineStore("mal-keep", stillInfected)).hasSize(1);
        assertThat(web.stack.stowage().files().usage("mal-keep").orElseThrow().usedBytes()).isZero();
    }

    @Test
    @Order(5)
    void purgeRemovesTheQuarantineCopyAndTheRow() throws Exception {
        open("quarantine");
        assertThat(quarantineStore("mal-purge", toPurge)).hasSize(1);
        WebElement row = quarantineRow(toPurge);
        row.findElement(By.cssSelector("button[data-action=purge]")).click();
        web.driver.switchTo().alert().accept();
        assertThat(awaitOutcome(row)).isEqualTo("purged");
        assertThat(quarantineStore("mal-purge", toPurge)).isEmpty();
        // the owner no longer sees it; the row stays in the database, terminal
        var r = Http.get(web.page + "/v1/files/" + toPurge, "Authorization", "Bearer " + web.stack.devToken("mal-purge"));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(web.stack.stowage().files().find(UUID.fromString(toPurge)).orElseThrow().status().id()).isEqualTo("purged");
        open("quarantine");
        assertThat(web.driver.findElements(By.cssSelector("#quarantine-rows tr[data-file-id='" + toPurge + "']"))).isEmpty();
    }

    @Test
    @Order(6)
    void aFailingJobRetriedIsDueNow() throws Exception {
        web.stack.stowage().db().jdbi().useHandle(x -> x.execute("""
                insert into scheduled_tasks (task_name, task_instance, execution_time, picked, consecutive_failures, last_failure, version)
                values ('console-test', 'failing-1', now() + interval '1 hour', false, 3, now() - interval '2 minutes', 1)"""));
        open("jobs");
        WebElement row = web.waitFor(By.cssSelector("#job-rows tr[data-task='console-test'][data-instance='failing-1'][data-state='failing']"));
        web.screenshots("admin-jobs");
        Instant before = Instant.now();
        row.findElement(By.tagName("button")).click();
        WebElement retried = web.waitFor(By.cssSelector("#job-rows tr[data-instance='failing-1'][data-retried='true']"));
        assertThat(retried.getDomAttribute("data-state")).isEqualTo("failing"); // its last run failed; due now
        assertThat(Instant.parse(retried.getDomAttribute("data-execution-time"))).isBefore(Instant.now()).isAfter(before.minusSeconds(5));
        // the API agrees: due now, or already taken by the worker (which knows no such task, so it fails again)
        JsonNode jobs = api("GET", "/v1/admin/jobs?state=due,running,failing");
        JsonNode job = null;
        for (JsonNode j : jobs.path("jobs")) if (j.path("instance").asText().equals("failing-1")) job = j;
        assertThat(job).as(jobs.toString()).isNotNull();
        boolean dueNow = !Instant.parse(job.path("executionTime").asText()).isAfter(Instant.now());
        boolean ranAgain = job.path("state").asText().equals("running")
                || (!job.path("lastFailure").isNull() && Instant.parse(job.path("lastFailure").asText()).isAfter(before.minusSeconds(1)));
        assertThat(dueNow || ranAgain).as(job.toString()).isTrue();
    }

    @Test
    @Order(7)
    void theMigrationsPageFollowsARunWithItsProgressRateAndEta() throws Exception {
        // a run as `migrate run` journals it: 3 files done in the last minute (3 MB), 2 pending (6 MB)
        UUID run = UUID.randomUUID();
        web.stack.stowage().db().jdbi().useHandle(x -> {
            x.execute("insert into migration_runs (id, source, source_uri, walked_at) values (?, '/srv/legacy/uploads', 'file:///srv/legacy/uploads/', now())", run);
            for (int i = 0; i < 5; i++) {
                boolean done = i < 3;
                x.execute("""
                        insert into migration_items (run_id, path, display_path, kind, user_id, size_bytes, state, outcome, sha256, file_id, object_key, done_at)
                        values (?, ?, ?, 'file', 'legacy', ?, ?, ?, ?, ?, ?, ?)""", run, ("u/f" + i).getBytes(StandardCharsets.UTF_8), "u/f" + i,
                        done ? 1_000_000L : 3_000_000L, done ? "done" : "pending", done ? "migrated" : null, done ? "a".repeat(64) : null,
                        done ? UUID.randomUUID() : null, done ? "legacy/f" + i : null, done ? Timestamp.from(Instant.now().minusSeconds(10)) : null);
            }
        });
        JsonNode api = null;
        for (JsonNode r : api("GET", "/v1/admin/migrations").path("runs")) if (r.path("run").asText().equals(run.toString())) api = r;
        assertThat(api).isNotNull();
        assertThat(api.path("leftBytes").asLong()).isEqualTo(6_000_000L);
        assertThat(api.at("/lastMinute/bytes").asLong()).isEqualTo(3_000_000L);
        assertThat(api.path("etaSeconds").asLong()).isEqualTo(120); // 6 MB at 3 MB a minute
        open("migrations");
        WebElement box = web.waitFor(By.cssSelector("#runs article[data-run='" + run + "']"));
        assertThat(box.findElement(By.cssSelector("[data-figure=eta]")).getText()).isEqualTo("2 min 0 s");
        assertThat(box.findElement(By.cssSelector("[data-figure=done]")).getText()).contains("3 files", "33.3 %");
        assertThat(box.findElement(By.tagName("progress")).getDomProperty("value")).isEqualTo("3000000");
        web.screenshots("admin-migrations");
    }

    @Test
    @Order(8)
    void axeFindsNoSeriousOrCriticalViolationsOnEveryConsolePage() throws Exception {
        web.consoleErrors(); // what earlier tests logged (the refused release's 409)
        for (String p : PAGES) {
            open(p);
            assertThat(web.axeViolations()).as("/admin/" + p).isEmpty();
        }
        assertThat(web.consoleErrors()).as("no CSP violation or script error").allMatch(m -> m.contains("favicon.ico"));
    }

    @Test
    @Order(9)
    void at360PxNoConsolePageScrollsSideways() throws Exception {
        var size = web.driver.manage().window().getSize();
        try {
            web.driver.manage().window().setSize(new org.openqa.selenium.Dimension(360, 800));
            for (String p : PAGES) {
                open(p);
                assertThat(web.scrollsSideways()).as("/admin/" + p + " at 360 px; wider than the page: " + web.js("""
                        const w = document.documentElement.clientWidth;
                        return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5)
                          .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')""")).isFalse();
            }
        } finally {
            web.driver.manage().window().setSize(size);
        }
    }
}

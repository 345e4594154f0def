package dev.stowage.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.security.DevTokens;
import dev.stowage.testing.Http;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The admin cost page in headless Chromium against a whole {@code stowage dev} stack: it renders with
 * Chart.js served from its WebJar, its figures and rows are the API's, both charts hold the API's
 * series, and a screenshot is saved as {@code target/screenshots/admin-costs.png}.
 */
class BrowserCostsIT {
    @TempDir
    static Path dir;
    static BrowserStack web;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        web = BrowserStack.start(dir);
        var s = web.stack.stowage();
        admin = new DevTokens(web.stack.secrets().jwtSecret()).issue("ops", "free", List.of("admin"), Duration.ofHours(1));
        // a file uploaded through the API, database dumps in the backups bucket, one of them archived
        byte[] text = "a line of text\n".repeat(2000).getBytes();
        var init = web.JSON.readTree(Http.postJson(web.page + "/v1/uploads",
                "{\"filename\":\"notes.txt\",\"size\":" + text.length + ",\"contentType\":\"text/plain\"}",
                "Authorization", "Bearer " + web.token()).body());
        var put = java.net.http.HttpRequest.newBuilder(java.net.URI.create(init.at("/upload/url").asText())).PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(text));
        init.at("/upload/headers").properties().forEach(e -> put.header(e.getKey(), e.getValue().asText()));
        assertThat(java.net.http.HttpClient.newHttpClient().send(put.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
        Http.postJson(web.page + "/v1/uploads/" + init.path("fileId").asText() + "/complete", "", "Authorization", "Bearer " + web.token());
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!web.api("/v1/files/" + init.path("fileId").asText()).path("status").asText().equals("ready")) {
            assertThat(System.nanoTime()).as("notes.txt ready in time").isLessThan(end);
            Thread.sleep(100);
        }
        String backups = s.config().storage().buckets().backups();
        s.s3().client().putObject(r -> r.bucket(backups).key("db/dump-1.sql.gz"), RequestBody.fromBytes(new byte[3_000_000]));
        s.s3().client().putObject(r -> r.bucket(backups).key("db/dump-0.sql.gz").storageClass(software.amazon.awssdk.services.s3.model.StorageClass.GLACIER),
                RequestBody.fromBytes(new byte[5_000_000]));
        // two earlier snapshots, so the charts have a history
        for (int days : new int[] {2, 1}) {
            s.db().jdbi().useHandle(x -> {
                long sid = x.createUpdate("""
                                insert into cost_snapshots (taken_at, price_table, storage_usd, requests_usd, write_requests, projected_monthly_usd, listed_objects, list_millis)
                                values (:t, 'self-hosted', :u, 0, 0, :u, 1, 1)""").bind("t", Timestamp.from(Instant.now().minus(Duration.ofDays(days))))
                        .bind("u", 0.00001 * (3 - days)).executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
                x.execute("insert into cost_usage values (?, ?, 'STANDARD', ?, 1, 0, 0)", sid, backups, 1_000_000L * (3 - days));
            });
        }
        s.costs().snapshot();
    }

    @AfterAll
    static void stop() {
        if (web != null) web.close();
    }

    @Test
    void theCostPageRendersChartsWhoseNumbersAreTheApis() throws Exception {
        var r = Http.get(web.page + "/v1/admin/costs", "Authorization", "Bearer " + admin);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode api = web.JSON.readTree(r.body());

        web.driver.get(web.page + "/admin/costs?token=" + admin);
        assertThat(web.waitFor(By.cssSelector("#token-switch [data-link-user]")).getText()).isEqualTo("ops");
        assertThat(web.driver.findElement(By.cssSelector("#token-switch [data-current-user]")).getText()).isEqualTo("dev-admin");
        web.driver.findElement(By.id("token-switch-accept")).click();
        web.waitFor(By.cssSelector("body[data-ready='true']"));
        assertThat(web.driver.findElement(By.id("who")).getText()).isEqualTo("Signed in as ops");
        assertThat(web.driver.getCurrentUrl()).as("the token leaves the address bar").doesNotContain("token=");

        // the figures are the API's
        assertThat(Long.parseLong(web.driver.findElement(By.id("total-bytes")).getDomAttribute("data-bytes"))).isEqualTo(api.at("/totals/bytes").asLong());
        assertThat(Double.parseDouble(web.driver.findElement(By.id("monthly-usd")).getDomAttribute("data-usd"))).isEqualTo(api.at("/totals/monthlyUsd").asDouble());
        assertThat(Double.parseDouble(web.driver.findElement(By.id("projected-usd")).getDomAttribute("data-usd")))
                .isEqualTo(api.at("/totals/projectedMonthlyUsd").asDouble());
        assertThat(Double.parseDouble(web.driver.findElement(By.id("saving-usd")).getDomAttribute("data-usd")))
                .isEqualTo(api.at("/lifecycle/savingMonthlyUsd").asDouble());
        List<WebElement> rows = web.driver.findElements(By.cssSelector("#usage-rows tr"));
        assertThat(rows).hasSize(api.path("usage").size());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode u = api.path("usage").get(i);
            assertThat(rows.get(i).getDomAttribute("data-bucket")).isEqualTo(u.path("bucket").asText());
            assertThat(rows.get(i).getDomAttribute("data-storage-class")).isEqualTo(u.path("storageClass").asText());
            assertThat(Long.parseLong(rows.get(i).getDomAttribute("data-bytes"))).isEqualTo(u.path("storeBytes").asLong());
        }
        assertThat(web.driver.findElements(By.cssSelector("#user-rows tr")).stream().map(e -> e.getDomAttribute("data-user-id")).toList())
                .containsExactlyElementsOf(api.path("topUsers").findValuesAsText("userId"));

        // the charts: Chart.js from the WebJar, one dataset per bucket and class, one point per snapshot
        Set<String> series = new TreeSet<>();
        api.path("history").forEach(p -> p.path("usage").forEach(u -> series.add(u.path("bucket").asText() + " · " + u.path("storageClass").asText())));
        @SuppressWarnings("unchecked")
        List<String> labels = (List<String>) web.js("return Chart.getChart('usage-chart').data.datasets.map(d => d.label)");
        assertThat(labels).containsExactlyElementsOf(series);
        long lastBytes = (Long) web.js("const c = Chart.getChart('usage-chart'); return c.data.datasets.map(d => d.data[d.data.length - 1]).reduce((a, b) => a + b, 0)");
        assertThat(lastBytes).as("the last bar stacks to the API's total").isEqualTo(api.at("/totals/bytes").asLong());
        @SuppressWarnings("unchecked")
        List<Number> projected = (List<Number>) web.js("return Chart.getChart('cost-chart').data.datasets[1].data");
        assertThat(projected).hasSize(api.path("history").size());
        assertThat(projected.getLast().doubleValue()).isEqualTo(api.at("/totals/projectedMonthlyUsd").asDouble());
        for (String canvas : List.of("usage-chart", "cost-chart")) {
            long painted = (Long) web.js("""
                    const c = document.getElementById(arguments[0]); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;""", canvas);
            assertThat(painted).as(canvas + " has painted pixels").isGreaterThan(1000);
        }

        Path shot = web.screenshot("admin-costs.png");
        System.out.println("[BrowserCostsIT] screenshot of /admin/costs: " + shot);

        // a token without the admin role gets the API's refusal on the page
        web.driver.get(web.page + "/admin/costs?token=" + web.token());
        web.waitFor(By.id("token-switch-accept")).click();
        web.waitFor(By.cssSelector("body[data-ready='error']"));
        assertThat(web.driver.findElement(By.id("error")).getText()).contains("admin_required");
    }
}

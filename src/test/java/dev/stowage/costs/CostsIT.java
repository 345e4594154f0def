package dev.stowage.costs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.stowage.cli.Main;
import dev.stowage.config.StowageConfig;
import dev.stowage.security.DevTokens;
import dev.stowage.storage.FilenameSanitizer;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.testing.Harness;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The cost view over a store filled from the migration fixture tree ({@code make-uploads-tree.py}):
 * each file put into the raw bucket with its {@code files} row, as a migration leaves them, plus objects in
 * the backups bucket the database does not know. Checks the listing against the tree, the database side,
 * top users, the price arithmetic, alerts with a signed webhook retried after a 500, {@code stowage costs}
 * and the admin API.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CostsIT {
    static final String WEBHOOK_SECRET = "webhook-secret-webhook-secret-0123456789";
    static final Duration BACKOFF = Duration.ofMillis(300);
    @TempDir
    static Path dir;
    static Harness h;
    static HttpServer receiver;
    static final List<Received> received = new CopyOnWriteArrayList<>();
    static final AtomicInteger requests = new AtomicInteger();
    /** Bytes and files per user in the tree. */
    static final Map<String, long[]> perUser = new TreeMap<>();
    static long treeBytes, treeFiles, backupBytes, glacierBytes, variantBytes;

    record Received(String delivery, String timestamp, String signature, byte[] body, long atNanos, int answered) {}

    @BeforeAll
    static void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            int status = requests.incrementAndGet() == 1 ? 500 : 204; // the very first delivery fails once
            received.add(new Received(ex.getRequestHeaders().getFirst("Stowage-Delivery"), ex.getRequestHeaders().getFirst("Stowage-Timestamp"),
                    ex.getRequestHeaders().getFirst("Stowage-Signature"), body, System.nanoTime(), status));
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        receiver.start();
        URI hook = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
        h = new Harness(Map.of(), c -> c.withCosts(new StowageConfig.Costs("aws", 0.01, Duration.ofHours(1),
                0.000001, 1_000_000L, 1L, hook, WEBHOOK_SECRET, 3, BACKOFF)));
        fillFromTheMigrationTree();
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
        if (receiver != null) receiver.stop(0);
    }

    static void fillFromTheMigrationTree() throws Exception {
        Path tree = dir.resolve("uploads");
        var p = new ProcessBuilder("python3", TestServers.fixture("make-uploads-tree.py").toString(), tree.toString(),
                "--users", "5", "--files-per-user", "8", "--large", "1", "--large-mib", "3", "--seed", "8")
                .redirectErrorStream(true).start();
        String summary = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(summary).isZero();
        String raw = h.config.storage().buckets().raw();
        List<Path> files;
        try (Stream<Path> s = Files.walk(tree)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String user = tree.relativize(f).getName(0).toString();
            String name = f.getFileName().toString();
            long size = Files.size(f);
            var id = ObjectKeys.newFileId();
            String key = ObjectKeys.rawKey(user, id.toString(), FilenameSanitizer.sanitize(name));
            h.stowage.s3().client().putObject(r -> r.bucket(raw).key(key), RequestBody.fromFile(f));
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
            h.stowage.files().jdbi().useTransaction(x -> {
                x.execute("insert into accounts (user_id, plan, quota_bytes, used_bytes) values (?, 'free', 10737418240, ?) "
                        + "on conflict (user_id) do update set used_bytes = accounts.used_bytes + excluded.used_bytes", user, size);
                x.execute("""
                        insert into files (id, owner_id, original_name, safe_name, declared_type, detected_type, declared_size, size_bytes,
                          sha256, bucket, object_key, status, scan_result, source, ready_at)
                        values (?, ?, ?, ?, 'application/octet-stream', 'application/octet-stream', ?, ?, ?, ?, ?, 'ready', 'unscanned', 'migration', now())""",
                        id, user, name, FilenameSanitizer.sanitize(name), size, size, sha, raw, key);
            });
            perUser.computeIfAbsent(user, u -> new long[2])[0] += size;
            perUser.get(user)[1]++;
            treeBytes += size;
            treeFiles++;
        }
        // database dumps: in the store, unknown to the files table
        for (int i = 0; i < 3; i++) {
            byte[] dump = new byte[100_000 * (i + 1)];
            int n = i;
            h.stowage.s3().client().putObject(r -> r.bucket(h.config.storage().buckets().backups()).key("db/dump-" + n + ".sql.gz"), RequestBody.fromBytes(dump));
            backupBytes += dump.length;
        }
        // one object archived by a lifecycle rule would be in GLACIER: S3Proxy keeps the class asked for at PUT
        byte[] archived = new byte[2_000_000];
        h.stowage.s3().client().putObject(r -> r.bucket(h.config.storage().buckets().backups()).key("db/archived-2025.sql.gz")
                .storageClass(software.amazon.awssdk.services.s3.model.StorageClass.GLACIER), RequestBody.fromBytes(archived));
        glacierBytes = archived.length;
        // an image through the upload path: its variants land in the processed bucket
        byte[] photo = Files.readAllBytes(TestServers.fixture("images/photos/mate_Storm.jpg"));
        var init = h.call("POST", "/v1/uploads", "2000", Map.of("filename", "storm.jpg", "size", photo.length, "contentType", "image/jpeg"));
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), photo).statusCode()).isEqualTo(200);
        String photoId = init.json().path("fileId").asText();
        h.call("POST", "/v1/uploads/" + photoId + "/complete", "2000", null);
        h.awaitSettled("2000", photoId, Duration.ofSeconds(60));
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (h.stowage.variants().list(java.util.UUID.fromString(photoId)).size() < 3 && System.nanoTime() < end) Thread.sleep(100);
        variantBytes = h.stowage.variants().list(java.util.UUID.fromString(photoId)).stream().mapToLong(v -> v.sizeBytes()).sum();
        assertThat(variantBytes).isPositive();
        perUser.put("2000", new long[] {photo.length + variantBytes, 1});
        treeBytes += photo.length;
        treeFiles++;
        // a snapshot from a day ago, a tenth of today's size: growth to measure
        h.stowage.files().jdbi().useHandle(x -> {
            long sid = x.createUpdate("""
                            insert into cost_snapshots (taken_at, price_table, storage_usd, requests_usd, write_requests, projected_monthly_usd, listed_objects, list_millis)
                            values (:t, 'aws', 0, 0, 0, 0, 1, 1)""").bind("t", Timestamp.from(Instant.now().minus(Duration.ofDays(1))))
                    .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
            x.execute("insert into cost_usage values (?, ?, 'STANDARD', ?, 1, 0, 0)", sid, raw, treeBytes / 10);
        });
        System.out.printf("[CostsIT] store filled from the migration tree: %d files, %d bytes, %d users; backups %d bytes%n",
                treeFiles, treeBytes, perUser.size(), backupBytes);
    }

    static String hmac(String secret, String message) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @Order(1)
    void crossedThresholdsRaiseAlertsWhoseSignedWebhookIsRetriedAfterA500() throws Exception {
        CostReport r = h.stowage.costs().snapshot();
        assertThat(r.alerts()).extracting(CostReport.Alert::kind).contains("monthly_cost", "bucket_bytes", "growth");
        assertThat(r.alerts()).filteredOn(a -> a.kind().equals("bucket_bytes")).extracting(CostReport.Alert::subject)
                .contains(h.config.storage().buckets().raw());
        assertThat(r.alerts()).allMatch(CostReport.Alert::delivered);

        // every delivery verifies with an HMAC computed here, independently of Stowage's code
        for (Received x : received) {
            String body = new String(x.body(), StandardCharsets.UTF_8);
            assertThat(x.signature()).isEqualTo("v1=" + hmac(WEBHOOK_SECRET, x.timestamp() + "." + body));
            assertThat(Long.parseLong(x.timestamp())).isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(60L));
            assertThat(AlertSignature.verify(WEBHOOK_SECRET, x.timestamp(), x.signature(), x.body(), Instant.now(), Duration.ofMinutes(5))).isTrue();
            assertThat(AlertSignature.verify("another-secret-another-secret-0123456", x.timestamp(), x.signature(), x.body(), Instant.now(), Duration.ofMinutes(5))).isFalse();
            JsonNode alert = Harness.JSON.readTree(body);
            assertThat(alert.path("id").asText()).isEqualTo(x.delivery());
            assertThat(alert.path("kind").asText()).isIn("monthly_cost", "bucket_bytes", "growth");
        }
        // the first delivery got a 500 and was sent again, after the backoff, with the same delivery id
        Received first = received.get(0), second = received.get(1);
        assertThat(first.answered()).isEqualTo(500);
        assertThat(second.delivery()).isEqualTo(first.delivery());
        assertThat(second.answered()).isEqualTo(204);
        assertThat(Duration.ofNanos(second.atNanos() - first.atNanos())).isGreaterThanOrEqualTo(BACKOFF);
        long firstId = Long.parseLong(first.delivery());
        int attempts = h.stowage.files().jdbi().withHandle(x -> x.createQuery("select attempts from cost_alerts where id = :id")
                .bind("id", firstId).mapTo(Integer.class).one());
        assertThat(attempts).isEqualTo(2);
        System.out.printf("[CostsIT] webhook: %d requests for %d alerts; first answered 500, retried after %d ms, then 204; all signatures verified%n",
                received.size(), r.alerts().size(), Duration.ofNanos(second.atNanos() - first.atNanos()).toMillis());

        // the same thresholds crossed again within a day raise nothing new
        int before = received.size();
        assertThat(h.stowage.costs().snapshot().alerts()).hasSameSizeAs(r.alerts());
        assertThat(received).hasSize(before);
        assertThat(h.metrics()).contains("stowage_cost_alerts_total{kind=\"growth\"}", "stowage_cost_projected_monthly_usd ",
                "stowage_storage_bytes{bucket=\"" + h.config.storage().buckets().raw() + "\",storage_class=\"STANDARD\"} ");
    }

    @Test
    @Order(2)
    void stowageCostsReportsTheTreeByBucketAndClassWithPricesProjectionAndTopUsers() throws Exception {
        Path yaml = dir.resolve("stowage.yaml");
        var b = h.config.storage().buckets();
        Files.writeString(yaml, """
                storage:
                  provider: embedded
                  endpoint: %s
                  buckets: {raw: %s, processed: %s, backups: %s, logs: %s}
                database:
                  url: "%s"
                  user: postgres
                  pooler: %s
                auth:
                  jwt_secret: %s
                scanner:
                  allow_unscanned: true
                costs:
                  price_table: aws
                """.formatted(TestServers.embeddedS3(), b.raw(), b.processed(), b.backups(), b.logs(), h.config.database().url(),
                h.config.database().pooler().name().toLowerCase(java.util.Locale.ROOT), Harness.SECRET));
        // the CLI reads S3 keys from the AWS SDK's default chain: hand it the embedded server's through system properties
        System.setProperty("aws.accessKeyId", TestServers.S3_KEY);
        System.setProperty("aws.secretAccessKey", TestServers.S3_SECRET);
        String json, text;
        try {
            json = run("costs", "--config", yaml.toString(), "--format", "json");
            text = run("costs", "--config", yaml.toString(), "--cached");
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
        JsonNode r = Harness.JSON.readTree(json);
        JsonNode raw = usage(r, b.raw());
        assertThat(raw.path("storeBytes").asLong()).as("listed bytes of the raw bucket").isEqualTo(treeBytes);
        assertThat(raw.path("storeObjects").asLong()).isEqualTo(treeFiles);
        assertThat(raw.path("databaseBytes").asLong()).as("the database agrees").isEqualTo(treeBytes);
        assertThat(raw.path("databaseObjects").asLong()).isEqualTo(treeFiles);
        JsonNode backups = usage(r, b.backups());
        assertThat(backups.path("storeBytes").asLong()).isEqualTo(backupBytes);
        assertThat(backups.path("databaseObjects").asLong()).as("dumps are unknown to the files table").isZero();
        JsonNode processed = usage(r, b.processed());
        assertThat(processed.path("storeBytes").asLong()).isEqualTo(variantBytes).isEqualTo(processed.path("databaseBytes").asLong());
        assertThat(processed.path("storeObjects").asLong()).isEqualTo(3);
        long all = treeBytes + backupBytes + variantBytes + glacierBytes;
        assertThat(r.at("/totals/bytes").asLong()).isEqualTo(all);
        JsonNode glacier = null;
        for (JsonNode u : r.path("usage")) if (u.path("storageClass").asText().equals("GLACIER")) glacier = u;
        assertThat(glacier).as("the archived dump is listed in its storage class").isNotNull();
        assertThat(glacier.path("storeBytes").asLong()).isEqualTo(glacierBytes);
        // lifecycle: GLACIER at 0.0036 instead of STANDARD at 0.023 USD per GB-month
        assertThat(r.at("/lifecycle/colderBytes").asLong()).isEqualTo(glacierBytes);
        assertThat(r.at("/lifecycle/savingMonthlyUsd").asDouble()).isCloseTo(glacierBytes / (double) (1L << 30) * (0.023 - 0.0036),
                org.assertj.core.data.Offset.offset(0.0002));
        double expected = (all - glacierBytes) / (double) (1L << 30) * 0.023 + glacierBytes / (double) (1L << 30) * 0.0036;
        assertThat(r.at("/totals/storageMonthlyUsd").asDouble()).isCloseTo(expected, org.assertj.core.data.Offset.offset(0.0002));
        assertThat(r.at("/totals/growthBytesPerDay").asLong()).as("against the snapshot of a day ago").isBetween(
                (long) ((all - treeBytes / 10) * 0.95), (long) ((all - treeBytes / 10) * 1.05));
        assertThat(r.at("/totals/projectedMonthlyUsd").asDouble()).isGreaterThan(r.at("/totals/storageMonthlyUsd").asDouble());
        assertThat(r.at("/requests/writes").asLong()).isGreaterThanOrEqualTo(treeFiles);
        assertThat(r.path("priceTable").asText()).isEqualTo("aws");
        // top users: the tree's users by bytes, largest first
        List<String> byBytes = perUser.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0])).map(Map.Entry::getKey).toList();
        List<String> top = new ArrayList<>();
        r.path("topUsers").forEach(u -> top.add(u.path("userId").asText()));
        assertThat(top).isEqualTo(byBytes);
        assertThat(r.path("topUsers").get(0).path("bytes").asLong()).isEqualTo(perUser.get(byBytes.getFirst())[0]);
        assertThat(r.path("history").size()).isGreaterThanOrEqualTo(3);

        assertThat(text).contains(b.raw(), "STANDARD", "monthly cost", "projected", "top users by bytes", byBytes.getFirst(), "bucket_bytes");
        Path sample = Files.createDirectories(TestServers.repoRoot().resolve("target")).resolve("stowage-costs-sample.txt");
        Files.writeString(sample, text);
        System.out.println("[CostsIT] stowage costs (saved to " + sample + "):\n" + text);
    }

    static JsonNode usage(JsonNode report, String bucket) {
        for (JsonNode u : report.path("usage")) if (u.path("bucket").asText().equals(bucket) && u.path("storageClass").asText().equals("STANDARD")) return u;
        throw new AssertionError("no usage of " + bucket + " in " + report);
    }

    static String run(String... args) {
        PrintStream old = System.out;
        var buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        return out;
    }

    @Test
    @Order(3)
    void aSmallListingPageGivesTheSameTotals() {
        String raw = h.config.storage().buckets().raw();
        var paged = new StoreInventory(h.stowage.store(), 7).list(raw);
        var whole = new StoreInventory(h.stowage.store(), 1000).list(raw);
        assertThat(paged.get("STANDARD").bytes()).isEqualTo(treeBytes).isEqualTo(whole.get("STANDARD").bytes());
        assertThat(paged.get("STANDARD").objects()).isEqualTo(treeFiles);
        assertThat(new StoreInventory(h.stowage.store(), 7).list("no-such-bucket-" + System.nanoTime())).isEmpty();
    }

    @Test
    @Order(4)
    void theAdminApiNeedsTheAdminRoleAndAnswersTheNewestReport() throws Exception {
        var refused = Http.get(h.base + "/v1/admin/costs", "Authorization", "Bearer " + Harness.token("zoe", "premium"));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(Harness.JSON.readTree(refused.body()).path("code").asText()).isEqualTo("admin_required");
        String admin = new DevTokens(Harness.SECRET).issue("root", "free", List.of("admin"), Duration.ofMinutes(5));
        var ok = Http.get(h.base + "/v1/admin/costs", "Authorization", "Bearer " + admin);
        assertThat(ok.statusCode()).isEqualTo(200);
        JsonNode r = Harness.JSON.readTree(ok.body());
        assertThat(r.at("/totals/bytes").asLong()).isEqualTo(treeBytes + backupBytes + variantBytes + glacierBytes);
        var page = Http.get(h.base + "/admin/costs");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("/webjars/chart.js/4.4.1/dist/chart.umd.js");
        assertThat(Http.get(h.base + "/webjars/chart.js/4.4.1/dist/chart.umd.js").statusCode()).isEqualTo(200);
    }
}

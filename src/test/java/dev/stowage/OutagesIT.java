package dev.stowage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TcpProxy;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fail fast, heal alone (docs/architecture.md §14): PostgreSQL and the object store are reached through a
 * {@link TcpProxy} each, which the test cuts for a while. During the outage the API answers 503 problem+json
 * with {@code Retry-After} within 2 s to every request that needs the missing dependency (measured); after
 * the restore, without restarting Stowage, uploads begun before or during the outage go through to
 * {@code ready}, and a verification that failed during the outage runs again and completes.
 */
class OutagesIT {
    /** The bound on an answer during an outage. */
    private static final long BOUND_MS = 2000;
    /** How long each outage lasts. */
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    /** Worker heartbeat in these tests: an execution left picked by a failure the database could not record runs again after 6 of them. */
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final byte[] DURING = "initiated during the outage".getBytes(StandardCharsets.UTF_8);

    private record Timed(Harness.Resp resp, long ms) {}

    /**
     * A cold JVM pays the SDK's class loading on its first store call, which can take longer than the 1.5 s
     * deadline of a short call on a busy machine: a few calls first, so the Harness's own bucket setup does not.
     */
    @BeforeAll
    static void warmUp() {
        var storage = new StowageConfig.Storage(dev.stowage.config.Provider.EMBEDDED, TestServers.embeddedS3(), "us-east-1", true,
                TestServers.freshBuckets(), new StowageConfig.Cors(List.of("http://localhost:8080"), Duration.ofHours(1)));
        try (var clients = TestServers.embeddedClients(storage)) {
            var store = new dev.stowage.storage.S3ObjectStore(clients);
            for (int i = 0; i < 20; i++) {
                try {
                    store.buckets().exists(storage.buckets().raw());
                    store.head(storage.buckets().raw(), "warm-up", false);
                } catch (dev.stowage.storage.StoreException e) {
                    // slow while cold: again
                }
            }
        }
    }

    private static Timed timed(Supplier<Harness.Resp> call) {
        long t0 = System.nanoTime();
        var r = call.get();
        return new Timed(r, (System.nanoTime() - t0) / 1_000_000);
    }

    /** Asserts a 503 problem document of {@code code} with Retry-After, answered within the bound; returns its latency. */
    private static long assertUnavailable(String what, Timed t, String code) {
        assertThat(t.resp().status()).as(what + ": " + t.resp().raw().body()).isEqualTo(503);
        assertThat(t.resp().raw().headers().firstValue("Content-Type").orElse("")).as(what).startsWith("application/problem+json");
        assertThat(t.resp().json().path("code").asText()).as(what).isEqualTo(code);
        assertThat(t.resp().raw().headers().firstValue("Retry-After")).as(what).hasValue("5");
        assertThat(t.ms()).as(what + " answered in ms").isLessThan(BOUND_MS);
        return t.ms();
    }

    private static StowageConfig config(TestServers.Proxied p) {
        return ConfigLoader.fromTree(new HashMap<>(), p.env(), StowageConfig.Mode.PRODUCTION);
    }

    private static Map<String, Object> initiation(String name, long size) {
        return Map.of("filename", name, "size", size, "contentType", "text/plain");
    }

    /** Initiates a single-PUT upload of {@code text} and PUTs it (not completed); returns its id. */
    private static String initiateAndPut(Harness h, String user, String name, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        var init = h.call("POST", "/v1/uploads", user, initiation(name, bytes.length));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        return init.json().path("fileId").asText();
    }

    private static Connection direct(TestServers.Proxied p) throws Exception {
        return DriverManager.getConnection(p.directDatabaseUrl(), "postgres", "");
    }

    /** The verify-file execution of a file: picked, consecutive failures; null when there is none. */
    private static int[] verification(TestServers.Proxied p, String fileId) throws Exception {
        try (Connection c = direct(p); var st = c.prepareStatement(
                "select picked, consecutive_failures from scheduled_tasks where task_name = 'verify-file' and task_instance = ?")) {
            st.setString(1, fileId);
            try (var rs = st.executeQuery()) {
                return rs.next() ? new int[] {rs.getBoolean(1) ? 1 : 0, rs.getInt(2)} : null;
            }
        }
    }

    private static long pickedExecutions(TestServers.Proxied p) throws Exception {
        try (Connection c = direct(p); var st = c.createStatement();
             var rs = st.executeQuery("select count(*) from scheduled_tasks where picked and task_name = 'verify-file'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void await(String what, Duration timeout, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > end) throw new AssertionError(what + " did not happen within " + timeout);
            Thread.sleep(50);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }

    /**
     * A complete whose move to {@code uploaded} committed but whose verification was never queued (the database
     * went away between the two statements, found by {@code jobs.MultiNodeFaultIT}): the client's retry of the
     * complete queues it again instead of answering 202 over a file no job will ever verify.
     */
    @Test
    void aCompleteRetriedAfterItsJobWasLostQueuesTheVerificationAgain() throws Exception {
        try (var p = TestServers.throughProxies(Map.of()); var h = Harness.withoutWorker(config(p))) {
            String c = initiateAndPut(h, "alice", "lost.txt", "its job was lost");
            assertThat(h.call("POST", "/v1/uploads/" + c + "/complete", "alice", null).status()).isEqualTo(202);
            assertThat(verification(p, c)).as("queued by the first complete").isNotNull();
            try (Connection db = direct(p); var st = db.prepareStatement(
                    "delete from scheduled_tasks where task_name = 'verify-file' and task_instance = ?")) {
                st.setString(1, c);
                assertThat(st.executeUpdate()).isEqualTo(1);
            }
            var again = h.call("POST", "/v1/uploads/" + c + "/complete", "alice", null);
            assertThat(again.status()).isEqualTo(202);
            assertThat(again.json().path("status").asText()).isEqualTo("uploaded");
            assertThat(verification(p, c)).as("queued again by the retried complete").isNotNull();
            h.stowage.startWorker(2, HEARTBEAT);
            assertThat(h.awaitSettled("alice", c, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("ready");
        }
    }

    @Test
    void aDatabaseOutageAnswers503FastAndHealsAlone() throws Exception {
        try (var p = TestServers.throughProxies(Map.of()); var h = Harness.withoutWorker(config(p))) {
            // before: C completed (its verification waits for a worker), B put but not completed
            String c = initiateAndPut(h, "alice", "c.txt", "verified after the outage");
            assertThat(h.call("POST", "/v1/uploads/" + c + "/complete", "alice", null).status()).isEqualTo(202);
            String b = initiateAndPut(h, "alice", "b.txt", "completed after the outage");

            // C's verification is picked and then fails while PostgreSQL is black-holed: the store is black-holed
            // first so the verification waits at its first store call, then the database goes too
            p.store().cut(TcpProxy.Cut.BLACK_HOLE);
            h.stowage.startWorker(2, HEARTBEAT);
            await("C's verification picked", Duration.ofSeconds(10), () -> {
                int[] v = verification(p, c);
                return v != null && v[0] == 1;
            });
            p.database().cut(TcpProxy.Cut.BLACK_HOLE);
            long cutAt = System.nanoTime();
            // connections used in the last 500 ms before the cut are handed out unchecked (HikariCP's bypass window)
            // and wait for the socket timeout like requests in flight at the cut; requests after that are bounded
            Thread.sleep(600);

            // black-holed for the first half of the outage, then refused (connections reset, new ones refused)
            Map<TcpProxy.Cut, List<Long>> latencies = new java.util.EnumMap<>(TcpProxy.Cut.class);
            do {
                TcpProxy.Cut mode = System.nanoTime() - cutAt < OUTAGE.toNanos() / 2 ? TcpProxy.Cut.BLACK_HOLE : TcpProxy.Cut.REFUSE;
                if (mode == TcpProxy.Cut.REFUSE && !latencies.containsKey(mode)) p.database().cut(mode);
                var l = latencies.computeIfAbsent(mode, k -> new ArrayList<>());
                l.add(assertUnavailable("GET /v1/files", timed(() -> h.call("GET", "/v1/files", "alice", null)), "database_unavailable"));
                l.add(assertUnavailable("POST /v1/uploads",
                        timed(() -> h.call("POST", "/v1/uploads", "alice", initiation("d.txt", 10))), "database_unavailable"));
                l.add(assertUnavailable("GET /v1/files/{id}/content",
                        timed(() -> h.call("GET", "/v1/files/" + b + "/content", "alice", null)), "database_unavailable"));
                l.add(assertUnavailable("POST /v1/uploads/{id}/complete",
                        timed(() -> h.call("POST", "/v1/uploads/" + b + "/complete", "alice", null)), "database_unavailable"));
            } while (System.nanoTime() - cutAt < OUTAGE.toNanos() - Duration.ofSeconds(2).toNanos());
            assertThat(latencies).containsKeys(TcpProxy.Cut.BLACK_HOLE, TcpProxy.Cut.REFUSE);
            var ready = timed(() -> h.call("GET", "/health/ready", null, null));
            assertThat(ready.resp().status()).isEqualTo(503);
            assertThat(ready.resp().json().at("/checks/database/status").asText()).isEqualTo("down");
            System.out.printf("database outage: 503 database_unavailable %s; readiness 503 in %d ms%n", summary(latencies), ready.ms());
            // the verification failed and could not be rescheduled: it is still picked, not lost
            int[] during = verification(p, c);
            assertThat(during).isNotNull();
            assertThat(during[0]).as("picked").isEqualTo(1);
            sleepUntil(cutAt + OUTAGE.toNanos());

            p.store().restore();
            p.database().restore();
            long restoredAt = System.nanoTime();

            // after: no restart; B completes, a new upload goes through, C's verification runs again
            await("the API answers again", Duration.ofSeconds(30), () -> h.call("GET", "/v1/files", "alice", null).status() == 200);
            System.out.printf("database back: API answering %d ms after the restore%n", (System.nanoTime() - restoredAt) / 1_000_000);
            assertThat(h.call("POST", "/v1/uploads/" + b + "/complete", "alice", null).status()).isEqualTo(202);
            String d = initiateAndPut(h, "alice", "d.txt", "begun after the outage");
            assertThat(h.call("POST", "/v1/uploads/" + d + "/complete", "alice", null).status()).isEqualTo(202);
            for (String id : List.of(b, c, d)) {
                assertThat(h.awaitSettled("alice", id, Duration.ofSeconds(45)).path("status").asText()).as(id).isEqualTo("ready");
            }
            System.out.printf("database back: B, C, D ready %d ms after the restore%n", (System.nanoTime() - restoredAt) / 1_000_000);
            await("no verification left picked", Duration.ofSeconds(10), () -> pickedExecutions(p) == 0);
            assertThat(verification(p, c)).as("C's execution is done").isNull();
            assertThat(h.call("GET", "/health/ready", null, null).status()).isEqualTo(200);
            var download = h.call("GET", "/v1/files/" + c + "/content", "alice", null);
            assertThat(download.status()).isEqualTo(302);
            assertThat(Harness.getBytes(download.raw().headers().firstValue("Location").orElseThrow()).body())
                    .isEqualTo("verified after the outage".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aStoreOutageAnswers503FastAndHealsAlone() throws Exception {
        try (var p = TestServers.throughProxies(Map.of()); var h = Harness.withoutWorker(config(p))) {
            // before: R ready, C completed (its verification waits for a worker), B put but not completed
            String r = initiateAndPut(h, "bob", "r.txt", "ready before the outage");
            assertThat(h.call("POST", "/v1/uploads/" + r + "/complete", "bob", null).status()).isEqualTo(202);
            h.stowage.verifier().verify(java.util.UUID.fromString(r));
            String c = initiateAndPut(h, "bob", "c.txt", "verified after the outage");
            assertThat(h.call("POST", "/v1/uploads/" + c + "/complete", "bob", null).status()).isEqualTo(202);
            String b = initiateAndPut(h, "bob", "b.txt", "completed after the outage");

            p.store().cut(TcpProxy.Cut.REFUSE);
            long cutAt = System.nanoTime();
            h.stowage.startWorker(2, HEARTBEAT);

            // refused for the first half of the outage, then black-holed
            Map<TcpProxy.Cut, List<Long>> latencies = new java.util.EnumMap<>(TcpProxy.Cut.class);
            String during = null;
            do {
                TcpProxy.Cut mode = System.nanoTime() - cutAt < OUTAGE.toNanos() / 2 ? TcpProxy.Cut.REFUSE : TcpProxy.Cut.BLACK_HOLE;
                if (mode == TcpProxy.Cut.BLACK_HOLE && !latencies.containsKey(mode)) p.store().cut(mode);
                var l = latencies.computeIfAbsent(mode, k -> new ArrayList<>());
                // calls that need the store: a multipart initiation (CreateMultipartUpload), complete (HEAD)
                l.add(assertUnavailable("POST /v1/uploads (multipart)",
                        timed(() -> h.call("POST", "/v1/uploads", "bob", initiation("big.txt", 20_000_000))), "store_unavailable"));
                l.add(assertUnavailable("POST /v1/uploads/{id}/complete",
                        timed(() -> h.call("POST", "/v1/uploads/" + b + "/complete", "bob", null)), "store_unavailable"));
                // what needs no store still answers, as fast: the list, a download link (presigned), a single-PUT initiation
                var list = timed(() -> h.call("GET", "/v1/files", "bob", null));
                assertThat(list.resp().status()).isEqualTo(200);
                assertThat(list.ms()).isLessThan(BOUND_MS);
                var link = timed(() -> h.call("GET", "/v1/files/" + r + "/content", "bob", null));
                assertThat(link.resp().status()).isEqualTo(302);
                assertThat(link.ms()).isLessThan(BOUND_MS);
                if (during == null) {
                    var init = timed(() -> h.call("POST", "/v1/uploads", "bob", initiation("during.txt", DURING.length)));
                    assertThat(init.resp().status()).isEqualTo(201);
                    assertThat(init.ms()).isLessThan(BOUND_MS);
                    during = init.resp().json().path("fileId").asText();
                    duringUpload = init.resp().json();
                }
            } while (System.nanoTime() - cutAt < OUTAGE.toNanos() - Duration.ofSeconds(2).toNanos());
            assertThat(latencies).containsKeys(TcpProxy.Cut.BLACK_HOLE, TcpProxy.Cut.REFUSE);
            var ready = timed(() -> h.call("GET", "/health/ready", null, null));
            assertThat(ready.resp().status()).isEqualTo(503);
            assertThat(ready.resp().json().at("/checks/object_store/status").asText()).isEqualTo("down");
            System.out.printf("store outage: 503 store_unavailable %s; readiness 503 in %d ms%n", summary(latencies), ready.ms());
            // C's verification failed during the outage and waits for its retry
            int[] v = verification(p, c);
            assertThat(v).as("C's verification is kept").isNotNull();
            assertThat(v[1]).as("C's verification failed").isGreaterThanOrEqualTo(1);
            assertThat(h.call("GET", "/v1/files/" + c, "bob", null).json().path("status").asText()).isIn("uploaded", "verifying");
            sleepUntil(cutAt + OUTAGE.toNanos());

            p.store().restore();
            long restoredAt = System.nanoTime();

            // the URL signed during the outage works now
            assertThat(Harness.put(duringUpload.at("/upload/url").asText(), duringUpload.at("/upload/headers"), DURING).statusCode()).isEqualTo(200);
            assertThat(h.call("POST", "/v1/uploads/" + during + "/complete", "bob", null).status()).isEqualTo(202);
            assertThat(h.call("POST", "/v1/uploads/" + b + "/complete", "bob", null).status()).isEqualTo(202);
            for (String id : List.of(b, during, c)) {
                assertThat(h.awaitSettled("bob", id, Duration.ofSeconds(45)).path("status").asText()).as(id).isEqualTo("ready");
            }
            System.out.printf("store back: B, the upload begun during the outage, and C ready %d ms after the restore%n",
                    (System.nanoTime() - restoredAt) / 1_000_000);
            assertThat(verification(p, c)).as("C's execution is done").isNull();
            assertThat(pickedExecutions(p)).isZero();
            assertThat(h.call("GET", "/health/ready", null, null).status()).isEqualTo(200);
            var big = h.call("POST", "/v1/uploads", "bob", initiation("big.txt", 20_000_000));
            assertThat(big.status()).isEqualTo(201);
        }
    }

    private com.fasterxml.jackson.databind.JsonNode duringUpload;

    private static String summary(Map<TcpProxy.Cut, List<Long>> byMode) {
        var out = new StringBuilder();
        byMode.forEach((mode, l) -> {
            var sorted = l.stream().sorted().toList();
            out.append(out.isEmpty() ? "" : "; ").append(mode.name().toLowerCase(java.util.Locale.ROOT)).append(": ").append(l.size())
                    .append(" answers, median ").append(sorted.get(sorted.size() / 2)).append(" ms, max ").append(sorted.getLast()).append(" ms");
        });
        return out.toString();
    }
}

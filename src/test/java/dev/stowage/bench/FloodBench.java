package dev.stowage.bench;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import dev.stowage.uploads.Reconciler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A one-user flood on the embedded servers ({@code bench/uploads/flood.sh}), with the product's default limits
 * ({@code free}: 100 open uploads, 10 initiations a second in bursts of 50): a backlog of abandoned sessions past
 * their lifetime is inserted first (what a flood before the limits left behind), then one user floods
 * {@code POST /v1/uploads} from C connections for D seconds while another user PUTs an upload and never
 * completes it. The reconciler runs every I seconds as the worker's job does (driven here, to time each pass).
 *
 * <p>Prints: requests accepted and refused (by code), when the other user's upload was handled, the backlog and
 * the time until it was cleared, and the reconciler passes' median and longest time.
 *
 * <p>Arguments: {@code seconds connections backlog intervalSeconds}.
 */
public final class FloodBench {
    private FloodBench() {}

    /**
     * Runs the bench.
     *
     * @param args {@code seconds connections backlog intervalSeconds}
     * @throws Exception when the stack cannot start
     */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int backlog = args.length > 2 ? Integer.parseInt(args[2]) : 52_000;
        int interval = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        StowageConfig base = TestServers.embeddedConfig(Map.of());
        var u = base.uploads();
        // the scheduled pass runs once at start; this bench drives the passes itself, every `interval` seconds
        StowageConfig config = base.withUploads(new StowageConfig.Uploads(u.maxSizeBytes(), u.multipartThresholdBytes(), u.partSizeBytes(),
                u.urlTtl(), u.sessionTtl(), u.downloadUrlTtl(), u.allowedTypes(), u.quotas(), Duration.ofDays(1), u.stagingTtl(),
                StowageConfig.Limits.DEFAULTS, StowageConfig.Reconcile.DEFAULT));
        try (var h = new Harness(config, TestServers.embeddedCredentials())) {
            var jdbi = h.stowage.files().jdbi();
            jdbi.useTransaction(x -> {
                x.execute("insert into accounts (user_id, plan, quota_bytes) values ('abandoned', 'free', 1099511627776)");
                x.execute("""
                        insert into files (id, owner_id, original_name, safe_name, declared_type, declared_size, bucket, object_key, status, created_at, updated_at)
                        select g.id, 'abandoned', 'f.txt', 'f.txt', 'text/plain', 1000, ?, 'abandoned/' || g.id || '/f.txt', 'pending',
                               now() - interval '1 hour', now() - interval '1 hour'
                        from (select gen_random_uuid() as id from generate_series(1, ?)) g""", h.config.storage().buckets().raw(), backlog);
                x.execute("""
                        insert into upload_sessions (file_id, kind, expires_at, created_at)
                        select id, 'single', now() - interval '45 minutes', now() - interval '1 hour' from files where owner_id = 'abandoned'""");
                x.execute("update accounts set reserved_bytes = 1000 * ? where user_id = 'abandoned'", (long) backlog);
            });
            long t0 = System.nanoTime();
            List<Long> passMs = Collections.synchronizedList(new ArrayList<>());
            AtomicLong backlogClearedAt = new AtomicLong(-1);
            AtomicLong aliceHandledAt = new AtomicLong(-1);
            AtomicLong alicePutAt = new AtomicLong(-1);
            String[] aliceId = new String[1];
            long floodEnd = t0 + Duration.ofSeconds(seconds).toNanos();
            long hardEnd = floodEnd + Duration.ofSeconds(180).toNanos();

            Thread reconciler = Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < hardEnd && (System.nanoTime() < floodEnd || backlogClearedAt.get() < 0 || aliceHandledAt.get() < 0)) {
                    Reconciler.Pass p = h.stowage.reconciler().pass(Duration.ofSeconds(30), Duration.ofMinutes(5));
                    passMs.add(p.took().toMillis());
                    long left = jdbi.withHandle(x -> x.createQuery(
                            "select count(*) from files where owner_id = 'abandoned' and status = 'pending'").mapTo(Long.class).one());
                    if (left == 0) backlogClearedAt.compareAndSet(-1, System.nanoTime() - t0);
                    sleep(Duration.ofSeconds(interval).minus(p.took()));
                }
            });
            Thread watcher = Thread.ofPlatform().start(() -> {
                sleep(Duration.ofSeconds(5));
                byte[] bytes = "the other user's bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                var init = h.call("POST", "/v1/uploads", "alice", Map.of("filename", "a.txt", "size", bytes.length, "contentType", "text/plain"));
                if (init.status() != 201) throw new IllegalStateException("alice: " + init.raw().body());
                Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes);
                alicePutAt.set(System.nanoTime() - t0);
                aliceId[0] = init.json().path("fileId").asText();
                while (System.nanoTime() < hardEnd) {
                    String st = h.call("GET", "/v1/files/" + aliceId[0], "alice", null).json().path("status").asText();
                    if (!st.equals("pending")) {
                        aliceHandledAt.set(System.nanoTime() - t0);
                        return;
                    }
                    sleep(Duration.ofMillis(200));
                }
            });

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String token = Harness.token("flooder", "free");
            String body = "{\"filename\":\"flood.txt\",\"size\":1000,\"contentType\":\"text/plain\"}";
            Map<String, LongAdder> byOutcome = new ConcurrentHashMap<>();
            List<Thread> flood = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                flood.add(Thread.ofPlatform().start(() -> {
                    while (System.nanoTime() < floodEnd) {
                        String outcome;
                        try {
                            var r = http.send(HttpRequest.newBuilder(URI.create(h.base + "/v1/uploads")).timeout(Duration.ofSeconds(30))
                                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                            outcome = r.statusCode() == 429 ? "429 " + Harness.JSON.readTree(r.body()).path("code").asText() : String.valueOf(r.statusCode());
                        } catch (Exception e) {
                            outcome = "error";
                        }
                        byOutcome.computeIfAbsent(outcome, k -> new LongAdder()).increment();
                    }
                }));
            }
            for (Thread t : flood) t.join();
            watcher.join();
            reconciler.join();

            long total = byOutcome.values().stream().mapToLong(LongAdder::sum).sum();
            long accepted = byOutcome.getOrDefault("201", new LongAdder()).sum();
            long refused = byOutcome.entrySet().stream().filter(e -> e.getKey().startsWith("429")).mapToLong(e -> e.getValue().sum()).sum();
            System.out.printf(Locale.ROOT, "flood: %d s, %d connections, one user (plan free): %d requests, %d accepted (201), %d refused (429: %s), "
                            + "%d other (%s)%n", seconds, connections, total, accepted, refused,
                    byOutcome.entrySet().stream().filter(e -> e.getKey().startsWith("429")).map(e -> e.getKey().substring(4) + " " + e.getValue().sum()).sorted().toList(),
                    total - accepted - refused, byOutcome.keySet().stream().filter(k -> !k.equals("201") && !k.startsWith("429")).toList());
            long open = jdbi.withHandle(x -> x.createQuery("select count(*) from files where owner_id = 'flooder' and status = 'pending'")
                    .mapTo(Long.class).one());
            System.out.printf(Locale.ROOT, "flooder: %d uploads open after the flood (limit 100)%n", open);
            System.out.printf(Locale.ROOT, "other user: PUT at %.1f s, not completed; handled (left pending) %s; due after 30 s, reconciler every %d s%n",
                    alicePutAt.get() / 1e9, aliceHandledAt.get() < 0 ? "never" : String.format(Locale.ROOT, "%.1f s after the PUT",
                            (aliceHandledAt.get() - alicePutAt.get()) / 1e9), interval);
            System.out.printf(Locale.ROOT, "backlog: %d sessions of one user past their lifetime; cleared %s%n", backlog,
                    backlogClearedAt.get() < 0 ? "not within the run" : String.format(Locale.ROOT, "%.1f s after the start", backlogClearedAt.get() / 1e9));
            List<Long> sorted = new ArrayList<>(passMs);
            Collections.sort(sorted);
            System.out.printf(Locale.ROOT, "reconciler: %d passes, median %d ms, longest %d ms (first %d ms)%n", sorted.size(),
                    sorted.get(sorted.size() / 2), sorted.getLast(), passMs.getFirst());
        }
        System.exit(0);
    }

    private static void sleep(Duration d) {
        if (d.isNegative() || d.isZero()) return;
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

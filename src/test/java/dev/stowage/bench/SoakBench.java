package dev.stowage.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.security.DevTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mixed load against a running Stowage ({@code bench/soak/run.sh}): C closed-loop clients for a given time, each
 * repeating one operation drawn by weight — a text upload (initiate, PUT, complete: 30 %), an image upload
 * (10 %), a file list (30 %), a download ({@code /content} then the presigned GET: 20 %) and a thumbnail
 * ({@code /variants/thumb}, followed: 10 %). Every 60 s and at the end it prints the server's resident memory
 * (KiB) and thread count from {@code /proc/<pid>/status}; at the end, per operation: count, errors, p50 and
 * p99 in milliseconds, and the operations per second of the whole run.
 *
 * <p>Arguments: {@code baseUrl jwtSecret seconds clients serverPid imageFile}. An error is a status other
 * than the operation's success status or an exception; a 429 is counted apart (the per-user limits at work).
 */
public final class SoakBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private static final String[] OPS = {"upload_text", "upload_image", "list", "download", "thumb"};
    private static final int[] WEIGHTS = {30, 10, 30, 20, 10};

    private SoakBench() {}

    private record Sample(String op, long micros, int outcome) {} // outcome 0 ok, 1 error, 2 throttled

    /**
     * Runs the soak and prints its figures.
     *
     * @param args {@code baseUrl jwtSecret seconds clients serverPid imageFile}
     * @throws Exception when the server cannot be reached at all
     */
    public static void main(String[] args) throws Exception {
        String base = args[0];
        var tokens = new DevTokens(args[1]);
        int seconds = Integer.parseInt(args[2]), clients = Integer.parseInt(args[3]);
        long pid = Long.parseLong(args[4]);
        byte[] image = Files.readAllBytes(Path.of(args[5]));

        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        Map<String, List<String>> ready = new ConcurrentHashMap<>(); // user -> file ids (text and image)
        Map<String, List<String>> images = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ops = new AtomicLong();
        System.out.println(proc(pid, "start"));
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            threads.add(Thread.ofPlatform().name("soak-" + c).start(() -> {
                var rnd = ThreadLocalRandom.current();
                while (!stop.get()) {
                    String user = "soak-" + client + "-" + rnd.nextInt(4); // 4 accounts per client
                    String token = tokens.issue(user, "pro", List.of(), Duration.ofHours(2));
                    String op = pick(rnd.nextInt(100));
                    long s = System.nanoTime();
                    int outcome;
                    try {
                        outcome = switch (op) {
                            case "upload_text" -> upload(base, token, user, ("soak " + s + "\n").repeat(20).getBytes(StandardCharsets.UTF_8),
                                    "note.txt", "text/plain", ready, null);
                            case "upload_image" -> upload(base, token, user, image, "photo.jpg", "image/jpeg", ready, images);
                            case "list" -> status(get(base + "/v1/files?limit=50", token), 200);
                            case "download" -> download(base, token, any(ready, user, rnd));
                            default -> thumb(base, token, any(images, user, rnd));
                        };
                    } catch (Exception e) {
                        outcome = 1;
                    }
                    samples.add(new Sample(op, (System.nanoTime() - s) / 1000, outcome));
                    ops.incrementAndGet();
                }
            }));
        }
        long end = t0 + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(60_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            long elapsed = (System.nanoTime() - t0) / 1_000_000_000;
            System.out.println(proc(pid, "t=" + elapsed + "s") + " ops=" + ops.get());
        }
        stop.set(true);
        for (Thread t : threads) t.join(120_000);
        double wall = (System.nanoTime() - t0) / 1e9;
        System.out.println(proc(pid, "end"));
        long total = 0, errors = 0, throttled = 0;
        for (String op : OPS) {
            long[] us = samples.stream().filter(x -> x.op().equals(op) && x.outcome() == 0).mapToLong(Sample::micros).sorted().toArray();
            long err = samples.stream().filter(x -> x.op().equals(op) && x.outcome() == 1).count();
            long thr = samples.stream().filter(x -> x.op().equals(op) && x.outcome() == 2).count();
            total += us.length + err + thr;
            errors += err;
            throttled += thr;
            System.out.printf(Locale.ROOT, "op=%s ok=%d errors=%d throttled=%d p50_ms=%.1f p99_ms=%.1f%n", op, us.length, err, thr,
                    pct(us, 50) / 1000.0, pct(us, 99) / 1000.0);
        }
        System.out.printf(Locale.ROOT, "total ops=%d seconds=%.0f ops_per_s=%.1f error_rate=%.4f%% throttled=%d clients=%d%n", total, wall,
                total / wall, total == 0 ? 0 : 100.0 * errors / total, throttled, clients);
        System.exit(0);
    }

    private static String pick(int r) {
        int acc = 0;
        for (int i = 0; i < OPS.length; i++) {
            acc += WEIGHTS[i];
            if (r < acc) return OPS[i];
        }
        return OPS[0];
    }

    private static String any(Map<String, List<String>> ids, String user, ThreadLocalRandom rnd) {
        List<String> l = ids.get(user);
        if (l == null) return null;
        synchronized (l) {
            return l.isEmpty() ? null : l.get(rnd.nextInt(l.size()));
        }
    }

    private static int upload(String base, String token, String user, byte[] bytes, String name, String type,
                              Map<String, List<String>> ready, Map<String, List<String>> images) throws Exception {
        var init = send("POST", base + "/v1/uploads", token, Map.of("filename", name, "size", bytes.length, "contentType", type));
        if (init.statusCode() == 429) return 2;
        if (init.statusCode() != 201) return 1;
        JsonNode j = JSON.readTree(init.body());
        var put = HttpRequest.newBuilder(URI.create(j.at("/upload/url").asText())).timeout(Duration.ofSeconds(60))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
        j.at("/upload/headers").properties().forEach(e -> put.header(e.getKey(), e.getValue().asText()));
        if (HTTP.send(put.build(), HttpResponse.BodyHandlers.discarding()).statusCode() != 200) return 1;
        String id = j.path("fileId").asText();
        if (send("POST", base + "/v1/uploads/" + id + "/complete", token, null).statusCode() != 202) return 1;
        ready.computeIfAbsent(user, k -> new ArrayList<>());
        List<String> l = ready.get(user);
        synchronized (l) {
            l.add(id);
        }
        if (images != null) {
            images.computeIfAbsent(user, k -> new ArrayList<>());
            List<String> m = images.get(user);
            synchronized (m) {
                m.add(id);
            }
        }
        return 0;
    }

    /** A download: 302 from the API, then the presigned GET read to the end (409 while the file is in flight is fine). */
    private static int download(String base, String token, String id) throws Exception {
        if (id == null) return status(get(base + "/v1/files?limit=1", token), 200);
        var r = get(base + "/v1/files/" + id + "/content", token);
        if (r.statusCode() == 409) return 0;
        if (r.statusCode() != 302) return 1;
        String loc = r.headers().firstValue("location").orElse("");
        var bytes = HTTP.send(HttpRequest.newBuilder(URI.create(loc)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return bytes.statusCode() == 200 ? 0 : 1;
    }

    /** A thumbnail: 302 (followed) or 200 made on the spot; 409 while the image is in flight is fine. */
    private static int thumb(String base, String token, String id) throws Exception {
        if (id == null) return status(get(base + "/v1/usage", token), 200);
        var r = get(base + "/v1/files/" + id + "/variants/thumb", token);
        if (r.statusCode() == 409 || r.statusCode() == 200) return 0;
        if (r.statusCode() != 302) return 1;
        String loc = r.headers().firstValue("location").orElse("");
        URI u = URI.create(base).resolve(loc);
        var bytes = HTTP.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        return bytes.statusCode() == 200 ? 0 : 1;
    }

    private static int status(HttpResponse<?> r, int ok) {
        return r.statusCode() == ok ? 0 : r.statusCode() == 429 ? 2 : 1;
    }

    private static HttpResponse<String> get(String url, String token) throws Exception {
        return send("GET", url, token, null);
    }

    private static HttpResponse<String> send(String method, String url, String token, Object body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token);
        if (body == null) b.method(method, HttpRequest.BodyPublishers.noBody());
        else b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long pct(long[] sorted, int p) {
        if (sorted.length == 0) return 0;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /** {@code label rss_kib=… threads=…} of a process, from {@code /proc/<pid>/status}. */
    private static String proc(long pid, String label) {
        try {
            var lines = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
            String rss = lines.stream().filter(l -> l.startsWith("VmRSS:")).map(l -> l.replaceAll("\\D", "")).findFirst().orElse("?");
            String thr = lines.stream().filter(l -> l.startsWith("Threads:")).map(l -> l.replaceAll("\\D", "")).findFirst().orElse("?");
            return "server " + label + " rss_kib=" + rss + " threads=" + thr;
        } catch (Exception e) {
            return "server " + label + " gone: " + e.getMessage();
        }
    }
}

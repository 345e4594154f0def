package dev.stowage.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.iam.RecordingInterceptor;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The cost of one upload from initiation to {@code ready} on the embedded servers ({@code bench/uploads/roundtrip.sh}):
 * for N text uploads of each size, the S3 requests Stowage makes per upload (counted by the tests' SDK interceptor,
 * {@link RecordingInterceptor}, by operation; presigning is no request and is left out), the requests the client
 * makes (PUT, parts), the median and 90th percentile wall time from {@code POST /v1/uploads} to the first
 * {@code GET /v1/files/{id}} that answers {@code ready} (polled every 2 ms; this includes the worker's wait for the
 * job, up to its 2 s polling interval), and the median time of the verification itself (the worker's
 * {@code stowage.verification} timer: promotion where there is one, download, SHA-256, type, decision). No scanner;
 * the reconciler is kept out.
 *
 * <p>Arguments: {@code N size…}, sizes in bytes (above 10,000,000 bytes an upload is multipart, 5 MiB parts).
 * Prints one line per size.
 */
public final class UploadRoundTripBench {
    private static final int PART = 5 << 20;

    private UploadRoundTripBench() {}

    /**
     * Runs the bench.
     *
     * @param args {@code N size…}
     * @throws Exception when an upload fails
     */
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        List<Integer> sizes = new ArrayList<>();
        for (int i = 1; i < args.length; i++) sizes.add(Integer.parseInt(args[i]));
        if (sizes.isEmpty()) sizes = List.of(1024, 1 << 20, 24 << 20);
        StowageConfig base = TestServers.embeddedConfig(Map.of());
        var u = base.uploads();
        StowageConfig config = base.withUploads(new StowageConfig.Uploads(u.maxSizeBytes(), 10_000_000L, PART, u.urlTtl(), u.sessionTtl(),
                u.downloadUrlTtl(), u.allowedTypes(), Map.of("free", 1L << 40), Duration.ofHours(1)));
        Metrics.addRegistry(new SimpleMeterRegistry());
        var credentials = new RecordingInterceptor.RoleCredentials("bench", TestServers.embeddedCredentials());
        try (var h = new Harness(config, credentials)) {
            for (int size : sizes) {
                run(h, size, 3); // warm-up
                RecordingInterceptor.CALLS.clear();
                Result r = run(h, size, n);
                Map<String, Integer> ops = new TreeMap<>();
                int total = 0;
                for (var c : RecordingInterceptor.of("bench")) {
                    if (c.presigned()) continue;
                    ops.merge(c.operation(), 1, Integer::sum);
                    total++;
                }
                StringBuilder byOp = new StringBuilder();
                for (var e : ops.entrySet()) byOp.append(String.format(Locale.ROOT, " %s=%.1f", e.getKey(), e.getValue() / (double) n));
                System.out.printf(Locale.ROOT, "size=%d kind=%s n=%d stowage_s3_requests_per_upload=%.1f client_requests_per_upload=%d "
                                + "median_ms=%.1f p90_ms=%.1f verify_median_ms=%.1f |%s%n",
                        size, size > 10_000_000 ? "multipart" : "single", n, total / (double) n, r.clientRequests(),
                        percentile(r.ms(), 50), percentile(r.ms(), 90), percentile(r.verifyMs(), 50), byOp);
            }
        }
        System.exit(0);
    }

    private record Result(double[] ms, double[] verifyMs, int clientRequests) {}

    private static double percentile(double[] values, int p) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    /** Total time recorded so far by the verification timer of ready outcomes, in ms. */
    private static double verifiedMs() {
        var t = Metrics.globalRegistry.find("stowage.verification").tag("outcome", "ready").timer();
        return t == null ? 0 : t.totalTime(TimeUnit.NANOSECONDS) / 1e6;
    }

    private static Result run(Harness h, int size, int n) throws Exception {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        for (int i = 0; i < size; i++) bytes[i] = (byte) ('a' + Math.floorMod(bytes[i], 26));
        double[] ms = new double[n];
        double[] verify = new double[n];
        int client = 0;
        for (int i = 0; i < n; i++) {
            double v0 = verifiedMs();
            long t0 = System.nanoTime();
            var init = h.call("POST", "/v1/uploads", "bench" + (i % 8), Map.of("filename", "bench.txt", "size", size, "contentType", "text/plain"));
            if (init.status() != 201) throw new IllegalStateException("initiate: " + init.raw().body());
            String id = init.json().path("fileId").asText();
            String user = "bench" + (i % 8);
            client = 0;
            if (init.json().path("kind").asText().equals("single")) {
                check(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode());
                client++;
            } else {
                int parts = init.json().path("partCount").asInt();
                List<Integer> numbers = new ArrayList<>();
                for (int p = 1; p <= parts; p++) numbers.add(p);
                var asked = h.call("POST", "/v1/uploads/" + id + "/parts", user, partsWithChecksums(bytes, numbers));
                // a build from before part checksums takes the part numbers alone
                if (asked.status() == 400) asked = h.call("POST", "/v1/uploads/" + id + "/parts", user, Map.of("partNumbers", numbers));
                if (asked.status() != 200) throw new IllegalStateException("parts: " + asked.raw().body());
                JsonNode signed = asked.json().path("parts");
                for (JsonNode p : signed) {
                    int from = (p.path("partNumber").asInt() - 1) * PART, to = Math.min(size, from + PART);
                    check(Harness.put(p.path("url").asText(), p.path("headers"), Arrays.copyOfRange(bytes, from, to)).statusCode());
                    client++;
                }
            }
            var done = h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
            if (done.status() >= 300) throw new IllegalStateException("complete: " + done.raw().body());
            while (true) {
                String st = h.call("GET", "/v1/files/" + id, user, null).json().path("status").asText();
                if (st.equals("ready")) break;
                if (!List.of("pending", "uploaded", "verifying", "scanning").contains(st)) throw new IllegalStateException(id + " ended " + st);
                Thread.sleep(2);
            }
            ms[i] = (System.nanoTime() - t0) / 1e6;
            for (int wait = 0; wait < 500 && verifiedMs() == v0; wait++) Thread.sleep(1); // recorded just after the move
            verify[i] = verifiedMs() - v0;
        }
        return new Result(ms, verify, client);
    }

    private static void check(int status) {
        if (status != 200) throw new IllegalStateException("PUT answered " + status);
    }

    /** {@code {"parts":[{"partNumber":n,"sha256":…}]}} for {@code data} cut in parts of {@link #PART} bytes (kept here: the bench also runs on older builds). */
    private static Map<String, Object> partsWithChecksums(byte[] data, List<Integer> numbers) throws Exception {
        var list = new ArrayList<Map<String, Object>>();
        for (int n : numbers) {
            int from = (n - 1) * PART, to = Math.min(data.length, from + PART);
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOfRange(data, from, to));
            list.add(Map.of("partNumber", n, "sha256", java.util.HexFormat.of().formatHex(digest)));
        }
        return Map.of("parts", list);
    }
}

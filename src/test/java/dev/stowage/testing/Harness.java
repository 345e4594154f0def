package dev.stowage.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.security.DevTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A whole Stowage (API + worker) over the embedded test servers with its own buckets and database,
 * plus a small JSON client for its API. Close it after the test.
 */
public final class Harness implements AutoCloseable {
    public static final String SECRET = "test-secret-test-secret-test-secret-0123";
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    public final Stowage stowage;
    public final StowageConfig config;
    public final String base;

    /** Starts with the default test configuration, changed by {@code tweak}. */
    public Harness(Map<String, String> env, UnaryOperator<StowageConfig> tweak) {
        this(tweak.apply(TestServers.embeddedConfig(env)), TestServers.embeddedCredentials());
    }

    /** Starts with a given configuration and S3 credentials (e.g. against Ceph RGW). */
    public Harness(StowageConfig config, software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials) {
        this(config, credentials, 2);
    }

    private Harness(StowageConfig config, software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials, int workerThreads) {
        this.config = config;
        stowage = new Stowage(config, credentials);
        new BucketPlanner(stowage.store(), config.storage()).apply();
        if (workerThreads > 0) stowage.startWorker(workerThreads);
        stowage.startApi(null);
        base = "http://127.0.0.1:" + stowage.api().port();
    }

    /** The API alone, over {@code config}: jobs wait for a worker started elsewhere (another process, or later). */
    public static Harness withoutWorker(StowageConfig config) {
        return new Harness(config, TestServers.embeddedCredentials(), 0);
    }

    /** Starts with a given configuration and S3 credentials, without the background worker. */
    public static Harness withoutWorker(StowageConfig config, software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials) {
        return new Harness(config, credentials, 0);
    }

    /** Starts with the default test configuration over Ceph RGW ({@link TestServers#rgwConfig}). */
    public static Harness onCephRgw() {
        return new Harness(TestServers.rgwConfig(Map.of()), TestServers.rgw().credentials());
    }

    /** Starts with the default test configuration. */
    public Harness() {
        this(Map.of(), c -> c);
    }

    /** The text of {@code /metrics}, scraped with {@link TestServers#METRICS_TOKEN}; must answer 200. */
    public String metrics() {
        var r = Http.get(base + "/metrics", "Authorization", "Bearer " + TestServers.METRICS_TOKEN);
        if (r.statusCode() != 200) throw new AssertionError("/metrics answered " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    /** A bearer token for a user on a plan. */
    public static String token(String user, String plan) {
        return new DevTokens(SECRET).issue(user, plan, List.of(), Duration.ofHours(1));
    }

    /** A response with its JSON body parsed (or null when not JSON). */
    public record Resp(int status, JsonNode json, HttpResponse<String> raw) {}

    /** Calls the API as {@code user}. */
    public Resp call(String method, String path, String user, Object body) {
        return callWithToken(method, path, user == null ? null : token(user, "free"), body);
    }

    /** Calls the API with a bearer token (e.g. one with the admin role), or none. */
    public Resp callWithToken(String method, String path, String bearer, Object body) {
        try {
            var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
            if (bearer != null) b.header("Authorization", "Bearer " + bearer);
            if (body == null) b.method(method, HttpRequest.BodyPublishers.noBody());
            else b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body)));
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode j = null;
            try {
                if (!r.body().isBlank()) j = JSON.readTree(r.body());
            } catch (Exception ignored) {
                // not JSON
            }
            return new Resp(r.statusCode(), j, r);
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + ": " + e, e);
        }
    }

    /**
     * Uploads {@code bytes} as {@code user} the way a browser does (initiate, PUT to the presigned URL,
     * complete) and returns the file id without waiting for verification.
     */
    public String upload(String user, String filename, String contentType, byte[] bytes) {
        var init = call("POST", "/v1/uploads", user, Map.of("filename", filename, "size", bytes.length, "contentType", contentType));
        if (init.status() != 201) throw new AssertionError("initiate " + filename + ": " + init.raw().body());
        var put = put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes);
        if (put.statusCode() != 200) throw new AssertionError("PUT " + filename + ": " + put.statusCode() + " " + put.body());
        String id = init.json().path("fileId").asText();
        var done = call("POST", "/v1/uploads/" + id + "/complete", user, null);
        if (done.status() >= 300) throw new AssertionError("complete " + filename + ": " + done.raw().body());
        return id;
    }

    /**
     * The body of {@code POST /v1/uploads/{id}/parts} for parts of {@code data} cut in {@code partSize} bytes:
     * {@code {"parts":[{"partNumber":n,"sha256":"<hex of that slice>"},…]}}.
     */
    public static Map<String, Object> parts(byte[] data, long partSize, int... numbers) {
        var list = new java.util.ArrayList<Map<String, Object>>();
        for (int n : numbers) {
            int from = (int) ((n - 1) * partSize), to = (int) Math.min(data.length, n * partSize);
            list.add(Map.of("partNumber", n, "sha256", sha256(java.util.Arrays.copyOfRange(data, Math.min(from, data.length), Math.max(to, Math.min(from, data.length))))));
        }
        return Map.of("parts", list);
    }

    /** Lowercase hex SHA-256 of bytes. */
    public static String sha256(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PUTs bytes to a presigned URL with the headers the API listed. */
    public static HttpResponse<String> put(String url, JsonNode headers, byte[] bytes) {
        try {
            var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120)).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
            if (headers != null) headers.properties().forEach(e -> b.header(e.getKey(), e.getValue().asText()));
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("PUT " + url + ": " + e, e);
        }
    }

    /** GETs a URL (e.g. a presigned download) as bytes. */
    public static HttpResponse<byte[]> getBytes(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (Exception e) {
            throw new AssertionError("GET " + url + ": " + e, e);
        }
    }

    /** Uploads a small text file as {@code user} through the API (initiate, PUT, complete), waits until it is ready, returns its id. */
    public String uploadText(String user, String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var init = call("POST", "/v1/uploads", user, Map.of("filename", user + ".txt", "size", bytes.length, "contentType", "text/plain")).json();
        int put = put(init.at("/upload/url").asText(), init.at("/upload/headers"), bytes).statusCode();
        if (put != 200) throw new AssertionError("PUT of " + user + ".txt answered " + put);
        String id = init.path("fileId").asText();
        call("POST", "/v1/uploads/" + id + "/complete", user, null);
        String st = awaitSettled(user, id, Duration.ofSeconds(60)).path("status").asText();
        if (!st.equals("ready")) throw new AssertionError(user + ".txt ended " + st);
        return id;
    }

    /** Polls a file until its status is not in flight, up to {@code timeout}. */
    public JsonNode awaitSettled(String user, String fileId, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode f = null;
        while (System.nanoTime() < end) {
            f = call("GET", "/v1/files/" + fileId, user, null).json();
            String st = f.path("status").asText();
            if (!List.of("pending", "uploaded", "verifying", "scanning").contains(st)) return f;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("file " + fileId + " did not settle within " + timeout + ": " + f);
    }

    /**
     * Polls a bucket until no current object has a key starting with {@code prefix}, up to {@code timeout}.
     * A file's status moves before its objects are removed, so a test that sees {@code rejected} waits here.
     *
     * @return the keys still there when the time ran out (empty once the prefix is clear)
     */
    public List<String> awaitNoObjects(String bucket, String prefix, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> keys = stowage.s3().client().listObjectsV2(r -> r.bucket(bucket).prefix(prefix)).contents()
                    .stream().map(o -> o.key()).toList();
            if (keys.isEmpty() || System.nanoTime() >= end) return keys;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return keys;
            }
        }
    }

    @Override
    public void close() {
        stowage.close();
    }
}

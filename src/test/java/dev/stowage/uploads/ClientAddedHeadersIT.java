package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.S3Clients;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;

/**
 * Client-added headers change nothing (docs/architecture.md §8): a header a client adds to its presigned
 * upload (a public ACL, another storage class, metadata, Content-Disposition, Cache-Control) is refused by
 * the store or has no effect on what Stowage serves, an object is never readable without credentials, and
 * a download is served with Stowage's own type, disposition and caching whatever the object was stored
 * with. On the embedded S3Proxy and on Ceph RGW.
 */
class ClientAddedHeadersIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private static final byte[] TEXT = "0123456789abcdefghijklmnopqrstuvwxyz\nprivate notes\n".getBytes(StandardCharsets.UTF_8);

    /** A running Stowage, its store's endpoint and an administrator's S3 client for the same store. */
    private record Store(Harness h, URI endpoint, S3Clients admin) implements AutoCloseable {
        String raw() {
            return h.config.storage().buckets().raw();
        }

        @Override
        public void close() {
            admin.close();
            h.close();
        }
    }

    private static Store embedded() {
        var h = new Harness(Map.of(), c -> c);
        return new Store(h, TestServers.embeddedS3(), TestServers.embeddedClients(h.config.storage()));
    }

    /** One Stowage over Ceph RGW for the class (a start there costs seconds): each test uses users of its own. */
    private static Store cephStore;

    @AfterAll
    static void closeCeph() {
        if (cephStore != null) cephStore.close();
    }

    private static synchronized Store rgw() {
        if (cephStore == null) cephStore = newRgw();
        return cephStore;
    }

    private static Store newRgw() {
        var rgw = TestServers.rgw();
        StowageConfig config = TestServers.embeddedConfig(Map.of("STORAGE_PROVIDER", "ceph", "S3_ENDPOINT", rgw.endpoint().toString()));
        AwsCredentialsProvider creds = rgw.credentials();
        var h = new Harness(config, creds);
        return new Store(h, rgw.endpoint(), S3Clients.create(config.storage(), creds));
    }

    private static HttpResponse<String> send(String method, String url, Map<String, String> headers, byte[] body) {
        try {
            var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(b::header);
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(method + " " + url + ": " + e, e);
        }
    }

    /** The headers the API said to send, plus {@code extra}. */
    private static Map<String, String> with(JsonNode signed, Map<String, String> extra) {
        Map<String, String> out = new TreeMap<>();
        signed.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        out.putAll(extra);
        return out;
    }

    /** Asserts that no request without credentials reads the object or lists its bucket. */
    private static void anonymousIsRefused(Store s, String key) {
        String object = s.endpoint() + "/" + s.raw() + "/" + key;
        var get = send("GET", object, Map.of(), null);
        assertThat(get.statusCode()).as("anonymous GET %s: %s", key, get.body()).isEqualTo(403);
        assertThat(get.body()).doesNotContain("private notes");
        assertThat(send("HEAD", object, Map.of(), null).statusCode()).as("anonymous HEAD").isEqualTo(403);
        var list = send("GET", s.endpoint() + "/" + s.raw() + "/?list-type=2", Map.of(), null);
        assertThat(list.statusCode()).as("anonymous LIST: %s", list.body()).isEqualTo(403);
        assertThat(list.body()).doesNotContain(key);
    }

    private static JsonNode initiate(Store s, String user, String name) {
        var init = s.h().call("POST", "/v1/uploads", user, Map.of("filename", name, "size", TEXT.length, "contentType", "text/plain"));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        return init.json();
    }

    private static void completeReady(Store s, String user, JsonNode init) {
        String id = init.path("fileId").asText();
        var done = s.h().call("POST", "/v1/uploads/" + id + "/complete", user, null);
        assertThat(done.status()).as(done.raw().body()).isLessThan(300);
        assertThat(s.h().awaitSettled(user, id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");
    }

    /** Stowage's download: the redirect (checked for nosniff) and the response of the URL it points at. */
    private static HttpResponse<String> download(Store s, String user, String id, Map<String, String> query) {
        var content = s.h().call("GET", "/v1/files/" + id + "/content", user, null);
        assertThat(content.status()).as(content.raw().body()).isEqualTo(302);
        assertThat(content.raw().headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        String url = content.raw().headers().firstValue("Location").orElseThrow();
        for (String kv : URI.create(url).getRawQuery().split("&")) {
            int i = kv.indexOf('=');
            query.put(kv.substring(0, i), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
        }
        var got = send("GET", url, Map.of(), null);
        assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
        return got;
    }

    /** Asserts that a download of {@code id} is served as Stowage's text/plain, inline under {@code name}, privately cached. */
    private static void servedAsStowageSays(Store s, String user, String id, String name) {
        Map<String, String> query = new TreeMap<>();
        var got = download(s, user, id, query);
        assertThat(got.body()).isEqualTo(new String(TEXT, StandardCharsets.UTF_8));
        assertThat(got.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        String cd = got.headers().firstValue("Content-Disposition").orElse("");
        assertThat(cd).isEqualTo(query.get("response-content-disposition")).startsWith("inline").contains(name).doesNotContain(".html");
        assertThat(got.headers().firstValue("Cache-Control")).hasValue("private, max-age=300");
    }

    // ---- must-show 4: a public ACL added to the upload

    private static void publicReadAdded(Store s) {
        var init = initiate(s, "olga", "acl.txt");
        String key = init.path("key").asText();
        String url = init.at("/upload/url").asText();
        var hostile = send("PUT", url, with(init.at("/upload/headers"), Map.of("x-amz-acl", "public-read")), TEXT);
        // both stores get a signed x-amz-acl: private, so another value breaks the signature
        assertThat(hostile.statusCode()).as("PUT with x-amz-acl: public-read: %s", hostile.body()).isEqualTo(403);
        anonymousIsRefused(s, key);
        assertThat(send("PUT", url, with(init.at("/upload/headers"), Map.of()), TEXT).statusCode()).isEqualTo(200);
        completeReady(s, "olga", init);
        anonymousIsRefused(s, key);
    }

    @Test
    void aPublicReadAclAddedToAnUploadIsRefusedAndNoObjectIsReadableAnonymously() {
        try (var s = embedded()) {
            publicReadAdded(s);
        }
    }

    @Test
    void aPublicReadAclAddedToAnUploadIsRefusedAndNoObjectIsReadableAnonymouslyOnCephRgw() {
        publicReadAdded(rgw());
    }

    /** The embedded server ignores public ACLs however they arrive: PutObjectAcl, PutBucketAcl, PutObject with an ACL. */
    @Test
    void theEmbeddedServerNeverHonoursAPublicAclSetWithCredentials() {
        try (var s = embedded()) {
            var init = initiate(s, "olga", "granted.txt");
            String key = init.path("key").asText();
            assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), TEXT).statusCode()).isEqualTo(200);
            var c = s.admin().client();
            c.putObjectAcl(r -> r.bucket(s.raw()).key(key).acl(ObjectCannedACL.PUBLIC_READ));
            c.putBucketAcl(r -> r.bucket(s.raw()).acl(BucketCannedACL.PUBLIC_READ));
            anonymousIsRefused(s, key);
            c.putObject(r -> r.bucket(s.raw()).key("olga/public.txt").acl(ObjectCannedACL.PUBLIC_READ).contentType("text/plain"),
                    RequestBody.fromBytes(TEXT));
            anonymousIsRefused(s, "olga/public.txt");
            // a missing key is refused the same way, so an anonymous caller cannot tell which keys exist
            assertThat(send("GET", s.endpoint() + "/" + s.raw() + "/olga/missing.txt", Map.of(), null).statusCode()).isEqualTo(403);
        }
    }

    // ---- must-show 4: another storage class, metadata and response headers added to the upload

    private static void otherHeadersAdded(Store s) {
        var glacier = initiate(s, "pavel", "cold.txt");
        var cold = send("PUT", glacier.at("/upload/url").asText(),
                with(glacier.at("/upload/headers"), Map.of("x-amz-storage-class", "GLACIER")), TEXT);
        assertThat(cold.statusCode()).as("PUT with x-amz-storage-class: GLACIER: %s", cold.body()).isEqualTo(403);
        assertThat(Harness.put(glacier.at("/upload/url").asText(), glacier.at("/upload/headers"), TEXT).statusCode()).isEqualTo(200);
        var head = s.admin().client().headObject(r -> r.bucket(s.raw()).key(glacier.path("key").asText()));
        // S3 leaves x-amz-storage-class out of a HEAD for STANDARD objects
        assertThat(head.storageClassAsString()).isIn(null, "STANDARD");

        var init = initiate(s, "pavel", "notes.txt");
        String url = init.at("/upload/url").asText();
        var put = send("PUT", url, with(init.at("/upload/headers"), Map.of(
                "x-amz-meta-owner", "mallory",
                "Content-Disposition", "inline; filename=\"notes.html\"",
                "Cache-Control", "public, max-age=31536000")), TEXT);
        // unsigned non-x-amz headers may be accepted; if they are, nothing Stowage serves may show them
        if (put.statusCode() != 200) {
            assertThat(put.statusCode()).as(put.body()).isEqualTo(403);
            assertThat(Harness.put(url, init.at("/upload/headers"), TEXT).statusCode()).isEqualTo(200);
        }
        completeReady(s, "pavel", init);
        servedAsStowageSays(s, "pavel", init.path("fileId").asText(), "notes.txt");
        anonymousIsRefused(s, init.path("key").asText());
    }

    @Test
    void aStorageClassMetadataAndResponseHeadersAddedToAnUploadChangeNothingServed() {
        try (var s = embedded()) {
            otherHeadersAdded(s);
        }
    }

    @Test
    void aStorageClassMetadataAndResponseHeadersAddedToAnUploadChangeNothingServedOnCephRgw() {
        otherHeadersAdded(rgw());
    }

    // ---- downloads set their own response headers

    private static void hostileStoredHeaders(Store s) {
        String id = s.h().uploadText("quinn", new String(TEXT, StandardCharsets.UTF_8));
        JsonNode f = s.h().call("GET", "/v1/files/" + id, "quinn", null).json();
        String key = f.path("key").asText(null);
        if (key == null) {
            key = s.admin().client().listObjectsV2(r -> r.bucket(s.raw()).prefix("quinn/")).contents().getFirst().key();
        }
        String k = key;
        s.admin().client().putObject(r -> r.bucket(s.raw()).key(k).contentType("text/html")
                .contentDisposition("inline; filename=\"page.html\"").cacheControl("public, max-age=31536000"), RequestBody.fromBytes(TEXT));
        assertThat(s.admin().client().headObject(r -> r.bucket(s.raw()).key(k)).contentType()).isEqualTo("text/html");
        servedAsStowageSays(s, "quinn", id, "quinn.txt");
    }

    @Test
    void anObjectStoredAsInlineHtmlIsServedWithStowagesTypeAndDisposition() {
        try (var s = embedded()) {
            hostileStoredHeaders(s);
        }
    }

    @Test
    void anObjectStoredAsInlineHtmlIsServedWithStowagesTypeAndDispositionOnCephRgw() {
        hostileStoredHeaders(rgw());
    }
}

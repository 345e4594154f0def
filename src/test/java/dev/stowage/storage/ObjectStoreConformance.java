package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.LifecycleRules;
import dev.stowage.storage.BucketAdmin.CorsRule;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One behaviour suite for every {@link ObjectStore} (docs/architecture.md §9): each subclass runs it
 * against one real store. Operations a provider lacks are skipped only where its {@link ProviderProfile}
 * says the capability is absent, and {@link #profileIsTheProviders()} pins that profile, so a skip can
 * never hide a capability the profile claims.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ObjectStoreConformance {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final int MIB = 1 << 20;

    protected S3Clients clients;
    protected ObjectStore store;
    protected String bucket;
    private final List<String> buckets = new ArrayList<>();

    /** The storage section of the store under test; its raw bucket name is used (created by the suite). */
    protected abstract StowageConfig.Storage storage();

    /** Clients for that storage section. */
    protected abstract S3Clients clients(StowageConfig.Storage storage);

    /** The capabilities this store was measured to have. */
    protected abstract Set<Capability> measured();

    /** Whether this store counts a bucket's objects itself for the suite's credentials ({@link BucketAdmin#usage}). */
    protected abstract boolean countsUsage();

    @BeforeAll
    void open() {
        var storage = storage();
        clients = clients(storage);
        store = new S3ObjectStore(clients);
        bucket = newBucket(storage.buckets().raw());
    }

    @AfterAll
    void close() {
        if (clients == null) return;
        for (String b : buckets) {
            try {
                for (var u : store.multipartUploads(b, null)) store.abortMultipart(b, u.key(), u.uploadId());
                if (store.profile().has(Capability.VERSIONING)) {
                    for (var v : store.versions(b, "")) store.deleteVersion(b, v.key(), v.versionId());
                }
                for (var o : store.list(b, null, 0)) store.delete(b, o.key());
                clients.client().deleteBucket(r -> r.bucket(b));
            } catch (RuntimeException e) {
                System.err.println("could not remove test bucket " + b + ": " + e.getMessage());
            }
        }
        clients.close();
    }

    @Test
    void theProvidersOwnCountOfABucketFollowsItsWritesOrIsAbsent() {
        String b = newBucket("usage-" + UUID.randomUUID().toString().substring(0, 8));
        BucketAdmin admin = store.buckets();
        if (!countsUsage()) {
            assertThat(admin.usage(b)).as("no count from this store: the cost view lists").isEmpty();
            return;
        }
        assertThat(admin.usage(b)).as("an empty bucket").hasValueSatisfying(u -> {
            assertThat(u.objects()).isZero();
            assertThat(u.bytes()).isZero();
        });
        String k1 = key("usage"), k2 = key("usage"), k3 = key("usage");
        store.put(ObjectStore.Put.of(b, k1), new ObjectStore.Body.Bytes(random(1000, 1)));
        store.put(ObjectStore.Put.of(b, k2), new ObjectStore.Body.Bytes(random(2500, 2)));
        store.put(ObjectStore.Put.of(b, k3), new ObjectStore.Body.Bytes(new byte[7]));
        long listedBytes = 0, listedObjects = 0;
        for (var o : store.list(b, null, 0)) {
            listedBytes += o.size();
            listedObjects++;
        }
        var after = admin.usage(b).orElseThrow();
        assertThat(after.objects()).isEqualTo(3).isEqualTo(listedObjects);
        assertThat(after.bytes()).isEqualTo(3507).isEqualTo(listedBytes);
        store.delete(b, k2);
        var deleted = admin.usage(b).orElseThrow();
        assertThat(deleted.objects()).as("counted as written, not from a stale snapshot").isEqualTo(2);
        assertThat(deleted.bytes()).isEqualTo(1007);
    }

    @Test
    void anEmptyObjectIsWrittenAndReadBack() throws IOException {
        String k = key("empty-object");
        store.put(ObjectStore.Put.of(bucket, k).contentType("text/plain"), new ObjectStore.Body.Bytes(new byte[0]));
        assertThat(store.head(bucket, k)).hasValueSatisfying(h -> assertThat(h.size()).isZero());
    }

    private String newBucket(String name) {
        store.buckets().create(name, "us-east-1");
        buckets.add(name);
        return name;
    }

    /** Skips the test unless the profile has the capability (and says what Stowage does instead). */
    private void requires(Capability c) {
        var p = store.profile();
        Assumptions.assumeTrue(p.has(c), () -> p.provider().id() + " has no " + c + " by its profile: " + p.insteadOf(c));
    }

    private static String key(String what) {
        return "conformance/" + what + "/" + UUID.randomUUID();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static HttpResponse<byte[]> send(ObjectStore.Presigned p, byte[] body, Map<String, String> override) throws Exception {
        var b = HttpRequest.newBuilder(p.url()).timeout(Duration.ofSeconds(60))
                .method(p.method(), body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        p.signedHeaders().forEach((k, v) -> {
            String lk = k.toLowerCase(Locale.ROOT);
            if (lk.equals("host") || lk.equals("content-length")) return; // set by the HTTP client
            b.header(k, override.getOrDefault(lk, String.join(",", v)));
        });
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Whether the store refused a presigned request: an error status, or the connection closed before
     * an answer (S3Proxy may stop reading a body whose signature it already refused).
     */
    private static boolean refused(ObjectStore.Presigned p, byte[] body, Map<String, String> override) throws Exception {
        try {
            return send(p, body, override).statusCode() >= 400;
        } catch (IOException e) {
            return true;
        }
    }

    // ---- profile

    @Test
    void profileIsTheProviders() {
        var p = store.profile();
        assertThat(p).isEqualTo(ProviderProfile.of(storage().provider()));
        assertThat(p.capabilities()).as("capabilities of %s", p.provider().id()).containsExactlyInAnyOrderElementsOf(measured());
    }

    // ---- put, head, get

    @Test
    void putThenHeadAndGetGiveBackWhatWasWritten() throws IOException {
        String k = key("put");
        byte[] data = random(10_000, 1);
        var stored = store.put(ObjectStore.Put.of(bucket, k).contentType("application/pdf").cacheControl("public, max-age=60")
                .metadata(Map.of("original-filename", "a%20b.pdf", "uploader-id", "alice")), ObjectStore.Body.of(data));
        assertThat(stored.etag()).isNotBlank();

        var head = store.head(bucket, k).orElseThrow();
        assertThat(head.size()).isEqualTo(data.length);
        assertThat(head.contentType()).isEqualTo("application/pdf");
        assertThat(head.cacheControl()).isEqualTo("public, max-age=60");
        assertThat(head.metadata()).containsEntry("original-filename", "a%20b.pdf").containsEntry("uploader-id", "alice");
        assertThat(head.lastModified()).isNotNull();
        assertThat(store.exists(bucket, k)).isTrue();
        assertThat(store.getBytes(bucket, k)).isEqualTo(data);
        assertThat(read(store.get(bucket, k))).isEqualTo(data);
    }

    @Test
    void missingObjectsAreEmptyForHeadAndNotFoundForGet() {
        String k = key("missing");
        assertThat(store.head(bucket, k)).isEmpty();
        assertThat(store.head(bucket, k, true)).isEmpty();
        assertThat(store.exists(bucket, k)).isFalse();
        assertThatThrownBy(() -> store.get(bucket, k)).isInstanceOfSatisfying(StoreException.class, e -> {
            assertThat(e.notFound()).isTrue();
            assertThat(e.code()).isEqualTo(StoreException.NO_SUCH_KEY);
        });
        assertThatThrownBy(() -> store.getBytes(bucket, k)).isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.notFound()).isTrue());
    }

    @Test
    void everyKindOfBodyIsStoredExactly(@TempDir Path dir) throws IOException {
        byte[] data = random(300_000, 2);
        Path file = dir.resolve("f.bin");
        Files.write(file, data);
        String fromFile = key("file"), fromStream = key("stream"), fromSlice = key("slice");
        store.put(ObjectStore.Put.of(bucket, fromFile), ObjectStore.Body.of(file));
        store.put(ObjectStore.Put.of(bucket, fromStream).contentLength(data.length), ObjectStore.Body.of(new ByteArrayInputStream(data), data.length));
        byte[] padded = new byte[data.length + 200];
        System.arraycopy(data, 0, padded, 100, data.length);
        store.put(ObjectStore.Put.of(bucket, fromSlice).contentType("application/octet-stream").contentLength(data.length),
                ObjectStore.Body.of(padded, 100, data.length));
        for (String k : List.of(fromFile, fromStream, fromSlice)) {
            assertThat(store.getBytes(bucket, k)).as(k).isEqualTo(data);
        }
    }

    @Test
    void aPutWithTheRightSha256IsStored() {
        String k = key("sha");
        byte[] data = "checked bytes".getBytes(StandardCharsets.UTF_8);
        store.put(ObjectStore.Put.of(bucket, k).contentType("text/plain").sha256(sha256(data)), ObjectStore.Body.of(data));
        assertThat(store.getBytes(bucket, k)).isEqualTo(data);
    }

    @Test
    void aPutWithAWrongSha256IsRefusedWhereChecksumsAreStored() {
        requires(Capability.STORED_CHECKSUMS);
        String k = key("badsha");
        byte[] data = "checked bytes".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> store.put(ObjectStore.Put.of(bucket, k).sha256(sha256("other".getBytes(StandardCharsets.UTF_8))),
                ObjectStore.Body.of(data))).isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(store.exists(bucket, k)).isFalse();
    }

    @Test
    void aStoredChecksumIsReportedByHeadWhereChecksumsAreStored() {
        requires(Capability.STORED_CHECKSUMS);
        String k = key("headsha");
        byte[] data = random(1000, 3);
        store.put(ObjectStore.Put.of(bucket, k).sha256(sha256(data)), ObjectStore.Body.of(data));
        assertThat(store.head(bucket, k, true).orElseThrow().sha256()).isIn(sha256(data), null);
    }

    @Test
    void aRangedGetReturnsExactlyTheRange() throws IOException {
        String k = key("range");
        byte[] data = random(1000, 4);
        store.put(ObjectStore.Put.of(bucket, k), ObjectStore.Body.of(data));
        assertThat(read(store.getRange(bucket, k, 100, 199))).isEqualTo(java.util.Arrays.copyOfRange(data, 100, 200));
        assertThat(read(store.getRange(bucket, k, 0, 0))).containsExactly(data[0]);
        assertThat(read(store.getRange(bucket, k, 990, 5000))).as("a range past the end stops at the end")
                .isEqualTo(java.util.Arrays.copyOfRange(data, 990, 1000));
        assertThatThrownBy(() -> read(store.getRange(bucket, k, 1000, 1100)))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.status()).isEqualTo(416));
    }

    // ---- copy, delete

    @Test
    void aCopyKeepsBytesTypeAndMetadata() {
        String src = key("copy-src"), dst = key("copy-dst");
        byte[] data = random(5000, 5);
        store.put(ObjectStore.Put.of(bucket, src).contentType("image/png").metadata(Map.of("sha256", sha256(data), "uploader-id", "bob")),
                ObjectStore.Body.of(data));
        store.copy(bucket, src, bucket, dst);
        var head = store.head(bucket, dst).orElseThrow();
        assertThat(head.size()).isEqualTo(data.length);
        assertThat(head.contentType()).isEqualTo("image/png");
        assertThat(head.metadata()).containsEntry("sha256", sha256(data)).containsEntry("uploader-id", "bob");
        assertThat(store.getBytes(bucket, dst)).isEqualTo(data);
        assertThat(store.exists(bucket, src)).as("the source stays").isTrue();
        assertThatThrownBy(() -> store.copy(bucket, key("nothing"), bucket, key("copy-none")))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.notFound()).isTrue());
    }

    @Test
    void aCopyWithStowagesOwnHeadersKeepsNothingTheWriterSent() {
        boolean tagging = store.profile().has(Capability.OBJECT_TAGGING);
        String src = key("staging-src"), dst = key("promoted");
        byte[] data = random(4000, 6);
        // what a client could send on its PUT: other metadata, type, disposition, caching, tags
        clients.client().putObject(r -> {
            r.bucket(bucket).key(src).contentType("text/html").contentDisposition("attachment; filename=evil.html")
                    .cacheControl("public, max-age=31536000").metadata(Map.of("sha256", "0".repeat(64), "injected", "yes"));
            if (tagging) r.tagging("stowage-state=pending&owner=mallory");
        }, software.amazon.awssdk.core.sync.RequestBody.fromBytes(data));
        var target = ObjectStore.Put.of(bucket, dst).contentType("text/plain").metadata(Map.of("uploader-id", "bob", "sha256", sha256(data)));
        store.copy(bucket, src, data.length, tagging ? target.tagging(ObjectTags.READY_TAG) : target);

        var head = clients.client().headObject(r -> r.bucket(bucket).key(dst));
        assertThat(head.contentType()).isEqualTo("text/plain");
        assertThat(head.metadata()).isEqualTo(Map.of("uploader-id", "bob", "sha256", sha256(data)));
        assertThat(head.contentDisposition()).as("Content-Disposition").isNull();
        assertThat(head.cacheControl()).as("Cache-Control").isNull();
        assertThat(store.getBytes(bucket, dst)).isEqualTo(data);
        if (tagging) assertThat(store.tags(bucket, dst)).isEqualTo(Map.of("stowage-state", "ready"));
        assertThatThrownBy(() -> store.copy(bucket, key("nothing"), 10, ObjectStore.Put.of(bucket, key("copy-none"))))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.notFound()).isTrue());
    }

    @Test
    void anObjectAboveTheCopyThresholdIsCopiedInParts() {
        // the threshold is injected small, so an 11 MiB object takes the path a 6 GiB one takes in production
        ObjectStore small = new S3ObjectStore(clients, MIB, 5L * MIB);
        boolean tagging = store.profile().has(Capability.OBJECT_TAGGING);
        String src = key("big-src"), replaced = key("big-replaced"), kept = key("big-kept");
        byte[] data = random(11 * MIB + 3, 7);
        var put = ObjectStore.Put.of(bucket, src).contentType("application/pdf").metadata(Map.of("uploader-id", "carol"))
                .cacheControl("no-store");
        store.put(tagging ? put.tagging("stowage-state=pending") : put, ObjectStore.Body.of(data));

        var target = ObjectStore.Put.of(bucket, replaced).contentType("application/octet-stream").metadata(Map.of("sha256", sha256(data)));
        small.copy(bucket, src, data.length, tagging ? target.tagging(ObjectTags.READY_TAG) : target);
        var head = store.head(bucket, replaced).orElseThrow();
        assertThat(head.size()).isEqualTo(data.length);
        assertThat(head.etag()).as("assembled from 3 copied parts").endsWith("-3\"");
        assertThat(head.contentType()).isEqualTo("application/octet-stream");
        assertThat(head.metadata()).isEqualTo(Map.of("sha256", sha256(data)));
        assertThat(head.cacheControl()).isNull();
        assertThat(sha256(store.getBytes(bucket, replaced))).isEqualTo(sha256(data));
        if (tagging) assertThat(store.tags(bucket, replaced)).isEqualTo(Map.of("stowage-state", "ready"));

        // the plain copy in parts keeps the source's type, metadata, caching and tags, as a one-request copy does
        small.copy(bucket, src, bucket, kept);
        var keptHead = store.head(bucket, kept).orElseThrow();
        assertThat(keptHead.etag()).endsWith("-3\"");
        assertThat(keptHead.contentType()).isEqualTo("application/pdf");
        assertThat(keptHead.metadata()).isEqualTo(Map.of("uploader-id", "carol"));
        assertThat(keptHead.cacheControl()).isEqualTo("no-store");
        assertThat(sha256(store.getBytes(bucket, kept))).isEqualTo(sha256(data));
        if (tagging) assertThat(store.tags(bucket, kept)).isEqualTo(Map.of("stowage-state", "pending"));
        assertThat(store.multipartUploads(bucket, null)).as("no copy leaves an upload behind").isEmpty();
    }

    @Test
    void deleteRemovesAndDeletingAMissingKeySucceeds() {
        String k = key("delete");
        store.put(ObjectStore.Put.of(bucket, k), ObjectStore.Body.of(new byte[] {1}));
        store.delete(bucket, k);
        assertThat(store.exists(bucket, k)).isFalse();
        store.delete(bucket, k);
        store.delete(bucket, key("never"));
    }

    @Test
    void deleteManyRemovesExactlyTheKeysGiven() {
        String prefix = key("many") + "/";
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            keys.add(prefix + i);
            store.put(ObjectStore.Put.of(bucket, prefix + i), ObjectStore.Body.of(new byte[] {(byte) i}));
        }
        var refused = store.deleteMany(bucket, List.of(keys.get(0), keys.get(2), keys.get(4), prefix + "absent"));
        assertThat(refused).isEmpty();
        assertThat(StreamSupport.stream(store.list(bucket, prefix, 0).spliterator(), false).map(ObjectStore.Listed::key))
                .containsExactly(keys.get(1), keys.get(3), keys.get(5));
        assertThat(store.deleteMany(bucket, List.of())).isEmpty();
    }

    // ---- listing

    @Test
    void listingInSmallPagesReturnsEveryKeyOnceInOrder() {
        String prefix = key("list") + "/";
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            String k = prefix + String.format("%03d", i);
            want.add(k);
            store.put(ObjectStore.Put.of(bucket, k), ObjectStore.Body.of(new byte[i + 1]));
        }
        store.put(ObjectStore.Put.of(bucket, prefix.substring(0, prefix.length() - 1) + "-outside"), ObjectStore.Body.of(new byte[1]));

        List<ObjectStore.Listed> got = new ArrayList<>();
        store.list(bucket, prefix, 5).forEach(got::add);
        assertThat(got).extracting(ObjectStore.Listed::key).containsExactlyElementsOf(want);
        assertThat(got).extracting(ObjectStore.Listed::size).containsExactlyElementsOf(java.util.stream.IntStream.range(1, 24).mapToObj(i -> (long) i).toList());
        assertThat(got).allSatisfy(o -> assertThat(o.lastModified()).isNotNull());

        var first = store.listPage(bucket, prefix, 10, null);
        assertThat(first.objects()).hasSize(10);
        assertThat(first.next()).isNotNull();
        var second = store.listPage(bucket, prefix, 10, first.next());
        var third = store.listPage(bucket, prefix, 10, second.next());
        assertThat(third.objects()).hasSize(3);
        assertThat(third.next()).isNull();
        assertThat(store.list(bucket, key("empty") + "/", 5)).isEmpty();
    }

    @Test
    void listingAMissingBucketIsNoSuchBucket() {
        String missing = "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> store.list(missing, null, 0).iterator().hasNext())
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.code()).isEqualTo(StoreException.NO_SUCH_BUCKET));
    }

    // ---- tagging

    @Test
    void tagsRoundTrip() {
        requires(Capability.OBJECT_TAGGING);
        String k = key("tags");
        store.put(ObjectStore.Put.of(bucket, k).tagging("stowage-state=pending"), ObjectStore.Body.of(new byte[] {1, 2}));
        assertThat(store.tags(bucket, k)).isEqualTo(Map.of("stowage-state", "pending"));
        store.putTags(bucket, k, Map.of("stowage-state", "ready"));
        assertThat(store.tags(bucket, k)).isEqualTo(Map.of("stowage-state", "ready"));
        String copy = key("tags-copy");
        store.copy(bucket, k, bucket, copy);
        assertThat(store.tags(bucket, copy)).as("a copy keeps its tags").isEqualTo(Map.of("stowage-state", "ready"));
    }

    // ---- presigned requests

    @Test
    void aPresignedPutAcceptsExactlyTheSignedRequest() throws Exception {
        String k = key("presign-put");
        byte[] data = "hello".getBytes(StandardCharsets.US_ASCII);
        var put = ObjectStore.Put.of(bucket, k).contentType("text/plain").contentLength(data.length)
                .metadata(Map.of("uploader-id", "carol")).sha256(sha256(data));
        if (store.profile().has(Capability.OBJECT_TAGGING)) put = put.tagging("stowage-state=pending");
        var p = store.presignPut(put, Duration.ofMinutes(5));
        assertThat(p.method()).isEqualTo("PUT");
        assertThat(p.expiresAt()).isAfter(java.time.Instant.now());
        assertThat(p.signedHeaders().keySet().stream().map(h -> h.toLowerCase(Locale.ROOT)))
                .contains("content-type", "content-length", "x-amz-meta-uploader-id", "x-amz-checksum-sha256");

        assertThat(refused(p, data, Map.of("content-type", "image/png"))).as("another Content-Type").isTrue();
        assertThat(refused(p, "hello!".getBytes(StandardCharsets.US_ASCII), Map.of())).as("another length").isTrue();
        assertThat(refused(p, data, Map.of("x-amz-meta-uploader-id", "mallory"))).as("other metadata").isTrue();
        assertThat(refused(p, data, Map.of("x-amz-storage-class", "GLACIER"))).as("another storage class").isTrue();
        if (store.profile().has(Capability.OBJECT_ACLS)) {
            assertThat(p.signedHeaders().entrySet()).anySatisfy(e -> {
                assertThat(e.getKey()).isEqualToIgnoringCase("x-amz-acl");
                assertThat(e.getValue()).containsExactly("private");
            });
            assertThat(refused(p, data, Map.of("x-amz-acl", "public-read"))).as("a public ACL").isTrue();
        }
        assertThat(store.exists(bucket, k)).isFalse();
        if (store.profile().has(Capability.STORED_CHECKSUMS)) {
            assertThat(send(p, "jello".getBytes(StandardCharsets.US_ASCII), Map.of()).statusCode()).as("other bytes, same length")
                    .isEqualTo(400);
            assertThat(store.exists(bucket, k)).isFalse();
        }

        assertThat(send(p, data, Map.of()).statusCode()).isEqualTo(200);
        var head = store.head(bucket, k).orElseThrow();
        assertThat(head.contentType()).isEqualTo("text/plain");
        assertThat(head.metadata()).containsEntry("uploader-id", "carol");
        assertThat(store.getBytes(bucket, k)).isEqualTo(data);
        if (store.profile().has(Capability.OBJECT_TAGGING)) {
            assertThat(store.tags(bucket, k)).isEqualTo(Map.of("stowage-state", "pending"));
        }
    }

    @Test
    void aPresignedGetServesTheObjectWithItsResponseOverrides() throws Exception {
        String k = key("presign-get");
        byte[] data = random(2000, 6);
        store.put(ObjectStore.Put.of(bucket, k).contentType("application/octet-stream"), ObjectStore.Body.of(data));
        String cd = "attachment; filename=\"r.bin\"; filename*=UTF-8''r%C3%A9.bin";
        var p = store.presignGet(bucket, k, Duration.ofMinutes(5), "image/webp", cd);
        assertThat(p.method()).isEqualTo("GET");
        var r = send(p, null, Map.of());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(data);
        assertThat(r.headers().firstValue("content-type")).contains("image/webp");
        assertThat(r.headers().firstValue("content-disposition")).contains(cd);

        var plain = send(store.presignGet(bucket, k, Duration.ofMinutes(5), null, null), null, Map.of());
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.headers().firstValue("content-type")).contains("application/octet-stream");
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(p.url().toString().replace("X-Amz-Signature=", "X-Amz-Signature=0")))
                .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode()).as("a tampered signature").isIn(400, 403);
    }

    // ---- multipart

    @Test
    void aMultipartUploadListsItsPartsAndCompletes() throws Exception {
        String k = key("mpu");
        byte[] one = random(5 * MIB, 7), two = random(5 * MIB, 8), three = random(100, 9);
        String id = store.createMultipart(ObjectStore.Put.of(bucket, k).contentType("application/zip").metadata(Map.of("sha256", "abc")), false);
        assertThat(store.multipartUploads(bucket, k)).extracting(ObjectStore.Upload::key, ObjectStore.Upload::uploadId).containsExactly(
                org.assertj.core.groups.Tuple.tuple(k, id));

        var p1 = store.uploadPart(bucket, k, id, 1, ObjectStore.Body.of(one), null);
        // part 2 through a presigned URL, as a browser sends it
        var url = store.presignUploadPart(bucket, k, id, 2, two.length, null, Duration.ofMinutes(5));
        assertThat(refused(url, random(two.length + 1, 10), Map.of())).as("a part of another length").isTrue();
        assertThat(store.listParts(bucket, k, id)).extracting(ObjectStore.Part::partNumber).containsExactly(1);
        var put2 = send(url, two, Map.of());
        assertThat(put2.statusCode()).isEqualTo(200);
        byte[] padded = new byte[three.length + 10];
        System.arraycopy(three, 0, padded, 5, three.length);
        var p3 = store.uploadPart(bucket, k, id, 3, ObjectStore.Body.of(padded, 5, three.length), null);

        var parts = store.listParts(bucket, k, id);
        assertThat(parts).extracting(ObjectStore.Part::partNumber).containsExactly(1, 2, 3);
        assertThat(parts).extracting(ObjectStore.Part::size).containsExactly((long) one.length, (long) two.length, (long) three.length);
        assertThat(parts.get(0).etag()).isEqualTo(p1.etag());
        assertThat(parts.get(2).etag()).isEqualTo(p3.etag());
        assertThat(parts.get(1).etag()).isEqualTo(put2.headers().firstValue("etag").orElseThrow());

        store.completeMultipart(bucket, k, id, parts);
        byte[] all = new byte[one.length + two.length + three.length];
        System.arraycopy(one, 0, all, 0, one.length);
        System.arraycopy(two, 0, all, one.length, two.length);
        System.arraycopy(three, 0, all, one.length + two.length, three.length);
        var head = store.head(bucket, k).orElseThrow();
        assertThat(head.size()).isEqualTo(all.length);
        assertThat(head.contentType()).isEqualTo("application/zip");
        assertThat(head.metadata()).containsEntry("sha256", "abc");
        assertThat(sha256(store.getBytes(bucket, k))).isEqualTo(sha256(all));
        assertThat(store.multipartUploads(bucket, k)).isEmpty();
        assertNoParts(k, id);
    }

    /** A finished upload has no parts: an empty list or 404, as providers differ (see {@link ObjectStore#listParts}). */
    private void assertNoParts(String k, String id) {
        try {
            assertThat(store.listParts(bucket, k, id)).isEmpty();
        } catch (StoreException e) {
            assertThat(e.notFound()).as(e.getMessage()).isTrue();
        }
    }

    @Test
    void aMultipartUploadWithSha256PartsCompletes() {
        requires(Capability.STORED_CHECKSUMS);
        String k = key("mpu-sha");
        byte[] one = random(5 * MIB, 11), two = random(1000, 12);
        String id = store.createMultipart(ObjectStore.Put.of(bucket, k), true);
        var p1 = store.uploadPart(bucket, k, id, 1, ObjectStore.Body.of(one), sha256(one));
        var p2 = store.uploadPart(bucket, k, id, 2, ObjectStore.Body.of(two), sha256(two));
        assertThatThrownBy(() -> store.uploadPart(bucket, k, id, 3, ObjectStore.Body.of(two), sha256(one)))
                .as("a part whose bytes do not match its SHA-256").isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.status()).isEqualTo(400));
        store.completeMultipart(bucket, k, id, List.of(p1, p2));
        assertThat(store.head(bucket, k).orElseThrow().size()).isEqualTo(one.length + two.length);
    }

    @Test
    void aPresignedPartSignedWithItsSha256RefusesOtherBytesWhereChecksumsAreStored() throws Exception {
        requires(Capability.STORED_CHECKSUMS);
        String k = key("mpu-presigned-sha");
        byte[] one = random(5 * MIB, 14), two = random(700, 15);
        byte[] shifted = java.util.Arrays.copyOfRange(random(5 * MIB + 1, 14), 1, 5 * MIB + 1); // same length, other bytes
        String id = store.createMultipart(ObjectStore.Put.of(bucket, k).contentType("text/plain"), true);
        var url = store.presignUploadPart(bucket, k, id, 1, one.length, sha256(one), Duration.ofMinutes(5));
        assertThat(url.signedHeaders().keySet().stream().map(h -> h.toLowerCase(Locale.ROOT))).contains("x-amz-checksum-sha256");
        assertThat(url.signedHeaders().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("x-amz-checksum-sha256"))
                .findFirst().orElseThrow().getValue()).as("base64 of the raw digest")
                .containsExactly(java.util.Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256(one))));
        var stale = send(url, shifted, Map.of());
        assertThat(stale.statusCode()).as("other bytes of the same length: " + new String(stale.body(), StandardCharsets.UTF_8)).isEqualTo(400);
        assertThat(store.listParts(bucket, k, id)).isEmpty();
        assertThat(send(url, one, Map.of()).statusCode()).isEqualTo(200);
        var p2 = store.uploadPart(bucket, k, id, 2, ObjectStore.Body.of(two), sha256(two));
        var parts = store.listParts(bucket, k, id);
        assertThat(parts).extracting(ObjectStore.Part::partNumber).containsExactly(1, 2);
        assertThat(parts.get(0).sha256()).as("reported where the store lists part checksums").isIn(sha256(one), null);
        store.completeMultipart(bucket, k, id, List.of(new ObjectStore.Part(1, parts.get(0).etag(), one.length, sha256(one)), p2));
        assertThat(sha256(store.getBytes(bucket, k))).isEqualTo(sha256(concat(one, two)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void anAbortedUploadIsGoneFromTheListing() {
        String k = key("abort");
        String id = store.createMultipart(ObjectStore.Put.of(bucket, k).contentType("text/plain"), false);
        store.uploadPart(bucket, k, id, 1, ObjectStore.Body.of(random(1000, 13)), null);
        assertThat(store.multipartUploads(bucket, k)).extracting(ObjectStore.Upload::uploadId).containsExactly(id);
        store.abortMultipart(bucket, k, id);
        assertThat(store.multipartUploads(bucket, k)).isEmpty();
        assertThat(store.exists(bucket, k)).isFalse();
        assertNoParts(k, id);
        assertThatThrownBy(() -> store.abortMultipart(bucket, k, id)).isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.notFound()).isTrue());
        assertThatThrownBy(() -> store.completeMultipart(bucket, k, id, List.of(new ObjectStore.Part(1, "\"x\"", 0, null))))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.answered()).isTrue());
    }

    // ---- versions

    @Test
    void versionsAndDeleteMarkersCanBeListedAndRemoved() {
        requires(Capability.VERSIONING);
        String vb = newBucket(bucket.replace("raw-", "ver-"));
        store.buckets().setVersioning(vb, true);
        assertThat(store.buckets().versioning(vb)).isEqualTo("Enabled");
        String k = key("versions");
        var first = store.put(ObjectStore.Put.of(vb, k), ObjectStore.Body.of(new byte[] {1}));
        var second = store.put(ObjectStore.Put.of(vb, k), ObjectStore.Body.of(new byte[] {2}));
        assertThat(first.versionId()).isNotBlank().isNotEqualTo(second.versionId());
        var marker = store.delete(vb, k);
        assertThat(marker.deleteMarker()).isTrue();
        assertThat(marker.versionId()).isNotBlank();
        assertThat(store.exists(vb, k)).isFalse();

        var versions = store.versions(vb, k);
        assertThat(versions).extracting(ObjectStore.Version::versionId)
                .containsExactlyInAnyOrder(first.versionId(), second.versionId(), marker.versionId());
        assertThat(versions).filteredOn(ObjectStore.Version::deleteMarker).extracting(ObjectStore.Version::versionId).containsExactly(marker.versionId());

        store.deleteVersion(vb, k, marker.versionId());
        assertThat(store.getBytes(vb, k)).containsExactly(2);
        for (var v : store.versions(vb, k)) store.deleteVersion(vb, k, v.versionId());
        assertThat(store.versions(vb, k)).isEmpty();
    }

    // ---- bucket settings

    @Test
    void bucketExistence() {
        assertThat(store.buckets().exists(bucket)).isTrue();
        assertThat(store.buckets().exists("no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8))).isFalse();
        store.buckets().create(bucket, "us-east-1"); // ours already: fine
    }

    @Test
    void lifecycleRulesRoundTrip() {
        requires(Capability.LIFECYCLE);
        var settings = StowageConfig.BucketSettings.DEFAULT.raw();
        var want = LifecycleRules.desired(settings, store.profile()).rules();
        assertThat(want).isNotEmpty();
        store.buckets().setLifecycle(bucket, want);
        assertThat(LifecycleRules.same(store.buckets().lifecycle(bucket), want)).as("%s", store.buckets().lifecycle(bucket)).isTrue();
        store.buckets().deleteLifecycle(bucket);
        assertThat(store.buckets().lifecycle(bucket)).isEmpty();
    }

    @Test
    void corsRulesRoundTrip() {
        requires(Capability.PER_BUCKET_CORS);
        var rule = new CorsRule("conformance", List.of("https://app.example.com"), List.of("GET", "PUT"),
                List.of("content-type"), List.of("ETag"), 600);
        store.buckets().setCors(bucket, List.of(rule));
        var got = store.buckets().cors(bucket);
        assertThat(got).hasSize(1);
        assertThat(got.getFirst().allowedOrigins()).containsExactly("https://app.example.com");
        assertThat(got.getFirst().allowedMethods()).containsExactlyInAnyOrder("GET", "PUT");
        assertThat(got.getFirst().exposeHeaders()).containsExactly("ETag");
        assertThat(got.getFirst().maxAgeSeconds()).isEqualTo(600);
        store.buckets().deleteCors(bucket);
        assertThat(store.buckets().cors(bucket)).isEmpty();
    }

    @Test
    void bucketPolicyRoundTrip() {
        requires(Capability.BUCKET_POLICY);
        String doc = """
                {"Version":"2012-10-17","Statement":[{"Sid":"conformance","Effect":"Deny","Principal":"*","Action":"s3:GetObject",\
                "Resource":"arn:aws:s3:::%s/forbidden/*"}]}""".formatted(bucket);
        assertThat(store.buckets().policy(bucket)).isNull();
        store.buckets().setPolicy(bucket, doc);
        assertThat(store.buckets().policy(bucket)).contains("conformance");
        store.buckets().deletePolicy(bucket);
        assertThat(store.buckets().policy(bucket)).isNull();
    }
}

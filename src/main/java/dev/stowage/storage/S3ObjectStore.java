package dev.stowage.storage;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.CredentialUtils;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.presigner.PresignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.TaggingDirective;

/**
 * {@link ObjectStore} over the AWS SDK v2 clients of {@link S3Clients}, for every provider (AWS, MinIO,
 * R2, Ceph RGW, the embedded S3Proxy). The one place, with {@link S3BucketAdmin}, where Stowage calls the
 * S3 API. SDK exceptions become {@link StoreException}s with the same status, error code and message.
 */
public final class S3ObjectStore implements ObjectStore {
    /** Largest object S3's CopyObject copies in one request (5 GiB); larger ones are copied in parts. */
    public static final long MAX_SINGLE_COPY_BYTES = 5L << 30;
    /** Part size of a multipart copy by default (512 MiB: 10,000 parts cover 5 TiB, S3's largest object). */
    public static final long DEFAULT_COPY_PART_BYTES = 512L << 20;

    private final S3Clients s3;
    private final S3BucketAdmin buckets;
    private final long multipartCopyThreshold;
    private final long copyPartSize;
    /** The client's credentials, looked up once (the client's configuration object is built anew on each call). */
    private final software.amazon.awssdk.identity.spi.IdentityProvider<? extends AwsCredentialsIdentity> credentials;
    private final PutPresigner putPresigner;

    /** @param s3 clients for the configured provider (closed by whoever made them) */
    public S3ObjectStore(S3Clients s3) {
        this(s3, MAX_SINGLE_COPY_BYTES, DEFAULT_COPY_PART_BYTES);
    }

    /**
     * A store with its own multipart-copy sizes (the conformance suite copies small objects in parts).
     *
     * @param s3                     clients for the configured provider (closed by whoever made them)
     * @param multipartCopyThreshold objects larger than this many bytes are copied in parts (1 to 5 GiB)
     * @param copyPartSize           bytes per copied part but the last (5 MiB to 5 GiB)
     */
    public S3ObjectStore(S3Clients s3, long multipartCopyThreshold, long copyPartSize) {
        if (multipartCopyThreshold < 1 || multipartCopyThreshold > MAX_SINGLE_COPY_BYTES) {
            throw new IllegalArgumentException("multipartCopyThreshold must be 1 byte to 5 GiB, got " + multipartCopyThreshold);
        }
        if (copyPartSize < (5L << 20) || copyPartSize > MAX_SINGLE_COPY_BYTES) {
            throw new IllegalArgumentException("copyPartSize must be 5 MiB to 5 GiB, got " + copyPartSize);
        }
        this.s3 = s3;
        this.buckets = new S3BucketAdmin(s3);
        this.multipartCopyThreshold = multipartCopyThreshold;
        this.copyPartSize = copyPartSize;
        var conf = s3.client().serviceClientConfiguration();
        this.credentials = conf.credentialsProvider();
        this.putPresigner = new PutPresigner(conf.region().id(), this::probeUrl, java.time.Clock.systemUTC());
    }

    /** The SDK presigner's URL of a PUT of {@link PutPresigner#PROBE_KEY} in a bucket: where its objects go. */
    private java.net.URI probeUrl(String bucket) {
        try {
            return s3.presigner().presignPutObject(p -> p.signatureDuration(Duration.ofMinutes(1))
                    .putObjectRequest(r -> r.bucket(bucket).key(PutPresigner.PROBE_KEY))).url().toURI();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("the SDK made an invalid URL for bucket " + bucket, e);
        }
    }

    @Override
    public ProviderProfile profile() {
        return s3.profile();
    }

    @Override
    public boolean signsPayloads() {
        return s3.signsPayloads();
    }

    @Override
    public BucketAdmin buckets() {
        return buckets;
    }

    /** Runs one SDK call, its exceptions translated. */
    static <T> T call(Supplier<T> c) {
        try {
            return c.get();
        } catch (SdkException e) {
            throw translate(e);
        }
    }

    static void run(Runnable c) {
        call(() -> {
            c.run();
            return null;
        });
    }

    static StoreException translate(SdkException e) {
        if (e instanceof S3Exception s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            return new StoreException(s.statusCode(), code, s.getMessage(), e);
        }
        return new StoreException(0, null, e.getMessage(), e);
    }

    private static String base64(String hex) {
        return hex == null ? null : Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    }

    private static String hex(String base64) {
        return base64 == null ? null : HexFormat.of().formatHex(Base64.getDecoder().decode(base64));
    }

    private static RequestBody body(Body b, String contentType) {
        return switch (b) {
            case Body.Bytes x -> RequestBody.fromBytes(x.bytes());
            case Body.Slice x -> RequestBody.fromContentProvider(x::open, x.count(), contentType == null ? "application/octet-stream" : contentType);
            case Body.File f -> RequestBody.fromFile(f.path());
            case Body.Stream st -> RequestBody.fromInputStream(st.in(), st.length());
        };
    }

    @Override
    public Stored put(Put p, Body body) {
        S3Client client = body.length() == 0 ? s3.unchunked() : s3.client();
        var resp = call(() -> client.putObject(r -> {
            r.bucket(p.bucket()).key(p.key());
            if (p.contentType() != null) r.contentType(p.contentType());
            if (p.contentLength() != null) r.contentLength(p.contentLength());
            if (!p.metadata().isEmpty()) r.metadata(p.metadata());
            if (p.cacheControl() != null) r.cacheControl(p.cacheControl());
            if (p.tagging() != null) r.tagging(p.tagging());
            if (p.sha256() != null) r.checksumSHA256(base64(p.sha256()));
        }, body(body, p.contentType())));
        return new Stored(resp.eTag(), resp.versionId());
    }

    @Override
    public void copy(String sourceBucket, String sourceKey, String bucket, String key) {
        Head h = head(sourceBucket, sourceKey).orElse(null);
        if (h == null || h.size() <= multipartCopyThreshold) {
            // one request: the store copies metadata and tags itself (a missing source answers 404 here)
            run(() -> s3.client().copyObject(r -> r.sourceBucket(sourceBucket).sourceKey(sourceKey)
                    .destinationBucket(bucket).destinationKey(key)));
            return;
        }
        Put target = Put.of(bucket, key).contentType(h.contentType()).metadata(h.metadata()).cacheControl(h.cacheControl());
        if (profile().has(Capability.OBJECT_TAGGING)) {
            Map<String, String> tags = tags(sourceBucket, sourceKey);
            if (!tags.isEmpty()) target = target.tagging(ObjectTags.query(tags));
        }
        copyInParts(sourceBucket, sourceKey, h.size(), target);
    }

    @Override
    public void copy(String sourceBucket, String sourceKey, long sourceSize, Put t) {
        if (sourceSize > multipartCopyThreshold) {
            copyInParts(sourceBucket, sourceKey, sourceSize, t);
            return;
        }
        run(() -> s3.client().copyObject(r -> {
            r.sourceBucket(sourceBucket).sourceKey(sourceKey).destinationBucket(t.bucket()).destinationKey(t.key())
                    .metadataDirective(MetadataDirective.REPLACE);
            if (t.contentType() != null) r.contentType(t.contentType());
            if (!t.metadata().isEmpty()) r.metadata(t.metadata());
            if (t.cacheControl() != null) r.cacheControl(t.cacheControl());
            if (profile().has(Capability.OBJECT_TAGGING)) {
                r.taggingDirective(TaggingDirective.REPLACE);
                if (t.tagging() != null) r.tagging(t.tagging());
            }
        }));
        tagAfterCopy(t);
    }

    /**
     * Sets the target's tags once more after a copy: Ceph RGW 16 drops the tags of a CopyObject with
     * {@code x-amz-tagging-directive: REPLACE} and of a CreateMultipartUpload (measured by the conformance suite).
     */
    private void tagAfterCopy(Put t) {
        if (t.tagging() == null || !profile().has(Capability.OBJECT_TAGGING)) return;
        Map<String, String> tags = new LinkedHashMap<>();
        for (String pair : t.tagging().split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq), v = eq < 0 ? "" : pair.substring(eq + 1);
            tags.put(java.net.URLDecoder.decode(k, java.nio.charset.StandardCharsets.UTF_8),
                    java.net.URLDecoder.decode(v, java.nio.charset.StandardCharsets.UTF_8));
        }
        putTags(t.bucket(), t.key(), tags);
    }

    /** A multipart upload of UploadPartCopy ranges of {@code copyPartSize} bytes; aborted when a part fails. */
    private void copyInParts(String sourceBucket, String sourceKey, long size, Put target) {
        String uploadId = createMultipart(target, false);
        try {
            List<Part> parts = new ArrayList<>();
            int n = 1;
            for (long first = 0; first < size; first += copyPartSize, n++) {
                long last = Math.min(first + copyPartSize, size) - 1;
                final int number = n;
                final String range = "bytes=" + first + "-" + last;
                var resp = call(() -> s3.client().uploadPartCopy(r -> r.sourceBucket(sourceBucket).sourceKey(sourceKey)
                        .destinationBucket(target.bucket()).destinationKey(target.key()).uploadId(uploadId)
                        .partNumber(number).copySourceRange(range)));
                parts.add(new Part(number, resp.copyPartResult().eTag(), last - first + 1, null));
            }
            completeMultipart(target.bucket(), target.key(), uploadId, parts);
        } catch (RuntimeException e) {
            try {
                abortMultipart(target.bucket(), target.key(), uploadId);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        tagAfterCopy(target);
    }

    @Override
    public Deleted delete(String bucket, String key) {
        var resp = call(() -> s3.shortCalls().deleteObject(d -> d.bucket(bucket).key(key)));
        return new Deleted(resp.versionId(), Boolean.TRUE.equals(resp.deleteMarker()));
    }

    @Override
    public Deleted deleteVersion(String bucket, String key, String versionId) {
        var resp = call(() -> s3.shortCalls().deleteObject(d -> d.bucket(bucket).key(key).versionId(versionId)));
        return new Deleted(resp.versionId(), Boolean.TRUE.equals(resp.deleteMarker()));
    }

    @Override
    public Map<String, String> deleteMany(String bucket, List<String> keys) {
        if (keys.isEmpty()) return Map.of();
        if (keys.size() > 1000) throw new IllegalArgumentException("at most 1,000 keys per request, got " + keys.size());
        var ids = keys.stream().map(k -> ObjectIdentifier.builder().key(k).build()).toList();
        var resp = call(() -> s3.client().deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(ids).quiet(true))));
        Map<String, String> refused = new LinkedHashMap<>();
        for (var e : resp.errors()) refused.put(e.key(), e.code());
        return refused;
    }

    @Override
    public Optional<Head> head(String bucket, String key, boolean checksums) {
        try {
            var h = call(() -> s3.shortCalls().headObject(r -> {
                r.bucket(bucket).key(key);
                if (checksums) r.checksumMode(ChecksumMode.ENABLED);
            }));
            return Optional.of(new Head(h.contentLength() == null ? 0 : h.contentLength(), h.contentType(), h.cacheControl(),
                    h.eTag(), h.lastModified(), Map.copyOf(h.metadata()), h.versionId(), hex(h.checksumSHA256())));
        } catch (StoreException e) {
            if (e.notFound()) return Optional.empty();
            throw e;
        }
    }

    @Override
    public InputStream get(String bucket, String key) {
        return call(() -> s3.client().getObject(r -> r.bucket(bucket).key(key)));
    }

    @Override
    public InputStream getRange(String bucket, String key, long first, long last) {
        if (first < 0 || last < first) throw new IllegalArgumentException("bad range " + first + "-" + last);
        return call(() -> s3.client().getObject(r -> r.bucket(bucket).key(key).range("bytes=" + first + "-" + last)));
    }

    @Override
    public byte[] getBytes(String bucket, String key) {
        return call(() -> s3.client().getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray());
    }

    @Override
    public Page listPage(String bucket, String prefix, int pageSize, String after) {
        return listPage(bucket, prefix, pageSize, after, ListingGuard.of("ListObjectsV2", bucket, prefix, Long.MAX_VALUE));
    }

    /** One page of ListObjectsV2, checked by {@code guard} (one guard for the pages of one listing). */
    private Page listPage(String bucket, String prefix, int pageSize, String after, ListingGuard guard) {
        var resp = call(() -> s3.client().listObjectsV2(r -> {
            r.bucket(bucket);
            if (prefix != null) r.prefix(prefix);
            if (pageSize > 0) r.maxKeys(pageSize);
            if (after != null) r.continuationToken(after);
        }));
        boolean truncated = Boolean.TRUE.equals(resp.isTruncated());
        guard.page(after, resp.contents().stream().map(S3Object::key).toList(), truncated, resp.nextContinuationToken());
        List<Listed> out = new ArrayList<>(resp.contents().size());
        for (S3Object o : resp.contents()) {
            out.add(new Listed(o.key(), o.size() == null ? 0 : o.size(), o.lastModified(), o.eTag(), o.storageClassAsString()));
        }
        return new Page(out, truncated ? resp.nextContinuationToken() : null);
    }

    @Override
    public Iterable<Listed> list(String bucket, String prefix, int pageSize) {
        return () -> new Iterator<>() {
            private final ListingGuard guard = ListingGuard.of("ListObjectsV2", bucket, prefix, Long.MAX_VALUE);
            private Iterator<Listed> page = List.<Listed>of().iterator();
            private String next;
            private boolean started;

            @Override
            public boolean hasNext() {
                while (!page.hasNext()) {
                    if (started && next == null) return false;
                    Page p = listPage(bucket, prefix, pageSize, next, guard);
                    started = true;
                    next = p.next();
                    page = p.objects().iterator();
                }
                return true;
            }

            @Override
            public Listed next() {
                if (!hasNext()) throw new NoSuchElementException();
                return page.next();
            }
        };
    }

    @Override
    public List<Version> versions(String bucket, String prefix) {
        var page = call(() -> s3.shortCalls().listObjectVersions(r -> r.bucket(bucket).prefix(prefix)));
        List<Version> out = new ArrayList<>();
        for (var v : page.versions()) out.add(new Version(v.key(), v.versionId(), false, Boolean.TRUE.equals(v.isLatest())));
        for (var m : page.deleteMarkers()) out.add(new Version(m.key(), m.versionId(), true, Boolean.TRUE.equals(m.isLatest())));
        return out;
    }

    @Override
    public VersionPage versionsPage(String bucket, String prefix, int pageSize, String keyMarker, String versionIdMarker) {
        var resp = call(() -> s3.client().listObjectVersions(r -> {
            r.bucket(bucket).maxKeys(Math.max(1, Math.min(pageSize, 1000)));
            if (prefix != null) r.prefix(prefix);
            if (keyMarker != null) r.keyMarker(keyMarker);
            if (keyMarker != null && versionIdMarker != null) r.versionIdMarker(versionIdMarker);
        }));
        boolean truncated = Boolean.TRUE.equals(resp.isTruncated());
        List<String> ids = new ArrayList<>();
        for (var v : resp.versions()) ids.add(ListingGuard.marker(v.key(), v.versionId()));
        for (var m : resp.deleteMarkers()) ids.add(ListingGuard.marker(m.key(), m.versionId()));
        ListingGuard.of("ListObjectVersions", bucket, prefix, Long.MAX_VALUE).page(keyMarker == null ? null : ListingGuard.marker(keyMarker, versionIdMarker),
                ids, truncated, resp.nextKeyMarker() == null ? null : ListingGuard.marker(resp.nextKeyMarker(), resp.nextVersionIdMarker()));
        // the response keeps versions and delete markers apart: merge them back into the listing's order
        List<VersionEntry> out = new ArrayList<>();
        for (var v : resp.versions()) out.add(new VersionEntry(v.key(), v.versionId(), false, Boolean.TRUE.equals(v.isLatest()), v.lastModified()));
        for (var m : resp.deleteMarkers()) out.add(new VersionEntry(m.key(), m.versionId(), true, Boolean.TRUE.equals(m.isLatest()), m.lastModified()));
        out.sort(java.util.Comparator.comparing(VersionEntry::key)
                .thenComparing(VersionEntry::latest, java.util.Comparator.reverseOrder())
                .thenComparing(VersionEntry::lastModified, java.util.Comparator.nullsLast(java.util.Comparator.reverseOrder())));
        boolean more = truncated;
        return new VersionPage(out, more ? resp.nextKeyMarker() : null, more ? resp.nextVersionIdMarker() : null);
    }

    @Override
    public Map<String, String> tags(String bucket, String key) {
        var set = call(() -> s3.shortCalls().getObjectTagging(r -> r.bucket(bucket).key(key)).tagSet());
        Map<String, String> out = new LinkedHashMap<>();
        for (Tag t : set) out.put(t.key(), t.value());
        return out;
    }

    @Override
    public void putTags(String bucket, String key, Map<String, String> tags) {
        List<Tag> set = tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
        // each attempt under its own deadline (S3Clients.smallBody), all attempts under three of them
        run(() -> s3.client().putObjectTagging(r -> r.bucket(bucket).key(key).tagging(t -> t.tagSet(set))
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(s3.smallBody()).apiCallTimeout(s3.smallBody().multipliedBy(3)))));
    }

    private static Presigned presigned(PresignedRequest p) {
        try {
            return new Presigned(p.httpRequest().method().name(), p.url().toURI(), p.signedHeaders(), p.expiration());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("the SDK made an invalid URL: " + p.url(), e);
        }
    }

    /**
     * The credentials to sign with, resolved once, and the lifetime capped by their expiry ({@link PresignLifetime}):
     * the URL is signed with exactly the credentials whose expiry capped it.
     */
    private record Signing(Duration ttl, AwsCredentialsIdentity identity) {
        /** The SDK presigner's override that pins {@link #identity}. */
        AwsRequestOverrideConfiguration credentials() {
            return AwsRequestOverrideConfiguration.builder()
                    .credentialsProvider(StaticCredentialsProvider.create(CredentialUtils.toCredentials(identity))).build();
        }
    }

    private Signing signing(Duration requested) {
        AwsCredentialsIdentity id = identity();
        return new Signing(PresignLifetime.cap(requested, java.time.Instant.now(), id.expirationTime()), id);
    }

    private AwsCredentialsIdentity identity() {
        return software.amazon.awssdk.utils.CompletableFutureUtils.joinLikeSync(credentials.resolveIdentity());
    }

    /** Signed by {@link PutPresigner}: the SDK's SigV4 signer without its presigner's pipeline. */
    @Override
    public Presigned presignPut(Put put, Duration requested) {
        return call(() -> {
            Signing sig = signing(requested);
            var signed = putPresigner.presign(new PutPresigner.Fields(put.bucket(), put.key(), put.contentType(), put.contentLength(),
                    put.metadata(), put.cacheControl(), base64(put.sha256()), put.tagging(),
                    profile().has(Capability.OBJECT_ACLS) ? ObjectCannedACL.PRIVATE.toString() : null, StorageClass.STANDARD.toString()), sig.identity(), sig.ttl());
            return new Presigned("PUT", signed.url(), signed.signedHeaders(), signed.expiration());
        });
    }

    @Override
    public Presigned presignGet(String bucket, String key, Duration requested, String contentType, String contentDisposition) {
        return presigned(call(() -> {
            Signing sig = signing(requested);
            Duration ttl = sig.ttl();
            return s3.presigner().presignGetObject(p -> p.signatureDuration(ttl).getObjectRequest(g -> {
                g.overrideConfiguration(sig.credentials());
                g.bucket(bucket).key(key);
                if (contentDisposition != null) g.responseContentDisposition(contentDisposition);
                if (contentType != null) g.responseContentType(contentType);
                // the link's own lifetime; a Cache-Control stored with the object never reaches the reader
                g.responseCacheControl("private, max-age=" + ttl.toSeconds());
            }));
        }));
    }

    @Override
    public Presigned presignUploadPart(String bucket, String key, String uploadId, int partNumber, long contentLength, String sha256, Duration requested) {
        String b64 = base64(sha256);
        return presigned(call(() -> {
            Signing sig = signing(requested);
            return s3.presigner().presignUploadPart(r -> r.signatureDuration(sig.ttl()).uploadPartRequest(u -> {
                u.overrideConfiguration(sig.credentials());
                u.bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber).contentLength(contentLength);
                if (b64 != null) u.checksumSHA256(b64);
            }));
        }));
    }

    @Override
    public String createMultipart(Put p, boolean sha256Parts) {
        return call(() -> s3.shortCalls().createMultipartUpload(r -> {
            r.bucket(p.bucket()).key(p.key());
            if (p.contentType() != null) r.contentType(p.contentType());
            if (!p.metadata().isEmpty()) r.metadata(p.metadata());
            if (p.cacheControl() != null) r.cacheControl(p.cacheControl());
            if (p.tagging() != null) r.tagging(p.tagging());
            if (profile().has(Capability.OBJECT_ACLS)) r.acl(ObjectCannedACL.PRIVATE);
            r.storageClass(StorageClass.STANDARD);
            if (sha256Parts) r.checksumAlgorithm(ChecksumAlgorithm.SHA256);
        }).uploadId());
    }

    @Override
    public Part uploadPart(String bucket, String key, String uploadId, int partNumber, Body body, String sha256) {
        String b64 = base64(sha256);
        var resp = call(() -> s3.client().uploadPart(r -> {
            r.bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber);
            if (body instanceof Body.Slice) r.contentLength(body.length());
            if (b64 != null) r.checksumSHA256(b64);
        }, body(body, null)));
        return new Part(partNumber, resp.eTag(), body.length(), sha256);
    }

    @Override
    public List<Part> listParts(String bucket, String key, String uploadId) {
        ListingGuard guard = ListingGuard.parts(bucket, key);
        List<Part> out = new ArrayList<>();
        Integer marker = null;
        while (true) {
            final Integer sent = marker;
            var page = call(() -> s3.shortCalls().listParts(r -> {
                r.bucket(bucket).key(key).uploadId(uploadId);
                if (sent != null) r.partNumberMarker(sent);
            }));
            boolean truncated = Boolean.TRUE.equals(page.isTruncated());
            guard.partsPage(sent, page.parts().stream().map(p -> p.partNumber()).toList(), truncated, page.nextPartNumberMarker());
            for (var p : page.parts()) out.add(new Part(p.partNumber(), p.eTag(), p.size() == null ? 0 : p.size(), hex(p.checksumSHA256())));
            if (!truncated) break;
            marker = page.nextPartNumberMarker();
        }
        out.sort(Comparator.comparingInt(Part::partNumber));
        return out;
    }

    @Override
    public void completeMultipart(String bucket, String key, String uploadId, List<Part> parts) {
        List<CompletedPart> done = parts.stream().map(p -> CompletedPart.builder().partNumber(p.partNumber()).eTag(p.etag())
                .checksumSHA256(base64(p.sha256())).build()).toList();
        run(() -> s3.client().completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(done))));
    }

    @Override
    public void abortMultipart(String bucket, String key, String uploadId) {
        run(() -> s3.shortCalls().abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)));
    }

    @Override
    public List<Upload> multipartUploads(String bucket, String prefix) {
        return multipartUploads(bucket, prefix, Integer.MAX_VALUE);
    }

    @Override
    public List<Upload> multipartUploads(String bucket, String prefix, int max) {
        if (max < 1) throw new IllegalArgumentException("max must be 1 or more, got " + max);
        ListingGuard guard = ListingGuard.of("ListMultipartUploads", bucket, prefix, Long.MAX_VALUE);
        List<Upload> out = new ArrayList<>();
        String key = null, id = null;
        do {
            UploadPage page = multipartUploadsPage(bucket, prefix, Math.min(max, 1000), key, id, guard, s3.shortCalls());
            for (var u : page.uploads()) {
                if (out.size() >= max) return out;
                out.add(u);
            }
            key = page.nextKeyMarker();
            id = page.nextUploadIdMarker();
        } while (key != null && out.size() < max);
        return out;
    }

    @Override
    public UploadPage multipartUploadsPage(String bucket, String prefix, int pageSize, String keyMarker, String uploadIdMarker) {
        return multipartUploadsPage(bucket, prefix, pageSize, keyMarker, uploadIdMarker,
                ListingGuard.of("ListMultipartUploads", bucket, prefix, Long.MAX_VALUE), s3.client());
    }

    /** One page of ListMultipartUploads, checked by {@code guard} (one guard for the pages of one listing). */
    private UploadPage multipartUploadsPage(String bucket, String prefix, int pageSize, String keyMarker, String uploadIdMarker,
                                            ListingGuard guard, software.amazon.awssdk.services.s3.S3Client client) {
        var resp = call(() -> client.listMultipartUploads(r -> {
            r.bucket(bucket).maxUploads(Math.max(1, Math.min(pageSize, 1000)));
            if (prefix != null) r.prefix(prefix);
            if (keyMarker != null) r.keyMarker(keyMarker);
            if (keyMarker != null && uploadIdMarker != null) r.uploadIdMarker(uploadIdMarker);
        }));
        List<Upload> out = new ArrayList<>(resp.uploads().size());
        boolean more = Boolean.TRUE.equals(resp.isTruncated());
        guard.page(keyMarker == null ? null : ListingGuard.marker(keyMarker, uploadIdMarker), resp.uploads().stream().map(u -> ListingGuard.marker(u.key(), u.uploadId())).toList(),
                more, resp.nextKeyMarker() == null ? null : ListingGuard.marker(resp.nextKeyMarker(), resp.nextUploadIdMarker()));
        for (var u : resp.uploads()) out.add(new Upload(u.key(), u.uploadId(), u.initiated()));
        return new UploadPage(out, more ? resp.nextKeyMarker() : null, more ? resp.nextUploadIdMarker() : null);
    }
}

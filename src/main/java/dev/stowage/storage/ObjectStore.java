package dev.stowage.storage;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The object store seam (docs/architecture.md §9, §12): every object operation Stowage makes, in
 * Stowage's own types. {@link S3ObjectStore} implements it over the AWS SDK for every provider;
 * {@code ObjectStoreConformance} runs one suite over each store the tests have.
 *
 * <p>Optional features are asked of {@link #profile()} ({@link ProviderProfile#has(Capability)}) before
 * they are used, as tusd asks a data store for its extensions: tagging where {@link Capability#OBJECT_TAGGING},
 * stored SHA-256 checksums where {@link Capability#STORED_CHECKSUMS}, versions where
 * {@link Capability#VERSIONING}. Bucket settings sit behind {@link #buckets()}.
 *
 * <p>Every operation throws {@link StoreException} when the store refuses it or cannot be reached;
 * "not found" answers are values ({@link Optional#empty()}, {@code false}) only where the method says so.
 * Sizes are bytes; checksums are lowercase hexadecimal SHA-256; metadata keys are given without the
 * {@code x-amz-meta-} prefix and values must be ASCII. Implementations are thread-safe.
 */
public interface ObjectStore {

    /** What this provider can do. */
    ProviderProfile profile();

    /**
     * Whether requests go over plain HTTP, where every payload is signed (SigV4 sends its SHA-256 and the
     * server refuses a body that does not match), so a part needs no checksum of its own.
     */
    boolean signsPayloads();

    /** The bucket settings of this store (buckets as code, audit). */
    BucketAdmin buckets();

    // ---- writing

    /**
     * Stores an object in one request.
     *
     * @return its ETag and version id
     * @throws StoreException e.g. {@code BadDigest} when {@link Put#sha256()} does not match on a provider
     *                        with {@link Capability#STORED_CHECKSUMS}
     */
    Stored put(Put put, Body body);

    /**
     * Copies an object within the store, server-side (no bytes pass through Stowage); metadata, content type,
     * cache control and (where {@link Capability#OBJECT_TAGGING}) tags are copied with it. Objects above the
     * store's multipart-copy threshold are copied in parts (S3's CopyObject stops at 5 GiB).
     *
     * @throws StoreException 404 when the source does not exist
     */
    void copy(String sourceBucket, String sourceKey, String bucket, String key);

    /**
     * Copies an object within the store, server-side, giving the copy the content type, metadata, cache control
     * and tagging of {@code target} and nothing else of the source's (S3 {@code REPLACE} directives: whatever
     * headers the source was written with — {@code x-amz-meta-*}, {@code Content-Disposition},
     * {@code Cache-Control}, storage class, ACL, tags — do not survive). Above the store's multipart-copy
     * threshold the copy is a multipart upload of UploadPartCopy ranges.
     *
     * @param sourceSize the source's size in bytes, as a HEAD answered it (chooses one request or parts)
     * @param target     bucket, key, content type, metadata, cache control and tagging of the copy;
     *                   {@code contentLength} and {@code sha256} are ignored
     * @throws StoreException 404 when the source does not exist, 412 or 400 when it changed size meanwhile
     */
    void copy(String sourceBucket, String sourceKey, long sourceSize, Put target);

    /**
     * Deletes an object (in a versioned bucket: makes a delete marker). Deleting a missing key succeeds.
     *
     * @return the delete marker's version id in a versioned bucket
     */
    Deleted delete(String bucket, String key);

    /**
     * Removes one version (or delete marker) of an object for good.
     *
     * @throws StoreException 404 on some providers when the version does not exist
     */
    Deleted deleteVersion(String bucket, String key, String versionId);

    /**
     * Deletes up to 1,000 objects in one request.
     *
     * @return keys the store refused, with its error code; empty when every key was deleted
     */
    Map<String, String> deleteMany(String bucket, List<String> keys);

    // ---- reading

    /**
     * The object's size, type and metadata.
     *
     * @param checksums also ask for the stored checksum ({@link Head#sha256()})
     * @return empty when the object does not exist (404)
     */
    Optional<Head> head(String bucket, String key, boolean checksums);

    /** As {@link #head(String, String, boolean)} without the checksum. */
    default Optional<Head> head(String bucket, String key) {
        return head(bucket, key, false);
    }

    /** Whether an object exists (HEAD answered 200). */
    default boolean exists(String bucket, String key) {
        return head(bucket, key).isPresent();
    }

    /**
     * Streams an object; close the stream.
     *
     * @throws StoreException 404 ({@code NoSuchKey}) when it does not exist
     */
    InputStream get(String bucket, String key);

    /**
     * Streams bytes {@code first} to {@code last} (inclusive) of an object; close the stream.
     *
     * @throws StoreException 404 when it does not exist, 416 when {@code first} is past its end
     */
    InputStream getRange(String bucket, String key, long first, long last);

    /**
     * An object's bytes, whole, in memory (callers bound the size first).
     *
     * @throws StoreException 404 ({@code NoSuchKey}) when it does not exist
     */
    byte[] getBytes(String bucket, String key);

    /**
     * Every object under a prefix, in key order, listed lazily one page at a time (memory is one page).
     * A store error surfaces as a {@link StoreException} from the iterator.
     *
     * @param prefix   key prefix, {@code null} for the whole bucket
     * @param pageSize keys per listing request (1 to 1,000); 0 for the store's default (1,000)
     * @throws StoreException 404 ({@code NoSuchBucket}) when the bucket does not exist
     */
    Iterable<Listed> list(String bucket, String prefix, int pageSize);

    /**
     * One listing request.
     *
     * @param after the {@link Page#next()} of the page before, {@code null} for the first
     */
    Page listPage(String bucket, String prefix, int pageSize, String after);

    /**
     * Every version and delete marker whose key starts with {@code prefix}, from one listing request
     * (at most 1,000 entries); needs {@link Capability#VERSIONING} to be meaningful.
     */
    List<Version> versions(String bucket, String prefix);

    /**
     * One listing request of versions and delete markers, in key order and, within a key, newest first (a
     * bounded pass over a versioned bucket, with each entry's time).
     *
     * @param prefix          key prefix, {@code null} for the whole bucket
     * @param pageSize        entries per request (1 to 1,000)
     * @param keyMarker       {@link VersionPage#nextKeyMarker()} of the page before, {@code null} for the first
     * @param versionIdMarker {@link VersionPage#nextVersionIdMarker()} of the page before, or {@code null}
     *                        (then the listing starts after every version of {@code keyMarker})
     * @throws StoreException 404 ({@code NoSuchBucket}) when the bucket does not exist
     */
    VersionPage versionsPage(String bucket, String prefix, int pageSize, String keyMarker, String versionIdMarker);

    // ---- tagging (Capability.OBJECT_TAGGING)

    /** An object's tags, in the store's order. */
    Map<String, String> tags(String bucket, String key);

    /** Replaces an object's tags. */
    void putTags(String bucket, String key, Map<String, String> tags);

    // ---- presigning (no request is made)

    /**
     * A URL that lets its holder PUT exactly this object: content type, length, metadata, tagging and
     * checksum are signed, so a request with other values is refused by the store. So are
     * {@code x-amz-storage-class: STANDARD} and, where the profile has {@link Capability#OBJECT_ACLS},
     * {@code x-amz-acl: private}: a client that adds another class or a public ACL gets a signature
     * mismatch (docs/architecture.md §8, §9).
     */
    Presigned presignPut(Put put, Duration ttl);

    /**
     * A URL that GETs an object. The response's {@code Cache-Control} is always overridden with
     * {@code private, max-age=<ttl seconds>}; pass Stowage's own type and disposition so that nothing
     * stored with the object (by whoever wrote it) decides how a browser treats it.
     *
     * @param contentType        {@code response-content-type} override, or {@code null}
     * @param contentDisposition {@code response-content-disposition} override, or {@code null}
     */
    Presigned presignGet(String bucket, String key, Duration ttl, String contentType, String contentDisposition);

    /**
     * A URL that uploads one part of exactly {@code contentLength} bytes.
     *
     * @param sha256 the part's SHA-256 (hex), signed as {@code x-amz-checksum-sha256} (base64 of the raw
     *               digest, AWS S3 API reference, UploadPart), so a store with {@link Capability#STORED_CHECKSUMS}
     *               refuses other bytes ({@code BadDigest}); {@code null} signs none. The upload must have been
     *               created with {@code sha256Parts} ({@link #createMultipart}) where the store wants that
     */
    Presigned presignUploadPart(String bucket, String key, String uploadId, int partNumber, long contentLength, String sha256, Duration ttl);

    // ---- multipart uploads

    /**
     * Starts a multipart upload; content type, metadata and tagging come from {@code put}
     * ({@link Put#contentLength()} and {@link Put#sha256()} are ignored), with storage class
     * {@code STANDARD} and, where the profile has {@link Capability#OBJECT_ACLS}, ACL {@code private}.
     *
     * @param sha256Parts whether parts will carry their SHA-256 ({@link #uploadPart})
     * @return the upload id
     */
    String createMultipart(Put put, boolean sha256Parts);

    /**
     * Uploads one part.
     *
     * @param sha256 the part's SHA-256 (hex) for the store to verify, or {@code null}
     * @return the part as {@link #completeMultipart} wants it
     * @throws StoreException 404 ({@code NoSuchUpload}) when the upload is gone
     */
    Part uploadPart(String bucket, String key, String uploadId, int partNumber, Body body, String sha256);

    /**
     * The parts stored so far, all pages, in part-number order.
     *
     * @return the parts; once the upload was completed or aborted an empty list, or a 404
     *         {@link StoreException} — providers differ: AWS and MinIO answer {@code NoSuchUpload}, Ceph RGW
     *         {@code NoSuchKey} after completion, S3Proxy an empty list
     */
    List<Part> listParts(String bucket, String key, String uploadId);

    /**
     * Assembles the object from parts.
     *
     * @param parts part numbers ascending, each with the ETag (and SHA-256 when sent) of its upload
     * @throws StoreException when already completed or aborted (404 {@code NoSuchUpload}; Ceph RGW 16
     *                        answers 500 after an abort), 400 ({@code InvalidPart}, {@code EntityTooSmall}) for bad parts
     */
    void completeMultipart(String bucket, String key, String uploadId, List<Part> parts);

    /**
     * Abandons a multipart upload and its parts.
     *
     * @throws StoreException 404 ({@code NoSuchUpload}) when it no longer exists
     */
    void abortMultipart(String bucket, String key, String uploadId);

    /** Multipart uploads in progress under a prefix ({@code null}: the whole bucket), all pages. */
    List<Upload> multipartUploads(String bucket, String prefix);

    /**
     * At most {@code max} multipart uploads in progress under a prefix, in key order, from as few listing
     * requests as that takes (a bounded pass over a bucket's uploads).
     *
     * @param max the most uploads returned, 1 or more
     */
    List<Upload> multipartUploads(String bucket, String prefix, int max);

    /**
     * One listing request of multipart uploads in progress, in key order (a bounded pass over a bucket's
     * uploads that can resume where it stopped).
     *
     * @param prefix         key prefix, {@code null} for the whole bucket
     * @param pageSize       uploads per request (1 to 1,000)
     * @param keyMarker      {@link UploadPage#nextKeyMarker()} of the page before, {@code null} for the first
     * @param uploadIdMarker {@link UploadPage#nextUploadIdMarker()} of the page before, or {@code null}
     * @throws StoreException 404 ({@code NoSuchBucket}) when the bucket does not exist
     */
    UploadPage multipartUploadsPage(String bucket, String prefix, int pageSize, String keyMarker, String uploadIdMarker);

    // ---- value types

    /**
     * What an object is written with.
     *
     * @param bucket        bucket
     * @param key           object key
     * @param contentType   {@code Content-Type}, or {@code null}
     * @param contentLength bytes, or {@code null} (a body knows its own length; signed into presigned PUTs)
     * @param metadata      user metadata (ASCII values), never {@code null}
     * @param cacheControl  {@code Cache-Control}, or {@code null}
     * @param tagging       tags as a URL query string ({@code k=v&k2=v2}), or {@code null}
     * @param sha256        the body's SHA-256 (hex), sent as {@code x-amz-checksum-sha256}, or {@code null}
     */
    record Put(String bucket, String key, String contentType, Long contentLength, Map<String, String> metadata,
               String cacheControl, String tagging, String sha256) {
        public Put {
            metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
        }

        /** An object with nothing but its key. */
        public static Put of(String bucket, String key) {
            return new Put(bucket, key, null, null, Map.of(), null, null, null);
        }

        public Put contentType(String v) {
            return new Put(bucket, key, v, contentLength, metadata, cacheControl, tagging, sha256);
        }

        public Put contentLength(long v) {
            return new Put(bucket, key, contentType, v, metadata, cacheControl, tagging, sha256);
        }

        public Put metadata(Map<String, String> v) {
            return new Put(bucket, key, contentType, contentLength, v, cacheControl, tagging, sha256);
        }

        public Put cacheControl(String v) {
            return new Put(bucket, key, contentType, contentLength, metadata, v, tagging, sha256);
        }

        public Put tagging(String v) {
            return new Put(bucket, key, contentType, contentLength, metadata, cacheControl, v, sha256);
        }

        public Put sha256(String hex) {
            return new Put(bucket, key, contentType, contentLength, metadata, cacheControl, tagging, hex);
        }
    }

    /** The bytes of a put or part: in memory, a file, or a stream of known length. */
    sealed interface Body {
        /** Bytes. */
        long length();

        /** All of an array (copied when the request is built). */
        static Body of(byte[] bytes) {
            return new Bytes(bytes);
        }

        /**
         * A slice of an array, read in place and re-readable (retries and whole-payload signing read it
         * again): do not change it until the call returns.
         */
        static Body of(byte[] bytes, int offset, int length) {
            if (offset < 0 || length < 0 || offset + length > bytes.length) {
                throw new IndexOutOfBoundsException("slice " + offset + "+" + length + " of " + bytes.length + " bytes");
            }
            return new Slice(bytes, offset, length);
        }

        /** A file's content. */
        static Body of(Path file) {
            return new File(file);
        }

        /** A stream of exactly {@code length} bytes, read once (not for a store that signs whole payloads). */
        static Body of(InputStream in, long length) {
            return new Stream(in, length);
        }

        record Bytes(byte[] bytes) implements Body {
            public long length() {
                return bytes.length;
            }
        }

        record Slice(byte[] bytes, int offset, int count) implements Body {
            public long length() {
                return count;
            }

            /** A fresh stream over the slice. */
            public InputStream open() {
                return new ByteArrayInputStream(bytes, offset, count);
            }
        }

        record File(Path path) implements Body {
            public long length() {
                try {
                    return java.nio.file.Files.size(path);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }

        record Stream(InputStream in, long length) implements Body {}
    }

    /** A stored object: its ETag (quoted as the store gives it) and version id ({@code null} unversioned). */
    record Stored(String etag, String versionId) {}

    /** A delete: the version id it made or removed, and whether that is a delete marker. */
    record Deleted(String versionId, boolean deleteMarker) {}

    /**
     * An object's headers.
     *
     * @param size         bytes
     * @param contentType  {@code Content-Type}, or {@code null}
     * @param cacheControl {@code Cache-Control}, or {@code null}
     * @param etag         ETag
     * @param lastModified when it was written
     * @param metadata     user metadata (keys lowercase, without {@code x-amz-meta-})
     * @param versionId    version id, or {@code null}
     * @param sha256       the stored SHA-256 (hex) when asked for and kept, else {@code null}
     */
    record Head(long size, String contentType, String cacheControl, String etag, Instant lastModified,
                Map<String, String> metadata, String versionId, String sha256) {}

    /**
     * One object of a listing.
     *
     * @param storageClass the class the store reports, or {@code null}
     */
    record Listed(String key, long size, Instant lastModified, String etag, String storageClass) {}

    /** One listing page: objects, and the token of the next page ({@code null} after the last). */
    record Page(List<Listed> objects, String next) {}

    /** One version or delete marker. */
    record Version(String key, String versionId, boolean deleteMarker, boolean latest) {}

    /**
     * A presigned request.
     *
     * @param method        HTTP method
     * @param url           the URL, signature in its query
     * @param signedHeaders headers the request must carry exactly as here (names as signed; includes {@code host})
     * @param expiresAt     when the signature expires
     */
    record Presigned(String method, URI url, Map<String, List<String>> signedHeaders, Instant expiresAt) {}

    /**
     * A part of a multipart upload.
     *
     * @param size   bytes ({@code 0} when not known, as after {@link #uploadPart})
     * @param sha256 SHA-256 (hex) sent with the part, or {@code null}
     */
    record Part(int partNumber, String etag, long size, String sha256) {}

    /** A multipart upload in progress; {@code initiated} is {@code null} when the store does not say. */
    record Upload(String key, String uploadId, Instant initiated) {}

    /** One page of multipart uploads; the markers of the next page are {@code null} after the last. */
    record UploadPage(List<Upload> uploads, String nextKeyMarker, String nextUploadIdMarker) {}

    /**
     * A version or delete marker with its time.
     *
     * @param lastModified when it was written ({@code null} when the store does not say)
     */
    record VersionEntry(String key, String versionId, boolean deleteMarker, boolean latest, Instant lastModified) {}

    /** One page of versions; the markers of the next page are {@code null} after the last. */
    record VersionPage(List<VersionEntry> entries, String nextKeyMarker, String nextVersionIdMarker) {}
}

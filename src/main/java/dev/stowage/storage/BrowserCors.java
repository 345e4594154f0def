package dev.stowage.storage;

import java.util.List;

/**
 * The CORS rule browsers need to upload straight to the bucket and read back what they may read:
 * presigned PUTs (single and multipart parts) on the raw bucket, GET and HEAD on both buckets, ranged
 * and conditional GETs (resumable downloads, media seeking), and the response headers a browser must
 * read: {@code ETag} (to complete a multipart upload, to resume with {@code If-Match}),
 * {@code Content-Range}, {@code Accept-Ranges} and {@code Content-Length}. Origins always come from
 * configuration ({@code storage.cors.allowed_origins}). Sources: the Fetch standard's CORS protocol
 * (non-safelisted request headers need a preflight; only safelisted response headers are readable
 * without {@code Access-Control-Expose-Headers}); S3 PutBucketCors.
 */
public final class BrowserCors {
    private BrowserCors() {}

    /** Methods allowed on the raw bucket. */
    public static final List<String> RAW_METHODS = List.of("GET", "HEAD", "PUT");
    /** Methods allowed on the processed bucket. */
    public static final List<String> PROCESSED_METHODS = List.of("GET", "HEAD");
    /**
     * Request headers a browser sends: on uploads the signed type, checksum, metadata, tagging, ACL and
     * storage-class headers; on downloads {@code Range} and the {@code If-Match}/{@code If-None-Match}
     * of a resumed one. ({@code Content-Length} is set by the browser itself and never needs allowing.)
     */
    public static final List<String> ALLOWED_HEADERS = List.of(
            "content-type", "content-md5", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm",
            "x-amz-meta-original-filename", "x-amz-meta-uploader-id", "x-amz-meta-uploaded-at",
            "x-amz-meta-sha256", "x-amz-tagging", "x-amz-content-sha256", "x-amz-date",
            "x-amz-acl", "x-amz-storage-class", "range", "if-match", "if-none-match");
    /** Response headers the browser may read. */
    public static final List<String> EXPOSED_HEADERS = List.of("ETag", "Content-Range", "Accept-Ranges", "Content-Length");
}

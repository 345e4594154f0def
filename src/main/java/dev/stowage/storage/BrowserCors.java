package dev.stowage.storage;

import java.util.List;

/**
 * The CORS rule browsers need to upload straight to the bucket and read back what they may read:
 * presigned PUTs (single and multipart parts) on the raw bucket, GET and HEAD on both buckets, the
 * {@code ETag} response header exposed so the browser client can complete a multipart upload.
 * Origins always come from configuration ({@code storage.cors.allowed_origins}).
 */
public final class BrowserCors {
    private BrowserCors() {}

    /** Methods allowed on the raw bucket. */
    public static final List<String> RAW_METHODS = List.of("GET", "HEAD", "PUT");
    /** Methods allowed on the processed bucket. */
    public static final List<String> PROCESSED_METHODS = List.of("GET", "HEAD");
    /**
     * Request headers a browser upload sends: the signed type, checksum, metadata and tagging
     * headers. ({@code Content-Length} is set by the browser itself and never needs allowing.)
     */
    public static final List<String> ALLOWED_HEADERS = List.of(
            "content-type", "content-md5", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm",
            "x-amz-meta-original-filename", "x-amz-meta-uploader-id", "x-amz-meta-uploaded-at",
            "x-amz-meta-sha256", "x-amz-tagging", "x-amz-content-sha256", "x-amz-date");
    /** Response headers the browser may read. */
    public static final List<String> EXPOSED_HEADERS = List.of("ETag");
}

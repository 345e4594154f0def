package dev.stowage.storage;

/**
 * The object tags Stowage writes (docs/architecture.md §3), next to the key layout of {@link ObjectKeys}:
 * where the provider has tagging, a staging object carries {@value #PENDING_TAG} from its upload, the
 * verifier's copy to the final key is written with {@value #READY_TAG}, and the bucket's lifecycle rules
 * expire objects still pending (and everything under {@code staging/}). A file migrated in parts carries its
 * whole SHA-256 as the tag {@value #SHA256_KEY} where the provider has tagging (its metadata cannot hold it:
 * the digest is known only once the parts are sent).
 */
public final class ObjectTags {
    /** Tag key of an object's verification state. */
    public static final String STATE_KEY = "stowage-state";
    /** State of an object whose upload is not verified yet. */
    public static final String PENDING = "pending";
    /** State of a verified object. */
    public static final String READY = "ready";
    /**
     * Tag key of a migrated multipart object's SHA-256 (lowercase hex), the same key as the {@code sha256}
     * metadata of objects written in one request.
     */
    public static final String SHA256_KEY = "sha256";
    /** {@code key=value} of the pending tag, as S3's {@code x-amz-tagging} takes it. */
    public static final String PENDING_TAG = STATE_KEY + "=" + PENDING;
    /** {@code key=value} of the ready tag, as S3's {@code x-amz-tagging} takes it. */
    public static final String READY_TAG = STATE_KEY + "=" + READY;

    /**
     * Tags as S3's {@code x-amz-tagging} header takes them: {@code k=v&k2=v2}, keys and values form-encoded.
     *
     * @param tags tag keys and values
     * @return the query string, empty for no tags
     */
    public static String query(java.util.Map<String, String> tags) {
        var out = new StringBuilder();
        tags.forEach((k, v) -> {
            if (!out.isEmpty()) out.append('&');
            out.append(java.net.URLEncoder.encode(k, java.nio.charset.StandardCharsets.UTF_8)).append('=')
                    .append(java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8));
        });
        return out.toString();
    }

    private ObjectTags() {}
}

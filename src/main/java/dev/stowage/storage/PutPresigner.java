package dev.stowage.storage;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Presigned single PUTs, signed by the AWS SDK's own SigV4 signer ({@link AwsV4HttpSigner}, query-string
 * authentication, {@code UNSIGNED-PAYLOAD}: AWS Signature Version 4, "Authenticating Requests: Using Query
 * Parameters") without the SDK presigner's request pipeline (endpoint rules, marshalling, auth-scheme
 * resolution, interceptors), which cost about three quarters of a presigned PUT's CPU
 * ({@code bench/uploads/README.md}).
 *
 * <p>Where the object goes is still the SDK's decision: the URL of a bucket (virtual-hosted or path style,
 * the provider's endpoint) is taken once per bucket from the SDK presigner's URL for a probe key, and a key
 * is appended to it encoded as the SDK encodes S3 keys ({@link SdkHttpUtils#urlEncodeIgnoreSlashes}). The
 * headers signed are those the SDK's {@code PutObjectRequest} marshals for the same fields
 * ({@code PutPresignerTest} holds the two side by side). Thread-safe.
 */
final class PutPresigner {
    /** The key whose presigned URL gives a bucket's URL. */
    static final String PROBE_KEY = "k";

    /** The fields of a PUT that are signed, in the SDK's header names. */
    record Fields(String bucket, String key, String contentType, Long contentLength, Map<String, String> metadata,
                  String cacheControl, String sha256Base64, String tagging, String acl, String storageClass) {}

    /** A signed PUT: method, URL with the signature in its query, headers the client must send (host included). */
    record Signed(URI url, Map<String, List<String>> signedHeaders, Instant expiration) {}

    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final String region;
    private final Function<String, URI> bucketUrl;
    private final Clock clock;
    private final Map<String, String> bases = new ConcurrentHashMap<>();

    /**
     * @param region    the signing region
     * @param bucketUrl a bucket's name → the SDK presigner's URL for {@link #PROBE_KEY} in it (any query)
     * @param clock     the signing clock
     */
    PutPresigner(String region, Function<String, URI> bucketUrl, Clock clock) {
        this.region = region;
        this.bucketUrl = bucketUrl;
        this.clock = clock;
    }

    /**
     * Signs a PUT.
     *
     * @param f        what is signed
     * @param identity the credentials to sign with
     * @param ttl      the URL's lifetime, 1 s to 7 days (SigV4's limit)
     * @return the URL and the headers to send with it
     * @throws IllegalStateException when the SDK's URL for the bucket does not end in the probe key
     */
    Signed presign(Fields f, AwsCredentialsIdentity identity, Duration ttl) {
        String base = bases.computeIfAbsent(f.bucket(), this::base);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (f.contentType() != null) headers.put("Content-Type", List.of(f.contentType()));
        if (f.contentLength() != null) headers.put("Content-Length", List.of(Long.toString(f.contentLength())));
        if (f.cacheControl() != null) headers.put("Cache-Control", List.of(f.cacheControl()));
        if (f.acl() != null) headers.put("x-amz-acl", List.of(f.acl()));
        if (f.sha256Base64() != null) headers.put("x-amz-checksum-sha256", List.of(f.sha256Base64()));
        for (var m : f.metadata().entrySet()) headers.put("x-amz-meta-" + m.getKey(), List.of(m.getValue()));
        if (f.storageClass() != null) headers.put("x-amz-storage-class", List.of(f.storageClass()));
        if (f.tagging() != null) headers.put("x-amz-tagging", List.of(f.tagging()));
        SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.PUT)
                .uri(URI.create(base + SdkHttpUtils.urlEncodeIgnoreSlashes(f.key()))).headers(headers).build();
        Instant now = clock.instant();
        SdkHttpRequest signed = signer.sign(r -> r.identity(identity).request(request)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, ttl)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, Clock.fixed(now, java.time.ZoneOffset.UTC))).request();
        Map<String, List<String>> sent = new LinkedHashMap<>();
        String names = signed.firstMatchingRawQueryParameter("X-Amz-SignedHeaders").orElseThrow();
        for (String name : names.split(";")) {
            List<String> values = signed.matchingHeaders(name);
            sent.put(name, values);
        }
        return new Signed(signed.getUri(), sent, now.plus(ttl));
    }

    /** The bucket's URL up to the key: the SDK's URL for the probe key without it and its query. */
    private String base(String bucket) {
        URI u = bucketUrl.apply(bucket);
        String path = u.getRawPath();
        if (path == null || !path.endsWith("/" + PROBE_KEY)) throw new IllegalStateException("the SDK's URL for bucket " + bucket + " does not end in its key: " + u);
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        return scheme + "://" + u.getRawAuthority() + path.substring(0, path.length() - PROBE_KEY.length());
    }
}

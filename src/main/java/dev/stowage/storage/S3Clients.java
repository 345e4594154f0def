package dev.stowage.storage;

import dev.stowage.config.StowageConfig;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The one place that builds AWS SDK v2 clients for the configured provider (docs/architecture.md §9): endpoint,
 * path-style addressing, signing region, checksum behaviour and credentials.
 *
 * <p>For every provider but AWS, request checksum calculation and response checksum validation are
 * {@code WHEN_REQUIRED}: the SDK's default CRC32 checksums (since 2.30) make Ceph RGW answer
 * {@code 400 XAmzContentSHA256Mismatch} and break R2 and S3Proxy.
 *
 * <p>Every call is bounded (docs/architecture.md §14, {@code storage.timeouts}): connecting takes at most
 * {@code connect_ms}, a silent connection fails after {@code socket_seconds}, and a call makes at most
 * {@code max_attempts} attempts (the SDK's standard retries, with backoff). {@link #shortCalls()} is the same
 * client with a deadline of {@code call_ms} on the whole call, all attempts included, for the calls that carry
 * no body (HEAD, lists, creating or aborting a multipart upload, deletes, reading tags; a tag set is a body and goes on the normal client, each attempt under {@code smallBody}): when the store is unreachable
 * they fail within that deadline, and a request answers 503 {@code store_unavailable} in time. Presigning
 * needs no network.
 *
 * @param client     the synchronous S3 client (thread-safe, share it); calls that carry bodies
 * @param shortCalls the same client with a deadline on each whole call, for calls without bodies
 * @param presigner  the presigner for upload and download URLs (thread-safe)
 * @param profile    the provider's capabilities
 * @param http       the HTTP client the S3 clients share (closed with them)
 * @param unchunked  {@code client} without {@code aws-chunked} bodies (the same client where they are off): for
 *                   an empty body, whose {@code aws-chunked} form Ceph RGW refuses with a 400
 * @param smallBody  deadline of one attempt of a call whose body is a few hundred bytes (a tag set),
 *                   {@link StowageConfig.StoreTimeouts#smallBody()}
 */
public record S3Clients(S3Client client, S3Client shortCalls, S3Presigner presigner, ProviderProfile profile,
                        SdkHttpClient http, S3Client unchunked, Duration smallBody) implements AutoCloseable {

    /**
     * Builds clients for a storage configuration.
     *
     * @param storage     the validated storage section
     * @param credentials where credentials come from; {@code null} = the SDK's default provider chain
     *                    (environment, profile, web identity, container or instance role)
     * @return the clients; close them when the process stops
     */
    public static S3Clients create(StowageConfig.Storage storage, AwsCredentialsProvider credentials) {
        return create(storage, credentials, true);
    }

    /**
     * Builds clients for a storage configuration, choosing how request bodies are signed.
     *
     * <p>Over plain HTTP the SDK signs every payload. With {@code chunkedEncoding} it streams it as
     * {@code aws-chunked} with a signature per 128 KiB chunk ({@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}),
     * which works for bodies of any size but costs the server a decoding pass; without it, it hashes a
     * body once more and sends it with a plain {@code Content-Length} and its SHA-256 in
     * {@code x-amz-content-sha256} — cheaper for bodies already held in memory (bulk copies of whole
     * files and parts), and the only choice that matters on HTTP: over HTTPS payloads are not signed
     * either way. Bodies must be re-readable ({@code RequestBody.fromBytes}/{@code fromContentProvider})
     * when {@code chunkedEncoding} is off. Such a client also sends no {@code Expect: 100-continue}: its
     * bodies are small or parts of a file already accepted, so waiting a round trip for the server's
     * go-ahead before each body only costs time.
     *
     * @param storage         the validated storage section
     * @param credentials     where credentials come from; {@code null} = the SDK's default provider chain
     * @param chunkedEncoding whether payloads sent over plain HTTP are {@code aws-chunked} (the SDK's default)
     * @return the clients; close them when the process stops
     */
    public static S3Clients create(StowageConfig.Storage storage, AwsCredentialsProvider credentials, boolean chunkedEncoding) {
        return create(storage, credentials, chunkedEncoding, ProviderProfile.of(storage.provider()));
    }

    /**
     * Builds clients for a provider profile, as the start-up probe found it ({@link ProviderProbe}): where
     * {@link ProviderProfile#contentMd5()}, requests the S3 API requires a checksum on (PutObjectTagging,
     * DeleteObjects, bucket configuration writes) carry {@code Content-MD5} (the SDK's {@code LegacyMd5Plugin}).
     *
     * @param storage         the validated storage section
     * @param credentials     where credentials come from; {@code null} = the SDK's default provider chain
     * @param chunkedEncoding whether payloads sent over plain HTTP are {@code aws-chunked}
     * @param profile         the provider's profile
     * @return the clients; close them when the process stops
     */
    public static S3Clients create(StowageConfig.Storage storage, AwsCredentialsProvider credentials, boolean chunkedEncoding,
                                   ProviderProfile profile) {
        AwsCredentialsProvider creds = credentials != null ? credentials : DefaultCredentialsProvider.builder().build();
        Region region = Region.of(storage.region());
        var checksumCalc = profile.sdkChecksums() ? RequestChecksumCalculation.WHEN_SUPPORTED : RequestChecksumCalculation.WHEN_REQUIRED;
        var checksumValid = profile.sdkChecksums() ? ResponseChecksumValidation.WHEN_SUPPORTED : ResponseChecksumValidation.WHEN_REQUIRED;

        StowageConfig.StoreTimeouts t = storage.timeouts();
        SdkHttpClient http = ApacheHttpClient.builder()
                .maxConnections(64)
                .connectionTimeout(t.connect())
                .connectionAcquisitionTimeout(t.call()) // all 64 connections busy: fail, do not queue for ever
                .socketTimeout(t.socket())
                .build();
        var retries = AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(t.maxAttempts()).build();
        var shortCallConfig = ClientOverrideConfiguration.builder()
                .retryStrategy(retries)
                .apiCallTimeout(t.call())
                .apiCallAttemptTimeout(t.call())
                .build();
        // the normal client and the short-call twin differ only in their override configuration
        java.util.function.Supplier<software.amazon.awssdk.services.s3.S3ClientBuilder> base = () -> S3Client.builder()
                .region(region)
                .credentialsProvider(creds)
                .forcePathStyle(storage.pathStyle())
                .requestChecksumCalculation(checksumCalc)
                .responseChecksumValidation(checksumValid)
                // bulk copies (chunkedEncoding off) send no Expect: 100-continue: the body follows the headers at once
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(chunkedEncoding).expectContinueEnabled(chunkedEncoding).build())
                .httpClient(http);
        if (profile.contentMd5()) {
            var md5 = base;
            base = () -> md5.get().addPlugin(software.amazon.awssdk.services.s3.LegacyMd5Plugin.create());
        }
        var cb = base.get().overrideConfiguration(o -> o.retryStrategy(retries));
        var sb = base.get().overrideConfiguration(shortCallConfig);
        var pb = S3Presigner.builder()
                .region(region)
                .credentialsProvider(creds)
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(storage.pathStyle())
                        .build());
        if (storage.endpoint() != null) {
            cb.endpointOverride(storage.endpoint());
            sb.endpointOverride(storage.endpoint());
            pb.endpointOverride(storage.endpoint());
        }
        S3Client client = cb.build();
        S3Client unchunked = client;
        if (chunkedEncoding) {
            unchunked = base.get().overrideConfiguration(o -> o.retryStrategy(retries))
                    .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
                    .applyMutation(b -> { if (storage.endpoint() != null) b.endpointOverride(storage.endpoint()); })
                    .build();
        }
        return new S3Clients(client, sb.build(), pb.build(), profile, http, unchunked, t.smallBody());
    }

    /**
     * Whether requests go over plain HTTP, where the SDK signs every payload (SigV4): the request carries
     * the SHA-256 of its body in {@code x-amz-content-sha256}, and the server recomputes it and refuses a
     * body that does not match before it stores anything (AWS SigV4, "Signature calculation: payload
     * signing"). Over HTTPS payloads are not signed.
     */
    public boolean signsPayloads() {
        return client.serviceClientConfiguration().endpointOverride().map(u -> "http".equalsIgnoreCase(u.getScheme())).orElse(false);
    }

    /**
     * The origins ({@code scheme://host[:port]}) of the presigned URLs browsers are sent to for the raw and
     * processed buckets, found by presigning a URL the way the API does (same region, endpoint and
     * addressing; dummy credentials, no network call). The web page's Content-Security-Policy lets it
     * reach these origins and no others.
     *
     * @param storage the validated storage section
     * @return the distinct origins, e.g. {@code [https://uploads-raw.s3.eu-west-1.amazonaws.com, …]}
     */
    public static java.util.List<String> presignedOrigins(StowageConfig.Storage storage) {
        var creds = software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("origin-probe", "origin-probe"));
        var pb = S3Presigner.builder()
                .region(Region.of(storage.region()))
                .credentialsProvider(creds)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(storage.pathStyle()).build());
        if (storage.endpoint() != null) pb.endpointOverride(storage.endpoint());
        var origins = new java.util.LinkedHashSet<String>();
        try (S3Presigner presigner = pb.build()) {
            for (String bucket : java.util.List.of(storage.buckets().raw(), storage.buckets().processed())) {
                java.net.URL url = presigner.presignGetObject(r -> r.signatureDuration(java.time.Duration.ofMinutes(1))
                        .getObjectRequest(g -> g.bucket(bucket).key("probe"))).url();
                origins.add(url.getProtocol() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort()));
            }
        }
        return java.util.List.copyOf(origins);
    }

    @Override
    public void close() {
        if (unchunked != client) unchunked.close();
        client.close();
        shortCalls.close();
        presigner.close();
        http.close();
    }
}

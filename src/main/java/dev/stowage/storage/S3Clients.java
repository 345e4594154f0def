package dev.stowage.storage;

import dev.stowage.config.StowageConfig;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
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
 * @param client    the synchronous S3 client (thread-safe, share it)
 * @param presigner the presigner for upload and download URLs (thread-safe)
 * @param profile   the provider's capabilities
 */
public record S3Clients(S3Client client, S3Presigner presigner, ProviderProfile profile) implements AutoCloseable {

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
     * when {@code chunkedEncoding} is off.
     *
     * @param storage         the validated storage section
     * @param credentials     where credentials come from; {@code null} = the SDK's default provider chain
     * @param chunkedEncoding whether payloads sent over plain HTTP are {@code aws-chunked} (the SDK's default)
     * @return the clients; close them when the process stops
     */
    public static S3Clients create(StowageConfig.Storage storage, AwsCredentialsProvider credentials, boolean chunkedEncoding) {
        ProviderProfile profile = ProviderProfile.of(storage.provider());
        AwsCredentialsProvider creds = credentials != null ? credentials : DefaultCredentialsProvider.builder().build();
        Region region = Region.of(storage.region());
        var checksumCalc = profile.sdkChecksums() ? RequestChecksumCalculation.WHEN_SUPPORTED : RequestChecksumCalculation.WHEN_REQUIRED;
        var checksumValid = profile.sdkChecksums() ? ResponseChecksumValidation.WHEN_SUPPORTED : ResponseChecksumValidation.WHEN_REQUIRED;

        var cb = S3Client.builder()
                .region(region)
                .credentialsProvider(creds)
                .forcePathStyle(storage.pathStyle())
                .requestChecksumCalculation(checksumCalc)
                .responseChecksumValidation(checksumValid)
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(chunkedEncoding).build())
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(64)
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(60)));
        var pb = S3Presigner.builder()
                .region(region)
                .credentialsProvider(creds)
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(storage.pathStyle())
                        .build());
        if (storage.endpoint() != null) {
            cb.endpointOverride(storage.endpoint());
            pb.endpointOverride(storage.endpoint());
        }
        return new S3Clients(cb.build(), pb.build(), profile);
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
                java.net.URL url = presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(1))
                        .getObjectRequest(g -> g.bucket(bucket).key("probe"))).url();
                origins.add(url.getProtocol() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort()));
            }
        }
        return java.util.List.copyOf(origins);
    }

    @Override
    public void close() {
        client.close();
        presigner.close();
    }
}

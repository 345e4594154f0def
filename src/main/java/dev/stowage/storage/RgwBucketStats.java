package dev.stowage.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;

/**
 * A bucket's size from the Ceph RADOS Gateway's admin operations API: {@code GET /admin/bucket?bucket=B&stats=true}
 * signed with Signature Version 4 (service {@code s3}) by the store's own credentials. The answer's
 * {@code usage["rgw.main"]} gives {@code size} (bytes) and {@code num_objects}; RGW keeps them in the bucket
 * index as objects are written, so reading them costs one request at any size. Source: Ceph documentation,
 * "Admin Operations", Get Bucket Info. The user needs the capability {@code buckets=read}
 * ({@code radosgw-admin caps add --uid=U --caps="buckets=read"}); without it RGW answers 403 and this says so
 * once in the log and answers empty.
 */
final class RgwBucketStats {
    /** What {@link BucketAdmin.Usage#source()} says for these figures. */
    static final String SOURCE = "ceph-admin-bucket-stats";
    private static final Logger log = LoggerFactory.getLogger(RgwBucketStats.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final S3Clients s3;
    private final AtomicBoolean refusalLogged = new AtomicBoolean();

    RgwBucketStats(S3Clients s3) {
        this.s3 = s3;
    }

    /**
     * @return the bucket's bytes and objects; empty when RGW refuses (403: no {@code buckets=read}
     *         capability; 404/405: no such bucket or no admin API on this endpoint)
     * @throws StoreException when RGW cannot be reached, answers 5xx, or answers something that is not its stats
     */
    Optional<BucketAdmin.Usage> usage(String bucket) {
        S3ServiceClientConfiguration cfg = s3.client().serviceClientConfiguration();
        URI endpoint = cfg.endpointOverride().orElseThrow(() -> new StoreException("Ceph RGW needs storage.endpoint"));
        SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.GET).uri(endpoint).encodedPath("/admin/bucket")
                .putRawQueryParameter("bucket", bucket).putRawQueryParameter("stats", "true").putRawQueryParameter("format", "json")
                .build();
        SdkHttpRequest signed;
        try {
            AwsCredentialsIdentity id = cfg.credentialsProvider().resolveIdentity().join();
            signed = AwsV4HttpSigner.create().sign(r -> r.identity(id).request(request)
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, cfg.region().id())).request();
        } catch (RuntimeException e) {
            throw new StoreException(0, null, "could not sign the RGW bucket stats request: " + e.getMessage(), e);
        }
        try {
            HttpExecuteResponse response = s3.http().prepareRequest(HttpExecuteRequest.builder().request(signed).build()).call();
            int status = response.httpResponse().statusCode();
            byte[] body;
            try (InputStream in = response.responseBody().map(b -> (InputStream) b).orElse(InputStream.nullInputStream())) {
                body = in.readNBytes(1 << 20);
            }
            if (status == 403 || status == 404 || status == 405) {
                if (status != 404 && refusalLogged.compareAndSet(false, true)) {
                    log.info("Ceph RGW refused its bucket stats ({}); the cost view lists buckets instead. Give the user the capability "
                            + "buckets=read to spare the listing: radosgw-admin caps add --uid=<user> --caps=\"buckets=read\"", status);
                }
                return Optional.empty();
            }
            if (status != 200) throw new StoreException(status, null, "RGW bucket stats of " + bucket + " answered " + status, null);
            JsonNode main = JSON.readTree(body).path("usage").path("rgw.main");
            // an empty bucket has no rgw.main category yet
            long bytes = main.path("size").asLong(0);
            long objects = main.path("num_objects").asLong(0);
            if (bytes < 0 || objects < 0) throw new StoreException(status, null, "RGW bucket stats of " + bucket + " are negative", null);
            return Optional.of(new BucketAdmin.Usage(bytes, objects, SOURCE));
        } catch (IOException e) {
            throw new StoreException(0, null, "RGW bucket stats of " + bucket + ": " + e.getMessage(), e);
        }
    }
}

package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * {@link PutPresigner} signs what the SDK's own presigner signs for the same PUT: the same URL up to the
 * query, the same query parameters, the same signed headers with the same values — at a path-style
 * endpoint (S3Proxy, MinIO, Ceph) and at AWS's virtual-hosted one, with keys that need encoding. Only the
 * signing time and so the signature may differ; with the same second they are equal too.
 */
class PutPresignerTest {
    static final AwsBasicCredentials CREDS = AwsBasicCredentials.create("AKIDEXAMPLE0000000001", "secret0000000000000000000000000000000001");

    static S3Presigner sdk(String endpoint) {
        var b = S3Presigner.builder().region(Region.of("eu-west-1")).credentialsProvider(StaticCredentialsProvider.create(CREDS));
        if (endpoint != null) b.endpointOverride(URI.create(endpoint)).serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build());
        return b.build();
    }

    static Map<String, String> query(URI u) {
        Map<String, String> out = new TreeMap<>();
        for (String p : u.getRawQuery().split("&")) {
            int eq = p.indexOf('=');
            out.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:9000", "aws"})
    void signsWhatTheSdkPresignerSigns(String endpoint) {
        try (S3Presigner sdk = sdk(endpoint.equals("aws") ? null : endpoint)) {
            String bucket = "stowage-raw", key = "staging/u 1/0192-id/Ünïcode (1)+x&y=z~.pdf";
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("original-filename", "=?UTF-8?Q?=C3=9Cn=C3=AFcode?=");
            meta.put("uploader-id", "u 1");
            meta.put("sha256", "ab".repeat(32));
            String sha = java.util.Base64.getEncoder().encodeToString(new byte[32]);
            for (int attempt = 0; ; attempt++) {
                Instant before = Instant.now();
                var theirs = sdk.presignPutObject(p -> p.signatureDuration(Duration.ofMinutes(15)).putObjectRequest(r -> r.bucket(bucket).key(key)
                        .contentType("application/pdf").contentLength(1234L).metadata(meta).cacheControl("private")
                        .checksumSHA256(sha).tagging("stowage=pending").acl(ObjectCannedACL.PRIVATE).storageClass(StorageClass.STANDARD)));
                PutPresigner ours = new PutPresigner("eu-west-1", b -> {
                    try {
                        return sdk.presignPutObject(p -> p.signatureDuration(Duration.ofMinutes(1))
                                .putObjectRequest(r -> r.bucket(b).key(PutPresigner.PROBE_KEY))).url().toURI();
                    } catch (java.net.URISyntaxException e) {
                        throw new IllegalStateException(e);
                    }
                }, Clock.fixed(before, ZoneOffset.UTC));
                var mine = ours.presign(new PutPresigner.Fields(bucket, key, "application/pdf", 1234L, meta, "private", sha, "stowage=pending",
                        "private", "STANDARD"), CREDS, Duration.ofMinutes(15));
                URI t;
                try {
                    t = theirs.url().toURI();
                } catch (java.net.URISyntaxException e) {
                    throw new IllegalStateException(e);
                }
                assertThat(mine.url().getScheme() + "://" + mine.url().getRawAuthority() + mine.url().getRawPath())
                        .isEqualTo(t.getScheme() + "://" + t.getRawAuthority() + t.getRawPath());
                Map<String, String> q = query(mine.url()), tq = query(t);
                assertThat(q.keySet()).isEqualTo(tq.keySet());
                for (String name : new TreeSet<>(tq.keySet())) {
                    if (name.equals("X-Amz-Date") || name.equals("X-Amz-Signature")) continue;
                    assertThat(q.get(name)).as(name).isEqualTo(tq.get(name));
                }
                assertThat(new TreeMap<>(mine.signedHeaders())).isEqualTo(new TreeMap<>(theirs.signedHeaders()));
                if (q.get("X-Amz-Date").equals(tq.get("X-Amz-Date"))) {
                    assertThat(q.get("X-Amz-Signature")).as("same second, same signature").isEqualTo(tq.get("X-Amz-Signature"));
                    return;
                }
                if (attempt == 5) return; // the second turned six times between the two: every other part was compared
            }
        }
    }
}

package dev.stowage.buckets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.S3Clients;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The policy documents {@code buckets apply} writes, and how live documents are compared with them. */
class BucketPoliciesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final StowageConfig.Buckets NAMES = new StowageConfig.Buckets("uploads-raw", "uploads-processed", "system-backups", "access-logs");
    static final String CDN = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE";

    static BucketPlanner planner(Provider p, String endpoint, Optional<String> cdn) {
        var storage = new StowageConfig.Storage(p, endpoint == null ? null : URI.create(endpoint), "us-east-1", p != Provider.AWS, NAMES,
                new StowageConfig.Cors(List.of("https://app.example.com"), Duration.ofHours(1)));
        // building clients makes no request
        var s3 = S3Clients.create(storage, StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")));
        return new BucketPlanner(new dev.stowage.storage.S3ObjectStore(s3), storage, StowageConfig.BucketSettings.DEFAULT, cdn);
    }

    static JsonNode statement(String doc, String sid) throws Exception {
        for (JsonNode s : JSON.readTree(doc).path("Statement")) if (s.path("Sid").asText().equals(sid)) return s;
        throw new AssertionError("no statement " + sid + " in " + doc);
    }

    @Test
    void awsDeniesPlainHttpWithTheBoolFormAndLetsOnlyTheCdnReadProcessed() throws Exception {
        var p = planner(Provider.AWS, null, Optional.of(CDN));
        String raw = p.desiredPolicy(BucketKind.RAW).document();
        assertThat(JSON.readTree(raw).path("Statement")).hasSize(1);
        JsonNode deny = statement(raw, BucketPolicies.DENY_INSECURE);
        assertThat(deny.toString()).isEqualTo("{\"Sid\":\"StowageDenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                + "\"Resource\":[\"arn:aws:s3:::uploads-raw\",\"arn:aws:s3:::uploads-raw/*\"],"
                + "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}");

        String processed = p.desiredPolicy(BucketKind.PROCESSED).document();
        JsonNode oac = statement(processed, BucketPolicies.CDN_READ);
        assertThat(oac.toString()).isEqualTo("{\"Sid\":\"StowageCdnOriginRead\",\"Effect\":\"Allow\","
                + "\"Principal\":{\"Service\":\"cloudfront.amazonaws.com\"},\"Action\":\"s3:GetObject\","
                + "\"Resource\":\"arn:aws:s3:::uploads-processed/*\","
                + "\"Condition\":{\"StringEquals\":{\"AWS:SourceArn\":\"" + CDN + "\"}}}");
        assertThat(statement(processed, BucketPolicies.DENY_INSECURE)).isNotNull();
        // only processed carries the CDN statement
        assertThat(raw).doesNotContain("cloudfront");
        assertThat(p.desiredPolicy(BucketKind.BACKUPS).document()).doesNotContain("cloudfront");

        // the logs bucket lets the logging service deliver the other three buckets' logs
        JsonNode delivery = statement(p.desiredPolicy(BucketKind.LOGS).document(), BucketPolicies.LOG_DELIVERY);
        assertThat(delivery.at("/Principal/Service").asText()).isEqualTo("logging.s3.amazonaws.com");
        assertThat(delivery.at("/Condition/ArnLike/aws:SourceArn").toString())
                .isEqualTo("[\"arn:aws:s3:::uploads-raw\",\"arn:aws:s3:::uploads-processed\",\"arn:aws:s3:::system-backups\"]");
    }

    @Test
    void withoutACdnTheProcessedBucketHasNoOriginStatement() {
        var p = planner(Provider.AWS, null, Optional.empty());
        assertThat(p.desiredPolicy(BucketKind.PROCESSED).document()).doesNotContain("cloudfront").contains(BucketPolicies.DENY_INSECURE);
    }

    @Test
    void cephOverHttpsUsesBoolIfExistsAndOverHttpCannotRequireTls() throws Exception {
        var https = planner(Provider.CEPH, "https://rgw.example.com", Optional.empty());
        JsonNode deny = statement(https.desiredPolicy(BucketKind.RAW).document(), BucketPolicies.DENY_INSECURE);
        assertThat(deny.path("Condition").toString()).isEqualTo("{\"BoolIfExists\":{\"aws:SecureTransport\":\"false\"}}");

        var http = planner(Provider.CEPH, "http://127.0.0.1:7480", Optional.of(CDN));
        var want = http.desiredPolicy(BucketKind.PROCESSED);
        assertThat(want.document()).isNull();
        assertThat(want.unsupported().get("policy")).startsWith("unsupported by ceph over plain HTTP (http://127.0.0.1:7480)");
        assertThat(want.unsupported().get("policy cdn-origin")).startsWith("unsupported by ceph: CloudFront Origin Access Control needs AWS S3");
    }

    @Test
    void policiesCompareByMeaningNotSpelling() {
        String put = BucketPolicies.document(List.of(BucketPolicies.denyInsecureTransport("b", Provider.AWS)));
        String reformatted = """
                { "Statement" : [ { "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
                    "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"], "Action": ["s3:*"], "Principal": "*",
                    "Effect": "Deny", "Sid": "StowageDenyInsecureTransport" } ], "Version": "2012-10-17" }""";
        assertThat(BucketPolicies.same(put, reformatted)).isTrue();
        String opened = reformatted.replace("\"Deny\"", "\"Allow\"");
        assertThat(BucketPolicies.same(put, opened)).isFalse();
        assertThat(BucketPolicies.same(null, null)).isTrue();
        assertThat(BucketPolicies.same(put, null)).isFalse();
    }
}

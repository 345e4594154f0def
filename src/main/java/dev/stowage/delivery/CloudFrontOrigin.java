package dev.stowage.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stowage.config.StowageConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code stowage buckets plan} adds when {@code delivery.mode} is {@code cloudfront}: the processed
 * bucket's policy statement that lets only the distribution read (Origin Access Control: principal
 * service {@code cloudfront.amazonaws.com}, {@code s3:GetObject}, condition {@code AWS:SourceArn} = the
 * distribution's ARN; see "Restricting access to an Amazon S3 origin" in the CloudFront Developer Guide),
 * and the distribution settings to use, as text. The statement is the one {@code stowage buckets apply}
 * puts into the processed bucket's policy ({@link dev.stowage.buckets.BucketPolicies#cdnOriginRead}).
 */
public final class CloudFrontOrigin {
    /** Sid of the statement, so a planner can find and replace it in a live policy. */
    public static final String SID = dev.stowage.buckets.BucketPolicies.CDN_READ;
    /** AWS's managed cache policy that honours the origin's Cache-Control ("UseOriginCacheControlHeaders"). */
    public static final String CACHE_POLICY_USE_ORIGIN_HEADERS = "83da9c7e-98b4-4e11-a168-04f0df8e2c65";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CloudFrontOrigin() {}

    /**
     * The bucket policy statement.
     *
     * @param processedBucket the processed bucket's name
     * @param distributionArn {@code arn:aws:cloudfront::ACCOUNT:distribution/ID}
     * @return the statement as a map (serialise with Jackson)
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> policyStatement(String processedBucket, String distributionArn) {
        return JSON.convertValue(dev.stowage.buckets.BucketPolicies.cdnOriginRead(processedBucket, distributionArn), Map.class);
    }

    /** A whole bucket policy holding only {@link #policyStatement}, as JSON text. */
    public static String policyJson(String processedBucket, String distributionArn) {
        try {
            return JSON.writeValueAsString(Map.of("Version", "2012-10-17", "Statement", List.of(policyStatement(processedBucket, distributionArn))));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The distribution settings to use, one per line, for an operator to set in CloudFront (or in their
     * infrastructure code).
     *
     * @param config the whole configuration (processed bucket, region, delivery section)
     * @return the text, ending with a newline
     */
    public static String distributionSettings(StowageConfig config) {
        var d = config.delivery();
        String bucket = config.storage().buckets().processed();
        String region = config.storage().region();
        var cf = d.cloudFront();
        StringBuilder sb = new StringBuilder();
        sb.append("CloudFront distribution for ").append(d.cdnBaseUrl() == null ? "(delivery.cdn_base_url)" : d.cdnBaseUrl()).append('\n');
        sb.append("  origin: ").append(bucket).append(".s3.").append(region).append(".amazonaws.com (S3 origin, the processed bucket only; never ")
                .append(config.storage().buckets().raw()).append(")\n");
        sb.append("  origin access: Origin Access Control, signing behaviour \"always\", type s3 (bucket policy: ").append(SID).append(")\n");
        sb.append("  viewer protocol: redirect-to-https; allowed methods GET, HEAD\n");
        sb.append("  cache policy: Managed-UseOriginCacheControlHeaders (").append(CACHE_POLICY_USE_ORIGIN_HEADERS)
                .append("), honouring the variants' Cache-Control: public, max-age=31536000, immutable\n");
        sb.append("  restrict viewer access: yes, trusted key group ")
                .append(cf == null || cf.keyGroupId() == null ? "(delivery.cloudfront.key_group_id)" : cf.keyGroupId())
                .append(" holding public key ").append(cf == null ? "(delivery.cloudfront.key_pair_id)" : cf.keyPairId()).append('\n');
        sb.append("  distribution ARN: ").append(cf == null || cf.distributionArn() == null ? "(delivery.cloudfront.distribution_arn)" : cf.distributionArn()).append('\n');
        return sb.toString();
    }
}

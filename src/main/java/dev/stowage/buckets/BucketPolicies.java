package dev.stowage.buckets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stowage.config.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bucket policy statements Stowage manages, and a normal form of policy documents so that a policy a
 * store gives back (re-ordered, re-formatted, a one-element list turned into a string) compares equal
 * to the one that was put.
 */
public final class BucketPolicies {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Sid of the statement denying requests not made over TLS. */
    public static final String DENY_INSECURE = "StowageDenyInsecureTransport";
    /** Sid of the statement letting the CDN's origin identity read objects. */
    public static final String CDN_READ = "StowageCdnOriginRead";
    /** Sid of the statement letting the logging service write access logs. */
    public static final String LOG_DELIVERY = "StowageLogDelivery";

    private BucketPolicies() {}

    /**
     * The condition operator that makes {@code aws:SecureTransport} deny plain-HTTP requests on a provider.
     * AWS always sets the key, so {@code Bool} works there (and is the form AWS Config's
     * {@code s3-bucket-ssl-requests-only} looks for); Ceph RGW sets it only on TLS connections, so only
     * {@code BoolIfExists} matches a plain-HTTP request there.
     */
    public static String secureTransportOperator(Provider p) {
        return p == Provider.CEPH ? "BoolIfExists" : "Bool";
    }

    /** Deny every request to the bucket and its objects that is not made over TLS. */
    public static ObjectNode denyInsecureTransport(String bucket, Provider p) {
        ObjectNode s = statement(DENY_INSECURE, "Deny");
        s.put("Principal", "*");
        s.put("Action", "s3:*");
        s.set("Resource", strings(arn(bucket), arn(bucket) + "/*"));
        ObjectNode cond = F.objectNode();
        cond.putObject(secureTransportOperator(p)).put("aws:SecureTransport", "false");
        s.set("Condition", cond);
        return s;
    }

    /**
     * CloudFront Origin Access Control: the distribution (and nothing else) may read objects.
     *
     * @param distributionArn e.g. {@code arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE}
     */
    public static ObjectNode cdnOriginRead(String bucket, String distributionArn) {
        ObjectNode s = statement(CDN_READ, "Allow");
        s.putObject("Principal").put("Service", "cloudfront.amazonaws.com");
        s.put("Action", "s3:GetObject");
        s.put("Resource", arn(bucket) + "/*");
        s.putObject("Condition").putObject("StringEquals").put("AWS:SourceArn", distributionArn);
        return s;
    }

    /** The S3 logging service may write access logs of the source buckets under their prefixes. */
    public static ObjectNode logDelivery(String logsBucket, List<String> sourceBuckets) {
        ObjectNode s = statement(LOG_DELIVERY, "Allow");
        s.putObject("Principal").put("Service", "logging.s3.amazonaws.com");
        s.put("Action", "s3:PutObject");
        s.put("Resource", arn(logsBucket) + "/*");
        s.putObject("Condition").putObject("ArnLike").set("aws:SourceArn",
                strings(sourceBuckets.stream().map(BucketPolicies::arn).toArray(String[]::new)));
        return s;
    }

    /** A policy document of these statements, or {@code null} for none. */
    public static String document(List<ObjectNode> statements) {
        if (statements.isEmpty()) return null;
        ObjectNode doc = F.objectNode();
        doc.put("Version", "2012-10-17");
        ArrayNode st = doc.putArray("Statement");
        statements.forEach(st::add);
        return doc.toString();
    }

    /** {@code arn:aws:s3:::bucket}. */
    public static String arn(String bucket) {
        return "arn:aws:s3:::" + bucket;
    }

    private static ObjectNode statement(String sid, String effect) {
        ObjectNode s = F.objectNode();
        s.put("Sid", sid);
        s.put("Effect", effect);
        return s;
    }

    private static ArrayNode strings(String... values) {
        ArrayNode a = F.arrayNode();
        for (String v : values) a.add(v);
        return a;
    }

    /**
     * The normal form of a policy document: keys sorted, every scalar a text, every scalar-or-list a
     * sorted list, statements sorted. Two documents with the same normal form grant and deny the same.
     *
     * @throws IllegalArgumentException when the text is not JSON
     */
    public static Object normalize(String policy) {
        try {
            return normal(JSON.readTree(policy));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not a JSON policy: " + e.getMessage(), e);
        }
    }

    private static Object normal(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new TreeMap<>();
            n.properties().forEach(e -> m.put(e.getKey(), normal(e.getValue())));
            return m;
        }
        List<String> items = new ArrayList<>();
        if (n.isArray()) {
            for (JsonNode c : n) {
                Object v = normal(c);
                items.add(v instanceof List<?> l && l.size() == 1 ? String.valueOf(l.getFirst()) : String.valueOf(v));
            }
        } else {
            items.add(n.asText());
        }
        items.sort(null);
        return items;
    }

    /** Whether two documents are the same policy ({@code null} = no policy). */
    public static boolean same(String a, String b) {
        if (a == null || b == null) return a == null && b == null;
        return normalize(a).equals(normalize(b));
    }

    /** The statements of a policy document (empty for {@code null}). */
    public static List<JsonNode> statements(String policy) {
        if (policy == null) return List.of();
        try {
            JsonNode st = JSON.readTree(policy).path("Statement");
            List<JsonNode> out = new ArrayList<>();
            if (st.isArray()) st.forEach(out::add);
            else if (st.isObject()) out.add(st);
            return out;
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}

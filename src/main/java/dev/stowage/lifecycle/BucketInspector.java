package dev.stowage.lifecycle;

import dev.stowage.storage.Capability;
import dev.stowage.storage.S3Clients;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CORSRule;
import software.amazon.awssdk.services.s3.model.Grant;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LoggingEnabled;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.PublicAccessBlockConfiguration;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Reads the live settings of a bucket, one setting per call. A setting that is absent (S3 answers 404
 * with {@code NoSuch…Configuration}) reads as empty, never as an error. Callers check the provider's
 * capability before asking (docs/architecture.md §9).
 */
public final class BucketInspector {
    private final S3Clients s3;

    /** @param s3 clients for the configured provider */
    public BucketInspector(S3Clients s3) {
        this.s3 = s3;
    }

    /** Whether the bucket exists (and is reachable with these credentials). */
    public boolean exists(String bucket) {
        try {
            s3.client().headBucket(r -> r.bucket(bucket));
            return true;
        } catch (NoSuchBucketException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return false;
            throw e;
        }
    }

    /** {@code Enabled}, {@code Suspended}, or {@code null} when versioning was never enabled. */
    public String versioning(String bucket) {
        BucketVersioningStatus st = s3.client().getBucketVersioning(r -> r.bucket(bucket)).status();
        return st == null || st == BucketVersioningStatus.UNKNOWN_TO_SDK_VERSION ? null : st.toString();
    }

    /** The lifecycle rules, empty when there are none. */
    public List<LifecycleRule> lifecycle(String bucket) {
        try {
            return s3.client().getBucketLifecycleConfiguration(r -> r.bucket(bucket)).rules();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return List.of();
            throw e;
        }
    }

    /** The default encryption algorithm ({@code AES256}, {@code aws:kms}, …), or {@code null} for none. */
    public String encryption(String bucket) {
        try {
            var cfg = s3.client().getBucketEncryption(r -> r.bucket(bucket)).serverSideEncryptionConfiguration();
            if (cfg == null || cfg.rules() == null || cfg.rules().isEmpty()) return null;
            var d = cfg.rules().getFirst().applyServerSideEncryptionByDefault();
            return d == null ? null : d.sseAlgorithmAsString();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return null;
            throw e;
        }
    }

    /** The bucket's block public access settings, or {@code null} when none are set. */
    public PublicAccessBlockConfiguration publicAccessBlock(String bucket) {
        try {
            return s3.client().getPublicAccessBlock(r -> r.bucket(bucket)).publicAccessBlockConfiguration();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return null;
            throw e;
        }
    }

    /** Where access logs go, or {@code null} when logging is off. */
    public LoggingEnabled logging(String bucket) {
        return s3.client().getBucketLogging(r -> r.bucket(bucket)).loggingEnabled();
    }

    /** The bucket policy document, or {@code null} for none. */
    public String policy(String bucket) {
        try {
            String p = s3.client().getBucketPolicy(r -> r.bucket(bucket)).policy();
            return p == null || p.isBlank() ? null : p;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return null;
            throw e;
        }
    }

    /** The CORS rules, empty when there are none. */
    public List<CORSRule> cors(String bucket) {
        try {
            return s3.client().getBucketCors(r -> r.bucket(bucket)).corsRules();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return List.of();
            throw e;
        }
    }

    /** The bucket ACL's grants. */
    public List<Grant> aclGrants(String bucket) {
        return s3.client().getBucketAcl(r -> r.bucket(bucket)).grants();
    }

    /**
     * Everything this provider lets Stowage read about a bucket, as plain values for a snapshot
     * (backups) or a report.
     */
    public Map<String, Object> snapshot(String bucket) {
        Map<String, Object> out = new LinkedHashMap<>();
        boolean exists = exists(bucket);
        out.put("exists", exists);
        if (!exists) return out;
        var p = s3.profile();
        if (p.has(Capability.VERSIONING)) out.put("versioning", versioning(bucket));
        if (p.has(Capability.LIFECYCLE)) out.put("lifecycle", lifecycle(bucket).stream().map(r -> LifecycleRules.view(r).describe()).toList());
        if (p.has(Capability.DEFAULT_ENCRYPTION)) out.put("encryption", encryption(bucket));
        if (p.has(Capability.BLOCK_PUBLIC_ACCESS)) {
            var pab = publicAccessBlock(bucket);
            out.put("publicAccessBlock", pab == null ? null : map("blockPublicAcls", pab.blockPublicAcls(),
                    "ignorePublicAcls", pab.ignorePublicAcls(), "blockPublicPolicy", pab.blockPublicPolicy(),
                    "restrictPublicBuckets", pab.restrictPublicBuckets()));
        }
        if (p.has(Capability.ACCESS_LOGGING)) {
            var l = logging(bucket);
            out.put("logging", l == null ? null : map("targetBucket", l.targetBucket(), "targetPrefix", l.targetPrefix()));
        }
        if (p.has(Capability.BUCKET_POLICY)) out.put("policy", policy(bucket));
        if (p.has(Capability.PER_BUCKET_CORS)) {
            out.put("cors", cors(bucket).stream().map(r -> map("allowedOrigins", r.allowedOrigins(), "allowedMethods", r.allowedMethods(),
                    "allowedHeaders", r.allowedHeaders(), "exposeHeaders", r.exposeHeaders(),
                    "maxAgeSeconds", r.maxAgeSeconds() == null ? 0 : r.maxAgeSeconds())).toList());
        }
        return out;
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}

package dev.stowage.buckets;

import dev.stowage.storage.BucketAdmin;
import dev.stowage.storage.BucketAdmin.AccessLogging;
import dev.stowage.storage.BucketAdmin.CorsRule;
import dev.stowage.storage.BucketAdmin.Grant;
import dev.stowage.storage.BucketAdmin.LifecycleRule;
import dev.stowage.storage.BucketAdmin.PublicAccessBlock;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the live settings of a bucket, one setting per call, through the store's {@link BucketAdmin}. A
 * setting that is absent (S3 answers 404 with {@code NoSuch…Configuration}) reads as empty, never as an
 * error. Callers check the provider's capability before asking (docs/architecture.md §9).
 */
public final class BucketInspector {
    private final ObjectStore s3;
    private final BucketAdmin admin;

    /** @param s3 the object store of the configured provider */
    public BucketInspector(ObjectStore s3) {
        this.s3 = s3;
        this.admin = s3.buckets();
    }

    /** Whether the bucket exists (and is reachable with these credentials). */
    public boolean exists(String bucket) {
        return admin.exists(bucket);
    }

    /** {@code Enabled}, {@code Suspended}, or {@code null} when versioning was never enabled. */
    public String versioning(String bucket) {
        return admin.versioning(bucket);
    }

    /** The lifecycle rules, empty when there are none. */
    public List<LifecycleRule> lifecycle(String bucket) {
        return admin.lifecycle(bucket);
    }

    /** The default encryption algorithm ({@code AES256}, {@code aws:kms}, …), or {@code null} for none. */
    public String encryption(String bucket) {
        return admin.encryption(bucket);
    }

    /** The bucket's block public access settings, or {@code null} when none are set. */
    public PublicAccessBlock publicAccessBlock(String bucket) {
        return admin.publicAccessBlock(bucket);
    }

    /** Where access logs go, or {@code null} when logging is off. */
    public AccessLogging logging(String bucket) {
        return admin.logging(bucket);
    }

    /** The bucket policy document, or {@code null} for none. */
    public String policy(String bucket) {
        return admin.policy(bucket);
    }

    /** The CORS rules, empty when there are none. */
    public List<CorsRule> cors(String bucket) {
        return admin.cors(bucket);
    }

    /** The bucket ACL's grants. */
    public List<Grant> aclGrants(String bucket) {
        return admin.aclGrants(bucket);
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

package dev.stowage.storage;

import java.util.List;
import java.util.Map;

/**
 * Bucket settings behind the store seam (docs/architecture.md §7, §9): what buckets as code
 * ({@code buckets.BucketPlanner}), the audit and backups read and write, in Stowage's own types.
 * A setting that is absent reads as empty ({@code null} or an empty list), never as an error. Callers ask
 * the provider's {@link ProviderProfile} before touching a setting it cannot hold.
 *
 * <p>Every method throws {@link StoreException} when the store refuses the request or cannot be reached.
 */
public interface BucketAdmin {

    /** Whether the bucket exists and these credentials reach it (HEAD answered 200; 404 means no). */
    boolean exists(String bucket);

    /**
     * {@link #exists}, answered within the deadline of a short call ({@code storage.timeouts.call_ms}): for
     * readiness probes, which must say "down" in time rather than wait for the store.
     *
     * @throws StoreException when the store refuses, cannot be reached or does not answer in time
     */
    default boolean probe(String bucket) {
        return exists(bucket);
    }

    /**
     * Creates a bucket; one that exists and is ours already counts as created.
     *
     * @param region the location constraint; none is sent for {@code us-east-1} and {@code auto}
     */
    void create(String bucket, String region);

    /** {@code Enabled}, {@code Suspended}, or {@code null} when versioning was never enabled. */
    String versioning(String bucket);

    /** Enables or suspends versioning (it cannot be removed once enabled). */
    void setVersioning(String bucket, boolean enabled);

    /** The lifecycle rules, empty when there are none. */
    List<LifecycleRule> lifecycle(String bucket);

    /** Replaces the lifecycle rules. */
    void setLifecycle(String bucket, List<LifecycleRule> rules);

    /** Removes every lifecycle rule. */
    void deleteLifecycle(String bucket);

    /** The default encryption algorithm ({@code AES256}, {@code aws:kms}, …), or {@code null} for none. */
    String encryption(String bucket);

    /** Sets default encryption, e.g. {@code AES256} (SSE-S3). */
    void setEncryption(String bucket, String algorithm);

    /** The block public access settings, or {@code null} when none are set. */
    PublicAccessBlock publicAccessBlock(String bucket);

    /** Turns on all four block public access settings. */
    void blockPublicAccess(String bucket);

    /** Where server access logs go, or {@code null} when logging is off. */
    AccessLogging logging(String bucket);

    /** Sets the access-log target; {@code null} turns logging off. */
    void setLogging(String bucket, AccessLogging target);

    /** The bucket policy document (JSON), or {@code null} for none. */
    String policy(String bucket);

    /** Replaces the bucket policy. */
    void setPolicy(String bucket, String document);

    /** Removes the bucket policy. */
    void deletePolicy(String bucket);

    /** The CORS rules, empty when there are none. */
    List<CorsRule> cors(String bucket);

    /** Replaces the CORS rules. */
    void setCors(String bucket, List<CorsRule> rules);

    /** Removes the CORS rules. */
    void deleteCors(String bucket);

    /** The bucket ACL's grants. */
    List<Grant> aclGrants(String bucket);

    /**
     * A lifecycle rule reduced to what it does, so rules from any store compare equal when they do the
     * same (AWS answers with {@code Filter}, Ceph RGW with the legacy top-level {@code Prefix}).
     *
     * @param id                  rule id
     * @param enabled             status {@code Enabled}
     * @param prefix              key prefix filter ({@code ""} = every object)
     * @param tags                tag filter, sorted by key (empty = none)
     * @param transitions         transitions to other storage classes
     * @param expirationDays      expire current objects after days, or 0
     * @param expiredDeleteMarker remove expired delete markers
     * @param noncurrentDays      expire noncurrent versions after days, or 0
     * @param abortDays           abort incomplete multipart uploads after days, or 0
     */
    record LifecycleRule(String id, boolean enabled, String prefix, Map<String, String> tags, List<Transition> transitions,
                         int expirationDays, boolean expiredDeleteMarker, int noncurrentDays, int abortDays) {
        public LifecycleRule {
            id = id == null ? "" : id;
            prefix = prefix == null ? "" : prefix;
            tags = tags == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(tags));
            transitions = transitions == null ? List.of() : List.copyOf(transitions);
        }

        /** An enabled rule over every object that does nothing yet. */
        public static LifecycleRule of(String id) {
            return new LifecycleRule(id, true, "", Map.of(), List.of(), 0, false, 0, 0);
        }

        /** This rule limited to keys starting with {@code p}. */
        public LifecycleRule withPrefix(String p) {
            return new LifecycleRule(id, enabled, p, tags, transitions, expirationDays, expiredDeleteMarker, noncurrentDays, abortDays);
        }

        public LifecycleRule withTag(String key, String value) {
            var t = new java.util.TreeMap<>(tags);
            t.put(key, value);
            return new LifecycleRule(id, enabled, prefix, t, transitions, expirationDays, expiredDeleteMarker, noncurrentDays, abortDays);
        }

        public LifecycleRule withTransition(int days, String storageClass) {
            var t = new java.util.ArrayList<>(transitions);
            t.add(new Transition(days, storageClass));
            return new LifecycleRule(id, enabled, prefix, tags, t, expirationDays, expiredDeleteMarker, noncurrentDays, abortDays);
        }

        public LifecycleRule withExpirationDays(int days) {
            return new LifecycleRule(id, enabled, prefix, tags, transitions, days, expiredDeleteMarker, noncurrentDays, abortDays);
        }

        public LifecycleRule withExpiredDeleteMarker(boolean remove) {
            return new LifecycleRule(id, enabled, prefix, tags, transitions, expirationDays, remove, noncurrentDays, abortDays);
        }

        public LifecycleRule withNoncurrentDays(int days) {
            return new LifecycleRule(id, enabled, prefix, tags, transitions, expirationDays, expiredDeleteMarker, days, abortDays);
        }

        public LifecycleRule withAbortDays(int days) {
            return new LifecycleRule(id, enabled, prefix, tags, transitions, expirationDays, expiredDeleteMarker, noncurrentDays, days);
        }
    }

    /** Move objects to {@code storageClass} ({@code STANDARD_IA}, {@code GLACIER}, …) after {@code days}. */
    record Transition(int days, String storageClass) {}

    /** The four block public access settings; {@code null} where the store gave none. */
    record PublicAccessBlock(Boolean blockPublicAcls, Boolean ignorePublicAcls, Boolean blockPublicPolicy,
                             Boolean restrictPublicBuckets) {
        /** Whether all four are on. */
        public boolean all() {
            return Boolean.TRUE.equals(blockPublicAcls) && Boolean.TRUE.equals(ignorePublicAcls)
                    && Boolean.TRUE.equals(blockPublicPolicy) && Boolean.TRUE.equals(restrictPublicBuckets);
        }
    }

    /** Server access logs go to {@code targetBucket} under {@code targetPrefix}. */
    record AccessLogging(String targetBucket, String targetPrefix) {}

    /**
     * One CORS rule.
     *
     * @param id            rule id, or {@code null}
     * @param maxAgeSeconds preflight cache seconds, or {@code null}
     */
    record CorsRule(String id, List<String> allowedOrigins, List<String> allowedMethods, List<String> allowedHeaders,
                    List<String> exposeHeaders, Integer maxAgeSeconds) {
        public CorsRule {
            allowedOrigins = allowedOrigins == null ? List.of() : List.copyOf(allowedOrigins);
            allowedMethods = allowedMethods == null ? List.of() : List.copyOf(allowedMethods);
            allowedHeaders = allowedHeaders == null ? List.of() : List.copyOf(allowedHeaders);
            exposeHeaders = exposeHeaders == null ? List.of() : List.copyOf(exposeHeaders);
        }
    }

    /**
     * One ACL grant.
     *
     * @param granteeUri the group URI ({@code http://acs.amazonaws.com/groups/global/AllUsers}, …), or {@code null}
     * @param granteeId  the canonical user id, or {@code null}
     * @param permission {@code READ}, {@code WRITE}, {@code READ_ACP}, {@code WRITE_ACP} or {@code FULL_CONTROL}
     */
    record Grant(String granteeUri, String granteeId, String permission) {}

    /**
     * The bytes and objects a bucket holds as the provider itself counts them, without listing it: one
     * request whatever the number of objects. Where a provider counts every version (Ceph RGW does), the
     * figures include noncurrent versions, which the store bills too.
     *
     * @param bytes   the objects' sizes summed, bytes
     * @param objects how many objects (versions included where the provider counts them)
     * @param source  where the figures come from, e.g. {@code ceph-admin-bucket-stats}
     */
    record Usage(long bytes, long objects, String source) {}

    /**
     * The provider's own count of a bucket's bytes and objects (docs/architecture.md §7), for the cost view
     * on stores too large to list often. Empty where the provider offers none, or where it refuses these
     * credentials (on Ceph RGW: the admin operations API needs the user capability {@code buckets=read});
     * the caller then lists the bucket.
     *
     * @throws StoreException when the store cannot be reached or answers with a server error
     */
    default java.util.Optional<Usage> usage(String bucket) {
        return java.util.Optional.empty();
    }
}

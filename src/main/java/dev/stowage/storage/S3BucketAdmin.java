package dev.stowage.storage;

import static dev.stowage.storage.S3ObjectStore.call;
import static dev.stowage.storage.S3ObjectStore.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CORSConfiguration;
import software.amazon.awssdk.services.s3.model.CORSRule;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRuleAndOperator;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.LoggingEnabled;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * {@link BucketAdmin} over the AWS SDK v2 client of {@link S3Clients}. Settings a store reports as absent
 * (404 with {@code NoSuch…Configuration}) read as empty.
 */
final class S3BucketAdmin implements BucketAdmin {
    private final S3Clients s3;
    private final RgwBucketStats rgwStats;

    S3BucketAdmin(S3Clients s3) {
        this.s3 = s3;
        this.rgwStats = s3.profile().provider() == dev.stowage.config.Provider.CEPH ? new RgwBucketStats(s3) : null;
    }

    @Override
    public java.util.Optional<Usage> usage(String bucket) {
        return rgwStats == null ? java.util.Optional.empty() : rgwStats.usage(bucket);
    }

    /** The answer, or {@code absent} when the store says the setting is not there (404). */
    private static <T> T orAbsent(Supplier<T> read, T absent) {
        try {
            return call(read);
        } catch (StoreException e) {
            if (e.notFound()) return absent;
            throw e;
        }
    }

    @Override
    public boolean exists(String bucket) {
        return orAbsent(() -> {
            s3.client().headBucket(r -> r.bucket(bucket));
            return true;
        }, false);
    }

    @Override
    public boolean probe(String bucket) {
        return orAbsent(() -> {
            s3.shortCalls().headBucket(r -> r.bucket(bucket));
            return true;
        }, false);
    }

    @Override
    public void create(String bucket, String region) {
        var req = CreateBucketRequest.builder().bucket(bucket);
        if (!region.equals("us-east-1") && !region.equals("auto")) {
            req.createBucketConfiguration(c -> c.locationConstraint(region));
        }
        run(() -> {
            try {
                s3.client().createBucket(req.build());
            } catch (BucketAlreadyOwnedByYouException e) {
                // created concurrently by another apply: fine
            }
        });
    }

    @Override
    public String versioning(String bucket) {
        BucketVersioningStatus st = call(() -> s3.client().getBucketVersioning(r -> r.bucket(bucket)).status());
        return st == null || st == BucketVersioningStatus.UNKNOWN_TO_SDK_VERSION ? null : st.toString();
    }

    @Override
    public void setVersioning(String bucket, boolean enabled) {
        run(() -> s3.client().putBucketVersioning(r -> r.bucket(bucket).versioningConfiguration(v -> v.status(
                enabled ? BucketVersioningStatus.ENABLED : BucketVersioningStatus.SUSPENDED))));
    }

    @Override
    public List<LifecycleRule> lifecycle(String bucket) {
        var rules = orAbsent(() -> s3.client().getBucketLifecycleConfiguration(r -> r.bucket(bucket)).rules(),
                List.<software.amazon.awssdk.services.s3.model.LifecycleRule>of());
        return rules.stream().map(S3BucketAdmin::rule).toList();
    }

    /** A rule as the store reported it, reduced to what it does. */
    @SuppressWarnings("deprecation") // the legacy top-level Prefix is what RGW answers with
    static LifecycleRule rule(software.amazon.awssdk.services.s3.model.LifecycleRule r) {
        String prefix = r.prefix();
        Map<String, String> tags = new LinkedHashMap<>();
        LifecycleRuleFilter f = r.filter();
        if (f != null) {
            if (f.prefix() != null) prefix = f.prefix();
            if (f.tag() != null) tags.put(f.tag().key(), f.tag().value());
            if (f.and() != null) {
                if (f.and().prefix() != null) prefix = f.and().prefix();
                if (f.and().tags() != null) f.and().tags().forEach(t -> tags.put(t.key(), t.value()));
            }
        }
        List<Transition> transitions = r.transitions() == null ? List.of() : r.transitions().stream()
                .map(t -> new Transition(t.days() == null ? 0 : t.days(), t.storageClassAsString())).toList();
        int expDays = r.expiration() != null && r.expiration().days() != null ? r.expiration().days() : 0;
        boolean marker = r.expiration() != null && Boolean.TRUE.equals(r.expiration().expiredObjectDeleteMarker());
        int nc = r.noncurrentVersionExpiration() != null && r.noncurrentVersionExpiration().noncurrentDays() != null
                ? r.noncurrentVersionExpiration().noncurrentDays() : 0;
        int abort = r.abortIncompleteMultipartUpload() != null && r.abortIncompleteMultipartUpload().daysAfterInitiation() != null
                ? r.abortIncompleteMultipartUpload().daysAfterInitiation() : 0;
        return new LifecycleRule(r.id(), r.status() == ExpirationStatus.ENABLED, prefix, tags, transitions, expDays, marker, nc, abort);
    }

    /** A rule as the SDK sends it: a prefix filter, a tag filter, or both under {@code And}. */
    static software.amazon.awssdk.services.s3.model.LifecycleRule rule(LifecycleRule r) {
        var b = software.amazon.awssdk.services.s3.model.LifecycleRule.builder().id(r.id())
                .status(r.enabled() ? ExpirationStatus.ENABLED : ExpirationStatus.DISABLED);
        List<Tag> tags = r.tags().entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
        if (tags.isEmpty()) b.filter(LifecycleRuleFilter.builder().prefix(r.prefix()).build());
        else if (tags.size() == 1 && r.prefix().isEmpty()) b.filter(f -> f.tag(tags.getFirst()));
        else b.filter(f -> f.and(LifecycleRuleAndOperator.builder().prefix(r.prefix()).tags(tags).build()));
        if (!r.transitions().isEmpty()) {
            b.transitions(r.transitions().stream().map(t -> software.amazon.awssdk.services.s3.model.Transition.builder()
                    .days(t.days()).storageClass(t.storageClass()).build()).toList());
        }
        if (r.expirationDays() > 0 || r.expiredDeleteMarker()) {
            b.expiration(e -> {
                if (r.expirationDays() > 0) e.days(r.expirationDays());
                if (r.expiredDeleteMarker()) e.expiredObjectDeleteMarker(true);
            });
        }
        if (r.noncurrentDays() > 0) b.noncurrentVersionExpiration(n -> n.noncurrentDays(r.noncurrentDays()));
        if (r.abortDays() > 0) b.abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(r.abortDays()));
        return b.build();
    }

    @Override
    public void setLifecycle(String bucket, List<LifecycleRule> rules) {
        var sdk = rules.stream().map(S3BucketAdmin::rule).toList();
        run(() -> s3.client().putBucketLifecycleConfiguration(r -> r.bucket(bucket).lifecycleConfiguration(l -> l.rules(sdk))));
    }

    @Override
    public void deleteLifecycle(String bucket) {
        run(() -> s3.client().deleteBucketLifecycle(r -> r.bucket(bucket)));
    }

    @Override
    public String encryption(String bucket) {
        return orAbsent(() -> {
            var cfg = s3.client().getBucketEncryption(r -> r.bucket(bucket)).serverSideEncryptionConfiguration();
            if (cfg == null || cfg.rules() == null || cfg.rules().isEmpty()) return null;
            var d = cfg.rules().getFirst().applyServerSideEncryptionByDefault();
            return d == null ? null : d.sseAlgorithmAsString();
        }, null);
    }

    @Override
    public void setEncryption(String bucket, String algorithm) {
        run(() -> s3.client().putBucketEncryption(r -> r.bucket(bucket).serverSideEncryptionConfiguration(s -> s.rules(
                rule -> rule.applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(algorithm))))));
    }

    @Override
    public PublicAccessBlock publicAccessBlock(String bucket) {
        var c = orAbsent(() -> s3.client().getPublicAccessBlock(r -> r.bucket(bucket)).publicAccessBlockConfiguration(), null);
        return c == null ? null : new PublicAccessBlock(c.blockPublicAcls(), c.ignorePublicAcls(), c.blockPublicPolicy(), c.restrictPublicBuckets());
    }

    @Override
    public void blockPublicAccess(String bucket) {
        run(() -> s3.client().putPublicAccessBlock(r -> r.bucket(bucket).publicAccessBlockConfiguration(p -> p
                .blockPublicAcls(true).ignorePublicAcls(true).blockPublicPolicy(true).restrictPublicBuckets(true))));
    }

    @Override
    public AccessLogging logging(String bucket) {
        LoggingEnabled l = call(() -> s3.client().getBucketLogging(r -> r.bucket(bucket)).loggingEnabled());
        return l == null ? null : new AccessLogging(l.targetBucket(), l.targetPrefix());
    }

    @Override
    public void setLogging(String bucket, AccessLogging target) {
        LoggingEnabled want = target == null ? null
                : LoggingEnabled.builder().targetBucket(target.targetBucket()).targetPrefix(target.targetPrefix()).build();
        run(() -> s3.client().putBucketLogging(r -> r.bucket(bucket).bucketLoggingStatus(s -> {
            if (want != null) s.loggingEnabled(want);
        })));
    }

    @Override
    public String policy(String bucket) {
        String p = orAbsent(() -> s3.client().getBucketPolicy(r -> r.bucket(bucket)).policy(), null);
        return p == null || p.isBlank() ? null : p;
    }

    @Override
    public void setPolicy(String bucket, String document) {
        run(() -> s3.client().putBucketPolicy(r -> r.bucket(bucket).policy(document)));
    }

    @Override
    public void deletePolicy(String bucket) {
        run(() -> s3.client().deleteBucketPolicy(r -> r.bucket(bucket)));
    }

    @Override
    public List<CorsRule> cors(String bucket) {
        List<CORSRule> rules = orAbsent(() -> s3.client().getBucketCors(r -> r.bucket(bucket)).corsRules(), List.of());
        List<CorsRule> out = new ArrayList<>(rules.size());
        for (CORSRule r : rules) {
            out.add(new CorsRule(r.id(), r.allowedOrigins(), r.allowedMethods(), r.allowedHeaders(), r.exposeHeaders(), r.maxAgeSeconds()));
        }
        return out;
    }

    @Override
    public void setCors(String bucket, List<CorsRule> rules) {
        List<CORSRule> sdk = rules.stream().map(r -> CORSRule.builder().id(r.id()).allowedOrigins(r.allowedOrigins())
                .allowedMethods(r.allowedMethods()).allowedHeaders(r.allowedHeaders()).exposeHeaders(r.exposeHeaders())
                .maxAgeSeconds(r.maxAgeSeconds()).build()).toList();
        run(() -> s3.client().putBucketCors(r -> r.bucket(bucket).corsConfiguration(CORSConfiguration.builder().corsRules(sdk).build())));
    }

    @Override
    public void deleteCors(String bucket) {
        run(() -> s3.client().deleteBucketCors(r -> r.bucket(bucket)));
    }

    @Override
    public List<Grant> aclGrants(String bucket) {
        return call(() -> s3.client().getBucketAcl(r -> r.bucket(bucket)).grants()).stream()
                .map(g -> new Grant(g.grantee() == null ? null : g.grantee().uri(), g.grantee() == null ? null : g.grantee().id(),
                        g.permissionAsString()))
                .toList();
    }
}

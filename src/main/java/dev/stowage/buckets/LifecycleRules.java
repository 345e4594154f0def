package dev.stowage.buckets;

import dev.stowage.config.StowageConfig;
import dev.stowage.storage.BucketAdmin.LifecycleRule;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.storage.ObjectTags;
import dev.stowage.storage.ProviderProfile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The lifecycle rules one bucket's configuration asks for (docs/architecture.md §7), and a provider-neutral view of
 * rules to compare them with what a store reports (AWS answers with {@code Filter}, Ceph RGW with the
 * legacy top-level {@code Prefix}; both sort or keep rules as they like).
 */
public final class LifecycleRules {
    /** Rule id: transition to a cheaper storage class. */
    public static final String TRANSITION = "stowage-transition";
    /** Rule id: expiration of current objects. */
    public static final String EXPIRE = "stowage-expire";
    /** Rule id: expiration of objects still tagged as temporary (never verified) uploads. */
    public static final String EXPIRE_TEMPORARY = "stowage-expire-temporary";
    /**
     * Rule id: expiration of everything under {@code staging/} (what clients upload, promoted by the verifier)
     * and abort of multipart uploads there, after {@code temporary_expire_days}.
     */
    public static final String EXPIRE_STAGING = "stowage-expire-staging";
    /** Rule id: abort incomplete multipart uploads. */
    public static final String ABORT_MULTIPART = "stowage-abort-multipart";
    /** Rule id: expire noncurrent versions and remove expired delete markers. */
    public static final String NONCURRENT = "stowage-noncurrent";

    private LifecycleRules() {}

    /** The rules wanted and, per rule the provider cannot run, what Stowage does instead. */
    public record Desired(List<LifecycleRule> rules, Map<String, String> unsupported) {}

    /**
     * The rules a bucket should have.
     *
     * @param r       the bucket's lifecycle settings
     * @param profile the provider (rules it cannot run are left out and listed in {@link Desired#unsupported()})
     */
    public static Desired desired(StowageConfig.BucketRules r, ProviderProfile profile) {
        List<LifecycleRule> rules = new ArrayList<>();
        Map<String, String> unsupported = new LinkedHashMap<>();
        if (r.transitionDays() > 0) {
            if (profile.hasStorageClass(r.transitionStorageClass())) {
                rules.add(LifecycleRule.of(TRANSITION).withTransition(r.transitionDays(), r.transitionStorageClass()));
            } else {
                unsupported.put(TRANSITION, profile.provider().id() + " has no storage class " + r.transitionStorageClass()
                        + " (it has " + String.join(", ", new java.util.TreeSet<>(profile.storageClasses()))
                        + "): objects stay in STANDARD; set transition_storage_class to one of those or transition_days to 0");
            }
        }
        if (r.expireDays() > 0) {
            rules.add(LifecycleRule.of(EXPIRE).withExpirationDays(r.expireDays()));
        }
        if (r.temporaryExpireDays() > 0) {
            if (profile.has(Capability.TAG_FILTERED_LIFECYCLE) && profile.has(Capability.OBJECT_TAGGING)) {
                rules.add(LifecycleRule.of(EXPIRE_TEMPORARY).withTag(ObjectTags.STATE_KEY, ObjectTags.PENDING)
                        .withExpirationDays(r.temporaryExpireDays()));
            } else {
                Capability missing = profile.has(Capability.OBJECT_TAGGING) ? Capability.TAG_FILTERED_LIFECYCLE : Capability.OBJECT_TAGGING;
                unsupported.put(EXPIRE_TEMPORARY, profile.insteadOf(missing));
            }
        }
        if (r.temporaryExpireDays() > 0) {
            // a prefix rule: needs no tagging, so it runs wherever there is lifecycle (R2 included)
            rules.add(LifecycleRule.of(EXPIRE_STAGING).withPrefix(ObjectKeys.STAGING_PREFIX)
                    .withExpirationDays(r.temporaryExpireDays()).withAbortDays(r.temporaryExpireDays()));
        }
        if (r.abortIncompleteMultipartDays() > 0) {
            rules.add(LifecycleRule.of(ABORT_MULTIPART).withAbortDays(r.abortIncompleteMultipartDays()));
        }
        if (r.versioning() && (r.noncurrentExpireDays() > 0 || r.removeExpiredDeleteMarkers())) {
            if (profile.has(Capability.VERSIONING)) {
                rules.add(LifecycleRule.of(NONCURRENT).withNoncurrentDays(Math.max(r.noncurrentExpireDays(), 0))
                        .withExpiredDeleteMarker(r.removeExpiredDeleteMarkers()));
            } else {
                unsupported.put(NONCURRENT, profile.insteadOf(Capability.VERSIONING));
            }
        }
        if (!profile.has(Capability.LIFECYCLE)) {
            Map<String, String> all2 = new LinkedHashMap<>();
            for (LifecycleRule rule : rules) all2.put(rule.id(), profile.insteadOf(Capability.LIFECYCLE));
            all2.putAll(unsupported);
            return new Desired(List.of(), all2);
        }
        return new Desired(List.copyOf(rules), unsupported);
    }

    /**
     * A rule reduced to what it does, so rules from any store compare equal when they do the same.
     *
     * @param id                  rule id
     * @param enabled             status Enabled
     * @param prefix              key prefix filter ("" = every object)
     * @param tags                tag filter, {@code key=value} sorted
     * @param transitions         {@code days→CLASS} sorted
     * @param expirationDays      days, or 0
     * @param expiredDeleteMarker removes expired delete markers
     * @param noncurrentDays      days, or 0
     * @param abortDays           days, or 0
     */
    public record View(String id, boolean enabled, String prefix, List<String> tags, List<String> transitions,
                       int expirationDays, boolean expiredDeleteMarker, int noncurrentDays, int abortDays) {

        /** One line describing the rule, e.g. {@code stowage-transition: after 30 d to STANDARD_IA}. */
        public String describe() {
            List<String> parts = new ArrayList<>();
            if (!prefix.isEmpty()) parts.add("prefix " + prefix);
            if (!tags.isEmpty()) parts.add("tag " + String.join(",", tags));
            for (String t : transitions) parts.add("after " + t.replace("→", " d to "));
            if (expirationDays > 0) parts.add("expire after " + expirationDays + " d");
            if (noncurrentDays > 0) parts.add("noncurrent versions expire after " + noncurrentDays + " d");
            if (expiredDeleteMarker) parts.add("expired delete markers removed");
            if (abortDays > 0) parts.add("incomplete multipart uploads aborted after " + abortDays + " d");
            if (!enabled) parts.add("DISABLED");
            return id + " (" + String.join(", ", parts) + ")";
        }
    }

    /** The view of a rule as built or as a store reported it. */
    public static View view(LifecycleRule r) {
        List<String> tags = new ArrayList<>();
        r.tags().forEach((k, v) -> tags.add(k + "=" + v));
        tags.sort(Comparator.naturalOrder());
        List<String> transitions = r.transitions().stream().map(t -> t.days() + "→" + t.storageClass()).sorted().toList();
        return new View(r.id(), r.enabled(), r.prefix(), List.copyOf(tags), transitions, r.expirationDays(),
                r.expiredDeleteMarker(), r.noncurrentDays(), r.abortDays());
    }

    /** Views of rules keyed and sorted by id. */
    public static Map<String, View> views(List<LifecycleRule> rules) {
        Map<String, View> out = new TreeMap<>();
        for (LifecycleRule r : rules) out.put(r.id(), view(r));
        return out;
    }

    /** Whether two rule lists do the same. */
    public static boolean same(List<LifecycleRule> a, List<LifecycleRule> b) {
        return views(a).equals(views(b));
    }

    /** One line for a plan, the rules described in order. */
    public static String describe(List<LifecycleRule> rules) {
        return String.join("; ", rules.stream().map(r -> view(r).describe()).toList());
    }
}

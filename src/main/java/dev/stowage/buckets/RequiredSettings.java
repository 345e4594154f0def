package dev.stowage.buckets;

import dev.stowage.config.StowageConfig;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ProviderProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which required bucket settings ({@code bucket_settings.required}) a provider cannot hold at all
 * (docs/architecture.md §7, §9). Serve, worker, dev and {@code stowage doctor} refuse such a configuration;
 * {@code buckets apply} names the same settings per bucket and exits non-zero.
 */
public final class RequiredSettings {
    private RequiredSettings() {}

    /**
     * The required settings the provider cannot hold.
     *
     * @param storage  the storage section (provider, endpoint scheme)
     * @param settings the bucket settings with their required set
     * @param profile  the provider's profile, as probed
     * @return one line per setting, {@code bucket_settings.required: <setting> … cannot hold it (…): <what to do>}; empty when all can hold
     */
    public static List<String> notHeld(StowageConfig.Storage storage, StowageConfig.BucketSettings settings, ProviderProfile profile) {
        List<String> out = new ArrayList<>();
        String p = storage.provider().id();
        var all = List.of(settings.raw(), settings.processed(), settings.backups(), settings.logs());
        for (String s : settings.required()) {
            String why = switch (s) {
                case "encryption" -> settings.encrypt() && !profile.has(Capability.DEFAULT_ENCRYPTION)
                        ? profile.insteadOf(Capability.DEFAULT_ENCRYPTION) + "; or set bucket_settings.encryption: none" : null;
                case "public-access-block" -> settings.blockPublicAccess() && !profile.has(Capability.BLOCK_PUBLIC_ACCESS)
                        ? profile.insteadOf(Capability.BLOCK_PUBLIC_ACCESS) + "; or set bucket_settings.block_public_access: false" : null;
                case "policy" -> !settings.requireTls() ? null
                        : !profile.has(Capability.BUCKET_POLICY) ? profile.insteadOf(Capability.BUCKET_POLICY)
                        : storage.endpoint() != null && "http".equalsIgnoreCase(storage.endpoint().getScheme())
                        ? "the endpoint " + storage.endpoint() + " is plain HTTP: a deny-non-TLS policy would refuse Stowage's own requests; use an https endpoint" : null;
                case "logging" -> settings.accessLogging() && !profile.has(Capability.ACCESS_LOGGING)
                        ? profile.insteadOf(Capability.ACCESS_LOGGING) + "; or set bucket_settings.access_logging: false" : null;
                case "versioning" -> all.stream().anyMatch(StowageConfig.BucketRules::versioning) && !profile.has(Capability.VERSIONING)
                        ? profile.insteadOf(Capability.VERSIONING) : null;
                case "lifecycle" -> lifecycle(settings, profile);
                case "cors" -> !profile.has(Capability.PER_BUCKET_CORS) ? profile.insteadOf(Capability.PER_BUCKET_CORS) : null;
                default -> null;
            };
            if (why != null) {
                out.add("bucket_settings.required: " + s + " is required, but " + p + " cannot hold it (" + why
                        + "); or drop " + s + " from bucket_settings.required");
            }
        }
        return out;
    }

    private static String lifecycle(StowageConfig.BucketSettings settings, ProviderProfile profile) {
        var all = Arrays.asList(settings.raw(), settings.processed(), settings.backups(), settings.logs());
        if (all.stream().noneMatch(StowageConfig.BucketRules::anyRule)) return null;
        if (!profile.has(Capability.LIFECYCLE)) return profile.insteadOf(Capability.LIFECYCLE);
        for (var r : all) {
            if (r.transitionDays() > 0 && !profile.hasStorageClass(r.transitionStorageClass())) {
                return "no storage class " + r.transitionStorageClass() + " to transition to";
            }
        }
        return null;
    }
}

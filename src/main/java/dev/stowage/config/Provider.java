package dev.stowage.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which S3 implementation Stowage talks to (docs/architecture.md §9). Set with {@code storage.provider} or the
 * {@code STORAGE_PROVIDER} environment variable.
 */
public enum Provider {
    /** Amazon S3. */
    AWS,
    /** MinIO. */
    MINIO,
    /** Cloudflare R2. */
    R2,
    /** Ceph RADOS Gateway. */
    CEPH,
    /** The in-process S3Proxy server that {@code stowage dev} starts (filesystem store). */
    EMBEDDED;

    /** The lower-case name used in configuration, e.g. {@code "ceph"}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a configuration value.
     *
     * @param value a provider id such as {@code "minio"} (case-insensitive)
     * @return the provider, or empty when the value names none
     */
    public static Optional<Provider> parse(String value) {
        if (value == null) return Optional.empty();
        String v = value.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(p -> p.id().equals(v)).findFirst();
    }

    /** All ids joined for error messages: {@code "aws | minio | r2 | ceph | embedded"}. */
    public static String choices() {
        return Arrays.stream(values()).map(Provider::id).collect(Collectors.joining(" | "));
    }
}

package dev.stowage.storage;

import dev.stowage.config.UrlLifetimes;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How long a presigned URL is signed for: the configured lifetime, capped by the expiry of the credentials
 * that sign it. A URL signed with temporary credentials (STS, IRSA, an instance or container role) stops
 * working when they expire, whatever its {@code X-Amz-Expires}; capping it makes the {@code expiresAt}
 * Stowage reports the true one (docs/architecture.md §8).
 */
public final class PresignLifetime {
    /** Kept between a capped URL's expiry and its credentials' expiry: the clock-skew allowance (30 s). */
    public static final Duration MARGIN = UrlLifetimes.SKEW_ALLOWANCE;

    private PresignLifetime() {}

    /**
     * The lifetime to sign for.
     *
     * @param requested          the configured lifetime (positive)
     * @param now                the signing time
     * @param credentialsExpire  when the signing credentials expire; empty for long-lived (static) credentials
     * @return {@code requested} when the credentials outlive it by {@link #MARGIN}; else the time they remain valid
     *         minus the margin; at least one second (credentials about to expire are the provider's to refresh,
     *         a URL is still signed and says truthfully how short its life is)
     */
    public static Duration cap(Duration requested, Instant now, Optional<Instant> credentialsExpire) {
        if (credentialsExpire.isEmpty()) return requested;
        Duration usable = Duration.between(now, credentialsExpire.get()).minus(MARGIN);
        if (usable.compareTo(requested) >= 0) return requested;
        long seconds = Math.max(1, usable.toSeconds());
        return Duration.ofSeconds(seconds);
    }
}

package dev.stowage.config;

import java.time.Duration;

/**
 * The range every signed URL and signed-cookie lifetime must fall in (docs/architecture.md §8), checked at start
 * so a value that would break every request is refused there, never answered as a 500.
 *
 * <p>The minimum allows for clock skew: a URL's expiry is computed on Stowage's clock and judged on the store's
 * (or CloudFront's), and the client needs time to use it. With at most {@link #SKEW_ALLOWANCE} of skew between
 * clients, Stowage and the store, a URL of {@link #MIN_SECONDS} still leaves the client half a minute. The
 * maximum is the longest a SigV4 presigned URL may be valid (7 days; S3 refuses longer ones).
 */
public final class UrlLifetimes {
    /** Clock skew tolerated between clients, Stowage, the store and the credentials' issuer: 30 seconds. */
    public static final Duration SKEW_ALLOWANCE = Duration.ofSeconds(30);
    /** Shortest signed URL or cookie lifetime, seconds: twice the skew allowance. */
    public static final long MIN_SECONDS = 2 * SKEW_ALLOWANCE.toSeconds();
    /** Longest signed URL or cookie lifetime, seconds: 7 days, the SigV4 presigned URL maximum. */
    public static final long MAX_SECONDS = 7L * 24 * 3600;

    private UrlLifetimes() {}

    /** The explanation the configuration errors carry after the allowed range. */
    static String why() {
        return "at least " + MIN_SECONDS + " allows for " + SKEW_ALLOWANCE.toSeconds()
                + " s of clock skew between clients, Stowage and the store; at most 7 days, the longest a SigV4 presigned URL is valid";
    }
}

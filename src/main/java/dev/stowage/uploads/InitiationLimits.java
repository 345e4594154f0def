package dev.stowage.uploads;

import dev.stowage.config.StowageConfig;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The per-user initiation rate limit (docs/architecture.md §4, "Fair limits"): one token bucket per user and
 * plan, of {@code initiation_burst} tokens refilled at {@code initiations_per_second}, kept in PostgreSQL by
 * Bucket4j's proxy manager (table {@code rate_limit_buckets}, one {@code SELECT … FOR UPDATE} transaction per
 * initiation), so the limit holds across every API process. A bucket's row may be removed once the bucket
 * would be full again ({@link #removeExpired}).
 */
public final class InitiationLimits {
    /** Kept after a bucket would be full again, so a user who paused briefly still finds theirs. */
    static final Duration KEEP_AFTER_FULL = Duration.ofMinutes(1);

    private final ProxyManager<String> buckets;
    private final PostgreSQLSelectForUpdateBasedProxyManager<String> cleaner;

    /** @param dataSource the database (its {@code rate_limit_buckets} table) */
    public InitiationLimits(DataSource dataSource) {
        this.cleaner = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_limit_buckets").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_AFTER_FULL))
                .build();
        this.buckets = cleaner;
    }

    /**
     * The bucket of a plan's limits: {@code initiationBurst} tokens, refilled greedily at
     * {@code initiationsPerSecond} (a token every 1/rate seconds).
     */
    static BucketConfiguration configuration(StowageConfig.Limits l) {
        return BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(l.initiationBurst()).refillGreedy(l.initiationsPerSecond(), Duration.ofSeconds(1)))
                .build();
    }

    /**
     * The key of a user's bucket: user, plan and the plan's limits, so a plan change or new limits start a
     * fresh bucket rather than keep the old one's settings.
     */
    static String key(String userId, String plan, StowageConfig.Limits l) {
        return userId + "|" + plan + "|" + l.initiationsPerSecond() + "/" + l.initiationBurst();
    }

    /** How long a refused caller waits: Bucket4j's time to the next token, at least one second when rounded up. */
    static Duration retryAfter(ConsumptionProbe probe) {
        return Duration.ofNanos(Math.max(1, probe.getNanosToWaitForRefill()));
    }

    /**
     * Takes one initiation from the user's bucket.
     *
     * @param userId the user
     * @param plan   their plan (from the token)
     * @param limits that plan's limits
     * @return empty when the initiation may go ahead; otherwise how long until the next one may
     */
    public Optional<Duration> tryInitiate(String userId, String plan, StowageConfig.Limits limits) {
        ConsumptionProbe probe = buckets.builder().build(key(userId, plan, limits), () -> configuration(limits))
                .tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? Optional.empty() : Optional.of(retryAfter(probe));
    }

    /**
     * Removes up to {@code max} buckets that would be full by now (and a minute more): a user who comes back
     * gets a full bucket, which is what the removed row would have said.
     *
     * @return buckets removed
     */
    public int removeExpired(int max) {
        return cleaner.removeExpired(max);
    }
}

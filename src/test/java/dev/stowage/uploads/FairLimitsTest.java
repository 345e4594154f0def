package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.problems.Problem;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The arithmetic of the per-user limits and of the reconciler's bulk expiry (docs/architecture.md §4, §5). */
class FairLimitsTest {
    private static final StowageConfig.Limits FREE = new StowageConfig.Limits(100, 10, 50);

    /** A bucket of the plan's configuration on a clock the test moves (the same configuration the PostgreSQL buckets get). */
    private static Bucket bucket(StowageConfig.Limits l, AtomicLong nanos) {
        TimeMeter clock = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return nanos.get();
            }

            @Override
            public boolean isWallClockBased() {
                return false;
            }
        };
        return Bucket.builder().withCustomTimePrecision(clock).addLimit(InitiationLimits.configuration(l).getBandwidths()[0]).build();
    }

    @Test
    void aRestedUserMayBurstThenKeepsUpTheRateAndIsToldWhenTheNextTokenComes() {
        AtomicLong now = new AtomicLong();
        Bucket b = bucket(FREE, now);
        for (int i = 0; i < 50; i++) assertThat(b.tryConsume(1)).as("initiation %d of the burst", i + 1).isTrue();
        var refused = b.tryConsumeAndReturnRemaining(1);
        assertThat(refused.isConsumed()).isFalse();
        assertThat(InitiationLimits.retryAfter(refused)).isEqualTo(Duration.ofMillis(100));
        assertThat(Problem.retryAfterSeconds(InitiationLimits.retryAfter(refused))).as("Retry-After rounds up").isEqualTo(1);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        int more = 0;
        while (b.tryConsume(1)) more++;
        assertThat(more).as("a second later: the rate, 10").isEqualTo(10);
    }

    @Test
    void aPlanChangeOrNewLimitsStartAFreshBucket() {
        assertThat(InitiationLimits.key("bob", "free", FREE)).isNotEqualTo(InitiationLimits.key("bob", "premium", FREE))
                .isNotEqualTo(InitiationLimits.key("bob", "free", new StowageConfig.Limits(100, 20, 50)))
                .isNotEqualTo(InitiationLimits.key("bobby", "free", FREE))
                .isEqualTo(InitiationLimits.key("bob", "free", new StowageConfig.Limits(7, 10, 50)));
    }

    @Test
    void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne() {
        assertThat(Problem.retryAfterSeconds(Duration.ZERO)).isEqualTo(1);
        assertThat(Problem.retryAfterSeconds(Duration.ofNanos(1))).isEqualTo(1);
        assertThat(Problem.retryAfterSeconds(Duration.ofSeconds(2))).isEqualTo(2);
        assertThat(Problem.retryAfterSeconds(Duration.ofMillis(2001))).isEqualTo(3);
    }

    @Test
    void anOpenUploadFreesItsSlotAtItsExpiryPlusOneReconcilerInterval() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        Duration interval = Duration.ofSeconds(60);
        assertThat(UploadService.openSlotIn(now.plusSeconds(900), now, interval)).isEqualTo(Duration.ofSeconds(960));
        assertThat(UploadService.openSlotIn(now.minusSeconds(5), now, interval)).as("already expired: the next pass").isEqualTo(interval);
        assertThat(UploadService.openSlotIn(null, now, interval)).as("none open any more: try again").isEqualTo(Duration.ofSeconds(1));
        assertThat(UploadService.openSlotIn(now, now, Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void unknownPlansGetFreesLimits() {
        var u = StowageConfig.Uploads.DEFAULT;
        assertThat(u.limitsFor("free")).isEqualTo(StowageConfig.Limits.FREE);
        assertThat(u.limitsFor("enterprise")).isEqualTo(StowageConfig.Limits.FREE);
        assertThat(u.limitsFor("premium").initiationBurst()).isGreaterThan(StowageConfig.Limits.FREE.initiationBurst());
    }

    @Test
    void aCompleteListingLetsEveryUnseenExpiredUploadGoACutOneOnlyThoseUpToWhereItStopped() {
        UUID a = UUID.fromString("01990000-0000-7000-8000-000000000001"), b = UUID.fromString("01990000-0000-7000-8000-000000000002");
        assertThat(Reconciler.expiryBound(List.of(), false)).isEqualTo(new Reconciler.Bound(true, null));
        assertThat(Reconciler.expiryBound(List.of(a, b), false)).isEqualTo(new Reconciler.Bound(true, null));
        assertThat(Reconciler.expiryBound(List.of(a, b), true)).isEqualTo(new Reconciler.Bound(true, b));
        assertThat(Reconciler.expiryBound(List.of(), true)).as("cut off before any file: nothing is known").isEqualTo(new Reconciler.Bound(false, null));
    }
}

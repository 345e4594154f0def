package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.files.UploadSession;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the reconciler does with a pending upload whose session is due (docs/architecture.md §5). */
class ReconcilerDecisionTest {
    private static UploadSession session(String kind) {
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        return new UploadSession(UUID.randomUUID(), kind, kind.equals("multipart") ? "mpu-1" : null,
                kind.equals("multipart") ? 5L << 20 : null, kind.equals("multipart") ? 3 : null, t.plusSeconds(900), t);
    }

    @Test
    void aSingleUploadWhoseObjectArrivedIsRecoveredEvenPastItsExpiry() {
        assertThat(Reconciler.decide(session("single"), false, () -> true)).isEqualTo(Reconciler.Decision.RECOVER);
        assertThat(Reconciler.decide(session("single"), true, () -> true)).isEqualTo(Reconciler.Decision.RECOVER);
    }

    @Test
    void aSingleUploadWithoutItsObjectWaitsUntilItExpires() {
        assertThat(Reconciler.decide(session("single"), false, () -> false)).isEqualTo(Reconciler.Decision.WAIT);
        assertThat(Reconciler.decide(session("single"), true, () -> false)).isEqualTo(Reconciler.Decision.EXPIRE);
    }

    @Test
    void aMultipartUploadIsNeverLookedForOnlyExpired() {
        AtomicInteger asked = new AtomicInteger();
        assertThat(Reconciler.decide(session("multipart"), false, () -> asked.incrementAndGet() > 0)).isEqualTo(Reconciler.Decision.WAIT);
        assertThat(Reconciler.decide(session("multipart"), true, () -> asked.incrementAndGet() > 0)).isEqualTo(Reconciler.Decision.EXPIRE);
        assertThat(asked).as("the store is not asked about a multipart upload (it becomes an object only when completed)").hasValue(0);
    }
}

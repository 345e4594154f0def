package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.files.FileStatus;
import dev.stowage.files.UploadSession;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What the reconciler does with a pending upload whose session is due (docs/architecture.md §5), and what its staging
 * sweep removes (§3).
 */
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

    // ---- the staging sweep (docs/architecture.md §3): what stays under staging/ and what goes

    private static final Duration TTL = Duration.ofHours(24);

    @Test
    void aStagingObjectStaysWhileItsFileMayStillNeedIt() {
        for (FileStatus s : List.of(FileStatus.PENDING, FileStatus.UPLOADED, FileStatus.VERIFYING)) {
            assertThat(Reconciler.sweep(Optional.of(s), Duration.ofMinutes(5), TTL)).as(s.id()).isEqualTo(Reconciler.Sweep.KEEP);
            assertThat(Reconciler.sweep(Optional.of(s), TTL.minusSeconds(1), TTL)).as(s.id()).isEqualTo(Reconciler.Sweep.KEEP);
        }
    }

    @Test
    void aStagingObjectGoesOnceItsFileIsPromotedOrClosedHoweverYoung() {
        for (FileStatus s : List.of(FileStatus.SCANNING, FileStatus.READY, FileStatus.REJECTED, FileStatus.QUARANTINED,
                FileStatus.CANCELLED, FileStatus.EXPIRED, FileStatus.DELETED, FileStatus.PURGED)) {
            assertThat(Reconciler.sweep(Optional.of(s), Duration.ZERO, TTL)).as(s.id()).isEqualTo(Reconciler.Sweep.REMOVE);
        }
    }

    @Test
    void anythingOlderThanTheTtlGoesWhateverItsFile() {
        assertThat(Reconciler.sweep(Optional.of(FileStatus.PENDING), TTL, TTL)).isEqualTo(Reconciler.Sweep.REMOVE);
        assertThat(Reconciler.sweep(Optional.of(FileStatus.UPLOADED), TTL.plusDays(3), TTL)).isEqualTo(Reconciler.Sweep.REMOVE);
        assertThat(Reconciler.sweep(Optional.empty(), TTL, TTL)).isEqualTo(Reconciler.Sweep.REMOVE);
    }

    @Test
    void aKeyNamingNoFileGoesAfterAShortGraceOnly() {
        // a multipart upload is created a moment before its file row commits
        assertThat(Reconciler.sweep(Optional.empty(), Duration.ofSeconds(30), TTL)).isEqualTo(Reconciler.Sweep.KEEP);
        assertThat(Reconciler.sweep(Optional.empty(), Reconciler.UNKNOWN_GRACE, TTL)).isEqualTo(Reconciler.Sweep.REMOVE);
    }
}

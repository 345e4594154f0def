package dev.stowage.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileStatus;
import dev.stowage.problems.Problem;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Retention's decisions (docs/architecture.md §7): which old files go, which stay, what can come back. */
class RetentionDecisionTest {
    private static final Instant NOW = Instant.parse("2025-06-01T00:00:00Z");
    private static final StowageConfig.Retention RULES = new StowageConfig.Retention(Duration.ofDays(365), List.of("premium", "gold"),
            Duration.ofDays(30), Duration.ofHours(1), 500);
    private static final Instant CUTOFF = NOW.minus(RULES.rawMaxAge());

    private static FileRecord file(FileStatus status, Instant created, Instant deleted) {
        return new FileRecord(UUID.randomUUID(), "u", "a.txt", "a.txt", "text/plain", "text/plain", 10, 10L, null, "a".repeat(64),
                "raw", "u/x/a.txt", status, "clean", null, null, null, "upload", created, created, created, deleted, "none", null, null);
    }

    @Test
    void anOldReadyFileOfAFreePlanIsDeletedOrWouldBe() {
        var old = file(FileStatus.READY, CUTOFF.minusSeconds(1), null);
        assertThat(RetentionService.decide(old, CUTOFF, "free", RULES, false)).isEqualTo(RetentionService.Decision.DELETE);
        assertThat(RetentionService.decide(old, CUTOFF, "free", RULES, true)).isEqualTo(RetentionService.Decision.WOULD_DELETE);
        assertThat(RetentionService.decide(old, CUTOFF, null, RULES, false)).isEqualTo(RetentionService.Decision.DELETE);
    }

    @Test
    void aPremiumPlanAtTheMomentOfDeletionKeepsTheFile() {
        var old = file(FileStatus.READY, CUTOFF.minus(Duration.ofDays(400)), null);
        assertThat(RetentionService.decide(old, CUTOFF, "premium", RULES, false)).isEqualTo(RetentionService.Decision.KEEP_PREMIUM);
        assertThat(RetentionService.decide(old, CUTOFF, "gold", RULES, true)).isEqualTo(RetentionService.Decision.KEEP_PREMIUM);
    }

    @Test
    void aFileThatIsNotReadyOrNotOldIsLeftAlone() {
        assertThat(RetentionService.decide(file(FileStatus.READY, CUTOFF, null), CUTOFF, "free", RULES, false))
                .as("exactly at the cutoff").isEqualTo(RetentionService.Decision.SKIP);
        for (FileStatus s : FileStatus.values()) {
            if (s == FileStatus.READY) continue;
            assertThat(RetentionService.decide(file(s, CUTOFF.minusSeconds(86400), null), CUTOFF, "free", RULES, false))
                    .as("a %s file (changed since it was chosen)", s).isEqualTo(RetentionService.Decision.SKIP);
        }
    }

    @Test
    void aDeletedFileCanComeBackWithinTheWindowOnly() {
        assertThatCode(() -> RetentionService.checkRestorable(file(FileStatus.DELETED, CUTOFF, NOW.minus(Duration.ofDays(29))),
                RULES.restoreWindow(), NOW)).doesNotThrowAnyException();
        assertThatThrownBy(() -> RetentionService.checkRestorable(file(FileStatus.DELETED, CUTOFF, NOW.minus(Duration.ofDays(31))),
                RULES.restoreWindow(), NOW)).isInstanceOf(Problem.class).extracting(p -> ((Problem) p).code()).isEqualTo("restore_window_over");
        assertThatThrownBy(() -> RetentionService.checkRestorable(file(FileStatus.READY, CUTOFF, null), RULES.restoreWindow(), NOW))
                .isInstanceOf(Problem.class).extracting(p -> ((Problem) p).code()).isEqualTo("not_deleted");
    }
}

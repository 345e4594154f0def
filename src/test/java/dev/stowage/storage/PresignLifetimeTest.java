package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A presigned URL never claims to outlive the credentials that sign it. */
class PresignLifetimeTest {
    static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

    @Test
    void staticCredentialsKeepTheConfiguredLifetime() {
        assertThat(PresignLifetime.cap(Duration.ofDays(7), NOW, Optional.empty())).isEqualTo(Duration.ofDays(7));
        assertThat(PresignLifetime.cap(Duration.ofSeconds(60), NOW, Optional.empty())).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void credentialsThatOutliveTheUrlByTheMarginKeepIt() {
        Instant expires = NOW.plus(Duration.ofMinutes(15)).plus(PresignLifetime.MARGIN);
        assertThat(PresignLifetime.cap(Duration.ofMinutes(15), NOW, Optional.of(expires))).isEqualTo(Duration.ofMinutes(15));
        assertThat(PresignLifetime.cap(Duration.ofMinutes(15), NOW, Optional.of(expires.plusSeconds(3600)))).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void aUrlClaiming7DaysSignedWithOneHourCredentialsEndsWithThemLessTheMargin() {
        Instant expires = NOW.plus(Duration.ofHours(1));
        assertThat(PresignLifetime.cap(Duration.ofDays(7), NOW, Optional.of(expires))).isEqualTo(Duration.ofSeconds(3600 - 30));
        // one second short of the margin: capped too
        Instant almost = NOW.plus(Duration.ofMinutes(15)).plus(PresignLifetime.MARGIN).minusSeconds(1);
        assertThat(PresignLifetime.cap(Duration.ofMinutes(15), NOW, Optional.of(almost))).isEqualTo(Duration.ofSeconds(899));
    }

    @Test
    void credentialsAboutToExpireStillSignForAtLeastOneSecond() {
        assertThat(PresignLifetime.cap(Duration.ofMinutes(5), NOW, Optional.of(NOW.plusSeconds(10)))).isEqualTo(Duration.ofSeconds(1));
        assertThat(PresignLifetime.cap(Duration.ofMinutes(5), NOW, Optional.of(NOW.minusSeconds(10)))).isEqualTo(Duration.ofSeconds(1));
    }
}

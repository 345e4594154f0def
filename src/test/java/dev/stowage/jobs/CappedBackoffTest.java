package dev.stowage.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The delays between attempts of a failing job: doubling from the first, never past the ceiling, never giving up. */
class CappedBackoffTest {
    @Test
    void doublesUpToTheCeilingAndStaysThere() {
        var b = new CappedBackoff<String>(CappedBackoff.FIRST, CappedBackoff.MAX);
        assertThat(b.delay(1)).hasSeconds(10);
        assertThat(b.delay(2)).hasSeconds(20);
        assertThat(b.delay(3)).hasSeconds(40);
        assertThat(b.delay(5)).hasSeconds(160);
        assertThat(b.delay(6)).isEqualTo(Duration.ofMinutes(5));
        // an outage of days: still five minutes, no overflow into a negative or zero delay
        assertThat(b.delay(64)).isEqualTo(Duration.ofMinutes(5));
        assertThat(b.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofMinutes(5));
        assertThat(b.delay(0)).hasSeconds(10);
    }

    @Test
    void refusesANonPositiveFirstDelayOrACeilingBelowIt() {
        assertThatThrownBy(() -> new CappedBackoff<String>(Duration.ZERO, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CappedBackoff<String>(Duration.ofMinutes(2), Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
    }
}

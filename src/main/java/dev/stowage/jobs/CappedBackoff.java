package dev.stowage.jobs;

import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.ExecutionOperations;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import java.time.Duration;
import java.time.Instant;

/**
 * Retries a failed execution with exponential backoff up to a ceiling, for ever: a job is never given up
 * because a dependency was down (docs/architecture.md §14). After an outage of any length a failed job runs
 * again within {@code max} of the dependency's return.
 *
 * <p>When the database itself is down, rescheduling fails too; the execution then stays picked until a
 * worker sees its heartbeat missing ({@link Worker#MISSED_HEARTBEATS} intervals) and runs it again.
 *
 * @param <T> the task's data
 */
public final class CappedBackoff<T> implements FailureHandler<T> {
    /** First delay of Stowage's one-time jobs. */
    public static final Duration FIRST = Duration.ofSeconds(10);
    /** Longest delay between two attempts. */
    public static final Duration MAX = Duration.ofMinutes(5);

    private final Duration first;
    private final Duration max;

    /**
     * @param first delay after the first failure; doubled after each further one
     * @param max   ceiling of the delay
     * @throws IllegalArgumentException when {@code first} is not positive or {@code max} is shorter
     */
    public CappedBackoff(Duration first, Duration max) {
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff must be positive and at most its ceiling: " + first + ", " + max);
        }
        this.first = first;
        this.max = max;
    }

    /**
     * The delay after a number of consecutive failures.
     *
     * @param failures failures in a row, this one included (at least 1)
     * @return {@code first × 2^(failures-1)}, at most {@code max}
     */
    public Duration delay(int failures) {
        int doublings = Math.max(0, Math.min(failures - 1, 30));
        long ms = first.toMillis() << doublings;
        return ms <= 0 || ms > max.toMillis() ? max : Duration.ofMillis(ms);
    }

    @Override
    public void onFailure(ExecutionComplete complete, ExecutionOperations<T> operations) {
        int failures = complete.getExecution().consecutiveFailures + 1;
        Instant next = complete.getTimeDone().plus(delay(failures));
        operations.reschedule(complete, next);
    }
}

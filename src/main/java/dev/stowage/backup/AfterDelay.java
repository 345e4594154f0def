package dev.stowage.backup;

import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;

/**
 * A fixed delay between executions whose first execution is one delay after scheduling, not at once
 * (db-scheduler's {@code FixedDelay} starts immediately, which would back up at every worker start).
 *
 * @param delay time between the end of one execution and the start of the next
 */
public record AfterDelay(Duration delay) implements Schedule {
    @Override
    public Instant getNextExecutionTime(ExecutionComplete executionComplete) {
        return executionComplete.getTimeDone().plus(delay);
    }

    @Override
    public Instant getInitialExecutionTime(Instant now) {
        return now.plus(delay);
    }

    @Override
    public boolean isDeterministic() {
        return false;
    }
}

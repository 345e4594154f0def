package dev.stowage.jobs;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import dev.stowage.images.VariantQueue;
import dev.stowage.uploads.VerificationQueue;
import java.time.Instant;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Schedules Stowage's one-time jobs ({@value Jobs#VERIFY}, {@value Jobs#VARIANTS}), keyed by file id, in
 * db-scheduler's table. It needs nothing but the database, so the services that queue work are built
 * before the {@link Jobs} that run it: no wiring loop. Scheduling a job whose instance is already pending
 * is a no-op. A worker in the same process is woken for each job queued here ({@link #wakeOnQueue}), so
 * it does not wait for its next poll (2 s); workers in other processes find the job when they poll.
 */
public final class JobQueue implements VerificationQueue, VariantQueue {
    private final SchedulerClient client;
    private volatile Runnable wake = () -> {};

    /** @param dataSource the database */
    public JobQueue(DataSource dataSource) {
        this.client = SchedulerClient.Builder.create(dataSource).build();
    }

    /**
     * Runs {@code wake} after each job this queue schedules (once the job's row is committed): the in-process
     * worker's check for due executions, so a job queued by this process starts without waiting for a poll.
     *
     * @param wake must not block (e.g. {@code Scheduler::triggerCheckForDueExecutions})
     */
    public void wakeOnQueue(Runnable wake) {
        this.wake = wake;
    }

    /** Queues verification of a file whose object has arrived. */
    @Override
    public void enqueue(UUID fileId) {
        client.scheduleIfNotExists(new TaskInstance<>(Jobs.VERIFY, fileId.toString(), fileId.toString()), Instant.now());
        wake.run();
    }

    /** Queues variant generation of a ready image. */
    @Override
    public void enqueueVariants(UUID fileId) {
        client.scheduleIfNotExists(new TaskInstance<>(Jobs.VARIANTS, fileId.toString(), fileId.toString()), Instant.now());
        wake.run();
    }
}

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
 * is a no-op.
 */
public final class JobQueue implements VerificationQueue, VariantQueue {
    private final SchedulerClient client;

    /** @param dataSource the database */
    public JobQueue(DataSource dataSource) {
        this.client = SchedulerClient.Builder.create(dataSource).build();
    }

    /** Queues verification of a file whose object has arrived. */
    @Override
    public void enqueue(UUID fileId) {
        client.scheduleIfNotExists(new TaskInstance<>(Jobs.VERIFY, fileId.toString(), fileId.toString()), Instant.now());
    }

    /** Queues variant generation of a ready image. */
    @Override
    public void enqueueVariants(UUID fileId) {
        client.scheduleIfNotExists(new TaskInstance<>(Jobs.VARIANTS, fileId.toString(), fileId.toString()), Instant.now());
    }
}

package dev.stowage.jobs;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.stowage.uploads.Reconciler;
import dev.stowage.uploads.VerificationQueue;
import dev.stowage.uploads.Verifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Stowage's job definitions (db-scheduler tasks) and the client that schedules them. Any process can
 * schedule; only processes running a {@link Worker} execute. Verification of one file is one task
 * instance keyed by the file id, so scheduling it again while it is pending is a no-op; a failed
 * verification (scanner down) is retried with exponential backoff from 10 s.
 */
public final class Jobs implements VerificationQueue {
    /** Task name of file verification. */
    public static final String VERIFY = "verify-file";
    /** Task name of image variant generation. */
    public static final String VARIANTS = "make-variants";
    /** Task name of the reconciler. */
    public static final String RECONCILE = "reconcile-uploads";

    private final OneTimeTask<String> verify;
    private final OneTimeTask<String> variants;
    private final RecurringTask<Void> reconcile;
    private final SchedulerClient client;

    /**
     * @param dataSource        the database
     * @param verifier          supplies the verifier (built after the queue, which it depends on)
     * @param reconciler        supplies the reconciler
     * @param reconcileInterval delay between reconciler passes
     */
    public Jobs(DataSource dataSource, Supplier<Verifier> verifier, Supplier<Reconciler> reconciler, Duration reconcileInterval) {
        this(dataSource, verifier, reconciler, () -> null, reconcileInterval);
    }

    /**
     * @param variantService supplies the image variant service ({@value #VARIANTS} tasks)
     * @see #Jobs(DataSource, Supplier, Supplier, Duration)
     */
    public Jobs(DataSource dataSource, Supplier<Verifier> verifier, Supplier<Reconciler> reconciler,
                Supplier<dev.stowage.images.VariantService> variantService, Duration reconcileInterval) {
        this.variants = Tasks.oneTime(VARIANTS, String.class)
                .onFailure(new FailureHandler.ExponentialBackoffFailureHandler<>(Duration.ofSeconds(10), 2.0))
                .execute((instance, ctx) -> variantService.get().generateAll(UUID.fromString(instance.getData())));
        this.verify = Tasks.oneTime(VERIFY, String.class)
                .onFailure(new FailureHandler.ExponentialBackoffFailureHandler<>(Duration.ofSeconds(10), 2.0))
                .execute((instance, ctx) -> {
                    try {
                        verifier.get().verify(UUID.fromString(instance.getData()));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        this.reconcile = Tasks.recurring(RECONCILE, FixedDelay.of(reconcileInterval))
                .execute((instance, ctx) -> reconciler.get().run(Duration.ofSeconds(30), Duration.ofMinutes(5)));
        this.client = SchedulerClient.Builder.create(dataSource, tasks()).build();
    }

    /** The one-time task definitions a worker executes (the recurring ones are in {@link #startTasks()}). */
    public List<Task<?>> tasks() {
        return List.of(verify, variants);
    }

    /** Queues variant generation of a ready image (a no-op while one is pending for it). */
    public void enqueueVariants(UUID fileId) {
        client.scheduleIfNotExists(variants.instance(fileId.toString(), fileId.toString()), Instant.now());
    }

    /** The recurring tasks a worker schedules on start. */
    public List<RecurringTask<?>> startTasks() {
        return List.of(reconcile);
    }

    @Override
    public void enqueue(UUID fileId) {
        client.scheduleIfNotExists(verify.instance(fileId.toString(), fileId.toString()), Instant.now());
    }
}

package dev.stowage.jobs;

import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.stowage.images.VariantQueue;
import dev.stowage.images.VariantService;
import dev.stowage.uploads.Reconciler;
import dev.stowage.uploads.VerificationQueue;
import dev.stowage.uploads.Verifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Stowage's job definitions (db-scheduler tasks): what a {@link Worker} runs. Scheduling is
 * {@link JobQueue}'s, which this delegates to. Any process can schedule; only processes running a
 * {@link Worker} execute. Verification of one file is one task
 * instance keyed by the file id, so scheduling it again while it is pending is a no-op; a failed
 * job (scanner, store or database down) is retried with exponential backoff from 10 s up to 5 minutes, for
 * ever ({@link CappedBackoff}).
 */
public final class Jobs implements VerificationQueue, VariantQueue {
    /** Task name of file verification. */
    public static final String VERIFY = "verify-file";
    /** Task name of image variant generation. */
    public static final String VARIANTS = "make-variants";
    /** Task name of the reconciler. */
    public static final String RECONCILE = "reconcile-uploads";

    private final OneTimeTask<String> verify;
    private final OneTimeTask<String> variants;
    private final RecurringTask<Void> reconcile;
    private final JobQueue queue;

    /**
     * @param queue             schedules the one-time tasks
     * @param verifier          runs {@value #VERIFY} tasks
     * @param reconciler        runs the {@value #RECONCILE} passes
     * @param variantService    runs {@value #VARIANTS} tasks
     * @param reconcileInterval delay between reconciler passes
     */
    public Jobs(JobQueue queue, Verifier verifier, Reconciler reconciler, VariantService variantService, Duration reconcileInterval) {
        this.queue = queue;
        this.variants = Tasks.oneTime(VARIANTS, String.class)
                .onFailure(new CappedBackoff<>(CappedBackoff.FIRST, CappedBackoff.MAX))
                .execute((instance, ctx) -> variantService.generateAll(UUID.fromString(instance.getData())));
        this.verify = Tasks.oneTime(VERIFY, String.class)
                .onFailure(new CappedBackoff<>(CappedBackoff.FIRST, CappedBackoff.MAX))
                .execute((instance, ctx) -> {
                    try {
                        verifier.verify(UUID.fromString(instance.getData()));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        this.reconcile = Tasks.recurring(RECONCILE, FixedDelay.of(reconcileInterval))
                .execute((instance, ctx) -> reconciler.run(Duration.ofSeconds(30), Duration.ofMinutes(5)));
    }

    /** The one-time task definitions a worker executes (the recurring ones are in {@link #startTasks()}). */
    public List<Task<?>> tasks() {
        return List.of(verify, variants);
    }

    /** Queues variant generation of a ready image (a no-op while one is pending for it). */
    @Override
    public void enqueueVariants(UUID fileId) {
        queue.enqueueVariants(fileId);
    }

    /** The recurring tasks a worker schedules on start. */
    public List<RecurringTask<?>> startTasks() {
        return List.of(reconcile);
    }

    /** Queues verification of a file whose object has arrived (a no-op while one is pending for it). */
    @Override
    public void enqueue(UUID fileId) {
        queue.enqueue(fileId);
    }
}

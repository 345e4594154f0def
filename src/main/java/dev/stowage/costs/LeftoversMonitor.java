package dev.stowage.costs;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.stowage.buckets.Leftovers;
import dev.stowage.metrics.StowageMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leftovers monitor (docs/architecture.md §7): runs a bounded {@link Leftovers} pass, exports each count as
 * the gauge {@code stowage_leftovers{bucket,kind}} and raises an alert of kind {@code leftovers} (subject
 * {@code <bucket>/<kind>}) through {@link CostService#alert} for every kind with entries older than its rule
 * allows. Workers run it every {@code costs.leftovers.interval_seconds} ({@link #task()}).
 */
public final class LeftoversMonitor {
    /** Task name of the recurring pass. */
    public static final String TASK = "leftovers";
    /** The alert kind. */
    public static final String ALERT = "leftovers";
    private static final Logger log = LoggerFactory.getLogger(LeftoversMonitor.class);

    private final Leftovers leftovers;
    private final CostService costs;
    private final java.time.Duration interval;

    /**
     * @param leftovers the scanner
     * @param costs     where alerts are raised
     * @param interval  delay between passes ({@code costs.leftovers.interval_seconds}); zero = no task
     */
    public LeftoversMonitor(Leftovers leftovers, CostService costs, java.time.Duration interval) {
        this.leftovers = leftovers;
        this.costs = costs;
        this.interval = interval;
    }

    /** The recurring pass, or {@code null} when the interval is zero. */
    public RecurringTask<Void> task() {
        if (interval.isZero()) return null;
        return Tasks.recurring(TASK, FixedDelay.of(interval)).execute((instance, ctx) -> run());
    }

    /**
     * One pass: lists, sets the gauges, raises alerts, logs a summary.
     *
     * @return the pass's report
     * @throws dev.stowage.storage.StoreException when a listing is refused
     */
    public Leftovers.Report run() {
        long t0 = System.nanoTime();
        var report = leftovers.scan();
        long found = 0;
        for (var r : report.results()) {
            StowageMetrics.leftovers(r.bucket(), r.kind().tag, r.count());
            found += r.count();
            if (r.count() > 0) {
                costs.alert(ALERT, r.bucket() + "/" + r.kind().tag, r.count(), 0, "bucket " + r.bucket() + ": " + r.describe());
            } else if (r.truncated()) {
                log.info("leftovers in {}: {}", r.bucket(), r.describe());
            }
        }
        log.info("leftovers pass: {} found in {} bucket listings in {} ms", found, report.results().size(), (System.nanoTime() - t0) / 1_000_000);
        return report;
    }
}

package dev.stowage.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * Job queue depth and age per task, read from db-scheduler's {@code scheduled_tasks} table at scrape time
 * (one query for all tasks, cached for a few seconds so a scrape of several gauges costs one query).
 */
public final class JobQueueMetrics {
    private static final Duration CACHE = Duration.ofSeconds(5);
    private final Jdbi jdbi;
    private long readAt;
    private Map<String, long[]> last = Map.of();

    private JobQueueMetrics(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * Registers {@link StowageMetrics#JOBS_QUEUE_DEPTH} and {@link StowageMetrics#JOBS_QUEUE_AGE} for each task.
     *
     * @param registry the process's registry
     * @param jdbi     the database holding {@code scheduled_tasks}
     * @param tasks    task names
     */
    public static void bind(MeterRegistry registry, Jdbi jdbi, List<String> tasks) {
        var m = new JobQueueMetrics(jdbi);
        for (String t : tasks) StowageMetrics.jobQueue(registry, t, () -> m.read().getOrDefault(t, new long[2])[0], () -> m.read().getOrDefault(t, new long[2])[1]);
    }

    private synchronized Map<String, long[]> read() {
        if (System.nanoTime() - readAt < CACHE.toNanos()) return last;
        try {
            Map<String, long[]> out = new HashMap<>();
            jdbi.useHandle(h -> h.createQuery("""
                            select task_name, count(*), coalesce(extract(epoch from now() - min(execution_time)), 0)
                            from scheduled_tasks where not picked and execution_time <= now() group by task_name""")
                    .map((rs, c) -> out.put(rs.getString(1), new long[] {rs.getLong(2), (long) rs.getDouble(3)})).list());
            last = out;
        } catch (RuntimeException e) {
            // the database is down: keep the last figures; readiness reports the outage
        }
        readAt = System.nanoTime();
        return last;
    }
}

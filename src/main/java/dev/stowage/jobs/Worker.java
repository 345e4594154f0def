package dev.stowage.jobs;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.Task;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background worker: a db-scheduler instance over the {@code scheduled_tasks} table. Executions
 * are claimed with {@code SELECT … FOR UPDATE SKIP LOCKED}, so any number of workers on any number of
 * machines never run one execution twice at once; a worker that dies stops heart-beating and its
 * executions are picked up by another after the missed-heartbeat limit.
 */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    /** Heartbeat of production workers: a dead worker's jobs run again after about a minute. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    /** Missed heartbeats after which an execution counts as dead (db-scheduler's default). */
    public static final int MISSED_HEARTBEATS = 6;

    private final Scheduler scheduler;
    private final String name;

    /**
     * @param dataSource the PostgreSQL pool (schema migrated)
     * @param tasks      task definitions this worker executes
     * @param threads    executions run in parallel by this process
     */
    public Worker(DataSource dataSource, List<Task<?>> tasks, int threads) {
        this(dataSource, tasks, List.of(), threads);
    }

    /**
     * @param dataSource the PostgreSQL pool (schema migrated)
     * @param tasks      task definitions this worker executes
     * @param recurring  recurring tasks scheduled when the worker starts (once cluster-wide)
     * @param threads    executions run in parallel by this process
     */
    public Worker(DataSource dataSource, List<Task<?>> tasks, List<com.github.kagkarlsson.scheduler.task.helper.RecurringTask<?>> recurring, int threads) {
        this(dataSource, tasks, recurring, threads, DEFAULT_HEARTBEAT);
    }

    /**
     * @param dataSource the PostgreSQL pool (schema migrated)
     * @param tasks      task definitions this worker executes
     * @param recurring  recurring tasks scheduled when the worker starts (once cluster-wide)
     * @param threads    executions run in parallel by this process
     * @param heartbeat  how often this worker marks its running executions alive; it also declares
     *                   executions of other workers dead when their last heartbeat is older than
     *                   {@value #MISSED_HEARTBEATS} times this, and runs them again
     */
    public Worker(DataSource dataSource, List<Task<?>> tasks, List<com.github.kagkarlsson.scheduler.task.helper.RecurringTask<?>> recurring,
            int threads, Duration heartbeat) {
        this.name = workerName();
        this.scheduler = Scheduler.create(dataSource, tasks)
                .startTasks(recurring.stream().map(r -> (com.github.kagkarlsson.scheduler.task.helper.RecurringTask<?>) r).toList())
                .schedulerName(new SchedulerName.Fixed(name))
                .threads(threads)
                .pollingInterval(Duration.ofSeconds(2))
                .heartbeatInterval(heartbeat)
                .missedHeartbeatsLimit(MISSED_HEARTBEATS)
                .enableImmediateExecution()
                .pollUsingLockAndFetch(0.5, 1.0)
                .shutdownMaxWait(Duration.ofSeconds(20))
                .build();
    }

    private static String workerName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Starts polling for due executions. */
    public void start() {
        scheduler.start();
        log.info("worker {} started", name);
    }

    /** The scheduler, for scheduling executions. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** Whether the scheduler is running (for readiness). */
    public boolean isRunning() {
        var s = scheduler.getSchedulerState();
        return s.isStarted() && !s.isShuttingDown();
    }

    /** Stops taking executions and waits (bounded) for running ones. */
    @Override
    public void close() {
        scheduler.stop();
    }
}

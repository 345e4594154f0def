package dev.stowage.jobs;

import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jdbi.v3.core.Jdbi;

/**
 * The job queue as the operator console shows it (db-scheduler's {@code scheduled_tasks}): executions by
 * state, and a retry that makes one due now. db-scheduler records when an execution last failed and how many
 * times in a row, not why: the error is in the worker's log (logged with the task and instance).
 */
public final class JobBoard {
    /** Largest page. */
    public static final int MAX_LIMIT = 500;

    /** States of an execution. */
    public enum State {
        /** a worker holds it now */
        RUNNING,
        /** its last run failed; a retry is scheduled */
        FAILING,
        /** its time has come; waiting for a worker */
        DUE,
        /** waiting for its time */
        SCHEDULED;

        /** The wire name, e.g. {@code failing}. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One execution.
     *
     * @param task                task name ({@code verify-file}, {@code make-variants}, {@code cost-snapshot}, …)
     * @param instance            instance id (the file id of per-file tasks)
     * @param state               {@code running}, {@code failing}, {@code due} or {@code scheduled}
     * @param executionTime       when it runs next
     * @param pickedBy            the worker running it, or {@code null}
     * @param consecutiveFailures failed runs in a row
     * @param lastFailure         when it last failed, or {@code null}
     * @param lastSuccess         when it last succeeded (recurring tasks), or {@code null}
     */
    public record Execution(String task, String instance, String state, Instant executionTime, String pickedBy,
                            int consecutiveFailures, Instant lastFailure, Instant lastSuccess) {}

    /**
     * Executions by state, counted over the whole table.
     *
     * @param running   held by a worker
     * @param failing   last run failed
     * @param due       due and waiting for a worker
     * @param scheduled waiting for their time
     */
    public record Counts(long running, long failing, long due, long scheduled) {}

    private static final String STATE_SQL = """
            case when picked then 'running' when coalesce(consecutive_failures, 0) > 0 then 'failing'
                 when execution_time <= now() then 'due' else 'scheduled' end""";

    private final Jdbi jdbi;

    /** @param jdbi the database (db-scheduler's table) */
    public JobBoard(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** How many executions are in each state. */
    public Counts counts() {
        return jdbi.withHandle(h -> h.createQuery("""
                        select count(*) filter (where picked),
                               count(*) filter (where not picked and coalesce(consecutive_failures, 0) > 0),
                               count(*) filter (where not picked and coalesce(consecutive_failures, 0) = 0 and execution_time <= now()),
                               count(*) filter (where not picked and coalesce(consecutive_failures, 0) = 0 and execution_time > now())
                        from scheduled_tasks""")
                .map((rs, c) -> new Counts(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4))).one());
    }

    /**
     * Executions in the given states: failing first (most failures first), then by next run.
     *
     * @param states the states wanted (not empty)
     * @param limit  1 to {@link #MAX_LIMIT}
     */
    public List<Execution> list(java.util.Set<State> states, int limit) {
        List<String> wanted = states.stream().map(State::id).toList();
        return jdbi.withHandle(h -> h.createQuery("select * from (select task_name, task_instance, execution_time, picked_by, consecutive_failures,"
                        + " last_failure, last_success, " + STATE_SQL + " as state from scheduled_tasks) t where state in (<states>)"
                        + " order by state = 'failing' desc, consecutive_failures desc nulls last, execution_time, task_name, task_instance limit :n")
                .bindList("states", wanted).bind("n", limit)
                .map((rs, c) -> {
                    var lf = rs.getTimestamp("last_failure");
                    var ls = rs.getTimestamp("last_success");
                    return new Execution(rs.getString("task_name"), rs.getString("task_instance"), rs.getString("state"),
                            rs.getTimestamp("execution_time").toInstant(), rs.getString("picked_by"), rs.getInt("consecutive_failures"),
                            lf == null ? null : lf.toInstant(), ls == null ? null : ls.toInstant());
                }).list());
    }

    /**
     * Makes an execution due now: a failing job is retried at the next poll instead of after its backoff. One
     * conditional update of the row (only while no worker holds it, the version bumped as db-scheduler does), so
     * the failure history stays: failures in a row and the last failure's time are what the next run reports on.
     *
     * @return the execution afterwards
     * @throws Problem {@code job_not_found} (404); {@code job_running} (409) when a worker runs it now
     */
    public Execution retryNow(String task, String instance) {
        int moved = jdbi.withHandle(h -> h.createUpdate("""
                        update scheduled_tasks set execution_time = now(), version = version + 1
                        where task_name = :t and task_instance = :i and not picked""")
                .bind("t", task).bind("i", instance).execute());
        if (moved == 0) {
            boolean exists = jdbi.withHandle(h -> h.createQuery("select exists (select 1 from scheduled_tasks where task_name = :t and task_instance = :i)")
                    .bind("t", task).bind("i", instance).mapTo(Boolean.class).one());
            if (!exists) throw new Problem(ProblemCode.JOB_NOT_FOUND, "no job execution " + task + " / " + instance);
            throw new Problem(ProblemCode.JOB_RUNNING, "job " + task + " / " + instance + " is running now");
        }
        return jdbi.withHandle(h -> h.createQuery("select task_name, task_instance, execution_time, picked_by, consecutive_failures,"
                        + " last_failure, last_success, " + STATE_SQL + " as state from scheduled_tasks where task_name = :t and task_instance = :i")
                .bind("t", task).bind("i", instance)
                .map((rs, c) -> {
                    var lf = rs.getTimestamp("last_failure");
                    var ls = rs.getTimestamp("last_success");
                    return new Execution(rs.getString("task_name"), rs.getString("task_instance"), rs.getString("state"),
                            rs.getTimestamp("execution_time").toInstant(), rs.getString("picked_by"), rs.getInt("consecutive_failures"),
                            lf == null ? null : lf.toInstant(), ls == null ? null : ls.toInstant());
                }).findOne())
                .orElseThrow(() -> new Problem(ProblemCode.JOB_NOT_FOUND, "job " + task + " / " + instance + " finished meanwhile"));
    }
}

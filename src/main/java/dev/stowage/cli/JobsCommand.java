package dev.stowage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.stowage.Stowage;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code stowage jobs [--failed] [--format text|json]}: the background job queue as the workers see it
 * (db-scheduler's {@code scheduled_tasks} table): what is due, running, and failing with its retries.
 */
@Command(name = "jobs", description = "List background job executions: due, running, and failing (with failure count and next retry).")
public final class JobsCommand implements Callable<Integer> {

    /** Output formats. */
    enum Format { text, json }

    /**
     * One execution.
     *
     * @param task                task name ({@code verify-file}, {@code make-variants}, {@code reconcile-uploads}, …)
     * @param instance            instance id (the file id for per-file tasks)
     * @param state               {@code running}, {@code failing} (last run failed, a retry is scheduled) or {@code due}/{@code scheduled}
     * @param executionTime       when it runs next (UTC)
     * @param pickedBy            the worker running it, or null
     * @param consecutiveFailures failed runs in a row
     * @param lastFailure         when it last failed, or null
     * @param lastSuccess         when it last succeeded (recurring tasks), or null
     */
    public record Execution(String task, String instance, String state, Instant executionTime, String pickedBy,
                            int consecutiveFailures, Instant lastFailure, Instant lastSuccess) {}

    @Mixin
    ConfigOption config;

    @Option(names = "--failed", description = "Only executions whose last run failed.")
    boolean failed;

    @Option(names = "--format", defaultValue = "text", paramLabel = "FORMAT", description = "text or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Mixin
    DevDataDir dataDir;

    @Override
    public Integer call() throws Exception {
        try (Stowage s = config.open(dataDir.dir)) {
            List<Execution> rows = list(s, failed, Instant.now());
            print(rows, format, System.out);
            return 0;
        }
    }

    /**
     * Reads the executions, failing first, then by next run.
     *
     * @param failedOnly only executions with at least one consecutive failure
     * @param now        the time that separates due from scheduled
     */
    static List<Execution> list(Stowage s, boolean failedOnly, Instant now) {
        return s.db().jdbi().withHandle(h -> h.createQuery("""
                select task_name, task_instance, execution_time, picked, picked_by, consecutive_failures, last_failure, last_success
                from scheduled_tasks
                where (:failedOnly = false or consecutive_failures > 0)
                order by consecutive_failures > 0 desc, execution_time, task_name, task_instance""")
                .bind("failedOnly", failedOnly)
                .map((rs, ctx) -> {
                    Instant next = rs.getTimestamp("execution_time").toInstant();
                    int failures = rs.getInt("consecutive_failures");
                    String state = rs.getBoolean("picked") ? "running" : failures > 0 ? "failing" : next.isAfter(now) ? "scheduled" : "due";
                    var lf = rs.getTimestamp("last_failure");
                    var ls = rs.getTimestamp("last_success");
                    return new Execution(rs.getString("task_name"), rs.getString("task_instance"), state, next, rs.getString("picked_by"),
                            failures, lf == null ? null : lf.toInstant(), ls == null ? null : ls.toInstant());
                }).list());
    }

    static void print(List<Execution> rows, Format format, PrintStream out) throws Exception {
        if (format == Format.json) {
            var json = new ObjectMapper().registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .enable(SerializationFeature.INDENT_OUTPUT);
            out.println(json.writeValueAsString(rows));
            return;
        }
        if (rows.isEmpty()) {
            out.println("No job executions.");
            return;
        }
        out.printf("%-18s %-36s %-9s %8s  %-20s  %-20s%n", "TASK", "INSTANCE", "STATE", "FAILURES", "LAST FAILURE", "NEXT RUN");
        for (Execution e : rows) {
            out.printf("%-18s %-36s %-9s %8d  %-20s  %-20s%n", e.task(), e.instance(), e.state(), e.consecutiveFailures(),
                    e.lastFailure() == null ? "-" : e.lastFailure().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                    e.executionTime().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        }
        long failing = rows.stream().filter(e -> e.consecutiveFailures() > 0).count();
        long running = rows.stream().filter(e -> e.state().equals("running")).count();
        out.printf("%d execution(s): %d running, %d failing.%n", rows.size(), running, failing);
    }
}

package dev.stowage.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Stowage's own meters: one place for their names, tags and units, so dashboards
 * ({@code ops/grafana/stowage.json}) and code agree. Services record through these static methods into
 * Micrometer's global registry, to which every running Stowage process adds the Prometheus registry it
 * serves at {@code /metrics} ({@link #attach}); recording without an attached registry is a no-op.
 *
 * <p>Names are Micrometer's dotted form; Prometheus shows {@code stowage.uploads.initiated} as
 * {@code stowage_uploads_initiated_total}, timers as {@code _seconds_count/_sum/_max} (and histogram
 * buckets where noted).
 */
public final class StowageMetrics {
    /** Counter: upload sessions created. */
    public static final String UPLOADS_INITIATED = "stowage.uploads.initiated";
    /** Counter: uploads that reached {@code ready}. */
    public static final String UPLOADS_COMPLETED = "stowage.uploads.completed";
    /** Counter, tags {@code stage} ({@code initiate}, {@code verify}) and {@code reason} (the stable code): uploads refused or rejected. */
    public static final String UPLOADS_REJECTED = "stowage.uploads.rejected";
    /** Counter: uploads quarantined as malware. */
    public static final String UPLOADS_QUARANTINED = "stowage.uploads.quarantined";
    /** Timer, tag {@code outcome} (the resulting status): one verification, download to decision. */
    public static final String VERIFICATION = "stowage.verification";
    /** Timer, tag {@code result} ({@code clean}, {@code infected}, {@code too_large}): one clamd scan. */
    public static final String SCAN = "stowage.scan";
    /** Timer, tags {@code engine} and {@code variant}: rendering of image variants. */
    public static final String VARIANT_GENERATION = "stowage.variants.generation";
    /** Counter, tag {@code variant}: variant requests answered by the on-demand fallback (the variant did not exist yet). */
    public static final String VARIANT_FALLBACK = "stowage.variants.fallback";
    /** Gauge, tag {@code task}: due job executions not yet picked by a worker. */
    public static final String JOBS_QUEUE_DEPTH = "stowage.jobs.queue.depth";
    /** Gauge, tag {@code task}, seconds: how long the oldest due execution has waited. */
    public static final String JOBS_QUEUE_AGE = "stowage.jobs.queue.oldest.age";
    /** Counter, tag {@code action} ({@code recovered}, {@code expired}, {@code requeued}): what the reconciler did. */
    public static final String RECONCILER_ACTIONS = "stowage.reconciler.actions";
    /** Timer, tag {@code cut} ({@code true} when the pass reached its time bound with work left): one reconciler pass. */
    public static final String RECONCILER_PASS = "stowage.reconciler.pass";
    /** Counter, tag {@code outcome} ({@code copied}, {@code skipped}, {@code failed}): files handled by a migration. */
    public static final String MIGRATION_FILES = "stowage.migration.files";
    /** Counter, bytes: bytes copied by a migration. */
    public static final String MIGRATION_BYTES = "stowage.migration.bytes";
    /** Gauge, tag {@code run}: files still to copy in a running migration. */
    public static final String MIGRATION_REMAINING = "stowage.migration.remaining";
    /** Gauge, USD: projected monthly cost of the store, from the latest usage snapshot. */
    public static final String COST_PROJECTED = "stowage.cost.projected.monthly.usd";
    /** Gauge, tags {@code bucket} and {@code storage_class}, bytes: stored bytes from the latest snapshot. */
    public static final String STORAGE_BYTES = "stowage.storage.bytes";
    /** Gauge, tags {@code bucket} and {@code storage_class}: stored objects from the latest snapshot. */
    public static final String STORAGE_OBJECTS = "stowage.storage.objects";
    /** Counter, tag {@code kind} ({@code monthly_cost}, {@code bucket_bytes}, {@code growth}): cost alerts raised. */
    public static final String COST_ALERTS = "stowage.cost.alerts";
    /** Counter, tag {@code outcome} ({@code delivered}, {@code failed}): alert webhook deliveries (after retries). */
    public static final String ALERT_WEBHOOKS = "stowage.cost.alert.webhooks";

    /**
     * Gauge, tags {@code bucket} and {@code kind} ({@code incomplete_uploads}, {@code noncurrent_versions},
     * {@code expired_delete_markers}): entries older than the bucket's lifecycle rules allow, from the latest
     * leftovers pass (Prometheus {@code stowage_leftovers}).
     */
    public static final String LEFTOVERS = "stowage.leftovers";
    /**
     * Gauge, tags {@code provider} and {@code capability} (a {@code Capability} id, or {@code content-md5}): 1 when the
     * store has it as the start-up probe found, 0 when not.
     */
    public static final String STORE_CAPABILITY = "stowage.store.capability";

    private static final Map<String, AtomicLong> LONG_GAUGES = new ConcurrentHashMap<>();
    private static final Map<String, AtomicLong> DOUBLE_GAUGES = new ConcurrentHashMap<>();

    private StowageMetrics() {}

    private static MeterRegistry registry() {
        return Metrics.globalRegistry;
    }

    /**
     * Adds a process's registry to the global one, so everything recorded here shows there.
     *
     * @return an action that detaches it again (on stop)
     */
    public static Runnable attach(MeterRegistry registry) {
        Metrics.addRegistry(registry);
        return () -> Metrics.removeRegistry(registry);
    }

    /** An upload session was created. */
    public static void uploadInitiated() {
        Counter.builder(UPLOADS_INITIATED).description("Upload sessions created").register(registry()).increment();
    }

    /** An upload reached {@code ready}. */
    public static void uploadCompleted() {
        Counter.builder(UPLOADS_COMPLETED).description("Uploads that reached ready").register(registry()).increment();
    }

    /**
     * An upload was refused or rejected.
     *
     * @param stage  {@code initiate} (refused before any byte), {@code complete} (a multipart upload no complete can
     *               succeed on) or {@code verify} (rejected after upload)
     * @param reason the stable code, e.g. {@code quota_exceeded}, {@code checksum_mismatch}
     */
    public static void uploadRejected(String stage, String reason) {
        Counter.builder(UPLOADS_REJECTED).description("Uploads refused at initiation or rejected at completion or verification")
                .tags("stage", stage, "reason", reason).register(registry()).increment();
    }

    /** An upload was quarantined. */
    public static void uploadQuarantined() {
        Counter.builder(UPLOADS_QUARANTINED).description("Uploads quarantined as malware").register(registry()).increment();
    }

    /** Records one verification's duration. */
    public static void verification(Duration took, String outcome) {
        Timer.builder(VERIFICATION).description("File verification, object download to decision").publishPercentileHistogram()
                .tag("outcome", outcome).register(registry()).record(took);
    }

    /** Records one scan's duration. */
    public static void scan(Duration took, String result) {
        Timer.builder(SCAN).description("clamd INSTREAM scan").publishPercentileHistogram().tag("result", result).register(registry()).record(took);
    }

    /** Records one variant rendering. */
    public static void variantGenerated(String engine, String variant, Duration took) {
        Timer.builder(VARIANT_GENERATION).description("Image variant rendering").publishPercentileHistogram()
                .tags("engine", engine, "variant", variant).register(registry()).record(took);
    }

    /** A variant request was answered by the on-demand fallback. */
    public static void variantFallback(String variant) {
        Counter.builder(VARIANT_FALLBACK).description("Variant requests served by on-demand generation").tag("variant", variant)
                .register(registry()).increment();
    }

    /** The reconciler did {@code n} of {@code action}. */
    public static void reconcilerActions(String action, int n) {
        if (n > 0) Counter.builder(RECONCILER_ACTIONS).description("Reconciler actions").tag("action", action).register(registry()).increment(n);
    }

    /** One reconciler pass took {@code took}; {@code cutShort} when it reached its time bound with work left. */
    public static void reconcilerPass(Duration took, boolean cutShort) {
        Timer.builder(RECONCILER_PASS).description("One reconciler pass").publishPercentileHistogram()
                .tag("cut", Boolean.toString(cutShort)).register(registry()).record(took);
    }

    /** A migration handled one file. */
    public static void migrationFile(String outcome, long bytes) {
        Counter.builder(MIGRATION_FILES).description("Files handled by migrations").tag("outcome", outcome).register(registry()).increment();
        if (bytes > 0) Counter.builder(MIGRATION_BYTES).description("Bytes copied by migrations").baseUnit("bytes").register(registry()).increment(bytes);
    }

    /** Files still to copy in a migration run. */
    public static void migrationRemaining(String run, long files) {
        longGauge(MIGRATION_REMAINING, Tags.of("run", run), "Files still to copy in a migration run", null).set(files);
    }

    /** The projected monthly cost, USD. */
    public static void costProjected(double usd) {
        doubleGauge(COST_PROJECTED, Tags.empty(), "Projected monthly storage cost", "usd").set(Double.doubleToLongBits(usd));
    }

    /** Stored bytes and objects of a bucket and storage class. */
    public static void storage(String bucket, String storageClass, long bytes, long objects) {
        Tags t = Tags.of("bucket", bucket, "storage_class", storageClass);
        longGauge(STORAGE_BYTES, t, "Stored bytes from the latest usage snapshot", "bytes").set(bytes);
        longGauge(STORAGE_OBJECTS, t, "Stored objects from the latest usage snapshot", "objects").set(objects);
    }

    /** Sets the leftovers count of one kind in one bucket. */
    public static void leftovers(String bucket, String kind, long count) {
        longGauge(LEFTOVERS, Tags.of("bucket", bucket, "kind", kind), "Entries older than the bucket's lifecycle rules allow", null).set(count);
    }

    /** A cost alert was raised. */
    public static void costAlert(String kind) {
        Counter.builder(COST_ALERTS).description("Cost alerts raised").tag("kind", kind).register(registry()).increment();
    }

    /** An alert webhook was delivered or given up on. */
    public static void alertWebhook(String outcome) {
        Counter.builder(ALERT_WEBHOOKS).description("Alert webhook deliveries").tag("outcome", outcome).register(registry()).increment();
    }

    /**
     * Registers the job-queue gauges of one task on a process's own registry (they read its database).
     *
     * @param registry the process's registry
     * @param task     the db-scheduler task name
     * @param depth    due, unpicked executions
     * @param ageSeconds seconds the oldest due execution has waited (0 when none)
     */
    public static void jobQueue(MeterRegistry registry, String task, Supplier<Number> depth, Supplier<Number> ageSeconds) {
        Gauge.builder(JOBS_QUEUE_DEPTH, depth).description("Due job executions not yet picked").tag("task", task).register(registry);
        Gauge.builder(JOBS_QUEUE_AGE, ageSeconds).description("Wait of the oldest due job execution").baseUnit("seconds").tag("task", task).register(registry);
    }

    private static AtomicLong longGauge(String name, Tags tags, String description, String unit) {
        return LONG_GAUGES.computeIfAbsent(name + tags, k -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder(name, v, AtomicLong::get).description(description).baseUnit(unit).tags(tags).register(registry());
            return v;
        });
    }

    private static AtomicLong doubleGauge(String name, Tags tags, String description, String unit) {
        return DOUBLE_GAUGES.computeIfAbsent(name + tags, k -> {
            AtomicLong v = new AtomicLong(Double.doubleToLongBits(0));
            Gauge.builder(name, v, a -> Double.longBitsToDouble(a.get())).description(description).baseUnit(unit).tags(tags).register(registry());
            return v;
        });
    }
}

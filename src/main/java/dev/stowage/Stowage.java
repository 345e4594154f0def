package dev.stowage;

import dev.stowage.config.StowageConfig;
import dev.stowage.db.Database;
import dev.stowage.http.ApiServer;
import dev.stowage.http.HealthCheck;
import dev.stowage.jobs.Worker;
import dev.stowage.security.DevTokens;
import dev.stowage.security.JwtAuthenticator;
import dev.stowage.storage.S3Clients;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Explicit wiring of one Stowage process (docs/architecture.md §12): builds the clients, the database, the services,
 * the HTTP API and the worker from a validated configuration, and stops them in reverse order.
 * Which parts run is chosen by the CLI command ({@code serve}: API and worker; {@code worker}: worker
 * only; {@code dev}: both, over the embedded stack).
 */
public final class Stowage implements AutoCloseable {
    private final StowageConfig config;
    private final S3Clients s3;
    /** The provider's profile as the start-up probe found it. */
    private final dev.stowage.storage.ProviderProfile profile;
    /** For bulk copies (migration): whole-body payload signing instead of aws-chunked over plain HTTP. */
    private final S3Clients bulkS3;
    /** The store seam over {@link #s3}; {@link #bulkStore} over {@link #bulkS3}. */
    private final dev.stowage.storage.ObjectStore store;
    private final dev.stowage.storage.ObjectStore bulkStore;
    private final Database db;
    private final PrometheusMeterRegistry metrics;
    private final dev.stowage.files.JdbiFileRepository files;
    private final dev.stowage.files.FileEvents fileEvents;
    private final dev.stowage.files.FileLifecycle lifecycle;
    private final dev.stowage.jobs.JobQueue queue;
    private final dev.stowage.uploads.AllowedTypes allowedTypes;
    private final dev.stowage.scanning.MalwareScanner scanner;
    private final dev.stowage.uploads.InitiationLimits initiationLimits;
    private final dev.stowage.uploads.UploadService uploads;
    private final dev.stowage.files.FileService fileService;
    private final dev.stowage.jobs.Jobs jobs;
    private final dev.stowage.uploads.Verifier verifier;
    private final dev.stowage.uploads.Reconciler reconciler;
    private final dev.stowage.events.EventService events;
    private final dev.stowage.images.ImageEngine imageEngine;
    private final dev.stowage.images.VariantService variants;
    private final dev.stowage.delivery.DeliveryService delivery;
    private final dev.stowage.costs.CostService costs;
    private final dev.stowage.costs.LeftoversMonitor leftovers;
    private final dev.stowage.retention.RetentionService retention;
    private final dev.stowage.backup.BackupService backup;
    private final dev.stowage.migration.MigrationService migration;
    private ApiServer api;
    private Worker worker;
    private dev.stowage.events.SqsPoller sqsPoller;
    private final List<AutoCloseable> extras = new ArrayList<>();
    private final Runnable detachMetrics;

    /**
     * Connects to the store and the database and migrates the schema.
     *
     * @param config      the validated configuration (database URL set)
     * @param credentials S3 credentials; {@code null} for the SDK's default provider chain
     */
    public Stowage(StowageConfig config, AwsCredentialsProvider credentials) {
        this(config, credentials, true);
    }

    /**
     * Connects to the store and the database and migrates the schema; {@code probeStore} false runs with the
     * provider's recorded profile whatever {@code storage.probe} says (a maintenance command: the probe costs
     * about ten store requests, seconds on some gateways, and {@code serve}, {@code worker} and
     * {@code stowage doctor} probe).
     *
     * @param config      the validated configuration (database URL set)
     * @param credentials S3 credentials; {@code null} for the SDK's default provider chain
     * @param probeStore  whether to probe the store when {@code storage.probe} is on
     * @throws dev.stowage.config.ConfigException when the store refuses what Stowage needs or a required
     *         bucket setting cannot be held, one line each
     */
    public Stowage(StowageConfig config, AwsCredentialsProvider credentials, boolean probeStore) {
        this.config = config;
        try {
            this.delivery = new dev.stowage.delivery.DeliveryService(config.delivery());
        } catch (IllegalArgumentException e) {
            throw new dev.stowage.config.ConfigException(List.of("delivery.cloudfront private key: " + e.getMessage()));
        }
        this.profile = probe(config, credentials, probeStore);
        this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.detachMetrics = dev.stowage.metrics.StowageMetrics.attach(metrics);
        storeCapabilities(metrics, profile);
        this.s3 = S3Clients.create(config.storage(), credentials, true, profile);
        this.bulkS3 = S3Clients.create(config.storage(), credentials, false, profile);
        this.store = new dev.stowage.storage.S3ObjectStore(s3);
        this.bulkStore = new dev.stowage.storage.S3ObjectStore(bulkS3);
        this.db = Database.open(config.database());
        db.migrate();
        this.files = new dev.stowage.files.JdbiFileRepository(db.jdbi());
        this.fileEvents = new dev.stowage.files.FileEvents();
        this.lifecycle = new dev.stowage.files.FileLifecycle(files, fileEvents);
        this.queue = new dev.stowage.jobs.JobQueue(db.dataSource());
        try {
            this.allowedTypes = config.uploads().allowedTypes().isEmpty()
                    ? new dev.stowage.uploads.AllowedTypes() : new dev.stowage.uploads.AllowedTypes(config.uploads().allowedTypes());
        } catch (IllegalArgumentException e) {
            throw new dev.stowage.config.ConfigException(List.of("uploads.allowed_types: " + e.getMessage()));
        }
        var sc = config.scanner();
        this.scanner = sc.enabled() ? new dev.stowage.scanning.ClamdScanner(sc.clamdHost(), sc.clamdPort(), sc.maxStreamBytes(), sc.timeout()) : null;
        if (sc.enabled() && config.uploads().maxSizeBytes() > sc.maxStreamBytes()) {
            org.slf4j.LoggerFactory.getLogger(Stowage.class).warn("uploads.max_size_bytes ({} bytes) exceeds scanner.max_stream_bytes ({} bytes): uploads larger than the scanner's limit "
                    + "are accepted, then not fully scanned and {} (scanner.on_limits)", config.uploads().maxSizeBytes(), sc.maxStreamBytes(),
                    sc.onLimits() == StowageConfig.Scanner.OnLimits.HOLD ? "held for an operator" : "rejected too_large_to_scan");
        }
        this.imageEngine = dev.stowage.images.Engines.select(config.images());
        this.variants = new dev.stowage.images.VariantService(store, files, queue, imageEngine, config);
        this.initiationLimits = new dev.stowage.uploads.InitiationLimits(db.dataSource());
        this.uploads = new dev.stowage.uploads.UploadService(store, files, lifecycle, config, allowedTypes, initiationLimits);
        this.fileService = new dev.stowage.files.FileService(store, files, lifecycle, config);
        this.verifier = new dev.stowage.uploads.Verifier(store, files, lifecycle, uploads, allowedTypes, new dev.stowage.uploads.TypeDetector(), scanner,
                dev.stowage.images.DecodeLimits.of(config.images())::tooLarge, sc, stagingLife(config));
        this.reconciler = new dev.stowage.uploads.Reconciler(store, files, lifecycle, uploads, queue, config.uploads().reconcile(),
                initiationLimits, config.storage().buckets().raw(), config.uploads().stagingTtl(), 1000);
        this.jobs = new dev.stowage.jobs.Jobs(queue, verifier, reconciler, variants, config.uploads().reconcileInterval());
        // what follows a move of a file's life: arrived uploads are verified, ready images get their variants
        fileEvents.on(dev.stowage.files.FileEvents.Arrived.class, e -> queue.enqueue(e.fileId()));
        fileEvents.on(dev.stowage.files.FileEvents.Ready.class, variants::onReady);
        this.costs = new dev.stowage.costs.CostService(store, db.jdbi(), files, config, java.time.Clock.systemUTC());
        var sns = config.events().sns();
        this.events = new dev.stowage.events.EventService(files, uploads, store, config.storage().buckets().raw(),
                sns.enabled() ? new dev.stowage.events.SnsVerifier(sns.topicArns(), dev.stowage.events.SnsFetcher.https(), java.time.Clock.systemUTC()) : null,
                (kind, subject, message) -> Thread.ofVirtual().name("event-alert").start(() -> {
                    // off the request: the alert webhook may retry for a while, and its failure must not fail the delivery
                    try {
                        costs.alert(kind, subject, 1, 0, message);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(Stowage.class).warn("alert {} for {} not recorded: {}", kind, subject, e.toString());
                    }
                }));
        this.leftovers = new dev.stowage.costs.LeftoversMonitor(new dev.stowage.buckets.Leftovers(store, config, java.time.Clock.systemUTC()),
                costs, config.costs().leftovers().interval());
        dev.stowage.metrics.JobQueueMetrics.bind(metrics, db.jdbi(),
                List.of(dev.stowage.jobs.Jobs.VERIFY, dev.stowage.jobs.Jobs.VARIANTS, dev.stowage.jobs.Jobs.RECONCILE, dev.stowage.costs.CostService.TASK,
                        dev.stowage.costs.LeftoversMonitor.TASK,
                        "retention-sweep", "backup"));
        this.retention = new dev.stowage.retention.RetentionService(store, files, lifecycle, db.jdbi(), config);
        this.backup = new dev.stowage.backup.BackupService(store, db.dataSource(), config);
        this.migration = new dev.stowage.migration.MigrationService(bulkStore, files, lifecycle, queue, scanner,
                new dev.stowage.uploads.TypeDetector(), config);
    }

    /**
     * Probes the store ({@code storage.probe}, on by default) and checks that the required bucket settings can
     * be held.
     *
     * @return the profile to run with
     * @throws dev.stowage.config.ConfigException when the store refuses what Stowage needs or a required setting
     *         cannot be held, one line each
     */
    private static dev.stowage.storage.ProviderProfile probe(StowageConfig config, AwsCredentialsProvider credentials, boolean probeStore) {
        var log = org.slf4j.LoggerFactory.getLogger(Stowage.class);
        var profile = dev.stowage.storage.ProviderProfile.of(config.storage().provider());
        List<String> problems = new ArrayList<>();
        if (probeStore && config.storage().probe()) {
            long t0 = System.nanoTime();
            var report = dev.stowage.storage.ProviderProbe.run(config.storage(), credentials);
            log.info("store probe ({} ms, provider {}): {}", (System.nanoTime() - t0) / 1_000_000, config.storage().provider().id(),
                    dev.stowage.storage.ProviderProbe.summary(report));
            if (!report.probed()) log.warn("store probe incomplete: {}; running with the {} profile as recorded",
                    report.checks().getLast().detail(), config.storage().provider().id());
            profile = report.profile();
            problems.addAll(report.problems());
        }
        problems.addAll(dev.stowage.buckets.RequiredSettings.notHeld(config.storage(), config.bucketSettings(), profile));
        if (!problems.isEmpty()) throw new dev.stowage.config.ConfigException(problems);
        return profile;
    }

    /** How long an object under {@code staging/} is kept at most: the reconciler's sweep or the raw bucket's expiry rule. */
    private static java.time.Duration stagingLife(StowageConfig config) {
        var ttl = config.uploads().stagingTtl();
        int days = config.bucketSettings().raw().temporaryExpireDays();
        return days > 0 && java.time.Duration.ofDays(days).compareTo(ttl) < 0 ? java.time.Duration.ofDays(days) : ttl;
    }

    /** Registers {@code stowage.store.capability}: one gauge per capability, and {@code content-md5}. */
    private static void storeCapabilities(io.micrometer.core.instrument.MeterRegistry registry, dev.stowage.storage.ProviderProfile profile) {
        String provider = profile.provider().id();
        java.util.Map<String, Double> values = new java.util.LinkedHashMap<>();
        for (var c : dev.stowage.storage.Capability.values()) values.put(c.id(), profile.has(c) ? 1.0 : 0.0);
        values.put("content-md5", profile.contentMd5() ? 1.0 : 0.0);
        values.forEach((id, v) -> io.micrometer.core.instrument.Gauge.builder(dev.stowage.metrics.StowageMetrics.STORE_CAPABILITY, () -> v)
                .tag("provider", provider).tag("capability", id)
                .description("1 when the store has the capability, as the start-up probe found").register(registry));
    }

    /** Recurring tasks: the core ones, the cost snapshot, the retention sweeper and scheduled backups when their intervals are set. */
    private List<com.github.kagkarlsson.scheduler.task.helper.RecurringTask<?>> recurringTasks() {
        List<com.github.kagkarlsson.scheduler.task.helper.RecurringTask<?>> out = new ArrayList<>(jobs.startTasks());
        out.add(costs.task());
        if (leftovers.task() != null) out.add(leftovers.task());
        var interval = config.retention().interval();
        if (!interval.isZero()) {
            out.add(com.github.kagkarlsson.scheduler.task.helper.Tasks.recurring("retention-sweep",
                            com.github.kagkarlsson.scheduler.task.schedule.FixedDelay.of(interval))
                    .execute((instance, ctx) -> retention.run(false)));
        }
        var every = config.backup().interval();
        if (!every.isZero()) {
            out.add(com.github.kagkarlsson.scheduler.task.helper.Tasks.recurring("backup", new dev.stowage.backup.AfterDelay(every))
                    .execute((instance, ctx) -> {
                        try {
                            var r = backup.run();
                            org.slf4j.LoggerFactory.getLogger(Stowage.class).info("backup {}: {} bytes, sha256 {}", r.key(), r.sizeBytes(), r.sha256());
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }));
        }
        return out;
    }

    /** Readiness checks: database and object store (the raw bucket). */
    List<HealthCheck> healthChecks() {
        List<HealthCheck> checks = new ArrayList<>();
        checks.add(new HealthCheck("database", () -> db.check(Duration.ofSeconds(3))));
        String raw = config.storage().buckets().raw();
        checks.add(new HealthCheck("object_store", () -> {
            try {
                return store.buckets().probe(raw) ? null : "bucket " + raw + " does not exist (run 'stowage buckets apply')";
            } catch (dev.stowage.storage.StoreException e) {
                if (e.status() == 0) return "bucket " + raw + ": " + firstLine(e.getMessage());
                return "bucket " + raw + ": HTTP " + e.status() + " " + (e.code() == null ? "" : e.code());
            } catch (Exception e) {
                return "bucket " + raw + ": " + firstLine(e.getMessage());
            }
        }));
        if (worker != null) checks.add(new HealthCheck("worker", () -> worker.isRunning() ? null : "job scheduler not running"));
        if (scanner != null) checks.add(new HealthCheck("scanner", scanner::health));
        return checks;
    }

    private static String firstLine(String s) {
        return s == null ? "unreachable" : s.lines().findFirst().orElse(s);
    }

    /**
     * Starts the background worker in this process.
     *
     * @param threads parallel executions
     * @return this
     */
    public Stowage startWorker(int threads) {
        return startWorker(threads, Worker.DEFAULT_HEARTBEAT);
    }

    /**
     * Starts the background worker in this process with a given heartbeat (see {@link Worker}).
     *
     * @param threads   parallel executions
     * @param heartbeat heartbeat interval; executions of workers silent for six intervals run again
     * @return this
     */
    public Stowage startWorker(int threads, java.time.Duration heartbeat) {
        worker = new Worker(db.dataSource(), jobs.tasks(), recurringTasks(), threads, heartbeat);
        worker.start();
        queue.wakeOnQueue(worker.scheduler()::triggerCheckForDueExecutions);
        if (config.events().sqsQueueUrl() != null) {
            var poller = new dev.stowage.events.SqsPoller(software.amazon.awssdk.services.sqs.SqsClient.create(),
                    config.events().sqsQueueUrl(), events);
            poller.start();
            sqsPoller = poller;
        }
        return this;
    }

    /**
     * Starts the HTTP API.
     *
     * @param devTokens issues dev tokens, {@code null} outside dev
     * @return this
     */
    public Stowage startApi(DevTokens devTokens) {
        List<dev.stowage.http.RouteModule> modules = new ArrayList<>();
        modules.add(new dev.stowage.http.UploadRoutes(uploads, fileService, files, config.uploads(), variants));
        modules.add(new dev.stowage.http.VariantRoutes(fileService, variants, delivery));
        modules.add(new dev.stowage.http.DeliveryRoutes(delivery));
        modules.add(new dev.stowage.http.CostRoutes(costs));
        modules.add(new dev.stowage.http.RetentionRoutes(retention, files));
        modules.add(new dev.stowage.http.AdminRoutes(new dev.stowage.files.AdminDirectory(db.jdbi()), quarantine(),
                new dev.stowage.jobs.JobBoard(db.jdbi()), files, config, scanner == null ? null : scanner.name(), migration.journal()));
        modules.add(new dev.stowage.http.OpenApiRoutes());
        modules.add(new dev.stowage.http.LegacyUploadRoutes(new dev.stowage.migration.LegacyLinks(db.jdbi(), files)));
        if (config.events().webhookSecret() != null) {
            modules.add(new dev.stowage.http.EventRoutes(events, config.events().webhookSecret()));
        }
        // the JVM's own series, only where /metrics serves them (maintenance commands skip their cost: a listener on every GC)
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        var securityHeaders = dev.stowage.http.SecurityHeaders.of(config, S3Clients.presignedOrigins(config.storage()));
        if (config.http().metricsToken() == null && config.mode() != StowageConfig.Mode.DEV) {
            org.slf4j.LoggerFactory.getLogger(Stowage.class).warn("/metrics answers 401: set STOWAGE_METRICS_TOKEN and give it to the scraper as a bearer token (docs/operations.md)");
        }
        api = new ApiServer(config, healthChecks(), new JwtAuthenticator(config.auth()), devTokens, metrics, modules, securityHeaders).start();
        return this;
    }

    /** Closes {@code resource} after everything else (used by the dev stack for its servers). */
    public void closeLast(AutoCloseable resource) {
        extras.add(resource);
    }

    /** The HTTP API, or {@code null} when not started. */
    public ApiServer api() {
        return api;
    }

    /** The S3 clients. */
    public S3Clients s3() {
        return s3;
    }

    /** The object store seam (over {@link #s3()}). */
    public dev.stowage.storage.ObjectStore store() {
        return store;
    }

    /** The upload service. */
    public dev.stowage.uploads.UploadService uploads() {
        return uploads;
    }

    /** The verifier (tests drive it directly). */
    public dev.stowage.uploads.Verifier verifier() {
        return verifier;
    }

    /** The reconciler. */
    public dev.stowage.uploads.Reconciler reconciler() {
        return reconciler;
    }

    /** The file repository (PostgreSQL). */
    public dev.stowage.files.JdbiFileRepository files() {
        return files;
    }

    /** The owner of files' states and quota bookkeeping. */
    public dev.stowage.files.FileLifecycle lifecycle() {
        return lifecycle;
    }

    /** What happens to files, for listeners. */
    public dev.stowage.files.FileEvents fileEvents() {
        return fileEvents;
    }

    /** The image variant service. */
    public dev.stowage.images.VariantService variants() {
        return variants;
    }

    /** The job definitions and client. */
    public dev.stowage.jobs.Jobs jobs() {
        return jobs;
    }

    /** Where variants are served from. */
    public dev.stowage.delivery.DeliveryService delivery() {
        return delivery;
    }

    /** The cost view. */
    public dev.stowage.costs.CostService costs() {
        return costs;
    }

    /** The leftovers monitor (what lifecycle rules leave behind). */
    public dev.stowage.costs.LeftoversMonitor leftovers() {
        return leftovers;
    }

    /** The backup service. */
    public dev.stowage.backup.BackupService backup() {
        return backup;
    }

    /** The retention service. */
    public dev.stowage.retention.RetentionService retention() {
        return retention;
    }

    /** The migration of legacy upload trees. */
    public dev.stowage.migration.MigrationService migration() {
        return migration;
    }

    /** An operator's release (after a clean re-scan) and purge of quarantined files. */
    public dev.stowage.uploads.Quarantine quarantine() {
        return new dev.stowage.uploads.Quarantine(store, files, lifecycle, uploads, scanner);
    }

    /** The malware scanner, or {@code null} when none is configured. */
    public dev.stowage.scanning.MalwareScanner scanner() {
        return scanner;
    }

    /** The event service. */
    public dev.stowage.events.EventService events() {
        return events;
    }

    /** The database. */
    public Database db() {
        return db;
    }

    /** The configuration in force. */
    public StowageConfig config() {
        return config;
    }

    /** Graceful stop: HTTP first (drains), then the worker, then clients and pools. */
    @Override
    public void close() {
        if (api != null) api.stop();
        if (sqsPoller != null) sqsPoller.close();
        if (worker != null) worker.close();
        s3.close();
        bulkS3.close();
        db.close();
        detachMetrics.run();
        metrics.close();
        for (int i = extras.size() - 1; i >= 0; i--) {
            try {
                extras.get(i).close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(Stowage.class).warn("error while stopping: {}", e.toString());
            }
        }
    }
}

package dev.stowage.costs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.stowage.config.StowageConfig;
import dev.stowage.metrics.StowageMetrics;
import dev.stowage.storage.ObjectStore;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cost view (docs/architecture.md §7). A snapshot sizes every bucket (the provider's count where it has
 * one, else a paginated listing with bounded memory; see {@link StoreInventory}) and sets the listing beside what the database accounts for (files in the raw
 * bucket, variants in the processed bucket), prices it with the configured {@link PriceTable}, projects
 * the month from the growth measured between snapshots, records it, exports it as metrics, and checks the
 * thresholds: each crossing raises an alert once a day per kind and subject (a log line, the
 * {@code stowage.cost.alerts} counter and, when configured, a signed webhook through {@link AlertNotifier}).
 * Workers take a snapshot every {@code costs.snapshot_interval_seconds} ({@link #task()}).
 */
public final class CostService {
    /** Task name of the recurring snapshot. */
    public static final String TASK = "cost-snapshot";
    private static final Logger log = LoggerFactory.getLogger(CostService.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ALERT_QUIET = Duration.ofHours(24);
    private static final Duration MIN_GROWTH_WINDOW = Duration.ofHours(1);

    private final Jdbi jdbi;
    private final dev.stowage.files.FileRepository files;
    private final StowageConfig.Storage storage;
    private final StowageConfig.Costs config;
    private final StoreInventory inventory;
    private final PriceTable prices;
    private final AlertNotifier notifier;
    private final Clock clock;

    /**
     * @param s3     clients of the store to list
     * @param jdbi   the database (schema migrated; the cost tables)
     * @param files  what the database accounts for (files, upload sessions, variants)
     * @param config the whole configuration (buckets, costs section)
     * @param clock  the clock (tests)
     */
    public CostService(ObjectStore s3, Jdbi jdbi, dev.stowage.files.FileRepository files, StowageConfig config, Clock clock) {
        this.jdbi = jdbi;
        this.files = files;
        this.storage = config.storage();
        this.config = config.costs();
        this.inventory = new StoreInventory(s3, 1000);
        this.prices = PriceTable.named(this.config.priceTable(), this.config.selfHostedUsdPerGbMonth());
        this.notifier = this.config.webhookUrl() == null ? null
                : new AlertNotifier(this.config.webhookUrl(), this.config.webhookSecret(), this.config.webhookAttempts(), this.config.webhookBackoff(), clock);
        this.clock = clock;
    }

    /** The price table in use. */
    public PriceTable prices() {
        return prices;
    }

    /** The recurring task that takes a snapshot every {@code costs.snapshot_interval_seconds}. */
    public RecurringTask<Void> task() {
        return Tasks.recurring(TASK, FixedDelay.of(config.snapshotInterval())).execute((instance, ctx) -> snapshot());
    }

    private record Key(String bucket, String storageClass) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = bucket.compareTo(o.bucket);
            return c != 0 ? c : storageClass.compareTo(o.storageClass);
        }
    }

    /**
     * Lists the store now, records a snapshot, updates the metrics, raises alerts for crossed thresholds.
     *
     * @return the report of this snapshot
     * @throws dev.stowage.storage.StoreException when a listing is refused
     */
    public CostReport snapshot() {
        long t0 = System.nanoTime();
        Map<Key, long[]> rows = new TreeMap<>(); // store bytes, store objects, db bytes, db objects
        long listed = 0;
        for (String bucket : storage.buckets().all()) {
            for (var e : inventory.measure(bucket, "auto".equals(config.storeSize())).entrySet()) {
                long[] r = rows.computeIfAbsent(new Key(bucket, e.getKey()), k -> new long[4]);
                r[0] += e.getValue().bytes();
                r[1] += e.getValue().objects();
                listed += e.getValue().objects();
            }
        }
        long listMillis = (System.nanoTime() - t0) / 1_000_000;
        for (var b : files.storedBytes()) {
            long[] r = rows.computeIfAbsent(new Key(b.bucket(), "STANDARD"), k -> new long[4]);
            r[2] += b.bytes();
            r[3] += b.objects();
        }
        long writes = files.writesLast30Days();
        List<dev.stowage.files.FileRepository.OwnerBytes> top = files.topOwners(10);
        double storageUsd = 0;
        long bytes = 0;
        for (var e : rows.entrySet()) {
            storageUsd += prices.storageMonthly(e.getKey().storageClass(), e.getValue()[0]);
            bytes += e.getValue()[0];
        }
        double requestsUsd = writes / 1000.0 * prices.of("STANDARD").writesPer1000();
        Instant now = clock.instant();
        Long growth = growthPerDay(bytes, now);
        double projected = projected(storageUsd, bytes, growth) + requestsUsd;
        final long listedObjects = listed;
        final double sUsd = storageUsd, rUsd = requestsUsd;
        long id = jdbi.inTransaction(h -> {
            long sid = h.createUpdate("""
                            insert into cost_snapshots (taken_at, price_table, storage_usd, requests_usd, write_requests, projected_monthly_usd,
                              growth_bytes_per_day, listed_objects, list_millis)
                            values (:t, :p, :s, :r, :w, :pr, :g, :n, :ms)""")
                    .bind("t", Timestamp.from(now)).bind("p", prices.name()).bind("s", round(sUsd)).bind("r", round(rUsd)).bind("w", writes)
                    .bind("pr", round(projected)).bind("g", growth).bind("n", listedObjects).bind("ms", listMillis)
                    .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
            var batch = h.prepareBatch("""
                    insert into cost_usage (snapshot_id, bucket, storage_class, store_bytes, store_objects, db_bytes, db_objects)
                    values (:s, :b, :c, :sb, :so, :db, :do)""");
            for (var e : rows.entrySet()) {
                long[] r = e.getValue();
                batch.bind("s", sid).bind("b", e.getKey().bucket()).bind("c", e.getKey().storageClass())
                        .bind("sb", r[0]).bind("so", r[1]).bind("db", r[2]).bind("do", r[3]).add();
            }
            var owners = h.prepareBatch("insert into cost_top_users (snapshot_id, rank, user_id, bytes, files) values (:s, :r, :u, :b, :f)");
            for (int i = 0; i < top.size(); i++) {
                var o = top.get(i);
                owners.bind("s", sid).bind("r", i + 1).bind("u", o.ownerId()).bind("b", o.bytes()).bind("f", o.files()).add();
            }
            if (!top.isEmpty()) owners.execute();
            if (!rows.isEmpty()) batch.execute();
            return sid;
        });
        rows.forEach((k, r) -> StowageMetrics.storage(k.bucket(), k.storageClass(), r[0], r[1]));
        StowageMetrics.costProjected(projected);
        log.info("cost snapshot {}: {} objects, {} bytes listed in {} ms; {} USD/month, projected {} USD/month ({})",
                id, listed, bytes, listMillis, String.format("%.4f", sUsd + rUsd), String.format("%.4f", projected), prices.name());
        checkThresholds(rows, sUsd + rUsd, projected, growth);
        return report(id);
    }

    /** Average over the next 30 days of linear growth: today's bytes plus 15 days of growth. */
    private double projected(double storageUsd, long bytes, Long growth) {
        if (growth == null || growth <= 0) return storageUsd;
        double avgBytes = bytes + growth * 15.0;
        if (bytes == 0) return avgBytes / PriceTable.GB * prices.of("STANDARD").storagePerGbMonth();
        return storageUsd * avgBytes / bytes;
    }

    /** Bytes per day since the oldest snapshot of the last 7 days that is at least an hour old. */
    private Long growthPerDay(long bytesNow, Instant now) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select s.taken_at, coalesce((select sum(store_bytes) from cost_usage u where u.snapshot_id = s.id), 0)
                        from cost_snapshots s
                        where s.taken_at >= :from and s.taken_at <= :to order by s.taken_at limit 1""")
                .bind("from", Timestamp.from(now.minus(Duration.ofDays(7)))).bind("to", Timestamp.from(now.minus(MIN_GROWTH_WINDOW)))
                .map((rs, c) -> {
                    Instant then = rs.getTimestamp(1).toInstant();
                    double days = Duration.between(then, now).toSeconds() / 86400.0;
                    return Math.round((bytesNow - rs.getLong(2)) / days);
                }).findOne().orElse(null));
    }

    private void checkThresholds(Map<Key, long[]> rows, double monthlyUsd, double projected, Long growth) {
        if (config.maxMonthlyUsd() != null && projected > config.maxMonthlyUsd()) {
            raise("monthly_cost", "store", projected, config.maxMonthlyUsd(),
                    String.format(java.util.Locale.ROOT, "projected monthly cost %.4f USD is over the threshold of %.4f USD (%s prices)", projected, config.maxMonthlyUsd(), prices.name()));
        }
        if (config.maxBucketBytes() != null) {
            Map<String, Long> perBucket = new TreeMap<>();
            rows.forEach((k, r) -> perBucket.merge(k.bucket(), r[0], Long::sum));
            perBucket.forEach((b, v) -> {
                if (v > config.maxBucketBytes()) {
                    raise("bucket_bytes", b, v, config.maxBucketBytes(), "bucket " + b + " holds " + v + " bytes, over the threshold of " + config.maxBucketBytes());
                }
            });
        }
        if (config.maxGrowthBytesPerDay() != null && growth != null && growth > config.maxGrowthBytesPerDay()) {
            raise("growth", "store", growth, config.maxGrowthBytesPerDay(),
                    "stored bytes grow by " + growth + " a day, over the threshold of " + config.maxGrowthBytesPerDay());
        }
    }

    /**
     * Raises an alert as the cost alerts are raised: recorded (listed by {@code stowage costs} and
     * {@code /admin/costs}), logged, counted in {@code stowage.cost.alerts{kind}} and sent to the webhook when
     * one is configured — unless one of the same kind and subject was raised in the last 24 hours.
     *
     * @param kind      e.g. {@code leftovers}
     * @param subject   what it is about, e.g. a bucket
     * @param value     the measured value
     * @param threshold the threshold it crossed
     * @param message   one line for people
     */
    public void alert(String kind, String subject, double value, double threshold, String message) {
        raise(kind, subject, value, threshold, message);
    }

    /** Records and sends an alert unless one of the same kind and subject was raised in the last 24 hours. */
    private void raise(String kind, String subject, double value, double threshold, String message) {
        Instant now = clock.instant();
        Optional<Long> id = jdbi.inTransaction(h -> {
            h.execute("select pg_advisory_xact_lock(hashtext('stowage-cost-alert'))");
            boolean recent = h.createQuery("select exists (select 1 from cost_alerts where kind = :k and subject = :s and raised_at > :since)")
                    .bind("k", kind).bind("s", subject).bind("since", Timestamp.from(now.minus(ALERT_QUIET))).mapTo(Boolean.class).one();
            if (recent) return Optional.<Long>empty();
            return Optional.of(h.createUpdate("insert into cost_alerts (kind, subject, value, threshold, message, raised_at) values (:k, :s, :v, :t, :m, :at)")
                    .bind("k", kind).bind("s", subject).bind("v", value).bind("t", threshold).bind("m", message).bind("at", Timestamp.from(now))
                    .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one());
        });
        if (id.isEmpty()) return;
        log.warn("cost alert {}: {} ({})", id.get(), message, kind);
        StowageMetrics.costAlert(kind);
        if (notifier == null) return;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id.get());
        body.put("kind", kind);
        body.put("subject", subject);
        body.put("value", value);
        body.put("threshold", threshold);
        body.put("message", message);
        body.put("priceTable", prices.name());
        body.put("raisedAt", now.toString());
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        AlertNotifier.Outcome o = notifier.send(id.get(), json);
        jdbi.useHandle(h -> h.createUpdate("update cost_alerts set delivered_at = :d, attempts = :a, last_error = :e where id = :id")
                .bind("d", o.delivered() ? Timestamp.from(clock.instant()) : null).bind("a", o.attempts()).bind("e", o.lastError())
                .bind("id", id.get()).execute());
    }

    /** The report of the newest snapshot, if any. */
    public Optional<CostReport> latest() {
        return jdbi.withHandle(h -> h.createQuery("select id from cost_snapshots order by taken_at desc, id desc limit 1").mapTo(Long.class).findOne())
                .map(this::report);
    }

    /** The newest report, taking a first snapshot when there is none. */
    public CostReport latestOrSnapshot() {
        return latest().orElseGet(this::snapshot);
    }

    /**
     * The newest report if it is fresh, else the report of a snapshot taken now. A snapshot is stale when it
     * is older than {@code maxAge}, or when an account's used or reserved bytes changed after it was taken
     * (so the figures never lag behind the live "top users"; {@code accounts.updated_at}, one row per user:
     * no sum over files).
     *
     * @param maxAge the oldest snapshot still shown
     * @throws dev.stowage.storage.StoreException when a listing is refused
     */
    public CostReport fresh(Duration maxAge) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select s.id from cost_snapshots s
                        where s.taken_at >= :oldest
                          and s.taken_at >= coalesce((select max(updated_at) from accounts), '-infinity')
                        order by s.taken_at desc, s.id desc limit 1""")
                        .bind("oldest", Timestamp.from(clock.instant().minus(maxAge))).mapTo(Long.class).findOne())
                .map(this::report).orElseGet(this::snapshot);
    }

    private CostReport report(long id) {
        return jdbi.withHandle(h -> {
            var head = h.createQuery("select taken_at, price_table, storage_usd, requests_usd, projected_monthly_usd, growth_bytes_per_day, write_requests from cost_snapshots where id = :id")
                    .bind("id", id).mapToMap().one();
            PriceTable table = PriceTable.named((String) head.get("price_table"), config.selfHostedUsdPerGbMonth());
            List<CostReport.Usage> usage = h.createQuery("""
                            select bucket, storage_class, store_bytes, store_objects, db_bytes, db_objects from cost_usage
                            where snapshot_id = :id order by bucket, storage_class""")
                    .bind("id", id)
                    .map((rs, c) -> new CostReport.Usage(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                            round(table.storageMonthly(rs.getString(2), rs.getLong(3)))))
                    .list();
            long bytes = usage.stream().mapToLong(CostReport.Usage::storeBytes).sum();
            long objects = usage.stream().mapToLong(CostReport.Usage::storeObjects).sum();
            double storageUsd = num(head.get("storage_usd")), requestsUsd = num(head.get("requests_usd"));
            Long growth = head.get("growth_bytes_per_day") == null ? null : ((Number) head.get("growth_bytes_per_day")).longValue();
            long writes = ((Number) head.get("write_requests")).longValue();
            double allStandard = usage.stream().mapToDouble(u -> table.storageMonthly("STANDARD", u.storeBytes())).sum();
            double actual = usage.stream().mapToDouble(u -> table.storageMonthly(u.storageClass(), u.storeBytes())).sum();
            long colder = usage.stream().filter(u -> !u.storageClass().equals("STANDARD")).mapToLong(CostReport.Usage::storeBytes).sum();
            // recorded by the snapshot: counting them reads files and variants whole
            List<CostReport.UserUsage> top = h.createQuery("select user_id, bytes, files from cost_top_users where snapshot_id = :id order by rank")
                    .bind("id", id).map((rs, c) -> new CostReport.UserUsage(rs.getString(1), rs.getLong(2), rs.getLong(3))).list();
            List<CostReport.Alert> alerts = h.createQuery("""
                            select id, kind, subject, value, threshold, message, raised_at, delivered_at is not null from cost_alerts
                            where raised_at > now() - interval '30 days' order by raised_at desc, id desc limit 50""")
                    .map((rs, c) -> new CostReport.Alert(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getDouble(4), rs.getDouble(5),
                            rs.getString(6), rs.getTimestamp(7).toInstant(), rs.getBoolean(8))).list();
            return new CostReport(((java.sql.Timestamp) head.get("taken_at")).toInstant(), table.name(), usage,
                    new CostReport.Totals(bytes, objects, round(storageUsd), round(requestsUsd), round(storageUsd + requestsUsd),
                            round(num(head.get("projected_monthly_usd"))), growth),
                    new CostReport.Requests(writes, 0, round(requestsUsd)),
                    new CostReport.Lifecycle(colder, round(allStandard), round(actual), round(allStandard - actual)),
                    top, alerts, history(h, id));
        });
    }

    /** Up to 90 snapshots up to {@code id}, oldest first. */
    private static List<CostReport.Point> history(Handle h, long id) {
        Map<Long, CostReport.Point> points = new LinkedHashMap<>();
        h.createQuery("""
                        select id, taken_at, storage_usd + requests_usd, projected_monthly_usd from (
                          select * from cost_snapshots where taken_at <= (select taken_at from cost_snapshots where id = :id)
                          order by taken_at desc, id desc limit 90) s order by taken_at, id""")
                .bind("id", id)
                .map((rs, c) -> points.put(rs.getLong(1), new CostReport.Point(rs.getTimestamp(2).toInstant(), rs.getDouble(3), rs.getDouble(4), new ArrayList<>())))
                .list();
        if (points.isEmpty()) return List.of();
        h.createQuery("select snapshot_id, bucket, storage_class, store_bytes from cost_usage where snapshot_id in (<ids>) order by bucket, storage_class")
                .bindList("ids", new ArrayList<>(points.keySet()))
                .map((rs, c) -> points.get(rs.getLong(1)).usage().add(new CostReport.PointUsage(rs.getString(2), rs.getString(3), rs.getLong(4))))
                .list();
        return List.copyOf(points.values());
    }

    private static double num(Object o) {
        return o == null ? 0 : ((Number) o).doubleValue();
    }

    /** Rounds money to 1/1,000,000 USD (small stores cost fractions of a cent). */
    static double round(double usd) {
        return Math.round(usd * 1_000_000) / 1_000_000.0;
    }
}

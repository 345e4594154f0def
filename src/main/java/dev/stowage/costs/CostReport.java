package dev.stowage.costs;

import java.time.Instant;
import java.util.List;

/**
 * One cost snapshot with what is derived from it. Money in USD, sizes in bytes.
 *
 * @param takenAt    when the store was listed
 * @param priceTable the price table used
 * @param usage      per bucket and storage class: the store's listing beside what the database accounts for
 * @param totals     bytes, objects, monthly and projected cost, growth
 * @param requests   the request estimate of the last 30 days
 * @param lifecycle  what colder storage classes save against keeping everything in STANDARD
 * @param topUsers   users by stored bytes (files and their variants), largest first
 * @param alerts     alerts raised in the last 30 days, newest first
 * @param history    earlier snapshots, oldest first, for charts
 */
public record CostReport(Instant takenAt, String priceTable, List<Usage> usage, Totals totals, Requests requests,
                         Lifecycle lifecycle, List<UserUsage> topUsers, List<Alert> alerts, List<Point> history) {

    /**
     * @param bucket          bucket name
     * @param storageClass    S3 storage class
     * @param storeBytes      bytes listed in the store
     * @param storeObjects    objects listed in the store
     * @param databaseBytes   bytes the database accounts for (files and variants)
     * @param databaseObjects objects the database accounts for
     * @param monthlyUsd      storage cost of the listed bytes per month
     */
    public record Usage(String bucket, String storageClass, long storeBytes, long storeObjects, long databaseBytes,
                        long databaseObjects, double monthlyUsd) {}

    /**
     * @param bytes               bytes listed in all buckets
     * @param objects             objects listed in all buckets
     * @param storageMonthlyUsd   storage per month at today's size
     * @param requestsMonthlyUsd  requests per month, from the last 30 days
     * @param monthlyUsd          the two together
     * @param projectedMonthlyUsd the next 30 days with the measured growth
     * @param growthBytesPerDay   growth measured over up to the last 7 days of snapshots, {@code null} before a second snapshot
     */
    public record Totals(long bytes, long objects, double storageMonthlyUsd, double requestsMonthlyUsd, double monthlyUsd,
                         double projectedMonthlyUsd, Long growthBytesPerDay) {}

    /**
     * @param writes     PUT-class requests in the last 30 days (uploads, parts, variants written)
     * @param reads      GET-class requests in the last 30 days (not measured by Stowage: 0)
     * @param monthlyUsd their cost
     */
    public record Requests(long writes, long reads, double monthlyUsd) {}

    /**
     * @param colderBytes          bytes in classes other than STANDARD
     * @param allStandardMonthlyUsd storage per month if every byte were STANDARD
     * @param actualMonthlyUsd     storage per month as stored
     * @param savingMonthlyUsd     the difference
     */
    public record Lifecycle(long colderBytes, double allStandardMonthlyUsd, double actualMonthlyUsd, double savingMonthlyUsd) {}

    /** @param userId user; @param bytes stored bytes; @param files ready files */
    public record UserUsage(String userId, long bytes, long files) {}

    /**
     * @param id        alert id (the webhook's {@code Stowage-Delivery})
     * @param kind      {@code monthly_cost}, {@code bucket_bytes} or {@code growth}
     * @param subject   what crossed the threshold ({@code store} or a bucket name)
     * @param value     the measured value (USD, bytes or bytes per day)
     * @param threshold the configured threshold
     * @param message   one line for people
     * @param raisedAt  when it was raised
     * @param delivered whether the webhook took it ({@code false} also when no webhook is configured)
     */
    public record Alert(long id, String kind, String subject, double value, double threshold, String message, Instant raisedAt, boolean delivered) {}

    /**
     * @param takenAt             snapshot time
     * @param monthlyUsd          monthly cost then
     * @param projectedMonthlyUsd projection then
     * @param usage               bytes per bucket and class then
     */
    public record Point(Instant takenAt, double monthlyUsd, double projectedMonthlyUsd, List<PointUsage> usage) {}

    /** @param bucket bucket; @param storageClass class; @param bytes bytes */
    public record PointUsage(String bucket, String storageClass, long bytes) {}
}

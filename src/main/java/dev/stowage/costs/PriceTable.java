package dev.stowage.costs;

import java.util.Locale;
import java.util.Map;

/**
 * Storage and request prices of one provider, in USD. Storage is priced per GB-month where a GB is
 * 2^30 bytes (as AWS bills); requests per 1,000. Storage classes are S3's names
 * ({@code STANDARD}, {@code STANDARD_IA}, {@code GLACIER}, …); a class a table does not list is priced
 * as {@code STANDARD}.
 *
 * <p>Figures: AWS S3 US East (N. Virginia) list prices, first 50 TB tier (aws.amazon.com/s3/pricing);
 * Cloudflare R2 list prices (Standard and Infrequent Access storage, Class A = writes and lists, Class B
 * = reads); self-hosted storage (MinIO, Ceph) at the configured price per GB-month with requests free.
 * Egress is not included: it depends on the CDN and is not an object-store figure.
 *
 * @param name    {@code aws}, {@code r2} or {@code self-hosted}
 * @param classes price of each storage class
 */
public record PriceTable(String name, Map<String, ClassPrice> classes) {
    /** Bytes in one billed GB. */
    public static final double GB = 1L << 30;

    /**
     * Prices of one storage class.
     *
     * @param storagePerGbMonth USD per GB-month
     * @param writesPer1000     USD per 1,000 PUT, COPY, POST and LIST requests (R2 Class A)
     * @param readsPer1000      USD per 1,000 GET and other requests (R2 Class B)
     */
    public record ClassPrice(double storagePerGbMonth, double writesPer1000, double readsPer1000) {}

    /** AWS S3, US East (N. Virginia). */
    public static final PriceTable AWS = new PriceTable("aws", Map.of(
            "STANDARD", new ClassPrice(0.023, 0.005, 0.0004),
            "INTELLIGENT_TIERING", new ClassPrice(0.023, 0.005, 0.0004),
            "STANDARD_IA", new ClassPrice(0.0125, 0.01, 0.001),
            "ONEZONE_IA", new ClassPrice(0.01, 0.01, 0.001),
            "GLACIER_IR", new ClassPrice(0.004, 0.02, 0.01),
            "GLACIER", new ClassPrice(0.0036, 0.03, 0.0004),
            "DEEP_ARCHIVE", new ClassPrice(0.00099, 0.05, 0.0004)));

    /** Cloudflare R2 (its Infrequent Access class reported as {@code STANDARD_IA}). */
    public static final PriceTable R2 = new PriceTable("r2", Map.of(
            "STANDARD", new ClassPrice(0.015, 0.0045, 0.00036),
            "STANDARD_IA", new ClassPrice(0.01, 0.009, 0.0009)));

    /** Self-hosted storage at a price per GB-month, requests free. */
    public static PriceTable selfHosted(double usdPerGbMonth) {
        return new PriceTable("self-hosted", Map.of("STANDARD", new ClassPrice(usdPerGbMonth, 0, 0)));
    }

    /**
     * The table by name.
     *
     * @param name           {@code aws}, {@code r2} or {@code self-hosted}
     * @param selfHostedUsd  USD per GB-month for {@code self-hosted}
     * @throws IllegalArgumentException for another name
     */
    public static PriceTable named(String name, double selfHostedUsd) {
        return switch (name) {
            case "aws" -> AWS;
            case "r2" -> R2;
            case "self-hosted" -> selfHosted(selfHostedUsd);
            default -> throw new IllegalArgumentException("no price table " + name);
        };
    }

    /** The prices of a class ({@code STANDARD}'s for a class this table does not list). */
    public ClassPrice of(String storageClass) {
        ClassPrice p = classes.get(storageClass == null ? "STANDARD" : storageClass.toUpperCase(Locale.ROOT));
        return p != null ? p : classes.get("STANDARD");
    }

    /** USD per month of storing {@code bytes} in a class. */
    public double storageMonthly(String storageClass, long bytes) {
        return bytes / GB * of(storageClass).storagePerGbMonth();
    }
}

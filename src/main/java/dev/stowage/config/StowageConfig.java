package dev.stowage.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The whole validated configuration of one Stowage process. Built by {@link ConfigLoader} from
 * {@code stowage.yaml} plus environment variables; every field has been checked, so code that holds a
 * {@code StowageConfig} never re-validates.
 *
 * @param mode     {@link Mode#DEV} only under {@code stowage dev}; everything else is production
 * @param http     the HTTP listener
 * @param storage  object store provider, endpoint, buckets and CORS
 * @param database PostgreSQL connection
 * @param auth     how API callers are authenticated
 * @param uploads  upload limits, part sizes and URL lifetimes
 * @param scanner  the ClamAV daemon, or none
 * @param events   S3 event sources (webhook secret, SQS queue)
 * @param images   the image pipeline
 * @param delivery how downloads and variants reach browsers (presigned, CDN, CloudFront)
 * @param costs    price tables, cost thresholds and their alert webhook
 * @param bucketSettings bucket settings as code: security settings and each bucket's lifecycle
 * @param retention premium-aware retention of raw uploads
 * @param backup   scheduled backups
 * @param audit    limits {@code stowage audit} checks
 * @param migration migration of a legacy uploads tree
 */
public record StowageConfig(Mode mode, Http http, Storage storage, Database database, Auth auth,
                            Uploads uploads, Scanner scanner, Events events, Images images,
                            Delivery delivery, Costs costs,
                            BucketSettings bucketSettings, Retention retention, Backup backup, Audit audit,
                            Migration migration) {

    /** The core sections only, with default uploads and images, no scanner and no webhook. */
    public StowageConfig(Mode mode, Http http, Storage storage, Database database, Auth auth) {
        this(mode, http, storage, database, auth, Uploads.DEFAULT, Scanner.NONE, Events.NONE, Images.DEFAULT);
    }

    /**
     * Migration of a legacy {@code /uploads/{userId}/{filename}} tree ({@code stowage migrate}).
     *
     * @param ignore                  file-name patterns never migrated (glob: {@code *} and {@code ?}), matched
     *                                against the name only, e.g. {@code .DS_Store}, {@code ._*}
     * @param concurrency             files copied in parallel by one {@code migrate run} process (default of
     *                                {@code --concurrency})
     * @param multipartThresholdBytes files larger than this go up as a multipart upload, bytes
     * @param partSizeBytes           part size of those uploads, bytes (S3 minimum 5 MiB); one process holds at
     *                                most {@code concurrency + 4} parts in memory
     * @param maxAttempts             copies of one file per run before it is reported failed (a file that changes
     *                                while it is copied is tried again)
     * @param claimLeaseSeconds       how long a process's claim on a file lasts unless renewed, seconds; a
     *                                running process renews its claims every third of it, so the files of a
     *                                process that died are taken over by another run at most this long after
     */
    public record Migration(List<String> ignore, int concurrency, long multipartThresholdBytes, long partSizeBytes,
                            int maxAttempts, int claimLeaseSeconds) {
        /** Finder, Windows and AppleDouble litter; 8 files at once; multipart above 8 MiB in 8 MiB parts; 3 attempts; 30 s leases. */
        public static final Migration DEFAULT = new Migration(List.of(".DS_Store", "Thumbs.db", "desktop.ini", "._*"),
                8, 8L * 1024 * 1024, 8L * 1024 * 1024, 3, 30);

        /** With the default claim lease (30 s). */
        public Migration(List<String> ignore, int concurrency, long multipartThresholdBytes, long partSizeBytes, int maxAttempts) {
            this(ignore, concurrency, multipartThresholdBytes, partSizeBytes, maxAttempts, 30);
        }
    }

    /**
     * Every section before delivery, costs, bucket settings, retention, backup and audit, which take their
     * defaults (presigned links, provider prices and no alerts, the product's bucket settings, a year of
     * retention, daily backups, the audit's default limits, the migration defaults).
     */
    public StowageConfig(Mode mode, Http http, Storage storage, Database database, Auth auth,
                         Uploads uploads, Scanner scanner, Events events, Images images) {
        this(mode, http, storage, database, auth, uploads, scanner, events, images, Delivery.PRESIGNED, Costs.DEFAULT,
                BucketSettings.DEFAULT, Retention.DEFAULT, Backup.DEFAULT, Audit.DEFAULT, Migration.DEFAULT);
    }

    /**
     * The lifecycle of one bucket (docs/architecture.md §7), applied by {@code stowage buckets apply} where the provider
     * supports it. A number of days of 0 means "no such rule".
     *
     * @param versioning                   versioning enabled (noncurrent versions and delete markers)
     * @param transitionDays               days after creation an object moves to {@code transitionStorageClass}
     * @param transitionStorageClass       the storage class of the transition, e.g. {@code STANDARD_IA}
     * @param expireDays                   days after creation an object expires
     * @param temporaryExpireDays          days after which an object still tagged {@code stowage-state=pending}
     *                                     (an upload never verified) expires
     * @param abortIncompleteMultipartDays days after which an incomplete multipart upload is aborted
     * @param noncurrentExpireDays         days a noncurrent version is kept (versioned buckets)
     * @param removeExpiredDeleteMarkers   whether delete markers without versions left behind are removed
     */
    public record BucketRules(boolean versioning, int transitionDays, String transitionStorageClass, int expireDays,
                              int temporaryExpireDays, int abortIncompleteMultipartDays, int noncurrentExpireDays,
                              boolean removeExpiredDeleteMarkers) {
        /** Raw uploads: versioned, STANDARD_IA after 30 days, temporary uploads gone after a day. */
        public static final BucketRules RAW = new BucketRules(true, 30, "STANDARD_IA", 0, 1, 7, 30, true);
        /** Image variants: stay STANDARD, only abandoned multipart uploads are cleaned. */
        public static final BucketRules PROCESSED = new BucketRules(false, 0, "STANDARD_IA", 0, 0, 7, 0, false);
        /** Backups: versioned, GLACIER after 90 days, expired after 3 years. */
        public static final BucketRules BACKUPS = new BucketRules(true, 90, "GLACIER", 1095, 0, 7, 30, true);
        /** Access logs: kept a year. */
        public static final BucketRules LOGS = new BucketRules(false, 0, "STANDARD_IA", 365, 0, 7, 0, false);

        /** Whether any lifecycle rule is wanted. */
        public boolean anyRule() {
            return transitionDays > 0 || expireDays > 0 || temporaryExpireDays > 0 || abortIncompleteMultipartDays > 0
                    || noncurrentExpireDays > 0 || removeExpiredDeleteMarkers;
        }
    }

    /**
     * Bucket settings as code (docs/architecture.md §7, §8): security settings shared by the four buckets and each bucket's
     * lifecycle.
     *
     * @param encryption        default encryption: {@code SSE-S3} (AES-256) or {@code none}
     * @param blockPublicAccess block public access (all four settings) on every bucket
     * @param accessLogging     server access logging of raw, processed and backups into the logs bucket
     * @param requireTls        a bucket policy that denies requests not made over TLS
     * @param raw               lifecycle of the raw bucket
     * @param processed         lifecycle of the processed bucket
     * @param backups           lifecycle of the backups bucket
     * @param logs              lifecycle of the logs bucket
     * @param required          plan settings ({@code encryption}, {@code public-access-block}, {@code policy},
     *                          {@code logging}, {@code versioning}, {@code lifecycle}, {@code cors}) that must hold:
     *                          {@code buckets apply} fails when one was not applied, and serve, worker and dev refuse
     *                          to start on a store that cannot hold one; the others are best-effort
     */
    public record BucketSettings(String encryption, boolean blockPublicAccess, boolean accessLogging, boolean requireTls,
                                 BucketRules raw, BucketRules processed, BucketRules backups, BucketRules logs,
                                 java.util.Set<String> required) {
        /** The settings {@code bucket_settings.required} may name. */
        public static final List<String> REQUIRABLE = List.of("encryption", "public-access-block", "policy", "logging",
                "versioning", "lifecycle", "cors");

        /** The product defaults: every setting best-effort. */
        public static final BucketSettings DEFAULT = new BucketSettings("SSE-S3", true, true, true,
                BucketRules.RAW, BucketRules.PROCESSED, BucketRules.BACKUPS, BucketRules.LOGS);

        public BucketSettings {
            required = java.util.Set.copyOf(required);
        }

        /** Settings with none required. */
        public BucketSettings(String encryption, boolean blockPublicAccess, boolean accessLogging, boolean requireTls,
                              BucketRules raw, BucketRules processed, BucketRules backups, BucketRules logs) {
            this(encryption, blockPublicAccess, accessLogging, requireTls, raw, processed, backups, logs, java.util.Set.of());
        }

        /** Whether a plan setting ({@code encryption}, {@code lifecycle stowage-transition}, …) must hold. */
        public boolean requires(String setting) {
            return required.contains(setting.split(" ", 2)[0]);
        }

        /** A copy with these settings required. */
        public BucketSettings withRequired(java.util.Set<String> r) {
            return new BucketSettings(encryption, blockPublicAccess, accessLogging, requireTls, raw, processed, backups, logs, r);
        }

        /** Whether default encryption is wanted. */
        public boolean encrypt() {
            return !encryption.equals("none");
        }

        /** A copy with other rules for the raw bucket. */
        public BucketSettings withRaw(BucketRules r) {
            return new BucketSettings(encryption, blockPublicAccess, accessLogging, requireTls, r, processed, backups, logs, required);
        }
    }

    /**
     * Premium-aware retention of raw uploads (docs/architecture.md §7).
     *
     * @param rawMaxAge     ready files older than this of users not on a premium plan are deleted; zero = never
     * @param premiumPlans  plans whose files are kept whatever their age
     * @param restoreWindow how long a deleted file stays restorable before it is purged
     * @param interval      delay between sweeper passes in workers; zero = only {@code stowage retention run}
     * @param batchSize     most files deleted or purged per pass
     */
    public record Retention(Duration rawMaxAge, List<String> premiumPlans, Duration restoreWindow, Duration interval, int batchSize) {
        /** A year, plan {@code premium} kept, 30 days to restore, hourly passes of 500 files. */
        public static final Retention DEFAULT = new Retention(Duration.ofDays(365), List.of("premium"), Duration.ofDays(30),
                Duration.ofHours(1), 500);

        /** Whether a plan keeps its files. */
        public boolean isPremium(String plan) {
            return plan != null && premiumPlans.contains(plan);
        }
    }

    /**
     * Backups of the database, the configuration and the bucket settings into the backups bucket.
     *
     * @param interval delay between scheduled backups in workers; zero = only {@code stowage backup run}
     * @param prefix   key prefix of backup objects in the backups bucket, ending with {@code /}
     */
    public record Backup(Duration interval, String prefix) {
        /** Daily, under {@code stowage/}. */
        public static final Backup DEFAULT = new Backup(Duration.ofDays(1), "stowage/");
    }

    /**
     * Limits {@code stowage audit} checks the configuration against.
     *
     * @param maxUploadUrlTtl   longest acceptable presigned upload URL lifetime
     * @param maxDownloadUrlTtl longest acceptable presigned download URL lifetime
     */
    public record Audit(Duration maxUploadUrlTtl, Duration maxDownloadUrlTtl) {
        /** 15 minutes for uploads (docs/architecture.md §8), an hour for downloads. */
        public static final Audit DEFAULT = new Audit(Duration.ofMinutes(15), Duration.ofHours(1));
    }

    /**
     * How downloads and image variants reach browsers (docs/architecture.md §2, §8).
     *
     * @param mode         {@code presigned} (default): links redirect to short presigned GETs of the store;
     *                     {@code cdn}: variants redirect to {@code cdnBaseUrl + "/" + key} (public through any CDN);
     *                     {@code cloudfront}: as {@code cdn}, the links signed with a CloudFront key, plus signed
     *                     cookies for premium plans. Raw uploads are never behind the CDN in any mode.
     * @param cdnBaseUrl   the CDN's base URL in front of the processed bucket, e.g. {@code https://cdn.example.com};
     *                     {@code null} in {@code presigned} mode
     * @param cloudFront   CloudFront signing settings; {@code null} unless the mode is {@code cloudfront}
     * @param premiumPlans plans that may get signed cookies ({@code POST /v1/cdn/session})
     */
    public record Delivery(DeliveryMode mode, URI cdnBaseUrl, CloudFront cloudFront, List<String> premiumPlans) {
        /** Presigned links only. */
        public static final Delivery PRESIGNED = new Delivery(DeliveryMode.PRESIGNED, null, null, List.of("premium"));

        /** A copy granting signed cookies to other plans. */
        public Delivery withPremiumPlans(List<String> plans) {
            return new Delivery(mode, cdnBaseUrl, cloudFront, List.copyOf(plans));
        }
    }

    /** The delivery modes. */
    public enum DeliveryMode {
        /** Short presigned GETs of the store. */
        PRESIGNED,
        /** Variants public through a CDN base URL. */
        CDN,
        /** Variants through CloudFront with signed URLs and signed cookies. */
        CLOUDFRONT;

        /** The configuration spelling, e.g. {@code cloudfront}. */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * CloudFront signed URLs and cookies (custom policy, RSA key of a trusted key group).
     *
     * @param keyPairId         the public key's id in CloudFront (the {@code Key-Pair-Id}), e.g. {@code K2JCJMDEHXQW5F}
     * @param keyGroupId        the trusted key group holding that public key (printed in the distribution settings), or {@code null}
     * @param privateKeyPem     the RSA private key (PEM, PKCS#1 or PKCS#8), read from {@code private_key_file} or
     *                          {@code STOWAGE_CLOUDFRONT_PRIVATE_KEY}
     * @param distributionArn   {@code arn:aws:cloudfront::ACCOUNT:distribution/ID}, for the processed bucket's policy; may be {@code null}
     * @param urlTtl            lifetime of a signed URL
     * @param cookieTtl         lifetime of signed cookies
     * @param cookieDomain      {@code Domain} of the cookies: a parent domain shared by the API and the CDN, e.g. {@code example.com}
     * @param cookieSameSite    {@code SameSite} of the cookies: {@code Lax}, {@code Strict} or {@code None}
     */
    public record CloudFront(String keyPairId, String keyGroupId, String privateKeyPem, String distributionArn,
                             Duration urlTtl, Duration cookieTtl, String cookieDomain, String cookieSameSite) {
        @Override
        public String toString() {
            return "CloudFront[keyPairId=" + keyPairId + ", keyGroupId=" + keyGroupId + ", distributionArn=" + distributionArn
                    + ", urlTtl=" + urlTtl + ", cookieTtl=" + cookieTtl + ", cookieDomain=" + cookieDomain + ", privateKey=(hidden)]";
        }
    }

    /**
     * The leftovers monitor (docs/architecture.md §7): what lifecycle rules should have removed but have not
     * yet — incomplete multipart uploads, noncurrent versions, expired-object delete markers — counted per
     * bucket against each bucket's {@link BucketRules}, in bounded passes.
     *
     * @param interval delay between passes in workers; zero = only {@code stowage audit}
     * @param maxPages listing requests per bucket and kind in one pass (a pass that stops there says so)
     * @param pageSize entries per listing request, 1 to 1,000
     * @param grace    time granted beyond a rule's days (lifecycle runs about once a day), and the age at which
     *                 a delete marker with no version behind it counts
     */
    public record Leftovers(Duration interval, int maxPages, int pageSize, Duration grace) {
        /** Every 6 hours, 10 pages of 1,000, two days of grace. */
        public static final Leftovers DEFAULT = new Leftovers(Duration.ofHours(6), 10, 1000, Duration.ofHours(48));
    }

    /**
     * The cost view and its alerts (docs/architecture.md §7).
     *
     * @param priceTable            {@code aws}, {@code r2} or {@code self-hosted}; by default from the storage provider
     * @param selfHostedUsdPerGbMonth price of one GB-month (GB = 2^30 bytes) on self-hosted storage (MinIO, Ceph), USD
     * @param snapshotInterval      how often a worker lists the store and records usage
     * @param maxMonthlyUsd         alert when the projected monthly cost is over this, USD; {@code null} = no alert
     * @param maxBucketBytes        alert when a bucket holds more than this, bytes; {@code null} = no alert
     * @param maxGrowthBytesPerDay  alert when the stored bytes grow faster than this per day; {@code null} = no alert
     * @param webhookUrl            alerts are POSTed here, signed with HMAC-SHA256; {@code null} = log and metric only
     * @param webhookSecret         the HMAC key (from {@code STOWAGE_COSTS_WEBHOOK_SECRET}); required with a webhook URL
     * @param webhookAttempts       how many times an alert is sent before giving up (1 = no retry)
     * @param webhookBackoff        delay before the first retry; doubled for each next one
     * @param leftovers             the leftovers monitor (what lifecycle rules leave behind)
     * @param storeSize             how a snapshot learns a bucket's size: {@code auto} (the provider's own count
     *                              where it offers one to these credentials, else a listing) or {@code listing}
     */
    public record Costs(String priceTable, double selfHostedUsdPerGbMonth, Duration snapshotInterval,
                        Double maxMonthlyUsd, Long maxBucketBytes, Long maxGrowthBytesPerDay,
                        URI webhookUrl, String webhookSecret, int webhookAttempts, Duration webhookBackoff,
                        Leftovers leftovers, String storeSize) {
        /** Prices from the provider, hourly snapshots, no thresholds, no webhook. */
        public static final Costs DEFAULT = new Costs(null, 0.01, Duration.ofHours(1), null, null, null, null, null, 5, Duration.ofSeconds(2));

        /** Costs with the default leftovers monitor. */
        public Costs(String priceTable, double selfHostedUsdPerGbMonth, Duration snapshotInterval,
                     Double maxMonthlyUsd, Long maxBucketBytes, Long maxGrowthBytesPerDay,
                     URI webhookUrl, String webhookSecret, int webhookAttempts, Duration webhookBackoff) {
            this(priceTable, selfHostedUsdPerGbMonth, snapshotInterval, maxMonthlyUsd, maxBucketBytes, maxGrowthBytesPerDay,
                    webhookUrl, webhookSecret, webhookAttempts, webhookBackoff, Leftovers.DEFAULT, "auto");
        }

        /** A copy with another leftovers monitor. */
        public Costs withLeftovers(Leftovers l) {
            return new Costs(priceTable, selfHostedUsdPerGbMonth, snapshotInterval, maxMonthlyUsd, maxBucketBytes, maxGrowthBytesPerDay,
                    webhookUrl, webhookSecret, webhookAttempts, webhookBackoff, l, storeSize);
        }

        /** A copy that learns bucket sizes another way: {@code auto} or {@code listing}. */
        public Costs withStoreSize(String how) {
            return new Costs(priceTable, selfHostedUsdPerGbMonth, snapshotInterval, maxMonthlyUsd, maxBucketBytes, maxGrowthBytesPerDay,
                    webhookUrl, webhookSecret, webhookAttempts, webhookBackoff, leftovers, how);
        }

        @Override
        public String toString() {
            return "Costs[priceTable=" + priceTable + ", selfHostedUsdPerGbMonth=" + selfHostedUsdPerGbMonth
                    + ", maxMonthlyUsd=" + maxMonthlyUsd + ", maxBucketBytes=" + maxBucketBytes + ", maxGrowthBytesPerDay="
                    + maxGrowthBytesPerDay + ", webhookUrl=" + webhookUrl + ", webhookSecret=" + (webhookSecret == null ? "none" : "(hidden)")
                    + ", storeSize=" + storeSize + "]";
        }
    }

    /**
     * The image pipeline.
     *
     * @param engine       {@code vips} (libvips, must load), {@code java} (pure Java) or {@code auto} (libvips
     *                     when it loads, else Java)
     * @param maxPixels    images with more pixels are not decoded (decompression bombs), width × height
     * @param maxDimension images wider or taller than this are not decoded, pixels
     * @param maxBytes     image files larger than this are not decoded, bytes
     * @param vipsLibrary  the libvips shared library's file name or path; {@code null} for the platform's
     *                     ({@code libvips.so.42} on Linux)
     */
    public record Images(String engine, long maxPixels, int maxDimension, long maxBytes, String vipsLibrary) {
        /** auto, 100 megapixels, 30,000 px, 60 MB, the default libvips name. */
        public static final Images DEFAULT = new Images("auto", 100_000_000L, 30_000, 60_000_000L, null);

        /** As the canonical constructor, with the platform's libvips name. */
        public Images(String engine, long maxPixels, int maxDimension, long maxBytes) {
            this(engine, maxPixels, maxDimension, maxBytes, null);
        }

        /** A copy with another engine choice. */
        public Images withEngine(String e) {
            return new Images(e, maxPixels, maxDimension, maxBytes, vipsLibrary);
        }
    }

    /**
     * Upload rules.
     *
     * @param maxSizeBytes            largest file accepted, bytes
     * @param multipartThresholdBytes files larger than this use a multipart upload, bytes
     * @param partSizeBytes           part size of multipart uploads, bytes (S3 minimum 5 MiB)
     * @param urlTtl                  lifetime of a presigned upload URL (single PUT or part)
     * @param sessionTtl              how long an upload session stays open before the reconciler expires it
     * @param downloadUrlTtl          lifetime of a presigned download URL
     * @param allowedTypes            MIME types accepted (the allow-list)
     * @param quotas                  quota in bytes per plan name; plan {@code free} is the default for unknown plans
     * @param reconcileInterval       how often the reconciler runs
     * @param stagingTtl              age after which the reconciler removes anything under {@code staging/}
     *                                (objects and multipart uploads) whatever its file's state
     * @param limits                  per-user limits per plan name; plan {@code free}'s apply to unknown plans
     * @param reconcile               how much one reconciler pass does and how long it may take
     */
    public record Uploads(long maxSizeBytes, long multipartThresholdBytes, long partSizeBytes, Duration urlTtl,
                          Duration sessionTtl, Duration downloadUrlTtl, List<String> allowedTypes,
                          java.util.Map<String, Long> quotas, Duration reconcileInterval, Duration stagingTtl,
                          java.util.Map<String, Limits> limits, Reconcile reconcile) {
        /** Default of {@link #stagingTtl}: a day. */
        public static final Duration DEFAULT_STAGING_TTL = Duration.ofHours(24);

        /** The product defaults: 50 MB files, multipart above 10 MB in 5 MiB parts, 15-minute URLs. */
        public static final Uploads DEFAULT = new Uploads(50_000_000L, 10_000_000L, 5L * 1024 * 1024,
                Duration.ofMinutes(15), Duration.ofHours(24), Duration.ofMinutes(5), List.of(),
                java.util.Map.of("free", 1L << 30, "pro", 50L << 30, "premium", 100L << 30), Duration.ofSeconds(60), DEFAULT_STAGING_TTL,
                Limits.DEFAULTS, Reconcile.DEFAULT);

        /** Upload rules with the default staging TTL ({@link #DEFAULT_STAGING_TTL}), no per-user limits, the default reconciler bounds. */
        public Uploads(long maxSizeBytes, long multipartThresholdBytes, long partSizeBytes, Duration urlTtl,
                       Duration sessionTtl, Duration downloadUrlTtl, List<String> allowedTypes,
                       java.util.Map<String, Long> quotas, Duration reconcileInterval) {
            this(maxSizeBytes, multipartThresholdBytes, partSizeBytes, urlTtl, sessionTtl, downloadUrlTtl, allowedTypes, quotas,
                    reconcileInterval, DEFAULT_STAGING_TTL);
        }

        /**
         * Upload rules built by hand (tests, benches) without per-user limits ({@link Limits#NONE} for every plan) and
         * with the default reconciler bounds ({@link Reconcile#DEFAULT}); a loaded configuration always has limits
         * ({@link Limits#DEFAULTS} unless configured).
         */
        public Uploads(long maxSizeBytes, long multipartThresholdBytes, long partSizeBytes, Duration urlTtl,
                       Duration sessionTtl, Duration downloadUrlTtl, List<String> allowedTypes,
                       java.util.Map<String, Long> quotas, Duration reconcileInterval, Duration stagingTtl) {
            this(maxSizeBytes, multipartThresholdBytes, partSizeBytes, urlTtl, sessionTtl, downloadUrlTtl, allowedTypes, quotas,
                    reconcileInterval, stagingTtl, java.util.Map.of("free", Limits.NONE), Reconcile.DEFAULT);
        }

        /** These rules with another staging TTL. */
        public Uploads withStagingTtl(Duration ttl) {
            return new Uploads(maxSizeBytes, multipartThresholdBytes, partSizeBytes, urlTtl, sessionTtl, downloadUrlTtl, allowedTypes,
                    quotas, reconcileInterval, ttl, limits, reconcile);
        }

        /** These rules with other per-plan limits (must hold plan {@code free}). */
        public Uploads withLimits(java.util.Map<String, Limits> l) {
            return new Uploads(maxSizeBytes, multipartThresholdBytes, partSizeBytes, urlTtl, sessionTtl, downloadUrlTtl, allowedTypes,
                    quotas, reconcileInterval, stagingTtl, java.util.Map.copyOf(l), reconcile);
        }

        /** These rules with other reconciler bounds. */
        public Uploads withReconcile(Reconcile r) {
            return new Uploads(maxSizeBytes, multipartThresholdBytes, partSizeBytes, urlTtl, sessionTtl, downloadUrlTtl, allowedTypes,
                    quotas, reconcileInterval, stagingTtl, limits, r);
        }

        /** Quota of a plan: its configured value, else the {@code free} plan's. */
        public long quotaFor(String plan) {
            Long q = quotas.get(plan);
            return q != null ? q : quotas.getOrDefault("free", 1L << 30);
        }

        /** Limits of a plan: its configured ones, else the {@code free} plan's (else {@link Limits#FREE}). */
        public Limits limitsFor(String plan) {
            Limits l = limits.get(plan);
            return l != null ? l : limits.getOrDefault("free", Limits.FREE);
        }
    }

    /**
     * What one user may hold open and start (docs/architecture.md §4, "Fair limits").
     *
     * @param maxOpenUploads       most upload sessions a user may have pending at once (1 to 1,000,000)
     * @param initiationsPerSecond token bucket refill: initiations per second a user may keep up (1 to 10,000)
     * @param initiationBurst      token bucket capacity: initiations a rested user may make at once (1 to 100,000)
     */
    public record Limits(int maxOpenUploads, int initiationsPerSecond, int initiationBurst) {
        /** Plan {@code free}: 100 open uploads, 10 initiations a second, bursts of 50. */
        public static final Limits FREE = new Limits(100, 10, 50);
        /** No limit that a test or bench reaches: rules built by hand without limits. */
        public static final Limits NONE = new Limits(Integer.MAX_VALUE, 1_000_000, 1_000_000);
        /** The default table: {@code free}, {@code pro} (200, 20/s, 100) and {@code premium} (500, 50/s, 200). */
        public static final java.util.Map<String, Limits> DEFAULTS = java.util.Map.of("free", FREE,
                "pro", new Limits(200, 20, 100), "premium", new Limits(500, 50, 200));
    }

    /**
     * Bounds of one reconciler pass (docs/architecture.md §5).
     *
     * @param perUser     most due uploads of one user looked at (one HEAD each) per pass, taken round-robin across users
     * @param batch       most due uploads looked at per pass, all users together
     * @param expireBatch most sessions past their lifetime expired by one statement (one user's at a time)
     * @param passTime    time after which a pass stops starting new work (what it started finishes)
     */
    public record Reconcile(int perUser, int batch, int expireBatch, Duration passTime) {
        /** 10 per user, 500 per pass, expired 1,000 at a time, 30 seconds. */
        public static final Reconcile DEFAULT = new Reconcile(10, 500, 1000, Duration.ofSeconds(30));
    }

    /**
     * Malware scanning with clamd.
     *
     * @param clamdHost      clamd host, {@code null} = no scanner (files become ready, marked unscanned)
     * @param clamdPort      clamd TCP port
     * @param maxStreamBytes files larger than this are not sent to clamd (at most clamd's {@code StreamMaxLength}):
     *                       not fully scanned, like a file over one of clamd's limits
     * @param timeout        socket timeout of one scan
     * @param onLimits       what becomes of a file the scanner did not fully scan (a limit was hit)
     * @param giveUpAfter    how long scans of one file may keep failing before it is rejected {@code scan_failed}
     */
    public record Scanner(String clamdHost, int clamdPort, long maxStreamBytes, Duration timeout, OnLimits onLimits, Duration giveUpAfter) {
        /** Default of {@code scanner.give_up_after_seconds}: a day. */
        public static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
        /** No scanner. */
        public static final Scanner NONE = new Scanner(null, 3310, 100L * 1024 * 1024, Duration.ofSeconds(60));

        /** A scanner that rejects files over its limits and gives up after a day of failing scans. */
        public Scanner(String clamdHost, int clamdPort, long maxStreamBytes, Duration timeout) {
            this(clamdHost, clamdPort, maxStreamBytes, timeout, OnLimits.REJECT, GIVE_UP_AFTER);
        }

        public Scanner {
            java.util.Objects.requireNonNull(onLimits, "onLimits");
            if (giveUpAfter == null || giveUpAfter.isNegative()) throw new IllegalArgumentException("giveUpAfter must be >= 0");
        }

        /** Whether a scanner is configured. */
        public boolean enabled() {
            return clamdHost != null;
        }

        /** A copy with another limits policy and give-up time. */
        public Scanner with(OnLimits policy, Duration giveUp) {
            return new Scanner(clamdHost, clamdPort, maxStreamBytes, timeout, policy, giveUp);
        }

        /** {@code scanner.on_limits}: what becomes of a file the scanner did not fully scan. */
        public enum OnLimits {
            /** Rejected with {@code too_large_to_scan}; the object is deleted. */
            REJECT,
            /** Held in {@code scanning} for an operator ({@code stowage files rescan} after raising the limits). */
            HOLD
        }
    }

    /**
     * S3 event notifications.
     *
     * @param webhookSecret shared secret of {@code POST /v1/events/s3}; {@code null} disables the webhook
     * @param sqsQueueUrl   an SQS queue to poll for AWS S3 events, or {@code null}
     * @param sns           Amazon SNS delivery to the webhook
     */
    public record Events(String webhookSecret, URI sqsQueueUrl, Sns sns) {
        /** Neither webhook nor queue. */
        public static final Events NONE = new Events(null, null);

        /** Without SNS delivery. */
        public Events(String webhookSecret, URI sqsQueueUrl) {
            this(webhookSecret, sqsQueueUrl, Sns.DISABLED);
        }

        /** Like the record's, with the webhook secret masked. */
        @Override
        public String toString() {
            return "Events[webhookSecret=" + (webhookSecret == null ? "null" : "***") + ", sqsQueueUrl=" + sqsQueueUrl + ", sns=" + sns + "]";
        }
    }

    /**
     * Amazon SNS messages on {@code POST /v1/events/s3} (docs/architecture.md §5): when enabled, each is
     * accepted only with a valid SNS signature, from a listed topic, at most an hour old; when disabled, every
     * SNS message is refused ({@code sns_not_enabled}).
     *
     * @param enabled   whether SNS messages are accepted
     * @param topicArns the topics whose messages are accepted (not empty when enabled), e.g.
     *                  {@code arn:aws:sns:eu-west-1:123456789012:stowage-events}
     */
    public record Sns(boolean enabled, List<String> topicArns) {
        /** SNS messages refused. */
        public static final Sns DISABLED = new Sns(false, List.of());

        /** Copies the list. */
        public Sns {
            topicArns = List.copyOf(topicArns);
        }
    }

    /** Whether the process runs as the embedded development stack. */
    public enum Mode { DEV, PRODUCTION }

    /**
     * HTTP listener.
     *
     * @param host          interface to bind, e.g. {@code 0.0.0.0}
     * @param port          TCP port, 0 = any free port (tests)
     * @param publicUrl     the URL browsers use to reach Stowage, e.g. {@code http://localhost:8080}
     * @param shutdownGrace how long a graceful shutdown waits for in-flight requests
     * @param metricsToken  bearer token {@code /metrics} requires (at least 32 bytes, from
     *                      {@code STOWAGE_METRICS_TOKEN}); {@code null}: {@code /metrics} is open under
     *                      {@code stowage dev} and refused (401) everywhere else
     */
    public record Http(String host, int port, URI publicUrl, Duration shutdownGrace, String metricsToken) {
        /** Without a metrics token. */
        public Http(String host, int port, URI publicUrl, Duration shutdownGrace) {
            this(host, port, publicUrl, shutdownGrace, null);
        }

        /** Like the record's, with the metrics token masked. */
        @Override
        public String toString() {
            return "Http[host=" + host + ", port=" + port + ", publicUrl=" + publicUrl + ", shutdownGrace=" + shutdownGrace
                    + ", metricsToken=" + (metricsToken == null ? "none" : "***") + "]";
        }
    }

    /**
     * Object store.
     *
     * @param provider  which S3 implementation
     * @param endpoint  S3 endpoint; {@code null} for AWS (the SDK's regional endpoint)
     * @param region    signing region, e.g. {@code us-east-1}; {@code auto} for R2
     * @param pathStyle path-style addressing ({@code http://host/bucket/key}); virtual-host style when false
     * @param buckets   the four bucket names (docs/architecture.md §3)
     * @param cors      browser origins allowed to upload and download directly
     * @param timeouts  how long store calls may take
     * @param probe     whether serve, worker and dev probe the store at start ({@code storage.probe}, default on)
     */
    public record Storage(Provider provider, URI endpoint, String region, boolean pathStyle, Buckets buckets, Cors cors,
                          StoreTimeouts timeouts, boolean probe) {
        /** A storage section probed at start. */
        public Storage(Provider provider, URI endpoint, String region, boolean pathStyle, Buckets buckets, Cors cors,
                       StoreTimeouts timeouts) {
            this(provider, endpoint, region, pathStyle, buckets, cors, timeouts, true);
        }

        /** This section with the start-up probe on or off. */
        public Storage withProbe(boolean on) {
            return new Storage(provider, endpoint, region, pathStyle, buckets, cors, timeouts, on);
        }

        /** A storage section with the default timeouts. */
        public Storage(Provider provider, URI endpoint, String region, boolean pathStyle, Buckets buckets, Cors cors) {
            this(provider, endpoint, region, pathStyle, buckets, cors, StoreTimeouts.DEFAULT);
        }
    }

    /**
     * Bounds on object store calls (docs/architecture.md §14), so a request never hangs on an unreachable store.
     *
     * @param connect       to open a TCP connection to the store
     * @param call          a short call (HEAD, list, create or abort a multipart upload, delete, tags), all its
     *                      attempts together; calls that carry bodies are bounded by {@code socket} instead
     * @param socket        silence on an open connection before a call fails (reading or writing a body)
     * @param maxAttempts   attempts of one call, the first included (the SDK's standard retries)
     */
    public record StoreTimeouts(Duration connect, Duration call, Duration socket, int maxAttempts) {
        /**
         * Deadline of one attempt of a call whose body is a few hundred bytes (a tag write) and of the probe's
         * presigned PUT: four times {@code call}, at least 5 s; not left to {@code socket}, since a store can
         * hold such a call unanswered (docs/architecture.md §14).
         */
        public Duration smallBody() {
            Duration d = call.multipliedBy(4);
            return d.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : d;
        }

        /** 1 s to connect, 1.5 s per short call, 60 s of silence, 3 attempts. */
        public static final StoreTimeouts DEFAULT =
                new StoreTimeouts(Duration.ofMillis(1000), Duration.ofMillis(1500), Duration.ofSeconds(60), 3);
    }

    /**
     * Bucket names (docs/architecture.md §3), each a valid S3 bucket name, all distinct.
     *
     * @param raw       originals as uploaded
     * @param processed image variants
     * @param backups   database dumps and configuration snapshots
     * @param logs      server access logs of the other buckets
     */
    public record Buckets(String raw, String processed, String backups, String logs) {
        /** The four names in docs/architecture.md §3 order. */
        public List<String> all() {
            return List.of(raw, processed, backups, logs);
        }
    }

    /**
     * CORS rules for browser uploads and downloads.
     *
     * @param allowedOrigins explicit origins ({@code scheme://host[:port]}); {@code *} only in dev
     * @param maxAge         how long browsers may cache a preflight answer
     */
    public record Cors(List<String> allowedOrigins, Duration maxAge) {}

    /**
     * PostgreSQL.
     *
     * @param url         JDBC URL ({@code jdbc:postgresql://…}); {@code null} in dev until the embedded server starts
     * @param user        user name, may be {@code null} when the URL carries it
     * @param password    password, may be {@code null}
     * @param maxPoolSize connection pool size
     * @param connectionTimeout how long a caller waits for a pooled connection before it fails (a request then
     *                          answers 503 {@code database_unavailable})
     * @param statementTimeout  PostgreSQL {@code statement_timeout} of pooled connections; zero = none. Schema
     *                          migrations and backups run without it; behind a transaction pooler it is set on
     *                          the database role instead (start-up options do not reach every server session)
     * @param socketTimeout     silence on a connection before the driver gives up on it; zero = none
     * @param pooler            what sits between Stowage and PostgreSQL ({@link Pooler#TRANSACTION}: a pooler such as
     *                          PgBouncer in transaction mode, so no server-side prepared statements)
     */
    public record Database(String url, String user, String password, int maxPoolSize, Duration connectionTimeout,
                           Duration statementTimeout, Duration socketTimeout, Pooler pooler) {
        /** Default wait for a pooled connection: 1.5 s. */
        public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofMillis(1500);
        /** Default statement timeout: 15 s. */
        public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(15);
        /** Default socket timeout: 30 s. */
        public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);

        /** A direct connection (no pooler in between) with the default timeouts. */
        public Database(String url, String user, String password, int maxPoolSize) {
            this(url, user, password, maxPoolSize, DEFAULT_CONNECTION_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, DEFAULT_SOCKET_TIMEOUT, Pooler.NONE);
        }

        /** The same settings on another server or with another pool size. */
        public Database with(String url, String user, String password, int maxPoolSize) {
            return new Database(url, user, password, maxPoolSize, connectionTimeout, statementTimeout, socketTimeout, pooler);
        }

        /** The same section with another pool size. */
        public Database withMaxPoolSize(int size) {
            return with(url, user, password, size);
        }

        /** The same section behind another kind of pooler. */
        public Database withPooler(Pooler mode) {
            return new Database(url, user, password, maxPoolSize, connectionTimeout, statementTimeout, socketTimeout, mode);
        }
    }

    /** What Stowage's database connections go through ({@code database.pooler}). */
    public enum Pooler {
        /** Straight to PostgreSQL, or through a pooler in session mode: a connection is one server session. */
        NONE,
        /**
         * A pooler in transaction mode (PgBouncer {@code pool_mode = transaction}, and the poolers of managed
         * databases in that mode): each transaction may run on another server session, so Stowage keeps no
         * session state (no server-side prepared statements, no session settings or advisory locks).
         */
        TRANSACTION;

        /** The configuration spelling, {@code none} or {@code transaction}. */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * API authentication (docs/architecture.md §8): a JWT from the host application, HS256 or JWKS.
     *
     * @param jwtSecret HS256 secret (at least 32 bytes), or {@code null}
     * @param jwksUrl   JWKS URL for RS256/ES256 tokens, or {@code null}
     * @param issuer    required {@code iss} claim, or {@code null} to accept any
     * @param audience  required {@code aud} claim, or {@code null} to accept any
     */
    public record Auth(String jwtSecret, URI jwksUrl, String issuer, String audience) {}

    /** A copy with another database section (the dev stack fills in the embedded server's URL). */
    public StowageConfig withDatabase(Database db) {
        return new StowageConfig(mode, http, storage, db, auth, uploads, scanner, events, images, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another storage section (the dev stack fills in the embedded S3 endpoint). */
    public StowageConfig withStorage(Storage s) {
        return new StowageConfig(mode, http, s, database, auth, uploads, scanner, events, images, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another auth section (the dev stack fills in its generated secret). */
    public StowageConfig withAuth(Auth a) {
        return new StowageConfig(mode, http, storage, database, a, uploads, scanner, events, images, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another scanner section. */
    public StowageConfig withScanner(Scanner sc) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, sc, events, images, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another uploads section. */
    public StowageConfig withUploads(Uploads u) {
        return new StowageConfig(mode, http, storage, database, auth, u, scanner, events, images, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another events section. */
    public StowageConfig withEvents(Events e) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, e, images, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another images section. */
    public StowageConfig withImages(Images i) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, i, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another HTTP section. */
    public StowageConfig withHttp(Http h) {
        return new StowageConfig(mode, h, storage, database, auth, uploads, scanner, events, images, delivery, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another delivery section. */
    public StowageConfig withDelivery(Delivery d) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, images, d, costs, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with another costs section. */
    public StowageConfig withCosts(Costs c) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, images, delivery, c, bucketSettings, retention, backup, audit, migration);
    }

    /** A copy with other bucket settings. */
    public StowageConfig withBucketSettings(BucketSettings b) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, images, delivery, costs, b, retention, backup, audit, migration);
    }

    /** A copy with another retention section. */
    public StowageConfig withRetention(Retention r) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, images, delivery, costs, bucketSettings, r, backup, audit, migration);
    }

    /** A copy with another backup section. */
    public StowageConfig withBackup(Backup b) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, images, delivery, costs, bucketSettings, retention, b, audit, migration);
    }

    /** A copy with another audit section. */
    public StowageConfig withAudit(Audit a) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, images, delivery, costs, bucketSettings, retention, backup, a, migration);
    }

    /** A copy with another migration section. */
    public StowageConfig withMigration(Migration m) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, images, delivery, costs, bucketSettings, retention, backup, audit, m);
    }
}

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
 */
public record StowageConfig(Mode mode, Http http, Storage storage, Database database, Auth auth,
                            Uploads uploads, Scanner scanner, Events events, Images images) {

    /** The core sections only, with default uploads and images, no scanner and no webhook. */
    public StowageConfig(Mode mode, Http http, Storage storage, Database database, Auth auth) {
        this(mode, http, storage, database, auth, Uploads.DEFAULT, Scanner.NONE, Events.NONE, Images.DEFAULT);
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
     */
    public record Uploads(long maxSizeBytes, long multipartThresholdBytes, long partSizeBytes, Duration urlTtl,
                          Duration sessionTtl, Duration downloadUrlTtl, List<String> allowedTypes,
                          java.util.Map<String, Long> quotas, Duration reconcileInterval) {
        /** The product defaults: 50 MB files, multipart above 10 MB in 5 MiB parts, 15-minute URLs. */
        public static final Uploads DEFAULT = new Uploads(50_000_000L, 10_000_000L, 5L * 1024 * 1024,
                Duration.ofMinutes(15), Duration.ofHours(24), Duration.ofMinutes(5), List.of(),
                java.util.Map.of("free", 1L << 30, "pro", 50L << 30, "premium", 100L << 30), Duration.ofSeconds(60));

        /** Quota of a plan: its configured value, else the {@code free} plan's. */
        public long quotaFor(String plan) {
            Long q = quotas.get(plan);
            return q != null ? q : quotas.getOrDefault("free", 1L << 30);
        }
    }

    /**
     * Malware scanning with clamd.
     *
     * @param clamdHost      clamd host, {@code null} = no scanner (files become ready, marked unscanned)
     * @param clamdPort      clamd TCP port
     * @param maxStreamBytes files larger than this are not scanned and end {@code rejected} as too large to scan
     * @param timeout        socket timeout of one scan
     */
    public record Scanner(String clamdHost, int clamdPort, long maxStreamBytes, Duration timeout) {
        /** No scanner. */
        public static final Scanner NONE = new Scanner(null, 3310, 100L * 1024 * 1024, Duration.ofSeconds(60));

        /** Whether a scanner is configured. */
        public boolean enabled() {
            return clamdHost != null;
        }
    }

    /**
     * S3 event notifications.
     *
     * @param webhookSecret shared secret of {@code POST /v1/events/s3}; {@code null} disables the webhook
     * @param sqsQueueUrl   an SQS queue to poll for AWS S3 events, or {@code null}
     */
    public record Events(String webhookSecret, URI sqsQueueUrl) {
        /** Neither webhook nor queue. */
        public static final Events NONE = new Events(null, null);
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
     */
    public record Http(String host, int port, URI publicUrl, Duration shutdownGrace) {}

    /**
     * Object store.
     *
     * @param provider  which S3 implementation
     * @param endpoint  S3 endpoint; {@code null} for AWS (the SDK's regional endpoint)
     * @param region    signing region, e.g. {@code us-east-1}; {@code auto} for R2
     * @param pathStyle path-style addressing ({@code http://host/bucket/key}); virtual-host style when false
     * @param buckets   the four bucket names (DESIGN §3)
     * @param cors      browser origins allowed to upload and download directly
     */
    public record Storage(Provider provider, URI endpoint, String region, boolean pathStyle, Buckets buckets, Cors cors) {}

    /**
     * Bucket names (DESIGN §3), each a valid S3 bucket name, all distinct.
     *
     * @param raw       originals as uploaded
     * @param processed image variants
     * @param backups   database dumps and configuration snapshots
     * @param logs      server access logs of the other buckets
     */
    public record Buckets(String raw, String processed, String backups, String logs) {
        /** The four names in DESIGN §3 order. */
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
     */
    public record Database(String url, String user, String password, int maxPoolSize) {}

    /**
     * API authentication (DESIGN §8): a JWT from the host application, HS256 or JWKS.
     *
     * @param jwtSecret HS256 secret (at least 32 bytes), or {@code null}
     * @param jwksUrl   JWKS URL for RS256/ES256 tokens, or {@code null}
     * @param issuer    required {@code iss} claim, or {@code null} to accept any
     * @param audience  required {@code aud} claim, or {@code null} to accept any
     */
    public record Auth(String jwtSecret, URI jwksUrl, String issuer, String audience) {}

    /** A copy with another database section (the dev stack fills in the embedded server's URL). */
    public StowageConfig withDatabase(Database db) {
        return new StowageConfig(mode, http, storage, db, auth, uploads, scanner, events, images);
    }

    /** A copy with another storage section (the dev stack fills in the embedded S3 endpoint). */
    public StowageConfig withStorage(Storage s) {
        return new StowageConfig(mode, http, s, database, auth, uploads, scanner, events, images);
    }

    /** A copy with another auth section (the dev stack fills in its generated secret). */
    public StowageConfig withAuth(Auth a) {
        return new StowageConfig(mode, http, storage, database, a, uploads, scanner, events, images);
    }

    /** A copy with another scanner section. */
    public StowageConfig withScanner(Scanner sc) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, sc, events, images);
    }

    /** A copy with another uploads section. */
    public StowageConfig withUploads(Uploads u) {
        return new StowageConfig(mode, http, storage, database, auth, u, scanner, events, images);
    }

    /** A copy with another events section. */
    public StowageConfig withEvents(Events e) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, e, images);
    }

    /** A copy with another images section. */
    public StowageConfig withImages(Images i) {
        return new StowageConfig(mode, http, storage, database, auth, uploads, scanner, events, i);
    }

    /** A copy with another HTTP section. */
    public StowageConfig withHttp(Http h) {
        return new StowageConfig(mode, h, storage, database, auth, uploads, scanner, events, images);
    }
}

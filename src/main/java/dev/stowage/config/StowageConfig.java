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
public record StowageConfig(Mode mode, Http http, Storage storage, Database database, Auth auth) {

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
        return new StowageConfig(mode, http, storage, db, auth);
    }

    /** A copy with another storage section (the dev stack fills in the embedded S3 endpoint). */
    public StowageConfig withStorage(Storage s) {
        return new StowageConfig(mode, http, s, database, auth);
    }

    /** A copy with another auth section (the dev stack fills in its generated secret). */
    public StowageConfig withAuth(Auth a) {
        return new StowageConfig(mode, http, storage, database, a);
    }

    /** A copy with another HTTP section. */
    public StowageConfig withHttp(Http h) {
        return new StowageConfig(mode, h, storage, database, auth);
    }
}

package dev.stowage.storage;

/**
 * A feature an S3 implementation does or does not have (docs/architecture.md §9). Features ask
 * {@link ProviderProfile#has(Capability)} before they call an API, instead of catching
 * {@code NotImplemented}.
 */
public enum Capability {
    /**
     * Presigned PUT uploads carrying the headers Stowage signs (content type and length, metadata, storage
     * class, and where the provider has them a SHA-256 checksum, tagging and {@code x-amz-acl}). Required:
     * Stowage does not start without it.
     */
    PRESIGNED_UPLOADS,
    /** Multipart uploads (create, upload a part, complete), with SHA-256 part checksums where {@link #STORED_CHECKSUMS}. Required. */
    MULTIPART_UPLOADS,
    /** Deleting many objects in one request (DeleteObjects). Required. */
    BATCH_DELETE,
    /** Bucket versioning: noncurrent versions and delete markers. */
    VERSIONING,
    /** Bucket lifecycle rules that the server really runs (expiration, transition, multipart abort). */
    LIFECYCLE,
    /** Lifecycle rules filtered by object tag. */
    TAG_FILTERED_LIFECYCLE,
    /** Object tagging (GetObjectTagging/PutObjectTagging and {@code x-amz-tagging}). */
    OBJECT_TAGGING,
    /** Bucket event notifications to an HTTP endpoint or a queue. */
    EVENT_NOTIFICATIONS,
    /** Bucket default server-side encryption (PutBucketEncryption). */
    DEFAULT_ENCRYPTION,
    /** Block public access settings (PutPublicAccessBlock), enforced. */
    BLOCK_PUBLIC_ACCESS,
    /** Server access logging to another bucket (PutBucketLogging). */
    ACCESS_LOGGING,
    /** CORS rules per bucket (PutBucketCors). */
    PER_BUCKET_CORS,
    /** Bucket policies (PutBucketPolicy). */
    BUCKET_POLICY,
    /** The server verifies {@code x-amz-checksum-sha256} on upload and stores it. */
    STORED_CHECKSUMS,
    /**
     * Canned object ACLs ({@code x-amz-acl}) that the server accepts on uploads and would honour, so a
     * client adding {@code public-read} to an upload could open the object to anonymous reads. Where a
     * provider has it, presigned uploads and multipart creation carry a signed {@code x-amz-acl: private}.
     */
    OBJECT_ACLS;

    /** Whether Stowage cannot work without it (it refuses to start on a store that lacks it). */
    public boolean required() {
        return this == PRESIGNED_UPLOADS || this == MULTIPART_UPLOADS || this == BATCH_DELETE;
    }

    /** The setting's name in configuration and output, e.g. {@code default-encryption}. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}

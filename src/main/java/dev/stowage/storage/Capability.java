package dev.stowage.storage;

/**
 * A feature an S3 implementation does or does not have (docs/architecture.md §9). Features ask
 * {@link ProviderProfile#has(Capability)} before they call an API, instead of catching
 * {@code NotImplemented}.
 */
public enum Capability {
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
    OBJECT_ACLS
}

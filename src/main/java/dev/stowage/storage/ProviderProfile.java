package dev.stowage.storage;

import static dev.stowage.storage.Capability.*;

import dev.stowage.config.Provider;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What one provider can do and how the SDK must talk to it.
 *
 * <p>The capability sets record what was measured (see the providers notes: S3Proxy 4.1 filesystem
 * store, Ceph RGW 16.2) or documented by the vendor (AWS, MinIO, R2). A capability that a server
 * accepts but does not enforce (Ceph's RestrictPublicBuckets, its ignored SHA-256 checksums) counts as
 * missing.
 *
 * @param provider       the provider
 * @param capabilities   what it supports
 * @param sdkChecksums   whether the SDK's default request checksums (CRC32 since SDK 2.30) may be sent;
 *                       {@code false} means {@code WHEN_REQUIRED} for both request and response
 * @param notes          per missing capability, what Stowage does instead (shown by {@code buckets plan})
 * @param contentMd5     whether requests the S3 API requires a checksum on (PutObjectTagging, DeleteObjects,
 *                       bucket configuration writes) carry {@code Content-MD5}, as older servers demand, besides
 *                       or instead of the SDK's CRC32; chosen by the start-up probe ({@link ProviderProbe})
 * @param storageClasses the storage classes lifecycle rules may move objects to; {@code *} = any the store
 *                       accepts (classes there are the operator's own, e.g. Ceph placement targets)
 */
public record ProviderProfile(Provider provider, Set<Capability> capabilities, boolean sdkChecksums,
                              Map<Capability, String> notes, boolean contentMd5, Set<String> storageClasses) {

    /** Every storage class a lifecycle transition may name on AWS S3. */
    public static final Set<String> AWS_STORAGE_CLASSES = Set.of("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
            "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE");

    public ProviderProfile {
        capabilities = Set.copyOf(capabilities);
        notes = Map.copyOf(notes);
        storageClasses = Set.copyOf(storageClasses);
    }

    /** A profile without {@code Content-MD5} that accepts any storage class. */
    public ProviderProfile(Provider provider, Set<Capability> capabilities, boolean sdkChecksums, Map<Capability, String> notes) {
        this(provider, capabilities, sdkChecksums, notes, false, Set.of("*"));
    }

    /** Whether lifecycle rules may transition objects to {@code storageClass} on this provider. */
    public boolean hasStorageClass(String storageClass) {
        return storageClasses.contains("*") || storageClasses.contains(storageClass);
    }

    /** This profile, sending {@code Content-MD5} on checksum-required requests or not. */
    public ProviderProfile withContentMd5(boolean md5) {
        return new ProviderProfile(provider, capabilities, sdkChecksums, notes, md5, storageClasses);
    }

    /**
     * This profile without a capability the store turned out not to have.
     *
     * @param c    the capability
     * @param note what Stowage does instead, or why it is missing
     */
    public ProviderProfile without(Capability c, String note) {
        var caps = java.util.EnumSet.noneOf(Capability.class);
        caps.addAll(capabilities);
        caps.remove(c);
        var n = new java.util.EnumMap<Capability, String>(Capability.class);
        n.putAll(notes);
        n.put(c, note);
        return new ProviderProfile(provider, caps, sdkChecksums, n, contentMd5, storageClasses);
    }

    /** Whether this provider has the capability. */
    public boolean has(Capability c) {
        return capabilities.contains(c);
    }

    /** The note for a missing capability, or a generic one. */
    public String insteadOf(Capability c) {
        return notes.getOrDefault(c, "Stowage does without it");
    }

    /**
     * The profile for a provider.
     *
     * @param p the provider
     * @return its capabilities and SDK settings, never {@code null}
     */
    public static ProviderProfile of(Provider p) {
        return switch (p) {
            case AWS -> new ProviderProfile(p, EnumSet.complementOf(EnumSet.of(OBJECT_ACLS)), true,
                    Map.of(OBJECT_ACLS, "buckets owner-enforced (the default since April 2023) refuse any ACL but bucket-owner-full-control, "
                            + "so none is signed; block public access refuses public ACLs where ACLs are still on"),
                    false, AWS_STORAGE_CLASSES);
            case MINIO -> new ProviderProfile(p,
                    EnumSet.of(PRESIGNED_UPLOADS, MULTIPART_UPLOADS, BATCH_DELETE, VERSIONING, LIFECYCLE, TAG_FILTERED_LIFECYCLE, OBJECT_TAGGING, EVENT_NOTIFICATIONS,
                            DEFAULT_ENCRYPTION, BUCKET_POLICY, STORED_CHECKSUMS),
                    false,
                    Map.of(BLOCK_PUBLIC_ACCESS, "buckets stay private unless a bucket policy opens them; Stowage never sets one that does",
                            ACCESS_LOGGING, "configure MinIO's audit log webhook instead",
                            PER_BUCKET_CORS, "MinIO applies CORS server-wide (MINIO_API_CORS_ALLOW_ORIGIN)",
                            OBJECT_ACLS, "MinIO has no object ACLs: only bucket policies open objects, and Stowage sets none that does"),
                    false, Set.of("*")); // transitions go to remote tiers named by the operator (mc ilm tier add)
            case R2 -> new ProviderProfile(p,
                    EnumSet.of(PRESIGNED_UPLOADS, MULTIPART_UPLOADS, BATCH_DELETE, LIFECYCLE, PER_BUCKET_CORS),
                    false,
                    Map.of(VERSIONING, "R2 has no versioning: deleted files cannot be restored from the store",
                            TAG_FILTERED_LIFECYCLE, "the reconciler expires abandoned uploads",
                            OBJECT_TAGGING, "upload state lives in PostgreSQL only",
                            EVENT_NOTIFICATIONS, "the reconciler and the client's complete call find new objects",
                            DEFAULT_ENCRYPTION, "R2 encrypts every object at rest itself",
                            BLOCK_PUBLIC_ACCESS, "R2 buckets are private unless a public domain is attached",
                            ACCESS_LOGGING, "use Cloudflare's logs",
                            BUCKET_POLICY, "R2 uses API token scopes instead of bucket policies",
                            STORED_CHECKSUMS, "Stowage computes and checks SHA-256 itself",
                            OBJECT_ACLS, "R2 has no object ACLs: it accepts x-amz-acl: private only and objects are public only through a bucket's public domain"),
                    false, Set.of("STANDARD_IA")); // R2 Infrequent Access; no archive classes
            case CEPH -> new ProviderProfile(p,
                    EnumSet.of(PRESIGNED_UPLOADS, MULTIPART_UPLOADS, BATCH_DELETE, VERSIONING, LIFECYCLE, TAG_FILTERED_LIFECYCLE, OBJECT_TAGGING, EVENT_NOTIFICATIONS,
                            PER_BUCKET_CORS, BUCKET_POLICY, OBJECT_ACLS),
                    false,
                    Map.of(DEFAULT_ENCRYPTION, "RGW 16 refuses PutBucketEncryption: use SSE-KMS per request or encrypted OSDs",
                            BLOCK_PUBLIC_ACCESS, "RGW does not enforce RestrictPublicBuckets: Stowage never grants public access",
                            ACCESS_LOGGING, "RGW has no S3 access logging: use the gateway's ops log",
                            STORED_CHECKSUMS, "RGW ignores x-amz-checksum-sha256: Stowage verifies SHA-256 after upload"));
            case EMBEDDED -> new ProviderProfile(p,
                    EnumSet.of(PRESIGNED_UPLOADS, MULTIPART_UPLOADS, BATCH_DELETE, STORED_CHECKSUMS, OBJECT_ACLS),
                    false,
                    Map.of(VERSIONING, "dev only: deleted files are kept by Stowage's soft delete, not by the store",
                            LIFECYCLE, "dev only: Stowage's sweepers expire abandoned uploads",
                            TAG_FILTERED_LIFECYCLE, "the reconciler expires abandoned uploads",
                            OBJECT_TAGGING, "upload state lives in PostgreSQL only",
                            EVENT_NOTIFICATIONS, "the client's complete call and the reconciler find new objects",
                            DEFAULT_ENCRYPTION, "dev only: data stays on the local disk unencrypted",
                            BLOCK_PUBLIC_ACCESS, "the embedded server never serves anonymous requests",
                            ACCESS_LOGGING, "dev only: no access logs",
                            PER_BUCKET_CORS, "the embedded server applies storage.cors server-wide at start",
                            BUCKET_POLICY, "the embedded server has one user and no policies"));
        };
    }
}

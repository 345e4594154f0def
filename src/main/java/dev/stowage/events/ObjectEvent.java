package dev.stowage.events;

import java.time.Instant;
import java.util.Objects;

/**
 * One object-level record of an S3 event notification, normalised across providers.
 *
 * <p>Field meanings follow the record of the AWS "Event message structure" document
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
 * which MinIO and the Ceph RADOS Gateway ("Bucket Notifications",
 * https://docs.ceph.com/en/latest/radosgw/notifications/) also follow.
 *
 * @param source     who sent it: {@code "aws"}, {@code "minio"} or {@code "ceph"} (from the
 *                   record's {@code eventSource})
 * @param eventName  the event type without the {@code s3:} prefix MinIO adds, e.g.
 *                   {@code ObjectCreated:Put}, {@code ObjectRemoved:Delete}
 * @param bucket     the bucket name
 * @param key        the object key exactly as stored: already URL-decoded for AWS and MinIO, which
 *                   send it form-encoded; Ceph's raw key unchanged
 * @param sizeBytes  the object size in bytes, {@code null} when the record has none (delete events)
 * @param eTag       the entity tag without surrounding quotes, {@code null} when absent or empty
 * @param versionId  the version id, {@code null} when absent or empty (unversioned buckets)
 * @param sequencer  the provider's ordering hint for events on one key, {@code null} when absent
 *                   or empty; compare only values for the same key, as opaque hex strings
 * @param eventTime  when the provider finished the request, {@code null} when absent or empty
 * @param rawKey     the key exactly as the record carried it (form-encoded for AWS and MinIO, the same
 *                   as {@code key} for Ceph), for logs
 */
public record ObjectEvent(
        String source,
        String eventName,
        String bucket,
        String key,
        Long sizeBytes,
        String eTag,
        String versionId,
        String sequencer,
        Instant eventTime,
        String rawKey) {

    /**
     * Validates the required components.
     *
     * @throws NullPointerException     if {@code source}, {@code eventName}, {@code bucket} or
     *                                  {@code key} is null
     * @throws IllegalArgumentException if {@code sizeBytes} is negative
     */
    public ObjectEvent {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(eventName, "eventName");
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rawKey, "rawKey");
        if (sizeBytes != null && sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must not be negative");
        }
    }

    /**
     * A record whose key was sent as it is stored ({@code rawKey} = {@code key}), as Ceph sends it.
     *
     * @throws NullPointerException     if {@code source}, {@code eventName}, {@code bucket} or
     *                                  {@code key} is null
     * @throws IllegalArgumentException if {@code sizeBytes} is negative
     */
    public ObjectEvent(String source, String eventName, String bucket, String key, Long sizeBytes, String eTag,
                       String versionId, String sequencer, Instant eventTime) {
        this(source, eventName, bucket, key, sizeBytes, eTag, versionId, sequencer, eventTime, key);
    }

    /**
     * Whether the object was created or overwritten ({@code ObjectCreated:*}: Put, Post, Copy,
     * CompleteMultipartUpload).
     *
     * @return true for {@code ObjectCreated:*} events
     */
    public boolean isCreated() {
        return eventName.startsWith("ObjectCreated:");
    }

    /**
     * Whether the object (or, in a versioned bucket, one version of it) was removed
     * ({@code ObjectRemoved:*}: Delete, DeleteMarkerCreated).
     *
     * @return true for {@code ObjectRemoved:*} events
     */
    public boolean isRemoved() {
        return eventName.startsWith("ObjectRemoved:");
    }
}

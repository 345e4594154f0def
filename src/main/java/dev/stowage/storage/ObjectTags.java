package dev.stowage.storage;

/**
 * The object tags Stowage writes (docs/architecture.md §3), next to the key layout of {@link ObjectKeys}:
 * where the provider has tagging, a raw object carries {@value #PENDING_TAG} from its upload until
 * verification replaces it with {@code ready}, and the bucket's lifecycle rules expire objects still
 * pending.
 */
public final class ObjectTags {
    /** Tag key of an object's verification state. */
    public static final String STATE_KEY = "stowage-state";
    /** State of an object whose upload is not verified yet. */
    public static final String PENDING = "pending";
    /** State of a verified object. */
    public static final String READY = "ready";
    /** {@code key=value} of the pending tag, as S3's {@code x-amz-tagging} takes it. */
    public static final String PENDING_TAG = STATE_KEY + "=" + PENDING;

    private ObjectTags() {}
}

package dev.stowage.files;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What happens to files, told to whoever listens: a tiny in-process publisher with typed listeners.
 * {@link FileLifecycle} publishes, once the transaction that made the move has committed; listeners are
 * registered when the process is wired ({@code Stowage}) and run synchronously in the publishing thread,
 * in registration order. A listener that throws makes the publishing call fail as its own failure would
 * (the caller's retry publishes again; every listener must therefore be idempotent, as queuing a job is).
 */
public final class FileEvents {
    /** Something that happened to one file. */
    public sealed interface FileEvent permits Arrived, Ready, Deleted {
        /** The file. */
        UUID fileId();

        /** Its owner. */
        String ownerId();
    }

    /**
     * The object of an upload is there and waits for verification: published when an arrival is reported
     * (complete call, S3 event, reconciler) while the file is between {@code uploaded} and {@code ready},
     * so a repeated report asks again (harmless: verification is queued at most once).
     *
     * @param fileId  the file
     * @param ownerId its owner
     */
    public record Arrived(UUID fileId, String ownerId) implements FileEvent {}

    /** How a file became ready. */
    public enum Cause {
        /** an upload passed verification */
        VERIFIED,
        /** a deleted file was restored */
        RESTORED,
        /** a legacy file was migrated (or copied again) */
        MIGRATED,
        /** a quarantined file was released by an operator after a clean re-scan */
        RELEASED
    }

    /**
     * A file became {@code ready}.
     *
     * @param fileId       the file
     * @param ownerId      its owner
     * @param detectedType the type detected from its bytes
     * @param sizeBytes    its stored size
     * @param cause        how
     */
    public record Ready(UUID fileId, String ownerId, String detectedType, long sizeBytes, Cause cause) implements FileEvent {}

    /**
     * A ready file was deleted (restorable within the window).
     *
     * @param fileId    the file
     * @param ownerId   its owner
     * @param sizeBytes the bytes no longer counted against the quota
     * @param by        {@code user} or {@code retention}
     */
    public record Deleted(UUID fileId, String ownerId, long sizeBytes, String by) implements FileEvent {}

    private record Listener<E extends FileEvent>(Class<E> type, Consumer<? super E> consumer) {
        void offer(FileEvent e) {
            if (type.isInstance(e)) consumer.accept(type.cast(e));
        }
    }

    private final List<Listener<?>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Registers a listener for one kind of event.
     *
     * @param type     the event type ({@code Arrived.class}, {@code Ready.class}, {@code Deleted.class})
     * @param listener called with each such event
     * @return this
     */
    public <E extends FileEvent> FileEvents on(Class<E> type, Consumer<? super E> listener) {
        listeners.add(new Listener<>(type, listener));
        return this;
    }

    /** Tells every listener of its type about {@code e}. */
    public void publish(FileEvent e) {
        for (Listener<?> l : listeners) l.offer(e);
    }
}

package dev.stowage.files;

import java.util.Locale;
import java.util.Set;

/**
 * The states of a file (docs/architecture.md §4): {@code pending → uploaded → verifying → scanning → ready}, side
 * exits {@code rejected}, {@code quarantined}, {@code expired}, {@code cancelled}; after ready
 * {@code deleted → purged}.
 */
public enum FileStatus {
    PENDING, UPLOADED, VERIFYING, SCANNING, READY, REJECTED, QUARANTINED, EXPIRED, CANCELLED, DELETED, PURGED;

    /** States in which the upload still holds a reservation and has not been decided. */
    public static final Set<FileStatus> IN_FLIGHT = Set.of(PENDING, UPLOADED, VERIFYING, SCANNING);

    /** The lower-case name stored in the database and shown in the API. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a stored value. */
    public static FileStatus of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}

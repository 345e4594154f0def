package dev.stowage.files;

/**
 * What a move writes besides the status (docs/architecture.md §4), made by {@link FileLifecycle} only.
 *
 * @param reasonCode    stable code of a side exit, or {@code null} to leave it
 * @param reason        human reason of a side exit, or {@code null} to leave it
 * @param scanResult    scan result, or {@code null} to leave it
 * @param scanSignature malware signature, or {@code null} to leave it
 * @param objectKey     the row's new object key (quarantine copy), or {@code null} to leave it
 * @param stampUploaded set {@code uploaded_at} and remove the upload session
 * @param endSession    remove the upload session
 * @param stampReady    set {@code ready_at}
 * @param deletedBy     set {@code deleted_at}, this {@code deleted_by} and {@code deleteMarker}
 * @param deleteMarker  the delete marker's version id (with {@code deletedBy}), or {@code null}
 * @param undelete      clear {@code deleted_at}, {@code deleted_by} and the delete marker
 * @param purge         set {@code purged_at}, clear the delete marker and remove the file's variants
 */
public record FileChanges(String reasonCode, String reason, String scanResult, String scanSignature, String objectKey,
                          boolean stampUploaded, boolean endSession, boolean stampReady, String deletedBy, String deleteMarker,
                          boolean undelete, boolean purge) {
    static final FileChanges NONE = new FileChanges(null, null, null, null, null, false, false, false, null, null, false, false);

    static FileChanges uploaded() {
        return new FileChanges(null, null, null, null, null, true, false, false, null, null, false, false);
    }

    static FileChanges ended(String reasonCode, String reason) {
        return new FileChanges(reasonCode, reason, null, null, null, false, true, false, null, null, false, false);
    }

    static FileChanges quarantined(String reasonCode, String reason, String signature, String quarantineKey) {
        return new FileChanges(reasonCode, reason, "infected", signature, quarantineKey, false, true, false, null, null, false, false);
    }

    static FileChanges ready(String scanResult) {
        return new FileChanges(null, null, scanResult, null, null, false, false, true, null, null, false, false);
    }

    static FileChanges deleted(String by, String marker) {
        return new FileChanges(null, null, null, null, null, false, false, false, by, marker, false, false);
    }

    static FileChanges restored() {
        return new FileChanges(null, null, null, null, null, false, false, false, null, null, true, false);
    }

    static FileChanges purged() {
        return new FileChanges(null, null, null, null, null, false, false, false, null, null, false, true);
    }
}

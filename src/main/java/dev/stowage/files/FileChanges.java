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
 * @param scanLimit     the scanner limit a scan hit, or {@code null} to leave it
 * @param clearScan     forget the scan and the side exit: reason, scan result, signature, limit, last error and
 *                      failing time are cleared (a re-scan); {@code reasonCode} and the scan fields above are then
 *                      ignored, except {@code scanResult}, which becomes the new result (null: none)
 */
public record FileChanges(String reasonCode, String reason, String scanResult, String scanSignature, String objectKey,
                          boolean stampUploaded, boolean endSession, boolean stampReady, String deletedBy, String deleteMarker,
                          boolean undelete, boolean purge, String scanLimit, boolean clearScan) {
    static final FileChanges NONE = new FileChanges(null, null, null, null, null, false, false, false, null, null, false, false);

    /** The changes without a scan limit and without clearing the scan. */
    FileChanges(String reasonCode, String reason, String scanResult, String scanSignature, String objectKey,
                boolean stampUploaded, boolean endSession, boolean stampReady, String deletedBy, String deleteMarker,
                boolean undelete, boolean purge) {
        this(reasonCode, reason, scanResult, scanSignature, objectKey, stampUploaded, endSession, stampReady, deletedBy, deleteMarker,
                undelete, purge, null, false);
    }

    static FileChanges notFullyScanned(String reasonCode, String reason, String limit) {
        return new FileChanges(reasonCode, reason, "limits_exceeded", null, null, false, true, false, null, null, false, false, limit, false);
    }

    static FileChanges scanFailed(String reasonCode, String reason) {
        return new FileChanges(reasonCode, reason, "error", null, null, false, true, false, null, null, false, false, null, false);
    }

    static FileChanges rescan() {
        return new FileChanges(null, null, null, null, null, false, false, false, null, null, false, false, null, true);
    }

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

    static FileChanges released(String finalKey) {
        return new FileChanges(null, null, "clean", null, finalKey, false, false, true, null, null, false, false, null, true);
    }

    static FileChanges purgedByOperator() {
        return new FileChanges(null, null, null, null, null, false, false, false, "operator", null, false, true);
    }

    static FileChanges purged() {
        return new FileChanges(null, null, null, null, null, false, false, false, null, null, false, true);
    }
}

package dev.stowage.files;

import java.time.Instant;
import java.util.UUID;

/**
 * One row of {@code files}: a user's uploaded thing.
 *
 * @param id             the file id (UUIDv7)
 * @param ownerId        the owning user
 * @param originalName   the exact name the user gave
 * @param safeName       the sanitised name used in the object key
 * @param declaredType   MIME type the client declared
 * @param detectedType   MIME type detected from the bytes, once verified
 * @param declaredSize   bytes the client declared
 * @param sizeBytes      bytes actually stored, once verified
 * @param declaredSha256 SHA-256 (hex) the client declared, or {@code null}
 * @param sha256         SHA-256 (hex) computed from the stored bytes, once verified
 * @param bucket         bucket of the raw object
 * @param objectKey      key of the raw object
 * @param status         state
 * @param scanResult     {@code clean}, {@code infected}, {@code unscanned}, {@code limits_exceeded} (not fully scanned:
 *                       a scanner limit was hit), {@code too_large} (rows from before limits were named), {@code error},
 *                       or {@code null}
 * @param scanSignature  the malware signature found, when infected
 * @param reasonCode     stable code of a rejection or expiry
 * @param reason         human reason of a rejection or expiry
 * @param source         {@code upload} or {@code migration}
 * @param createdAt      when the upload was initiated
 * @param updatedAt      last change
 * @param readyAt        when it became ready
 * @param deletedAt      when it was soft-deleted
 * @param variantsStatus image variants: {@code none}, {@code pending}, {@code ready}, {@code failed}
 * @param variantsReasonCode stable code why variants failed, or {@code null}
 * @param variantsReason human reason why variants failed, or {@code null}
 * @param scanLimit      the scanner limit a scan hit ({@code MaxFileSize}, {@code MaxFiles}, {@code StreamMaxLength}, …), or {@code null}
 * @param scanError      the last scanner error of this file (one line), or {@code null}
 */
public record FileRecord(UUID id, String ownerId, String originalName, String safeName, String declaredType,
                         String detectedType, long declaredSize, Long sizeBytes, String declaredSha256, String sha256,
                         String bucket, String objectKey, FileStatus status, String scanResult, String scanSignature,
                         String reasonCode, String reason, String source, Instant createdAt, Instant updatedAt,
                         Instant readyAt, Instant deletedAt, String variantsStatus, String variantsReasonCode,
                         String variantsReason, String scanLimit, String scanError) {

    /** A row without scanner limit or error (rows of tests and of code that does not read them). */
    public FileRecord(UUID id, String ownerId, String originalName, String safeName, String declaredType,
                      String detectedType, long declaredSize, Long sizeBytes, String declaredSha256, String sha256,
                      String bucket, String objectKey, FileStatus status, String scanResult, String scanSignature,
                      String reasonCode, String reason, String source, Instant createdAt, Instant updatedAt,
                      Instant readyAt, Instant deletedAt, String variantsStatus, String variantsReasonCode,
                      String variantsReason) {
        this(id, ownerId, originalName, safeName, declaredType, detectedType, declaredSize, sizeBytes, declaredSha256, sha256,
                bucket, objectKey, status, scanResult, scanSignature, reasonCode, reason, source, createdAt, updatedAt, readyAt,
                deletedAt, variantsStatus, variantsReasonCode, variantsReason, null, null);
    }
}

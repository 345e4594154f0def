package dev.stowage.files;

import java.util.UUID;

/**
 * A file about to be created by an upload's initiation.
 *
 * @param id             the file id
 * @param ownerId        the user
 * @param plan           the user's plan (from the token)
 * @param quotaBytes     the plan's quota
 * @param originalName   the name to store and show: the user's name as
 *                       {@link dev.stowage.storage.FilenameSanitizer#displayName} gives it (NFC, no control characters)
 * @param safeName       the sanitised name in the key
 * @param declaredType   the declared (allowed) type
 * @param declaredSize   the declared size
 * @param declaredSha256 the declared SHA-256 (hex), or {@code null}
 * @param bucket         the raw bucket
 * @param objectKey      the raw key
 * @param originalNameBytes the exact UTF-8 bytes of the name the user gave when they differ from
 *                       {@code originalName}'s, else {@code null} ({@code files.original_name_bytes})
 */
public record NewUpload(UUID id, String ownerId, String plan, long quotaBytes, String originalName, String safeName,
                        String declaredType, long declaredSize, String declaredSha256, String bucket, String objectKey,
                        byte[] originalNameBytes) {

    /** A new upload whose name is stored exactly as given (no {@code originalNameBytes}). */
    public NewUpload(UUID id, String ownerId, String plan, long quotaBytes, String originalName, String safeName,
                     String declaredType, long declaredSize, String declaredSha256, String bucket, String objectKey) {
        this(id, ownerId, plan, quotaBytes, originalName, safeName, declaredType, declaredSize, declaredSha256, bucket, objectKey, null);
    }
}

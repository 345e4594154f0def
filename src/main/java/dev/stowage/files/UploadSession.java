package dev.stowage.files;

import java.time.Instant;
import java.util.UUID;

/**
 * A pending upload's session, a row of {@code upload_sessions}: a presigned single PUT or a multipart
 * upload, until the object arrives or the session ends.
 *
 * @param fileId    the file
 * @param kind      {@code single} or {@code multipart}
 * @param uploadId  the store's multipart upload id, {@code null} for a single PUT
 * @param partSize  bytes per part (multipart)
 * @param partCount number of parts (multipart)
 * @param expiresAt when the session ends
 * @param createdAt when it started
 */
public record UploadSession(UUID fileId, String kind, String uploadId, Long partSize, Integer partCount, Instant expiresAt,
                            Instant createdAt) {
    /** Whether this is a multipart upload. */
    public boolean multipart() {
        return kind.equals("multipart");
    }
}

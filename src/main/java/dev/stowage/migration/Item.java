package dev.stowage.migration;

import java.util.UUID;

/**
 * A journalled regular file claimed for copying.
 *
 * @param runId     the run
 * @param path      raw bytes relative to the tree's root
 * @param display   the same as text
 * @param userId    the owner
 * @param size      bytes when walked
 * @param mtimeNs   modification time when walked
 * @param attempts  claims so far, this one included
 * @param fileId    the file id chosen when the item was first journalled
 * @param objectKey the raw object key chosen then
 * @param uploadId  a multipart upload left open by an earlier attempt, or {@code null}
 * @param note      the walk's notes
 * @param copied    whether an earlier copy of this item was recorded (its file row exists)
 * @param seq       its position in the run's queue ({@code claim_seq})
 */
public record Item(UUID runId, byte[] path, String display, String userId, long size, long mtimeNs, int attempts,
                   UUID fileId, String objectKey, String uploadId, String note, boolean copied, long seq) {
}

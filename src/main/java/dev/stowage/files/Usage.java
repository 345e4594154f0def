package dev.stowage.files;

/**
 * A user's storage account.
 *
 * @param userId        the user
 * @param plan          the plan name
 * @param quotaBytes    bytes the user may store
 * @param usedBytes     bytes of ready (and not deleted) files
 * @param reservedBytes bytes reserved by uploads in flight
 */
public record Usage(String userId, String plan, long quotaBytes, long usedBytes, long reservedBytes) {
    /** Bytes still available for new uploads. */
    public long availableBytes() {
        return Math.max(0, quotaBytes - usedBytes - reservedBytes);
    }
}

package dev.stowage.retention;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * What one retention pass did (or, dry, would do), and why.
 *
 * @param runId  the pass, a row of {@code retention_runs}
 * @param dryRun whether nothing was changed
 * @param cutoff ready files created before this instant were candidates for deletion
 * @param items  one line per file acted on or kept
 */
public record RetentionReport(UUID runId, boolean dryRun, Instant cutoff, List<Item> items) {

    /**
     * One file.
     *
     * @param fileId    the file
     * @param ownerId   its owner
     * @param plan      the owner's plan as read in the deleting transaction
     * @param action    {@code deleted}, {@code would_delete}, {@code kept_premium}, {@code purged}, {@code would_purge}
     * @param reason    why
     * @param sizeBytes the file's size, bytes
     */
    public record Item(UUID fileId, String ownerId, String plan, String action, String reason, Long sizeBytes) {}

    /** Files with this action. */
    public List<Item> withAction(String action) {
        return items.stream().filter(i -> i.action().equals(action)).toList();
    }

    /** The report as text: one line per file, then a summary. */
    public String text() {
        var sb = new StringBuilder();
        sb.append(dryRun ? "Retention dry run" : "Retention run").append(' ').append(runId).append(": raw uploads created before ")
                .append(cutoff).append('\n');
        for (Item i : items) {
            sb.append(String.format(Locale.ROOT, "  %-12s %s  owner %s (plan %s), %d bytes: %s%n", i.action(), i.fileId(), i.ownerId(), i.plan(),
                    i.sizeBytes() == null ? 0 : i.sizeBytes(), i.reason()));
        }
        sb.append(String.format(Locale.ROOT, "%d %s, %d kept (premium), %d %s.%n",
                withAction(dryRun ? "would_delete" : "deleted").size(), dryRun ? "would be deleted" : "deleted",
                withAction("kept_premium").size(), withAction(dryRun ? "would_purge" : "purged").size(), dryRun ? "would be purged" : "purged"));
        return sb.toString();
    }
}

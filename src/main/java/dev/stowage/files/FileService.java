package dev.stowage.files;

import dev.stowage.config.StowageConfig;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import dev.stowage.storage.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * A user's files after upload: listing, details, download links, soft delete, usage (restore is
 * {@code retention.RetentionService#restore}).
 * A user reaches only their own files; anything else is "not found".
 */
public final class FileService {
    private final ObjectStore s3;
    private final FileRepository files;
    private final FileLifecycle lifecycle;
    private final StowageConfig.Uploads rules;
    private final java.time.Duration restoreWindow;

    /**
     * @param s3        clients
     * @param files     repository
     * @param lifecycle makes the deletions
     * @param config    configuration (download URL lifetime)
     */
    public FileService(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, StowageConfig config) {
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.rules = config.uploads();
        this.restoreWindow = config.retention() == null ? null : config.retention().restoreWindow();
    }

    /** A page of files and the cursor of the next page ({@code null} at the end). */
    public record Page(List<FileRecord> items, String nextCursor) {}

    /**
     * Most rows one filtered listing request reads (docs/architecture.md §4): a page of a filtered listing holds
     * the matches among the next this-many of the user's files, so its cost is flat however rare the match.
     */
    public static final int FILTER_SCAN_BUDGET = 2_000;

    /**
     * The caller's files, newest first.
     *
     * @param cursor         opaque cursor from the previous page, or {@code null}
     * @param limit          1 to 100
     * @param includeDeleted whether deleted files are listed (when the filter chooses no status)
     * @param filter         name, type and status filters ({@link FileFilter#NONE} for none); with a filter a page may
     *                       hold fewer than {@code limit} files, even none, and still have a next cursor
     * @throws Problem {@code invalid_cursor}, {@code invalid_limit}
     */
    public Page list(Principal who, String cursor, int limit, boolean includeDeleted, FileFilter filter) {
        if (limit < 1 || limit > 100) throw new Problem(ProblemCode.INVALID_LIMIT, "limit must be 1 to 100");
        Instant afterCreated = null;
        UUID afterId = null;
        if (cursor != null && !cursor.isBlank()) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|");
                afterCreated = Instant.parse(parts[0]);
                afterId = UUID.fromString(parts[1]);
            } catch (RuntimeException e) {
                throw new Problem(ProblemCode.INVALID_CURSOR, "cursor is not one this API returned");
            }
        }
        if (!filter.isEmpty()) {
            var scanned = files.page(who.userId(), afterCreated, afterId, limit + 1, filter, includeDeleted, FILTER_SCAN_BUDGET);
            List<FileRecord> page = scanned.items();
            if (page.size() > limit) {
                page = page.subList(0, limit);
                return new Page(page, cursor(page.getLast().createdAt(), page.getLast().id()));
            }
            return new Page(page, scanned.scanEndId() == null ? null : cursor(scanned.scanEndCreated(), scanned.scanEndId()));
        }
        List<FileRecord> page = files.page(who.userId(), afterCreated, afterId, limit + 1, includeDeleted);
        String next = null;
        if (page.size() > limit) {
            FileRecord last = page.get(limit - 1);
            next = cursor(last.createdAt(), last.id());
            page = page.subList(0, limit);
        }
        return new Page(page, next);
    }

    private static String cursor(Instant created, UUID id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((created + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One of the caller's files.
     *
     * @throws Problem {@code not_found}
     */
    public FileRecord get(Principal who, UUID id) {
        return files.findOwned(id, who.userId())
                .filter(f -> f.status() != FileStatus.PURGED)
                .orElseThrow(() -> Problem.notFound("file " + id));
    }

    /** A download link and its expiry. */
    public record Download(String url, Instant expiresAt, String contentDisposition) {}

    /**
     * A short presigned GET of a ready file, with {@code Content-Disposition} carrying the original name
     * ({@code attachment} for anything a browser could execute) and the detected type as Content-Type. What is
     * served is {@link Delivery#of}'s decision: an image as its stripped original, or as an attachment when it
     * has none.
     *
     * @throws Problem {@code not_found}; {@code file_not_ready} (409) for anything not ready — quarantined,
     *                 rejected and in-flight files are never served
     */
    public Download download(Principal who, UUID id) {
        FileRecord f = get(who, id);
        if (f.status() != FileStatus.READY) {
            throw new Problem(ProblemCode.FILE_NOT_READY, "file is " + f.status().id() + " and cannot be downloaded");
        }
        String uploadedType = f.detectedType() != null ? f.detectedType() : f.declaredType();
        var original = files.variants(id).stream().filter(v -> v.name().equals("original")).findFirst();
        Delivery delivery = Delivery.of(f, original.isPresent());
        String[] where = delivery.servedAs() == Delivery.ServedAs.STRIPPED
                ? new String[] {original.get().bucket(), original.get().key(), original.get().contentType()}
                : new String[] {f.bucket(), f.objectKey(), uploadedType};
        // the original of an HEIC/AVIF upload is a JPEG (libvips engine): served as one, under a .jpg name
        String type = where[2];
        String name = type.equals(uploadedType) || !type.equals("image/jpeg") ? f.originalName()
                : f.originalName().replaceFirst("(\\.[^./\\\\]{1,10})?$", ".jpg");
        String cd = ContentDisposition.of(name, !delivery.inline());
        var p = s3.presignGet(where[0], where[1], rules.downloadUrlTtl(), type, cd);
        return new Download(p.url().toString(), p.expiresAt(), cd);
    }

    /**
     * Soft-deletes a ready file: it disappears from listings, its bytes stop counting against the quota,
     * and it can be restored within {@code retention.restore_window_days}. Deleting a deleted file is a no-op.
     *
     * @throws Problem {@code not_found}; {@code file_not_ready} (409) for a file that is not ready
     */
    public FileRecord delete(Principal who, UUID id) {
        FileRecord f = get(who, id);
        if (f.status() == FileStatus.DELETED) return f;
        if (f.status() != FileStatus.READY) {
            throw new Problem(ProblemCode.FILE_NOT_READY, "file is " + f.status().id() + ": cancel the upload instead");
        }
        lifecycle.delete(files, id, "user", null);
        return get(who, id);
    }

    /**
     * Until when a deleted file can be restored ({@code retention.restore_window_days} after its deletion), or
     * {@code null} for a file that is not deleted or without retention settings.
     */
    public Instant restorableUntil(FileRecord f) {
        if (f.status() != FileStatus.DELETED || f.deletedAt() == null || restoreWindow == null) return null;
        return f.deletedAt().plus(restoreWindow);
    }

    /** The caller's usage (an account with zero usage when none exists yet). */
    public Usage usage(Principal who, long planQuota) {
        return files.usage(who.userId()).orElse(new Usage(who.userId(), who.plan(), planQuota, 0, 0));
    }
}

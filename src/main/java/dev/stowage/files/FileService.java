package dev.stowage.files;

import dev.stowage.config.StowageConfig;
import dev.stowage.delivery.ContentDisposition;
import dev.stowage.problems.Problem;
import dev.stowage.security.Principal;
import dev.stowage.storage.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A user's files after upload: listing, details, download links, soft delete and restore, usage.
 * A user reaches only their own files; anything else is "not found".
 */
public final class FileService {
    /** How long a soft-deleted file can be restored. */
    public static final Duration RESTORE_WINDOW = Duration.ofDays(30);
    private static final Set<String> INLINE_TYPES = Set.of("image/jpeg", "image/png", "image/gif", "image/webp",
            "image/heic", "image/avif", "application/pdf", "text/plain");

    private final ObjectStore s3;
    private final FileRepository files;
    private final StowageConfig.Uploads rules;

    /**
     * @param s3     the object store
     * @param files  repository
     * @param config configuration (download URL lifetime)
     */
    public FileService(ObjectStore s3, FileRepository files, StowageConfig config) {
        this.s3 = s3;
        this.files = files;
        this.rules = config.uploads();
    }

    /** A page of files and the cursor of the next page ({@code null} at the end). */
    public record Page(List<FileRecord> items, String nextCursor) {}

    /**
     * The caller's files, newest first.
     *
     * @param cursor opaque cursor from the previous page, or {@code null}
     * @param limit  1 to 100
     * @throws Problem {@code invalid_cursor}, {@code invalid_limit}
     */
    public Page list(Principal who, String cursor, int limit, boolean includeDeleted) {
        if (limit < 1 || limit > 100) throw Problem.invalid("invalid_limit", "limit must be 1 to 100");
        Instant afterCreated = null;
        UUID afterId = null;
        if (cursor != null && !cursor.isBlank()) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|");
                afterCreated = Instant.parse(parts[0]);
                afterId = UUID.fromString(parts[1]);
            } catch (RuntimeException e) {
                throw Problem.invalid("invalid_cursor", "cursor is not one this API returned");
            }
        }
        List<FileRecord> page = files.page(who.userId(), afterCreated, afterId, limit + 1, includeDeleted);
        String next = null;
        if (page.size() > limit) {
            FileRecord last = page.get(limit - 1);
            next = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (last.createdAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
            page = page.subList(0, limit);
        }
        return new Page(page, next);
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
     * ({@code attachment} for anything a browser could execute) and the detected type as Content-Type.
     *
     * @throws Problem {@code not_found}; {@code file_not_ready} (409) for anything not ready — quarantined,
     *                 rejected and in-flight files are never served
     */
    public Download download(Principal who, UUID id) {
        FileRecord f = get(who, id);
        if (f.status() != FileStatus.READY) {
            throw Problem.conflict("file_not_ready", "file is " + f.status().id() + " and cannot be downloaded");
        }
        String uploadedType = f.detectedType() != null ? f.detectedType() : f.declaredType();
        // an image is served as its metadata-stripped original once that variant exists, never the raw upload
        String[] where = files.jdbi().withHandle(h -> h.createQuery(
                        "select bucket, object_key, content_type from variants where file_id = :id and name = 'original'")
                .bind("id", id).map((rs, c) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}).findOne()
                .orElse(new String[] {f.bucket(), f.objectKey(), uploadedType}));
        // the original of an HEIC/AVIF upload is a JPEG (libvips engine): served as one, under a .jpg name
        String type = where[2];
        String name = type.equals(uploadedType) || !type.equals("image/jpeg") ? f.originalName()
                : f.originalName().replaceFirst("(\\.[^./\\\\]{1,10})?$", ".jpg");
        boolean attachment = !INLINE_TYPES.contains(type);
        String cd = ContentDisposition.of(name, attachment);
        var p = s3.presignGet(where[0], where[1], rules.downloadUrlTtl(), type, cd);
        return new Download(p.url().toString(), p.expiresAt(), cd);
    }

    /**
     * Soft-deletes a ready file: it disappears from listings, its bytes stop counting against the quota,
     * and it can be restored for {@link #RESTORE_WINDOW}. Deleting a deleted file is a no-op.
     *
     * @throws Problem {@code not_found}; {@code file_not_ready} (409) for a file that is not ready
     */
    public FileRecord delete(Principal who, UUID id) {
        FileRecord f = get(who, id);
        if (f.status() == FileStatus.DELETED) return f;
        if (f.status() != FileStatus.READY) {
            throw Problem.conflict("file_not_ready", "file is " + f.status().id() + ": cancel the upload instead");
        }
        files.jdbi().useTransaction(h -> {
            int n = h.createUpdate("update files set status = 'deleted', deleted_at = now(), updated_at = now() where id = :id and status = 'ready'")
                    .bind("id", id).execute();
            if (n == 1) {
                h.createUpdate("update accounts set used_bytes = used_bytes - :b, updated_at = now() where user_id = :u")
                        .bind("b", f.sizeBytes()).bind("u", f.ownerId()).execute();
            }
        });
        return get(who, id);
    }

    /**
     * Restores a soft-deleted file within the window, if the quota has room for it again.
     *
     * @throws Problem {@code not_found}; {@code not_deleted} (409); {@code restore_window_over} (409);
     *                 {@code quota_exceeded} (403)
     */
    public FileRecord restore(Principal who, UUID id) {
        FileRecord f = get(who, id);
        if (f.status() != FileStatus.DELETED) throw Problem.conflict("not_deleted", "file is " + f.status().id() + ", not deleted");
        if (f.deletedAt().plus(RESTORE_WINDOW).isBefore(Instant.now())) {
            throw Problem.conflict("restore_window_over", "file was deleted more than " + RESTORE_WINDOW.toDays() + " days ago");
        }
        files.jdbi().useTransaction(h -> {
            int room = h.createUpdate("""
                    update accounts set used_bytes = used_bytes + :b, updated_at = now()
                    where user_id = :u and used_bytes + reserved_bytes + :b <= quota_bytes""")
                    .bind("b", f.sizeBytes()).bind("u", f.ownerId()).execute();
            if (room != 1) throw new Problem(Problem.Kind.FORBIDDEN, "quota_exceeded", "restoring " + f.sizeBytes() + " bytes would exceed your quota");
            int n = h.createUpdate("update files set status = 'ready', deleted_at = null, updated_at = now() where id = :id and status = 'deleted'")
                    .bind("id", id).execute();
            if (n != 1) throw Problem.conflict("not_deleted", "file was restored concurrently");
        });
        return get(who, id);
    }

    /** The caller's usage (an account with zero usage when none exists yet). */
    public Usage usage(Principal who, long planQuota) {
        return files.usage(who.userId()).orElse(new Usage(who.userId(), who.plan(), planQuota, 0, 0));
    }
}

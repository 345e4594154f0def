package dev.stowage.files;

import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * What the operator console lists (docs/architecture.md §14, "Console"): accounts with their plan and quota
 * bookkeeping, and quarantined files. Read-only; both are keyset-paginated on an index, so a page costs the
 * same on a 10-million-row {@code files} table: accounts are read from their own rows ({@code used_bytes} and
 * {@code reserved_bytes} are kept by {@link FileLifecycle}, never summed over files), quarantined files from
 * the partial index {@code files_quarantined}.
 */
public final class AdminDirectory {
    /** Largest page. */
    public static final int MAX_LIMIT = 200;

    private final Jdbi jdbi;

    /** @param jdbi the database (schema migrated) */
    public AdminDirectory(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * One account.
     *
     * @param userId        the user
     * @param plan          the plan name
     * @param quotaBytes    the quota, bytes
     * @param usedBytes     stored sizes of the user's ready files, bytes
     * @param reservedBytes declared sizes of the user's uploads in flight, bytes
     * @param createdAt     first seen
     * @param updatedAt     last change of plan, quota or bytes
     */
    public record Account(String userId, String plan, long quotaBytes, long usedBytes, long reservedBytes, Instant createdAt, Instant updatedAt) {}

    /**
     * A page of a listing.
     *
     * @param items the rows
     * @param next  the cursor of the next page, or {@code null} after the last
     */
    public record Page<T>(List<T> items, String next) {}

    /**
     * Accounts in user-id order, after {@code after}.
     *
     * @param after the cursor of the previous page (a user id), or {@code null} for the first
     * @param limit 1 to {@link #MAX_LIMIT}
     * @param prefix only user ids starting with this (case-sensitive), or {@code null}
     */
    public Page<Account> accounts(String after, int limit, String prefix) {
        List<Account> rows = jdbi.withHandle(h -> h.createQuery("""
                        select user_id, plan, quota_bytes, used_bytes, reserved_bytes, created_at, updated_at from accounts
                        where user_id > :after and (:prefix = '' or starts_with(user_id, :prefix))
                        order by user_id limit :n""")
                .bind("after", after == null ? "" : after).bind("prefix", prefix == null ? "" : prefix).bind("n", limit + 1)
                .map((rs, c) -> new Account(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getTimestamp(6).toInstant(), rs.getTimestamp(7).toInstant()))
                .list());
        if (rows.size() <= limit) return new Page<>(rows, null);
        List<Account> page = rows.subList(0, limit);
        return new Page<>(List.copyOf(page), page.getLast().userId());
    }

    /** One account, if known. */
    public java.util.Optional<Account> account(String userId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select user_id, plan, quota_bytes, used_bytes, reserved_bytes, created_at, updated_at from accounts where user_id = :u""")
                .bind("u", userId)
                .map((rs, c) -> new Account(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getTimestamp(6).toInstant(), rs.getTimestamp(7).toInstant()))
                .findOne());
    }

    /**
     * A quarantined file.
     *
     * @param id            the file
     * @param ownerId       its owner
     * @param name          its original name
     * @param sizeBytes     its size, bytes
     * @param contentType   the type detected from its bytes (or declared)
     * @param signature     the scanner's verdict: the signature it found
     * @param source        {@code upload} or {@code migration}
     * @param createdAt     when it was uploaded
     * @param quarantinedAt when it was quarantined (its last change)
     */
    public record Quarantined(UUID id, String ownerId, String name, Long sizeBytes, String contentType, String signature,
                              String source, Instant createdAt, Instant quarantinedAt) {}

    /**
     * Quarantined files, newest first.
     *
     * @param cursor the cursor of the previous page, or {@code null} for the first
     * @param limit  1 to {@link #MAX_LIMIT}
     * @throws Problem {@code invalid_cursor} (400) for a cursor this method did not return
     */
    public Page<Quarantined> quarantined(String cursor, int limit) {
        Instant at = Instant.parse("9999-12-31T00:00:00Z");
        UUID id = new UUID(-1L, -1L);
        if (cursor != null) {
            try {
                String[] p = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
                at = Instant.parse(p[0]);
                id = UUID.fromString(p[1]);
            } catch (RuntimeException e) {
                throw new Problem(ProblemCode.INVALID_CURSOR, "cursor is not one this API returned");
            }
        }
        final Timestamp atTs = Timestamp.from(at);
        final UUID afterId = id;
        List<Quarantined> rows = jdbi.withHandle(h -> h.createQuery("""
                        select id, owner_id, original_name, size_bytes, coalesce(detected_type, declared_type), scan_signature, source,
                               created_at, updated_at
                        from files where status = 'quarantined' and (updated_at, id) < (:at, :id)
                        order by updated_at desc, id desc limit :n""")
                .bind("at", atTs).bind("id", afterId).bind("n", limit + 1)
                .map((rs, c) -> new Quarantined(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        rs.getObject(4) == null ? null : rs.getLong(4), rs.getString(5), rs.getString(6), rs.getString(7),
                        rs.getTimestamp(8).toInstant(), rs.getTimestamp(9).toInstant()))
                .list());
        if (rows.size() <= limit) return new Page<>(rows, null);
        List<Quarantined> page = List.copyOf(rows.subList(0, limit));
        Quarantined last = page.getLast();
        String next = Base64.getUrlEncoder().withoutPadding()
                .encodeToString((last.quarantinedAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
        return new Page<>(page, next);
    }
}

package dev.stowage.files;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * SQL for accounts, files and their quota bookkeeping. Every state change is a conditional
 * {@code UPDATE … WHERE status IN (…)}, so a transition happens at most once however many callers
 * (S3 event, client "complete", reconciler) race for it; quota changes happen in the same statement or
 * transaction as the transition that causes them.
 */
public final class FileRepository {
    private final Jdbi jdbi;

    /** @param jdbi the database */
    public FileRepository(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The database handle factory. */
    public Jdbi jdbi() {
        return jdbi;
    }

    static final RowMapper<FileRecord> MAPPER = new RowMapper<>() {
        @Override
        public FileRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new FileRecord(rs.getObject("id", UUID.class), rs.getString("owner_id"), rs.getString("original_name"),
                    rs.getString("safe_name"), rs.getString("declared_type"), rs.getString("detected_type"),
                    rs.getLong("declared_size"), (Long) rs.getObject("size_bytes"), rs.getString("declared_sha256"),
                    rs.getString("sha256"), rs.getString("bucket"), rs.getString("object_key"),
                    FileStatus.of(rs.getString("status")), rs.getString("scan_result"), rs.getString("scan_signature"),
                    rs.getString("reason_code"), rs.getString("reason"), rs.getString("source"),
                    instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("updated_at")),
                    instant(rs.getTimestamp("ready_at")), instant(rs.getTimestamp("deleted_at")),
                    rs.getString("variants_status"), rs.getString("variants_reason_code"), rs.getString("variants_reason"));
        }
    };

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /**
     * Creates the account on first use with the plan's quota; when the token's plan changed, the account
     * follows it (plan and quota).
     *
     * @param h          handle (in the caller's transaction)
     * @param userId     the user
     * @param plan       the plan from the token
     * @param quotaBytes the plan's quota
     */
    public void ensureAccount(Handle h, String userId, String plan, long quotaBytes) {
        h.createUpdate("""
                insert into accounts (user_id, plan, quota_bytes) values (:u, :p, :q)
                on conflict (user_id) do update set plan = excluded.plan, quota_bytes = excluded.quota_bytes, updated_at = now()
                where accounts.plan is distinct from excluded.plan""")
                .bind("u", userId).bind("p", plan).bind("q", quotaBytes).execute();
    }

    /**
     * Reserves bytes against the quota in one statement that fails when {@code used + reserved + size >
     * quota}; concurrent reservations serialise on the account row, so together they never exceed it.
     *
     * @return whether the bytes were reserved
     */
    public boolean reserve(Handle h, String userId, long bytes) {
        return h.createUpdate("""
                update accounts set reserved_bytes = reserved_bytes + :b, updated_at = now()
                where user_id = :u and used_bytes + reserved_bytes + :b <= quota_bytes""")
                .bind("u", userId).bind("b", bytes).execute() == 1;
    }

    /** The account, if it exists. */
    public Optional<Usage> usage(String userId) {
        return jdbi.withHandle(h -> h.createQuery(
                        "select user_id, plan, quota_bytes, used_bytes, reserved_bytes from accounts where user_id = :u")
                .bind("u", userId)
                .map((rs, ctx) -> new Usage(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)))
                .findOne());
    }

    /** A file by id, whoever owns it. */
    public Optional<FileRecord> find(UUID id) {
        return jdbi.withHandle(h -> find(h, id));
    }

    /** A file by id in a handle. */
    public Optional<FileRecord> find(Handle h, UUID id) {
        return h.createQuery("select * from files where id = :id").bind("id", id).map(MAPPER).findOne();
    }

    /** A file by id if {@code ownerId} owns it (otherwise empty: another user's file is "not found"). */
    public Optional<FileRecord> findOwned(UUID id, String ownerId) {
        return jdbi.withHandle(h -> h.createQuery("select * from files where id = :id and owner_id = :o")
                .bind("id", id).bind("o", ownerId).map(MAPPER).findOne());
    }

    /** The file whose raw object is at this bucket and key. */
    public Optional<FileRecord> findByKey(String bucket, String key) {
        return jdbi.withHandle(h -> h.createQuery("select * from files where bucket = :b and object_key = :k")
                .bind("b", bucket).bind("k", key).map(MAPPER).findOne());
    }

    /**
     * A page of a user's files, newest first, excluding purged ones.
     *
     * @param ownerId     the user
     * @param afterCreated cursor: created_at of the last item of the previous page, or {@code null}
     * @param afterId      cursor: id of that item, or {@code null}
     * @param limit        page size
     */
    public List<FileRecord> page(String ownerId, Instant afterCreated, UUID afterId, int limit, boolean includeDeleted) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select * from files where owner_id = :o and status <> 'purged'
                          and (:incl or status <> 'deleted')
                          and (cast(:ac as timestamptz) is null or (created_at, id) < (cast(:ac as timestamptz), :ai))
                        order by created_at desc, id desc limit :lim""")
                .bind("o", ownerId).bind("ac", afterCreated == null ? null : Timestamp.from(afterCreated))
                .bind("ai", afterId).bind("incl", includeDeleted).bind("lim", limit).map(MAPPER).list());
    }

    /**
     * Moves a file to {@code to} if it is in one of {@code from}.
     *
     * @return whether this call made the transition
     */
    public boolean transition(Handle h, UUID id, Collection<FileStatus> from, FileStatus to) {
        return h.createUpdate("update files set status = :to, updated_at = now() where id = :id and status in (<from>)")
                .bind("to", to.id()).bind("id", id).bindList("from", from.stream().map(FileStatus::id).toList())
                .execute() == 1;
    }

    /** Releases a reservation of {@code bytes}. */
    public void release(Handle h, String userId, long bytes) {
        h.createUpdate("update accounts set reserved_bytes = reserved_bytes - :b, updated_at = now() where user_id = :u")
                .bind("u", userId).bind("b", bytes).execute();
    }

    /**
     * Ends an in-flight file without storing it ({@code rejected}, {@code expired}, {@code cancelled},
     * {@code quarantined}): records the reason, removes the upload session and releases the reservation,
     * all in one transaction, at most once.
     *
     * @return the file as it was, when this call ended it
     */
    public Optional<FileRecord> end(UUID id, FileStatus to, String reasonCode, String reason) {
        return jdbi.inTransaction(h -> {
            Optional<FileRecord> f = h.createQuery("select * from files where id = :id for update").bind("id", id).map(MAPPER).findOne();
            if (f.isEmpty() || !FileStatus.IN_FLIGHT.contains(f.get().status())) return Optional.empty();
            h.createUpdate("update files set status = :s, reason_code = :rc, reason = :r, updated_at = now() where id = :id")
                    .bind("s", to.id()).bind("rc", reasonCode).bind("r", reason).bind("id", id).execute();
            h.createUpdate("delete from upload_sessions where file_id = :id").bind("id", id).execute();
            release(h, f.get().ownerId(), f.get().declaredSize());
            return f;
        });
    }
}

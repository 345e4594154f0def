package dev.stowage.files;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import java.util.function.BiFunction;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The PostgreSQL implementation of the {@link FileRepository} seam (Jdbi): the only SQL on {@code files},
 * {@code accounts}, {@code upload_sessions} (with {@code upload_part_checksums}) and {@code variants}. A move is made under the file's row lock
 * ({@code SELECT … FOR UPDATE}, then the conditional update), so it happens at most once however many
 * callers race for it, and its quota effect commits with it.
 */
public final class JdbiFileRepository implements FileRepository {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JdbiFileRepository.class);
    private final Jdbi jdbi;
    /** The transaction of this view, {@code null} for the repository itself. */
    private final Handle tx;

    /** @param jdbi the database */
    public JdbiFileRepository(Jdbi jdbi) {
        this(jdbi, null);
    }

    private JdbiFileRepository(Jdbi jdbi, Handle tx) {
        this.jdbi = jdbi;
        this.tx = tx;
    }

    /** The database handle factory (for features' own tables: journal, retention runs, costs, tests). */
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
                    rs.getString("variants_status"), rs.getString("variants_reason_code"), rs.getString("variants_reason"),
                    rs.getString("scan_limit"), rs.getString("scan_error"));
        }
    };

    private static final RowMapper<StoredVariant> VARIANT = (rs, ctx) -> new StoredVariant(rs.getObject(1, UUID.class), rs.getString(2),
            rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6), rs.getInt(7), rs.getLong(8), rs.getString(9),
            rs.getInt(10), rs.getInt(11), rs.getString(12));

    private static final RowMapper<UploadSession> SESSION = (rs, ctx) -> new UploadSession(rs.getObject("file_id", UUID.class),
            rs.getString("kind"), rs.getString("s3_upload_id"), (Long) rs.getObject("part_size"), (Integer) rs.getObject("part_count"),
            rs.getTimestamp("expires_at").toInstant(), rs.getTimestamp("created_at").toInstant());

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private <T> T with(HandleCallback<T, RuntimeException> work) {
        return tx != null ? work.withHandle(tx) : jdbi.withHandle(work);
    }

    private <T> T inTx(HandleCallback<T, RuntimeException> work) {
        return tx != null ? work.withHandle(tx) : jdbi.inTransaction(work);
    }

    /**
     * How long one whole-table read of a cost snapshot may run (30 minutes): it is a worker's once-per-snapshot
     * work, so the pool's {@code database.statement_timeout_seconds} and {@code socket_timeout_seconds}, sized
     * for requests, do not bound it (measured: at 10,000,000 files rows the default 15-second statement
     * timeout cancelled it).
     */
    static final java.time.Duration WHOLE_TABLE_TIMEOUT = java.time.Duration.ofMinutes(30);

    /**
     * {@code work} in a transaction whose statements may take {@link #WHOLE_TABLE_TIMEOUT}: a local
     * {@code statement_timeout}, and a socket read timeout a minute longer for as long as it runs (the driver
     * reads nothing while an aggregate works; the pool restores the connection's own on return, and so does this).
     */
    private <T> T wholeTable(HandleCallback<T, RuntimeException> work) {
        return inTx(h -> {
            java.sql.Connection c = h.getConnection();
            int socket;
            try {
                socket = c.getNetworkTimeout();
                c.setNetworkTimeout(Runnable::run, (int) WHOLE_TABLE_TIMEOUT.plusMinutes(1).toMillis());
            } catch (java.sql.SQLException e) {
                throw new org.jdbi.v3.core.ConnectionException(e);
            }
            try {
                h.execute("set local statement_timeout = " + WHOLE_TABLE_TIMEOUT.toMillis());
                return work.withHandle(h);
            } finally {
                try {
                    c.setNetworkTimeout(Runnable::run, socket);
                } catch (java.sql.SQLException e) {
                    log.warn("could not restore the socket timeout of a connection after a whole-table read: {}", e.getMessage());
                }
            }
        });
    }

    private JdbiFileRepository view(Handle h) {
        return tx != null ? this : new JdbiFileRepository(jdbi, h);
    }

    @Override
    public <T, X extends Exception> T inTransaction(Work<T, X> work) throws X {
        if (tx != null) return work.apply(this);
        return jdbi.inTransaction(h -> work.apply(new JdbiFileRepository(jdbi, h)));
    }

    /**
     * As {@link #inTransaction(FileRepository.Work)}, also handing out the transaction's handle, for a
     * feature's own tables written in the same transaction (the migration journal).
     */
    public <T> T inTransactionWithHandle(BiFunction<Handle, FileRepository, T> work) {
        if (tx != null) return work.apply(tx, this);
        return jdbi.inTransaction(h -> work.apply(h, new JdbiFileRepository(jdbi, h)));
    }

    @Override
    public void afterCommit(Runnable action) {
        if (tx == null || !tx.isInTransaction()) action.run();
        else tx.afterCommit(action);
    }

    // ---- accounts

    @Override
    public void ensureAccount(String userId, String plan, long quotaBytes) {
        with(h -> h.createUpdate("""
                insert into accounts (user_id, plan, quota_bytes) values (:u, :p, :q)
                on conflict (user_id) do update set plan = excluded.plan, quota_bytes = excluded.quota_bytes, updated_at = now()
                where accounts.plan is distinct from excluded.plan""")
                .bind("u", userId).bind("p", plan).bind("q", quotaBytes).execute());
    }

    @Override
    public void ensureFreeAccounts(Collection<String> userIds, long quotaBytes) {
        if (userIds.isEmpty()) return;
        with(h -> {
            var acc = h.prepareBatch("insert into accounts (user_id, plan, quota_bytes) values (:u, 'free', :q) on conflict (user_id) do nothing");
            for (String u : userIds) acc.bind("u", u).bind("q", quotaBytes).add();
            return acc.execute();
        });
    }

    @Override
    public Optional<Usage> usage(String userId) {
        return with(h -> h.createQuery(
                        "select user_id, plan, quota_bytes, used_bytes, reserved_bytes from accounts where user_id = :u")
                .bind("u", userId)
                .map((rs, ctx) -> new Usage(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)))
                .findOne());
    }

    @Override
    public Optional<String> planForShare(String userId) {
        return with(h -> h.createQuery("select plan from accounts where user_id = :u for share")
                .bind("u", userId).mapTo(String.class).findOne());
    }

    // ---- files: reads

    @Override
    public Optional<FileRecord> find(UUID id) {
        return with(h -> h.createQuery("select * from files where id = :id").bind("id", id).map(MAPPER).findOne());
    }

    @Override
    public Optional<FileRecord> lock(UUID id) {
        return with(h -> h.createQuery("select * from files where id = :id for update").bind("id", id).map(MAPPER).findOne());
    }

    @Override
    public List<FileRecord> findAll(Collection<UUID> ids) {
        if (ids.isEmpty()) return List.of();
        return with(h -> h.createQuery("select * from files where id = any(:ids)")
                .bind("ids", ids.toArray(UUID[]::new)).setFetchSize(1000).map(MAPPER).list());
    }

    @Override
    public Optional<FileRecord> findOwned(UUID id, String ownerId) {
        return with(h -> h.createQuery("select * from files where id = :id and owner_id = :o")
                .bind("id", id).bind("o", ownerId).map(MAPPER).findOne());
    }

    @Override
    public Optional<byte[]> originalNameBytes(UUID id) {
        return with(h -> h.createQuery("select original_name_bytes from files where id = :id and original_name_bytes is not null")
                .bind("id", id).mapTo(byte[].class).findOne());
    }

    @Override
    public Optional<FileRecord> findByKey(String bucket, String key) {
        return with(h -> h.createQuery("select * from files where bucket = :b and object_key = :k")
                .bind("b", bucket).bind("k", key).map(MAPPER).findOne());
    }

    @Override
    public List<FileRecord> page(String ownerId, Instant afterCreated, UUID afterId, int limit, boolean includeDeleted) {
        // two statements, not one with "(:after is null or (created_at, id) < …)": a server-prepared statement's
        // generic plan cannot make an optional condition an index condition, and would walk the owner's files
        // from the newest to the cursor on every page (docs/architecture.md §14)
        String deleted = includeDeleted ? "" : " and status <> 'deleted'";
        return with(h -> afterCreated == null
                ? h.createQuery("select * from files where owner_id = :o and status <> 'purged'" + deleted
                                + " order by created_at desc, id desc limit :lim")
                        .bind("o", ownerId).bind("lim", limit).map(MAPPER).list()
                : h.createQuery("select * from files where owner_id = :o and status <> 'purged'" + deleted
                                + " and (created_at, id) < (:ac, :ai) order by created_at desc, id desc limit :lim")
                        .bind("o", ownerId).bind("ac", Timestamp.from(afterCreated)).bind("ai", afterId).bind("lim", limit)
                        .map(MAPPER).list());
    }

    @Override
    public ScannedPage page(String ownerId, Instant afterCreated, UUID afterId, int limit, FileFilter filter, boolean includeDeleted,
                            int scanBudget) {
        // the scan reads at most scanBudget of the owner's rows in index order, whatever matches; every filter
        // (purged and deleted too) applies to that window only, so no filter can make a request walk further
        List<String> where = new ArrayList<>(List.of("status <> 'purged'"));
        if (filter.choosesStatuses()) where.add("status = any(:st)");
        else if (!includeDeleted) where.add("status <> 'deleted'");
        if (filter.nameContains() != null) where.add("lower(original_name) like lower(:q)");
        if (!filter.typePrefixes().isEmpty()) where.add("lower(coalesce(detected_type, declared_type)) like any(:ty)");
        String sql = "with scanned as materialized (select * from files where owner_id = :o"
                + (afterCreated == null ? "" : " and (created_at, id) < (:ac, :ai)")
                + " order by created_at desc, id desc limit :budget),"
                + " edge as (select created_at as edge_created, id as edge_id, (select count(*) from scanned) as edge_n"
                + " from scanned order by created_at, id limit 1)"
                + " select m.*, e.edge_created, e.edge_id, e.edge_n from edge e left join lateral (select * from scanned where "
                + String.join(" and ", where) + " order by created_at desc, id desc limit :lim) m on true"
                + " order by m.created_at desc, m.id desc";
        return with(h -> {
            var query = h.createQuery(sql).bind("o", ownerId).bind("budget", scanBudget).bind("lim", limit);
            if (afterCreated != null) query.bind("ac", Timestamp.from(afterCreated)).bind("ai", afterId);
            if (filter.choosesStatuses()) query.bind("st", filter.statuses().stream().map(FileStatus::id).sorted().toArray(String[]::new));
            if (filter.nameContains() != null) query.bind("q", filter.namePattern());
            if (!filter.typePrefixes().isEmpty()) query.bind("ty", filter.typePatterns().toArray(String[]::new));
            List<FileRecord> items = new ArrayList<>();
            Object[] edge = new Object[3];
            query.map((rs, ctx) -> {
                if (edge[0] == null) {
                    edge[0] = rs.getTimestamp("edge_created").toInstant();
                    edge[1] = rs.getObject("edge_id", UUID.class);
                    edge[2] = rs.getLong("edge_n");
                }
                if (rs.getObject("id") != null) items.add(MAPPER.map(rs, ctx));
                return Boolean.TRUE;
            }).list();
            boolean fullScan = edge[2] != null && (Long) edge[2] >= scanBudget;
            return new ScannedPage(items, fullScan ? (Instant) edge[0] : null, fullScan ? (UUID) edge[1] : null);
        });
    }

    @Override
    public Optional<String> deleteMarker(UUID id) {
        return with(h -> h.createQuery("select delete_marker_version_id from files where id = :id").bind("id", id)
                .mapTo(String.class).findOne());
    }

    @Override
    public List<UUID> stuck(Duration age, int limit) {
        return with(h -> h.createQuery("""
                        select id from files where status in ('uploaded', 'verifying', 'scanning')
                          and not (status = 'scanning' and scan_result is not distinct from 'limits_exceeded')
                          and updated_at < now() - cast(:age as interval) order by updated_at limit :n""")
                .bind("age", age.toSeconds() + " seconds").bind("n", limit).mapTo(UUID.class).list());
    }

    @Override
    public List<Aged> agedReady(Instant cutoff, Collection<String> premiumPlans, boolean premium, int limit) {
        // one statement per side, the plan test literal in each: "(plan = any(:p)) = :want" left the generic plan
        // of a server-prepared statement blind to the side, and it joined every old ready file
        String side = premium ? "a.plan = any(:premium)" : "a.plan <> all(:premium)";
        return with(h -> h.createQuery("""
                        select f.id, f.owner_id, a.plan, f.size_bytes from files f join accounts a on a.user_id = f.owner_id
                        where f.status = 'ready' and f.created_at < :c and\s""" + side + """

                        order by f.created_at limit :n""")
                .bind("c", Timestamp.from(cutoff)).bind("premium", premiumPlans.toArray(String[]::new))
                .bind("n", limit)
                .map((rs, ctx) -> new Aged(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), (Long) rs.getObject(4)))
                .list());
    }

    @Override
    public List<UUID> deletedBefore(Instant cutoff, int limit) {
        return with(h -> h.createQuery("""
                        select id from files where status = 'deleted' and deleted_at < :c order by deleted_at limit :n""")
                .bind("c", Timestamp.from(cutoff)).bind("n", limit).mapTo(UUID.class).list());
    }

    @Override
    public List<Created> readyOfTypes(Collection<String> types, String ownerId, Created after, int limit) {
        // the cursor and the owner as literal parts of the statement, not optional conditions (see page above)
        String sql = "select id, created_at from files where status = 'ready' and detected_type = any(:t)"
                + (ownerId == null ? "" : " and owner_id = :o")
                + (after == null ? "" : " and (created_at, id) < (:ac, :ai)")
                + " order by created_at desc, id desc limit :lim";
        return with(h -> {
            var q = h.createQuery(sql).bind("t", types.toArray(String[]::new)).bind("lim", limit);
            if (ownerId != null) q.bind("o", ownerId);
            if (after != null) q.bind("ac", Timestamp.from(after.createdAt())).bind("ai", after.id());
            return q.map((rs, c) -> new Created(rs.getObject(1, UUID.class), rs.getTimestamp(2).toInstant())).list();
        });
    }

    @Override
    public List<UUID> variantsPending(Collection<UUID> ids) {
        if (ids.isEmpty()) return List.of();
        return with(h -> h.createQuery("""
                        select id from files where id = any(:ids) and status = 'ready' and variants_status = 'pending'""")
                .bind("ids", ids.toArray(UUID[]::new)).mapTo(UUID.class).list());
    }

    @Override
    public List<String> objectKeys(String ownerId, String bucket) {
        return with(h -> h.createQuery("select object_key from files where owner_id = :u and bucket = :b")
                .bind("u", ownerId).bind("b", bucket).mapTo(String.class).list());
    }

    @Override
    public List<BucketBytes> storedBytes() {
        return wholeTable(h -> h.createQuery("""
                        select bucket, count(*), coalesce(sum(size_bytes), 0) from files
                        where status in ('uploaded', 'verifying', 'scanning', 'ready', 'quarantined', 'deleted') and size_bytes is not null
                        group by bucket
                        union all
                        select bucket, count(*), coalesce(sum(size_bytes), 0) from variants group by bucket""")
                .map((rs, c) -> new BucketBytes(rs.getString(1), rs.getLong(2), rs.getLong(3))).list());
    }

    @Override
    public long writesLast30Days() {
        return wholeTable(h -> h.createQuery("""
                        select (select count(*) from files where created_at > now() - interval '30 days')
                             + (select coalesce(sum(part_count), 0) from upload_sessions where created_at > now() - interval '30 days')
                             + (select count(*) from variants where created_at > now() - interval '30 days')""")
                .mapTo(Long.class).one());
    }

    @Override
    public List<OwnerBytes> topOwners(int limit) {
        return wholeTable(h -> h.createQuery("""
                        select f.owner_id, sum(f.size_bytes) + coalesce(sum(v.vb), 0), count(*)
                        from files f left join (select file_id, sum(size_bytes) vb from variants group by file_id) v on v.file_id = f.id
                        where f.status in ('ready', 'deleted') and f.size_bytes is not null
                        group by f.owner_id order by 2 desc, 1 limit :n""")
                .bind("n", limit).map((rs, c) -> new OwnerBytes(rs.getString(1), rs.getLong(2), rs.getLong(3))).list());
    }

    // ---- bookkeeping

    @Override
    public void recordContent(UUID id, String detectedType, String sha256, long sizeBytes) {
        with(h -> h.createUpdate("update files set detected_type = :t, sha256 = :s, size_bytes = :n, updated_at = now() where id = :id")
                .bind("t", detectedType).bind("s", sha256).bind("n", sizeBytes).bind("id", id).execute());
    }

    @Override
    public void recordScanResult(UUID id, String scanResult) {
        with(h -> h.createUpdate("update files set scan_result = :r where id = :id").bind("r", scanResult).bind("id", id).execute());
    }

    @Override
    public Duration recordScanFailed(UUID id, String error) {
        return with(h -> h.createQuery("""
                        update files set scan_result = 'error', scan_error = :e, scan_failing_since = coalesce(scan_failing_since, now()),
                          verify_attempts = verify_attempts + 1, updated_at = now()
                        where id = :id returning extract(epoch from now() - scan_failing_since) * 1000""")
                .bind("e", error).bind("id", id).mapTo(Double.class).findOne()
                .map(ms -> Duration.ofMillis(Math.round(ms))).orElse(Duration.ZERO));
    }

    @Override
    public void recordScanHeld(UUID id, String limit, String reasonCode, String reason) {
        with(h -> h.createUpdate("""
                        update files set scan_result = 'limits_exceeded', scan_limit = :l, reason_code = :rc, reason = :r, updated_at = now()
                        where id = :id and status = 'scanning'""")
                .bind("l", limit).bind("rc", reasonCode).bind("r", reason).bind("id", id).execute());
    }

    @Override
    public boolean releaseScanHold(UUID id) {
        return with(h -> h.createUpdate("""
                        update files set scan_result = null, scan_limit = null, scan_error = null, scan_failing_since = null,
                          reason_code = null, reason = null, updated_at = now()
                        where id = :id and status = 'scanning' and scan_result = 'limits_exceeded'""")
                .bind("id", id).execute()) == 1;
    }

    // ---- sessions

    @Override
    public Optional<UploadSession> session(UUID fileId) {
        return with(h -> h.createQuery("select * from upload_sessions where file_id = :id").bind("id", fileId).map(SESSION).findOne());
    }

    @Override
    public List<DueSession> dueSessions(Duration lostEventAge, int perUser, int limit) {
        // round-robin across users: every user's oldest, then every user's second, … (at most perUser each)
        return with(h -> h.createQuery("""
                        select * from (
                          select s.*, f.owner_id, row_number() over (partition by f.owner_id order by s.created_at, s.file_id) as turn
                          from upload_sessions s join files f on f.id = s.file_id
                          where f.status = 'pending' and s.kind = 'single' and s.expires_at >= now()
                            and s.created_at < now() - cast(:age as interval)
                        ) d where turn <= :k
                        order by turn, created_at, file_id limit :n""")
                .bind("age", lostEventAge.toSeconds() + " seconds").bind("k", perUser).bind("n", limit)
                .map((rs, ctx) -> new DueSession(SESSION.map(rs, ctx), rs.getString("owner_id")))
                .list());
    }

    @Override
    public List<Expired> expiredAfter(Instant afterExpiry, UUID afterFileId, int limit) {
        // the page of sessions first (an index range of upload_sessions_expiry_keyset, in order), then each one's file by
        // its key (offset 0 keeps the lateral lookup one): as a join, the planner read every pending file into a hash.
        // Two statements, not an optional keyset condition: that is no index condition in a generic plan
        String after = afterExpiry == null ? "" : " and (expires_at, file_id) > (:ae, :ai)";
        return with(h -> {
            var q = h.createQuery("""
                        with page as materialized (
                          select expires_at, file_id, kind from upload_sessions
                          where expires_at < now()""" + after + """

                          order by expires_at, file_id limit :n
                        )
                        select p.expires_at, p.file_id, f.owner_id, p.kind = 'multipart' as multipart
                        from page p cross join lateral (
                          select owner_id from files where id = p.file_id and status = 'pending' offset 0
                        ) f order by p.expires_at, p.file_id""").bind("n", limit);
            if (afterExpiry != null) q.bind("ae", Timestamp.from(afterExpiry)).bind("ai", afterFileId);
            return q.map((rs, ctx) -> new Expired(rs.getTimestamp(1).toInstant(), rs.getObject(2, UUID.class), rs.getString(3),
                    rs.getBoolean(4))).list();
        });
    }

    @Override
    public int openUploads(String ownerId) {
        return with(h -> h.createQuery("select open_uploads from accounts where user_id = :o")
                .bind("o", ownerId).mapTo(Integer.class).findOne().orElse(0));
    }

    @Override
    public Optional<Instant> earliestOpenExpiry(String ownerId) {
        return with(h -> h.createQuery("""
                        select min(s.expires_at) from files f join upload_sessions s on s.file_id = f.id
                        where f.owner_id = :o and f.status = 'pending'""")
                .bind("o", ownerId).map((rs, ctx) -> instant(rs.getTimestamp(1))).findOne());
    }

    // ---- part checksums

    @Override
    public boolean declarePartChecksums(UUID fileId, long partSize, java.util.Map<Integer, String> sha256) {
        return inTx(h -> {
            boolean pending = h.createQuery("select status = 'pending' from files where id = :id for share").bind("id", fileId)
                    .mapTo(Boolean.class).findOne().orElse(false);
            if (!pending) return false;
            var batch = h.prepareBatch("""
                    insert into upload_part_checksums (file_id, part_number, part_size, sha256) values (:f, :n, :ps, :sha)
                    on conflict (file_id, part_number) do update set part_size = excluded.part_size, sha256 = excluded.sha256,
                      declared_at = now()""");
            for (var e : new java.util.TreeMap<>(sha256).entrySet()) {
                batch.bind("f", fileId).bind("n", e.getKey()).bind("ps", partSize).bind("sha", e.getValue()).add();
            }
            batch.execute();
            return true;
        });
    }

    @Override
    public Optional<PartChecksums> partChecksums(UUID fileId) {
        record Row(int part, long partSize, String sha256) {}
        List<Row> rows = with(h -> h.createQuery("select part_number, part_size, sha256 from upload_part_checksums where file_id = :f order by part_number")
                .bind("f", fileId).map((rs, ctx) -> new Row(rs.getInt(1), rs.getLong(2), rs.getString(3))).list());
        if (rows.isEmpty()) return Optional.empty();
        var byPart = new java.util.TreeMap<Integer, String>();
        for (Row r : rows) byPart.put(r.part(), r.sha256());
        return Optional.of(new PartChecksums(rows.getLast().partSize(), byPart));
    }

    // ---- variants

    @Override
    public java.util.Map<UUID, List<StoredVariant>> variantsOf(java.util.Collection<UUID> fileIds) {
        if (fileIds.isEmpty()) return java.util.Map.of();
        List<StoredVariant> all = with(h -> h.createQuery("select file_id, name, bucket, object_key, content_type, width, height, size_bytes, recipe_digest, frames, source_frames, still_reason from variants where file_id = any(:ids) order by file_id, name")
                .bind("ids", fileIds.toArray(new UUID[0])).map(VARIANT).list());
        java.util.Map<UUID, List<StoredVariant>> byFile = new java.util.HashMap<>();
        for (StoredVariant v : all) byFile.computeIfAbsent(v.fileId(), k -> new java.util.ArrayList<>()).add(v);
        return byFile;
    }

    @Override
    public List<StoredVariant> variants(UUID fileId) {
        return with(h -> h.createQuery("select file_id, name, bucket, object_key, content_type, width, height, size_bytes, recipe_digest, frames, source_frames, still_reason from variants where file_id = :id order by name")
                .bind("id", fileId).map(VARIANT).list());
    }

    /** Transaction-scoped advisory lock on (file, variant): 64 bits from the UUID mixed with the name. */
    @Override
    public void lockVariant(UUID fileId, String name) {
        long key = fileId.getMostSignificantBits() ^ (fileId.getLeastSignificantBits() * 31) ^ name.hashCode();
        with(h -> h.execute("select pg_advisory_xact_lock(?)", key));
    }

    @Override
    public void saveVariant(StoredVariant v) {
        with(h -> h.createUpdate("""
                    insert into variants (file_id, name, bucket, object_key, content_type, width, height, size_bytes, recipe_digest,
                                          frames, source_frames, still_reason)
                    values (:f, :n, :b, :k, :t, :w, :h, :s, :d, :fr, :sf, :sr)
                    on conflict (file_id, name) do update set bucket = excluded.bucket, object_key = excluded.object_key,
                      content_type = excluded.content_type, width = excluded.width, height = excluded.height,
                      size_bytes = excluded.size_bytes, recipe_digest = excluded.recipe_digest, created_at = now(),
                      frames = excluded.frames, source_frames = excluded.source_frames, still_reason = excluded.still_reason""")
                .bind("f", v.fileId()).bind("n", v.name()).bind("b", v.bucket()).bind("k", v.key()).bind("t", v.contentType())
                .bind("w", v.width()).bind("h", v.height()).bind("s", v.sizeBytes()).bind("d", v.digest())
                .bind("fr", v.frames()).bind("sf", v.sourceFrames()).bind("sr", v.stillReason()).execute());
    }

    @Override
    public void markVariantsPending(UUID fileId) {
        with(h -> h.execute("update files set variants_status = 'pending' where id = ? and variants_status = 'none'", fileId));
    }

    @Override
    public void markVariantsReady(UUID fileId) {
        with(h -> h.execute("update files set variants_status = 'ready', variants_reason_code = null, variants_reason = null where id = ?", fileId));
    }

    @Override
    public void markVariantsFailed(UUID fileId, String code, String reason) {
        with(h -> h.execute("update files set variants_status = 'failed', variants_reason_code = ?, variants_reason = ? where id = ?",
                code, reason, fileId));
    }

    // ---- state changes

    @Override
    public void createPending(FileTransitions.Transition t, NewUpload u, UploadSession s, int maxOpenUploads) {
        FileTransitions.checked(t);
        if (t.from() != null || t.to() != FileStatus.PENDING) throw new FileTransitions.IllegalTransitionException(t.from(), t.to());
        long bytes = FileTransitions.reservedDelta(t, u.declaredSize());
        inTx(h -> {
            // an account that exists on the token's plan is checked and reserved in one statement; a new account,
            // another plan or a refusal takes the long way (creates the account or makes it follow the plan,
            // then tells which limit refused). The row stays locked to the commit, so the user's initiations
            // pass the limits one at a time.
            boolean reserved = h.createUpdate(RESERVE + " and plan = :p").bind("u", u.ownerId()).bind("b", bytes)
                    .bind("max", maxOpenUploads).bind("p", u.plan()).execute() == 1;
            if (!reserved) {
                view(h).ensureAccount(u.ownerId(), u.plan(), u.quotaBytes());
                if (h.createUpdate(RESERVE).bind("u", u.ownerId()).bind("b", bytes).bind("max", maxOpenUploads).execute() != 1) {
                    record Room(long available, int open) {}
                    Room room = h.createQuery("select quota_bytes - used_bytes - reserved_bytes, open_uploads from accounts where user_id = :u")
                            .bind("u", u.ownerId()).map((rs, ctx) -> new Room(rs.getLong(1), rs.getInt(2))).one();
                    if (room.open() >= maxOpenUploads) throw new TooManyOpen(room.open());
                    throw new QuotaExceeded(Math.max(0, room.available()));
                }
            }
            h.createUpdate("""
                    with f as (
                      insert into files (id, owner_id, original_name, original_name_bytes, safe_name, declared_type, declared_size, declared_sha256, bucket, object_key, status)
                      values (:id, :o, :n, :nb, :s, :t, :size, :sha, :b, :k, 'pending') returning id)
                    insert into upload_sessions (file_id, kind, s3_upload_id, part_size, part_count, expires_at)
                    select id, :kind, :u, :ps, :pc, :e from f""")
                    .bind("id", u.id()).bind("o", u.ownerId()).bind("n", u.originalName()).bind("nb", u.originalNameBytes()).bind("s", u.safeName())
                    .bind("t", u.declaredType()).bind("size", u.declaredSize()).bind("sha", u.declaredSha256())
                    .bind("b", u.bucket()).bind("k", u.objectKey())
                    .bind("kind", s.kind()).bind("u", s.uploadId())
                    .bind("ps", s.partSize()).bind("pc", s.partCount()).bind("e", Timestamp.from(s.expiresAt())).execute();
            return null;
        });
    }

    /** Reserves :b bytes of user :u's quota and opens an upload, when both have room (:max open at most); locks the account row. */
    private static final String RESERVE = """
            update accounts set reserved_bytes = reserved_bytes + :b, open_uploads = open_uploads + 1, updated_at = now()
            where user_id = :u and open_uploads < :max and used_bytes + reserved_bytes + :b <= quota_bytes""";

    @Override
    public Optional<FileRecord> move(UUID id, Collection<FileTransitions.Transition> moves, FileChanges c) {
        FileStatus target = FileTransitions.target(moves);
        return inTx(h -> {
            FileRecord f = h.createQuery("select * from files where id = :id for update").bind("id", id).map(MAPPER).findOne().orElse(null);
            if (f == null) return Optional.empty();
            var t = moves.stream().filter(m -> m.from() == f.status()).findFirst().orElse(null);
            if (t == null) return Optional.empty();
            long size = f.sizeBytes() == null ? 0 : f.sizeBytes();
            long reserved = FileTransitions.reservedDelta(t, f.declaredSize());
            long used = FileTransitions.usedDelta(t, size, size);
            int open = FileTransitions.openDelta(t);
            if (reserved != 0 || used != 0 || open != 0) {
                int n = h.createUpdate("""
                        update accounts set reserved_bytes = reserved_bytes + :r, used_bytes = greatest(used_bytes + :d, 0),
                          open_uploads = greatest(open_uploads + :o, 0), updated_at = now()
                        where user_id = :u and (not :check or used_bytes + reserved_bytes + :d + :r <= quota_bytes)""")
                        .bind("r", reserved).bind("d", used).bind("o", open).bind("u", f.ownerId()).bind("check", t.quotaChecked()).execute();
                if (n != 1 && t.quotaChecked()) {
                    long available = view(h).usage(f.ownerId()).map(Usage::availableBytes).orElse(0L);
                    throw new QuotaExceeded(available);
                }
            }
            h.createUpdate("""
                    update files set status = :to, updated_at = now(),
                      reason_code = case when :clear then null else coalesce(:rc, reason_code) end,
                      reason = case when :clear then null else coalesce(:r, reason) end,
                      scan_result = case when :clear then :sr else coalesce(:sr, scan_result) end,
                      scan_signature = case when :clear then null else coalesce(:sig, scan_signature) end,
                      scan_limit = case when :clear then null else coalesce(:sl, scan_limit) end,
                      scan_error = case when :clear then null else scan_error end,
                      scan_failing_since = case when :clear then null else scan_failing_since end,
                      object_key = coalesce(:k, object_key),
                      uploaded_at = case when :up then now() else uploaded_at end,
                      ready_at = case when :rd then now() else ready_at end,
                      deleted_at = case when :by is not null then now() when :undel then null else deleted_at end,
                      deleted_by = case when :by is not null then :by when :undel then null else deleted_by end,
                      delete_marker_version_id = case when :by is not null then :m when :undel or :purge then null else delete_marker_version_id end,
                      purged_at = case when :purge then now() else purged_at end
                    where id = :id and status = :from""")
                    .bind("to", target.id()).bind("from", f.status().id()).bind("id", id)
                    .bind("rc", c.reasonCode()).bind("r", c.reason()).bind("sr", c.scanResult()).bind("sig", c.scanSignature())
                    .bind("k", c.objectKey()).bind("up", c.stampUploaded()).bind("rd", c.stampReady())
                    .bind("by", c.deletedBy()).bind("m", c.deleteMarker()).bind("undel", c.undelete()).bind("purge", c.purge())
                    .bind("sl", c.scanLimit()).bind("clear", c.clearScan())
                    .execute();
            if (c.stampUploaded() || c.endSession()) h.createUpdate("delete from upload_sessions where file_id = :id").bind("id", id).execute();
            if (!FileStatus.IN_FLIGHT.contains(target)) h.createUpdate("delete from upload_part_checksums where file_id = :id").bind("id", id).execute();
            if (c.purge()) h.createUpdate("delete from variants where file_id = :id").bind("id", id).execute();
            return Optional.of(f);
        });
    }

    @Override
    public List<Ended> endExpired(FileTransitions.Transition t, FileChanges c, String ownerId, boolean multipart,
                                 Collection<UUID> keep, UUID upTo, int limit) {
        FileTransitions.checked(t);
        if (t.from() != FileStatus.PENDING || t.used() != FileTransitions.Used.NONE || t.quotaChecked()) {
            throw new FileTransitions.IllegalTransitionException(t.from(), t.to());
        }
        long sign = FileTransitions.reservedDelta(t, 1);
        // one owner per statement: the transaction locks one account row, as every single move does
        // the bound is in the text only when there is one: an optional condition is no index condition in a generic plan
        String upToBound = upTo == null ? "" : " and f.id <= :upTo";
        return inTx(h -> {
            var q = h.createQuery("""
                        with due as (
                          select f.id from files f join upload_sessions s on s.file_id = f.id
                          where f.owner_id = :o and f.status = 'pending' and s.expires_at < now() and s.kind = :kind
                            and f.id <> all(:keep)""" + upToBound + """

                          order by f.id limit :n
                          for update of f skip locked
                        ), moved as (
                          update files f set status = :to, updated_at = now(),
                            reason_code = coalesce(:rc, f.reason_code), reason = coalesce(:r, f.reason)
                          from due where f.id = due.id and f.status = 'pending'
                          returning f.id, f.declared_size, f.object_key
                        ), released as (
                          update accounts set reserved_bytes = reserved_bytes + :sign * (select sum(declared_size) from moved),
                            open_uploads = greatest(open_uploads - (select count(*) from moved), 0), updated_at = now()
                          where user_id = :o and exists (select 1 from moved)
                        ), sessions as (
                          delete from upload_sessions s using moved where s.file_id = moved.id returning s.file_id, s.s3_upload_id
                        ), checksums as (
                          delete from upload_part_checksums p using moved where p.file_id = moved.id
                        )
                        select moved.id, moved.object_key, sessions.s3_upload_id
                        from moved left join sessions on sessions.file_id = moved.id order by moved.id""")
                .bind("o", ownerId).bind("kind", multipart ? "multipart" : "single").bind("keep", keep.toArray(UUID[]::new))
                .bind("n", limit).bind("to", t.to().id()).bind("rc", c.reasonCode()).bind("r", c.reason())
                .bind("sign", sign);
            if (upTo != null) q.bind("upTo", upTo);
            return q.map((rs, ctx) -> new Ended(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3))).list();
        });
    }

    @Override
    public boolean[] insertMigrated(List<Migrated> rows) {
        for (Migrated m : rows) FileTransitions.of(null, m.status());
        return with(h -> {
            var ins = h.prepareBatch("""
                        insert into files (id, owner_id, original_name, original_name_bytes, safe_name, declared_type, detected_type,
                            declared_size, size_bytes, sha256, bucket, object_key, status, scan_result, scan_signature, reason_code, reason,
                            source, created_at, updated_at, uploaded_at, ready_at, variants_status)
                        values (:id, :o, :n, :nb, :safe, :t, :t, :size, :size, :sha, :b, :k, :st, :sr, :sig, :rc, :r,
                            'migration', :created, now(), now(), case when :st = 'ready' then now() end, :vs)
                        on conflict (id) do nothing""");
            for (Migrated m : rows) {
                boolean quarantined = m.status() == FileStatus.QUARANTINED;
                ins.bind("id", m.id()).bind("o", m.ownerId()).bind("n", m.originalName()).bind("nb", m.originalNameBytes())
                        .bind("safe", m.safeName()).bind("t", m.detectedType()).bind("size", m.sizeBytes())
                        .bind("sha", m.sha256()).bind("b", m.bucket()).bind("k", m.objectKey())
                        .bind("st", m.status().id()).bind("sr", m.scanResult()).bind("sig", m.scanSignature())
                        .bind("rc", quarantined ? "malware" : null).bind("r", quarantined ? "malware found: " + m.scanSignature() : null)
                        .bind("created", Timestamp.from(m.createdAt())).bind("vs", m.variantsWanted() ? "pending" : "none")
                        .add();
            }
            int[] n = ins.execute();
            boolean[] out = new boolean[n.length];
            for (int i = 0; i < n.length; i++) out[i] = n[i] != 0;
            return out;
        });
    }

    @Override
    public void replaceMigrated(FileTransitions.Transition t, Migrated m) {
        FileTransitions.checked(t);
        if (t.from() == null || t.to() != m.status()) throw new FileTransitions.IllegalTransitionException(t.from(), m.status());
        with(h -> h.createUpdate("""
                        update files set detected_type = :t, declared_type = :t, declared_size = :size, size_bytes = :size, sha256 = :sha,
                            object_key = :k, status = :st, scan_result = :sr, scan_signature = :sig, updated_at = now(),
                            variants_status = case when :vs = 'pending' and variants_status <> 'pending' then 'pending' else variants_status end
                        where id = :id and status = :from""")
                .bind("id", m.id()).bind("t", m.detectedType()).bind("size", m.sizeBytes()).bind("sha", m.sha256())
                .bind("k", m.objectKey()).bind("st", m.status().id()).bind("sr", m.scanResult()).bind("sig", m.scanSignature())
                .bind("vs", m.variantsWanted() ? "pending" : "none").bind("from", t.from().id()).execute());
    }

    @Override
    public void addUsed(SortedMap<String, Long> deltas) {
        with(h -> {
            for (var e : deltas.entrySet()) {
                if (e.getValue() == 0) continue;
                h.createUpdate("update accounts set used_bytes = used_bytes + :d, updated_at = now() where user_id = :u")
                        .bind("d", e.getValue()).bind("u", e.getKey()).execute();
            }
            return null;
        });
    }
}

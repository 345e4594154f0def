package dev.stowage.migration;

import dev.stowage.storage.FilenameSanitizer;
import dev.stowage.storage.InvalidFilenameException;
import dev.stowage.storage.ObjectKeys;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The migration journal in PostgreSQL ({@code migration_runs}, {@code migration_items}): every entry of
 * the tree is recorded by the walk, regular files are claimed in batches with {@code FOR UPDATE SKIP
 * LOCKED} by any number of processes, and a file's end is recorded in the same transaction as its
 * {@code files} row ({@link MigrationService}).
 *
 * <p>Claims are rows with a lease, and nothing of it lives in a database session (so it works behind a
 * transaction pooler such as PgBouncer): each process takes an id from {@code migration_worker_seq}; a
 * claimed item records it ({@code worker}) and the end of its lease ({@code lease_until}), which a
 * thread of the process renews every third of the lease while it runs. An item in {@code copying}
 * whose lease has passed belongs to a process that is gone ({@code kill -9}, a lost machine) and is
 * claimed again by any run; a process that ends normally releases what it still holds at once. Only the
 * database's clock is read.
 */
public final class MigrationJournal implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MigrationJournal.class);

    private final Jdbi jdbi;
    private final dev.stowage.files.FileRepository files;
    private final java.time.Duration lease;
    private java.util.concurrent.ScheduledExecutorService renewer;
    private boolean registered;
    private volatile int worker;

    /**
     * With the default claim lease (30 s).
     *
     * @param jdbi  the database (the journal's tables)
     * @param files the files the journal's items became
     */
    public MigrationJournal(Jdbi jdbi, dev.stowage.files.FileRepository files) {
        this(jdbi, files, java.time.Duration.ofSeconds(dev.stowage.config.StowageConfig.Migration.DEFAULT.claimLeaseSeconds()));
    }

    /**
     * @param jdbi  the database (the journal's tables)
     * @param files the files the journal's items became
     * @param lease how long a claim lasts unless renewed (at least 3 seconds; renewed every third of it)
     * @throws IllegalArgumentException when the lease is shorter than 3 seconds
     */
    public MigrationJournal(Jdbi jdbi, dev.stowage.files.FileRepository files, java.time.Duration lease) {
        if (lease.toMillis() < 3000) throw new IllegalArgumentException("a claim lease must be at least 3 seconds, got " + lease);
        this.jdbi = jdbi;
        this.files = files;
        this.lease = lease;
    }

    /** How long a claim lasts unless renewed. */
    public java.time.Duration lease() {
        return lease;
    }

    /** The database. */
    Jdbi jdbi() {
        return jdbi;
    }

    /** The files the journal's items became. */
    dev.stowage.files.FileRepository files() {
        return files;
    }

    /**
     * A run.
     *
     * @param id        the run id
     * @param source    the tree's absolute path, as text
     * @param sourceUri the same as a file: URI holding its raw bytes
     * @param createdAt when the run began
     * @param walkedAt  end of its last complete walk, or {@code null}
     */
    public record Run(UUID id, String source, String sourceUri, Instant createdAt, Instant walkedAt) {
        /** The tree's root. */
        public Path root() {
            return LegacyPath.fromUri(sourceUri);
        }
    }

    private static Run run(java.sql.ResultSet rs) throws java.sql.SQLException {
        Timestamp w = rs.getTimestamp("walked_at");
        return new Run(rs.getObject("id", UUID.class), rs.getString("source"), rs.getString("source_uri"),
                rs.getTimestamp("created_at").toInstant(), w == null ? null : w.toInstant());
    }

    /** The run of a tree, created when there is none yet (one run per tree: running again resumes it). */
    public Run runFor(Path root) {
        String uri = LegacyPath.uri(root);
        return jdbi.inTransaction(h -> {
            h.createUpdate("insert into migration_runs (id, source, source_uri) values (:id, :s, :u) on conflict (source_uri) do nothing")
                    .bind("id", ObjectKeys.newFileId()).bind("s", root.toString()).bind("u", uri).execute();
            return h.createQuery("select * from migration_runs where source_uri = :u").bind("u", uri).map((rs, c) -> run(rs)).one();
        });
    }

    /** The run of a tree, if it has one. */
    public Optional<Run> findRun(Path root) {
        String uri = LegacyPath.uri(root);
        return jdbi.withHandle(h -> h.createQuery("select * from migration_runs where source_uri = :u").bind("u", uri).map((rs, c) -> run(rs)).findOne());
    }

    /** A run by id. */
    public Optional<Run> findRun(UUID id) {
        return jdbi.withHandle(h -> h.createQuery("select * from migration_runs where id = :id").bind("id", id).map((rs, c) -> run(rs)).findOne());
    }

    /** Every run, newest first. */
    public List<Run> runs() {
        return jdbi.withHandle(h -> h.createQuery("select * from migration_runs order by created_at desc").map((rs, c) -> run(rs)).list());
    }

    /**
     * Registers this process: takes a worker id and starts renewing the leases of its claims (every
     * third of the lease) until {@link #close()}.
     *
     * @return the worker id
     */
    public synchronized int register() {
        if (registered) return worker;
        worker = jdbi.withHandle(h -> h.createQuery("select nextval('migration_worker_seq')::int").mapTo(Integer.class).one());
        registered = true;
        renewer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("migrate-lease").unstarted(r));
        long every = Math.max(500, lease.toMillis() / 3);
        renewer.scheduleWithFixedDelay(this::renewQuietly, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        return worker;
    }

    /**
     * Extends the lease of every file this process has claimed and not ended, to a full lease from now.
     *
     * @return the files renewed
     */
    public int renew() {
        int me = worker;
        return jdbi.withHandle(h -> h.createUpdate("""
                        update migration_items set lease_until = now() + make_interval(secs => :s)
                        where worker = :me and state = 'copying'""")
                .bind("s", lease.toMillis() / 1000.0).bind("me", me).execute());
    }

    private void renewQuietly() {
        try {
            renew();
        } catch (RuntimeException e) {
            // tried again at the next beat; a claim whose lease passes meanwhile may be taken over, and
            // then this process's finish of it is refused (worker = :me)
            log.warn("renewing the leases of this process's claims failed: {}", e.toString());
        }
    }

    /**
     * Files of a run claimed by other processes and not ended yet, whatever their lease: a run waits for
     * them (they are ended by their process, or claimed by this one once their lease passes).
     *
     * @param users only these users' files, or {@code null}
     * @return the count, and the seconds until the first of their leases passes ({@code 0} when one has)
     */
    public long[] heldByOthers(UUID runId, Set<String> users) {
        int me = worker;
        return jdbi.withHandle(h -> h.createQuery("""
                        select count(*), coalesce(ceil(greatest(0, extract(epoch from (min(lease_until) - now())))), 0)::bigint
                        from migration_items i
                        where i.run_id = :r and i.state = 'copying' and i.worker is distinct from :me
                          and (cast(:users as text[]) is null or i.user_id = any(cast(:users as text[])))""")
                .bind("r", runId).bind("me", me).bind("users", users == null ? null : users.toArray(String[]::new))
                .map((rs, c) -> new long[] {rs.getLong(1), rs.getLong(2)}).one());
    }

    /** Failed files of a run are tried again by the next {@code run}. */
    public int retryFailed(UUID runId) {
        return jdbi.withHandle(h -> h.createUpdate("""
                update migration_items set state = 'pending', outcome = null, error = null, updated_at = now(),
                    claim_seq = nextval('migration_claim_seq')
                where run_id = :r and state = 'failed' and kind = 'file'""").bind("r", runId).execute());
    }

    /**
     * Records what a walk found. New entries are inserted with a fresh file id and object key; a file
     * already done is journalled again only when its size or modification time changed, or it is marked
     * {@code recopy} ({@link #markRecopy}) (it is copied again into the same file id); a skipped entry is updated when its outcome changed. Entries being
     * copied are left alone.
     *
     * @return the sizes of the files added to the run's work (new, or changed since they were copied)
     */
    public List<Long> record(UUID runId, List<Entry> entries) {
        if (entries.isEmpty()) return List.of();
        int n = entries.size();
        byte[][] paths = new byte[n][];
        String[] display = new String[n], kind = new String[n], user = new String[n], state = new String[n], outcome = new String[n],
                note = new String[n], key = new String[n];
        Long[] size = new Long[n], mtime = new Long[n];
        UUID[] fileId = new UUID[n];
        for (int i = 0; i < n; i++) {
            Entry e = entries.get(i);
            paths[i] = e.path();
            display[i] = e.display();
            kind[i] = e.kind();
            user[i] = e.userId();
            size[i] = e.size();
            mtime[i] = e.mtimeNs();
            state[i] = e.state();
            outcome[i] = e.outcome();
            note[i] = e.note();
            if (e.isFile()) {
                fileId[i] = ObjectKeys.newFileId();
                key[i] = ObjectKeys.migratedKey(e.userId(), fileId[i].toString(), e.folders(), safeName(e.name()));
            }
        }
        // one statement for the whole batch (arrays unnested into rows), not one execution per entry
        return jdbi.withHandle(h -> {
            var c = h.getConnection();
            return h.createQuery("""
                    insert into migration_items (run_id, path, display_path, kind, user_id, size_bytes, mtime_ns, state, outcome, note, file_id, object_key)
                    select :r, t.* from unnest(:p, :d, :k, :u, :s, :m, :st, :o, :n, :f, :key) as t
                    on conflict (run_id, path) do update set
                        display_path = excluded.display_path, kind = excluded.kind, user_id = excluded.user_id,
                        size_bytes = excluded.size_bytes, mtime_ns = excluded.mtime_ns, state = excluded.state,
                        outcome = excluded.outcome, note = excluded.note, error = null,
                        file_id = coalesce(migration_items.file_id, excluded.file_id),
                        object_key = coalesce(migration_items.object_key, excluded.object_key), updated_at = now(),
                        claim_seq = nextval('migration_claim_seq')
                    where migration_items.state not in ('pending', 'copying') and (
                        migration_items.kind <> excluded.kind
                        or (excluded.state = 'pending' and (migration_items.state = 'skipped' or migration_items.recopy
                            or migration_items.size_bytes is distinct from excluded.size_bytes
                            or migration_items.mtime_ns is distinct from excluded.mtime_ns))
                        or (excluded.state <> 'pending' and migration_items.outcome is distinct from excluded.outcome))
                    returning state, size_bytes""")
                    .bind("r", runId)
                    .bindBySqlType("p", array(c, "bytea", paths), Types.ARRAY)
                    .bindBySqlType("d", array(c, "text", display), Types.ARRAY)
                    .bindBySqlType("k", array(c, "text", kind), Types.ARRAY)
                    .bindBySqlType("u", array(c, "text", user), Types.ARRAY)
                    .bindBySqlType("s", array(c, "bigint", size), Types.ARRAY)
                    .bindBySqlType("m", array(c, "bigint", mtime), Types.ARRAY)
                    .bindBySqlType("st", array(c, "text", state), Types.ARRAY)
                    .bindBySqlType("o", array(c, "text", outcome), Types.ARRAY)
                    .bindBySqlType("n", array(c, "text", note), Types.ARRAY)
                    .bindBySqlType("f", array(c, "uuid", fileId), Types.ARRAY)
                    .bindBySqlType("key", array(c, "text", key), Types.ARRAY)
                    // the files this walk added to the run's work (new, or changed since they were copied)
                    .map((rs, ctx) -> "pending".equals(rs.getString(1)) ? rs.getLong(2) : -1L).list()
                    .stream().filter(x -> x >= 0).toList();
        });
    }

    /** A PostgreSQL array of {@code type} for binding. */
    private static java.sql.Array array(java.sql.Connection c, String type, Object[] values) {
        try {
            return c.createArrayOf(type, values);
        } catch (java.sql.SQLException e) {
            throw new org.jdbi.v3.core.statement.UnableToCreateStatementException(e);
        }
    }

    /** The key-safe form of a name; a name with nothing usable left becomes {@code file}. */
    /**
     * The name a migrated file is stored and shown under ({@link FilenameSanitizer#displayName}: NFC,
     * no control characters), or {@code file} when nothing is left of it.
     */
    static String displayName(String name) {
        try {
            return FilenameSanitizer.displayName(name);
        } catch (InvalidFilenameException e) {
            return "file";
        }
    }

    static String safeName(String name) {
        try {
            return FilenameSanitizer.sanitize(name);
        } catch (InvalidFilenameException e) {
            return "file";
        }
    }

    /** Marks a complete walk. */
    public void walked(UUID runId) {
        jdbi.useHandle(h -> h.execute("update migration_runs set walked_at = now(), updated_at = now() where id = ?", runId));
    }

    /** {@link #claim(UUID, int, Set, long)} from the start of the run's queue. */
    public List<Item> claim(UUID runId, int n, Set<String> users) {
        return claim(runId, n, users, 0);
    }

    /**
     * Claims up to {@code n} files of a run for this process, each with a full lease, in queue order
     * ({@code claim_seq}) after {@code after}: pending ones, and ones left in {@code copying} by a process
     * whose lease has passed (it is gone). A process passes the last {@link Item#seq()} it got as
     * {@code after}, so each claim reads only entries it has not passed yet (entries queued meanwhile get
     * a higher number); from {@code 0} it sweeps the whole queue (entries taken back from a process
     * that is gone).
     *
     * <p>The entries are found through {@code migration_items_queue} (open entries only, in queue order,
     * stopping after {@code n}) and claimed by primary key, whatever the table's statistics say
     * ({@code MigrationJournalPlansIT}).
     *
     * @param users only these users' files, or {@code null}
     * @param after queue position to claim after ({@code 0}: from the start)
     */
    public List<Item> claim(UUID runId, int n, Set<String> users, long after) {
        int me = register();
        return jdbi.inTransaction(h -> h.createQuery(CLAIM)
                .bind("r", runId).bind("users", users == null ? null : users.toArray(String[]::new))
                .bind("me", me).bind("lease", lease.toMillis() / 1000.0).bind("n", n).bind("after", after)
                .map((rs, c) -> new Item(rs.getObject(1, UUID.class), rs.getBytes(2), rs.getString(3), rs.getString(4),
                        rs.getLong(5), rs.getLong(6), rs.getInt(7), rs.getObject(8, UUID.class), rs.getString(9), rs.getString(10), rs.getString(11),
                        rs.getBoolean(12), rs.getLong(13)))
                .list()
                .stream().sorted(java.util.Comparator.comparingLong(Item::seq)).toList());
    }

    /** The claim (package-visible for the plan test). */
    static final String CLAIM = """
            update migration_items i set state = 'copying', worker = :me, claimed_at = now(),
                lease_until = now() + make_interval(secs => :lease), attempts = i.attempts + 1, updated_at = now()
            where i.run_id = :r and i.path = any(array(
                select c.path from migration_items c
                where c.run_id = :r and c.claim_seq > :after
                  and (cast(:users as text[]) is null or c.user_id = any(cast(:users as text[])))
                  and (c.state = 'pending' or (c.state = 'copying' and c.worker is distinct from :me
                        and (c.lease_until is null or c.lease_until < now())))
                order by c.claim_seq
                limit :n for update skip locked))
            returning i.run_id, i.path, i.display_path, i.user_id, i.size_bytes, i.mtime_ns, i.attempts, i.file_id, i.object_key, i.upload_id, i.note,
                i.sha256 is not null, i.claim_seq""";

    /**
     * Updates of items this process holds, by primary key: {@code v} is the batch unnested into rows
     * ({@code path}, {@code held} = {@code 'copying'}, then the statement's own columns). The state is
     * compared with {@code v.held}, a value of the batch rather than a constant, so that no partial index
     * over open entries can serve the statement, and the rows are named to the primary key as one array
     * ({@code path = any(:p)}): the plan is the primary key's without fresh statistics.
     */
    private static String heldUpdate(String set, String columns) {
        return "update migration_items i set " + set + "\n"
                + "from unnest(:p, :held" + columns + ") as v(path, held" + columns.replace(":", "") + ")\n"
                + "where i.run_id = :r and i.path = any(:p) and i.path = v.path and i.state = v.held and i.worker = :me\n"
                + "returning i.path";
    }

    /** Records an item's open multipart upload (package-visible for the plan test). */
    static final String UPLOAD_STARTED = heldUpdate("upload_id = v.u, updated_at = now()", ", :u");
    /** Ends items not copied (package-visible for the plan test). */
    static final String END = heldUpdate("""
            state = v.s, outcome = v.o, error = v.e, upload_id = null, lease_until = null,
                attempts = i.attempts + v.retries, updated_at = now()""", ", :s, :o, :e, :retries");
    /** Marks copied items (package-visible for the plan test). */
    static final String FINISH = heldUpdate("""
            state = v.s, outcome = v.o, sha256 = v.sha, size_bytes = v.size, mtime_ns = v.m, attempts = i.attempts + v.retries,
                object_key = v.k, error = null, upload_id = null, lease_until = null, recopy = false, done_at = now(), updated_at = now()""",
            ", :s, :o, :sha, :size, :m, :retries, :k");

    /** Records (or clears, with {@code null}) the multipart upload an item has open, while this process holds its claim. */
    public void uploadStarted(Item item, String uploadId) {
        jdbi.useHandle(h -> {
            var c = h.getConnection();
            held(h, UPLOAD_STARTED, item.runId(), new byte[][] {item.path()}).bindBySqlType("u", array(c, "text", new String[] {uploadId}), Types.ARRAY)
                    .mapTo(byte[].class).list();
        });
    }

    /** A held-items update with its common parameters bound. */
    private org.jdbi.v3.core.statement.Query held(Handle h, String sql, UUID runId, byte[][] paths) {
        var c = h.getConnection();
        String[] held = new String[paths.length];
        java.util.Arrays.fill(held, "copying");
        return h.createQuery(sql).bind("r", runId).bind("me", worker)
                .bindBySqlType("p", array(c, "bytea", paths), Types.ARRAY)
                .bindBySqlType("held", array(c, "text", held), Types.ARRAY);
    }

    /**
     * Ends an item that was not copied ({@code skipped} or {@code failed}), while this process holds its
     * claim (a claim taken over after its lease passed is left to its new holder).
     *
     * @param retries copies tried in this claim beyond the first
     */
    public void end(Item item, String state, String outcome, String error, int retries) {
        jdbi.useHandle(h -> {
            var c = h.getConnection();
            held(h, END, item.runId(), new byte[][] {item.path()})
                    .bindBySqlType("s", array(c, "text", new String[] {state}), Types.ARRAY)
                    .bindBySqlType("o", array(c, "text", new String[] {outcome}), Types.ARRAY)
                    .bindBySqlType("e", array(c, "text", new String[] {error}), Types.ARRAY)
                    .bindBySqlType("retries", array(c, "integer", new Integer[] {retries}), Types.ARRAY)
                    .mapTo(byte[].class).list();
        });
    }

    /** How a copied item ends: {@code done} or {@code quarantined}; {@code retries} = copies tried in this claim beyond the first. */
    record Finish(Item item, String state, String outcome, String sha256, long size, long mtimeNs, String objectKey, int retries) {}

    /**
     * Marks copied items done or quarantined, in the caller's transaction, in one statement (by primary
     * key, whatever the batch's size or the run's).
     *
     * @param items items of one run
     * @return per item, 1 when this process still held its claim (and it is now marked), 0 otherwise
     * @throws IllegalArgumentException when the items belong to more than one run
     */
    int[] finish(Handle h, List<Finish> items) {
        int n = items.size();
        if (n == 0) return new int[0];
        UUID runId = items.getFirst().item().runId();
        byte[][] paths = new byte[n][];
        String[] s = new String[n], o = new String[n], sha = new String[n], k = new String[n];
        Long[] size = new Long[n], m = new Long[n];
        Integer[] retries = new Integer[n];
        for (int i = 0; i < n; i++) {
            Finish f = items.get(i);
            if (!f.item().runId().equals(runId)) throw new IllegalArgumentException("items of more than one run");
            paths[i] = f.item().path();
            s[i] = f.state();
            o[i] = f.outcome();
            sha[i] = f.sha256();
            size[i] = f.size();
            m[i] = f.mtimeNs();
            k[i] = f.objectKey();
            retries[i] = f.retries();
        }
        var c = h.getConnection();
        var marked = new java.util.HashSet<ByteBuffer>();
        held(h, FINISH, runId, paths)
                .bindBySqlType("s", array(c, "text", s), Types.ARRAY)
                .bindBySqlType("o", array(c, "text", o), Types.ARRAY)
                .bindBySqlType("sha", array(c, "text", sha), Types.ARRAY)
                .bindBySqlType("size", array(c, "bigint", size), Types.ARRAY)
                .bindBySqlType("m", array(c, "bigint", m), Types.ARRAY)
                .bindBySqlType("retries", array(c, "integer", retries), Types.ARRAY)
                .bindBySqlType("k", array(c, "text", k), Types.ARRAY)
                .mapTo(byte[].class).forEach(p -> marked.add(ByteBuffer.wrap(p)));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = marked.contains(ByteBuffer.wrap(paths[i])) ? 1 : 0;
        return out;
    }

    /**
     * Marks files whose source differs from what was copied ({@code migrate verify}, {@code migrate run
     * --checksum}): the next walk queues them again, even with their size and modification time unchanged.
     *
     * @param paths the files' paths (raw bytes, relative to the tree's root)
     * @return the entries marked (done or quarantined ones of the run)
     */
    public int markRecopy(UUID runId, List<byte[]> paths) {
        if (paths.isEmpty()) return 0;
        return jdbi.withHandle(h -> h.createUpdate("""
                        update migration_items set recopy = true, updated_at = now()
                        where run_id = :r and path = any(:p) and state in ('done', 'quarantined')""")
                .bind("r", runId).bindBySqlType("p", array(h.getConnection(), "bytea", paths.toArray(byte[][]::new)), Types.ARRAY).execute());
    }

    /** Counts of a run's items by state and by outcome, and bytes by state. */
    public record Counts(Map<String, Long> files, Map<String, Long> bytes, Map<String, Long> outcomes) {
        long files(String state) {
            return files.getOrDefault(state, 0L);
        }

        long bytes(String state) {
            return bytes.getOrDefault(state, 0L);
        }
    }

    /** The run's counts. */
    public Counts counts(UUID runId) {
        Map<String, Long> files = new LinkedHashMap<>();
        Map<String, Long> bytes = new LinkedHashMap<>();
        Map<String, Long> outcomes = new LinkedHashMap<>();
        jdbi.useHandle(h -> {
            h.createQuery("select state, count(*), coalesce(sum(size_bytes), 0) from migration_items where run_id = :r group by state")
                    .bind("r", runId).map((rs, c) -> {
                        files.put(rs.getString(1), rs.getLong(2));
                        bytes.put(rs.getString(1), rs.getLong(3));
                        return null;
                    }).list();
            h.createQuery("select outcome, count(*) from migration_items where run_id = :r and outcome is not null group by outcome order by 2 desc, 1")
                    .bind("r", runId).map((rs, c) -> outcomes.put(rs.getString(1), rs.getLong(2))).list();
        });
        return new Counts(files, bytes, outcomes);
    }

    /** Files and bytes a run finished in the last {@code seconds}. */
    public long[] recent(UUID runId, int seconds) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select count(*), coalesce(sum(size_bytes), 0) from migration_items
                        where run_id = :r and state in ('done', 'quarantined') and done_at > now() - make_interval(secs => :s)""")
                .bind("r", runId).bind("s", seconds).map((rs, c) -> new long[] {rs.getLong(1), rs.getLong(2)}).one());
    }

    /** A reported entry: what it is, where, and why. */
    public record Reported(String path, String kind, String state, String outcome, String detail) {}

    /** The entries of a run that were not migrated, or were quarantined, with their reasons (at most {@code limit}). */
    public List<Reported> reported(UUID runId, int limit) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select display_path, kind, state, outcome, coalesce(error, note, '') from migration_items
                        where run_id = :r and state in ('skipped', 'failed', 'quarantined') order by state, outcome, display_path limit :l""")
                .bind("r", runId).bind("l", limit)
                .map((rs, c) -> new Reported(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5))).list());
    }

    /**
     * Hands {@code action} the files of a run whose image variants are still to be made (queued again at the end of
     * a run), a page of the journal at a time: up to {@code pageSize} entries read by primary key, then their done
     * files looked up by id. Memory is bounded by the page, whatever the run's size; the time is one pass over the
     * run's entries.
     *
     * @param pageSize journal entries per page, at least 1
     * @return how many files {@code action} was given
     */
    int forEachPendingVariant(UUID runId, int pageSize, java.util.function.Consumer<UUID> action) {
        int given = 0;
        byte[] after = new byte[0];
        for (List<Journalled> page; !(page = itemsAfter(runId, after, pageSize)).isEmpty(); after = page.getLast().path()) {
            List<UUID> done = new ArrayList<>();
            for (Journalled j : page) if (j.state().equals("done") && j.fileId() != null) done.add(j.fileId());
            for (UUID id : files.variantsPending(done)) {
                action.accept(id);
                given++;
            }
        }
        return given;
    }

    /**
     * Stops renewing, and releases the files this process still holds: their leases end now, so another
     * run claims them at once (a process killed without this leaves them for at most one lease).
     */
    @Override
    public synchronized void close() {
        if (!registered) return;
        renewer.shutdownNow();
        try {
            renewer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            int me = worker;
            jdbi.useHandle(h -> h.createUpdate("update migration_items set lease_until = now() where worker = :me and state = 'copying'")
                    .bind("me", me).execute());
        } catch (RuntimeException e) {
            log.warn("releasing this process's claims failed (they pass with their lease): {}", e.toString());
        }
        registered = false;
    }

    /** Helper for reports: items of a run as rows of the verify pass. */
    record Journalled(byte[] path, String display, String kind, String state, String outcome, String detail, String sha256,
                      long size, UUID fileId, String objectKey) {}

    private static final String JOURNALLED = """
            select path, display_path, kind, state, outcome, coalesce(error, note, ''), sha256, coalesce(size_bytes, 0), file_id, object_key
            from migration_items""";

    /** A run's items whose path is in [:from, :to), bytewise: a range of the primary key. */
    static final String ITEMS_BETWEEN = JOURNALLED + " where run_id = :r and path >= :from and path < :to";

    /** A run's first path at or after :from, bytewise: one step of the primary key. */
    static final String NEXT_PATH = "select path from migration_items where run_id = :r and path >= :from order by path limit 1";

    /** Set in the transaction of an {@link #ITEMS_AFTER} page: sorting priced out, the primary key is walked in order. */
    static final String WALK_IN_ORDER = "set local enable_sort = off";

    /** Up to :n items of a run whose paths follow :after, bytewise, in path order: one keyset page of the primary key. */
    static final String ITEMS_AFTER = JOURNALLED + " where run_id = :r and path > :after order by path limit :n";

    /**
     * One page of a run's items, in path order (raw bytes, compared bytewise).
     *
     * @param after the last path of the page before, or an empty array for the first page (every journalled
     *              path is non-empty: it is relative to the tree's root)
     * @param n     items per page, at least 1
     * @return up to {@code n} items; empty past the last
     */
    List<Journalled> itemsAfter(UUID runId, byte[] after, int n) {
        // Without fresh statistics (a run writes faster than autovacuum analyses) the planner would read the
        // rest of the run through a bitmap scan and sort it for every page; walking the primary key in order
        // is the only plan left once sorting is priced out (docs/architecture.md, the journal's plans).
        List<Journalled> out = new ArrayList<>();
        jdbi.useTransaction(h -> {
            h.execute(WALK_IN_ORDER);
            read(h, ITEMS_AFTER, q -> q.bind("r", runId).bind("after", after).bind("n", n), out);
        });
        return out;
    }

    /**
     * The items of a run under one top-level folder: paths starting with {@code folder/}.
     *
     * @param folder the folder's raw name (no '/')
     */
    List<Journalled> itemsUnder(UUID runId, byte[] folder) {
        byte[] from = Arrays.copyOf(folder, folder.length + 1);
        from[folder.length] = '/';
        return journalled(ITEMS_BETWEEN, q -> q.bind("r", runId).bind("from", from).bind("to", pastFolder(folder)));
    }

    /** The first path, bytewise, after every path under {@code folder/}: {@code folder0} ('0' follows '/'). */
    static byte[] pastFolder(byte[] folder) {
        byte[] past = Arrays.copyOf(folder, folder.length + 1);
        past[folder.length] = '/' + 1;
        return past;
    }

    /** A run's first path at or after {@code from} (raw bytes, compared bytewise), or {@code null} past the last. */
    byte[] nextPath(UUID runId, byte[] from) {
        return jdbi.withHandle(h -> h.createQuery(NEXT_PATH).bind("r", runId).bind("from", from).mapTo(byte[].class).findOne().orElse(null));
    }

    private List<Journalled> journalled(String sql, java.util.function.Consumer<org.jdbi.v3.core.statement.Query> bind) {
        List<Journalled> out = new ArrayList<>();
        jdbi.useHandle(h -> read(h, sql, bind, out));
        return out;
    }

    private static void read(Handle h, String sql, java.util.function.Consumer<org.jdbi.v3.core.statement.Query> bind, List<Journalled> out) {
        var q = h.createQuery(sql);
        bind.accept(q);
        q.setFetchSize(1000)
                .map((rs, c) -> new Journalled(rs.getBytes(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), rs.getLong(8), rs.getObject(9, UUID.class), rs.getString(10)))
                .forEach(out::add);
    }
}

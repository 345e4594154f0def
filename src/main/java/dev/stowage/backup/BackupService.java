package dev.stowage.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketInspector;
import dev.stowage.buckets.BucketKind;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;

/**
 * Backups into the backups bucket (docs/architecture.md §3): a ZIP archive streamed to the store with a SHA-256
 * checksum beside it ({@code NAME.zip.sha256}, {@code sha256sum} format), holding
 * <ul>
 *   <li>{@code manifest.json}: format, time, schema version (Flyway), tables with columns and row counts;</li>
 *   <li>{@code db/TABLE.copy}: each table as PostgreSQL {@code COPY … TO STDOUT} text, all read in one
 *       repeatable-read transaction (a consistent snapshot) — a logical dump through JDBC, since the
 *       embedded PostgreSQL binaries carry no {@code pg_dump};</li>
 *   <li>{@code config.json}: the configuration in force, secrets redacted;</li>
 *   <li>{@code buckets.json}: the live settings of the four buckets, as far as the provider shows them.</li>
 * </ul>
 * {@link #restore} checks the checksum, migrates an empty database to the backup's schema version and
 * loads every table with {@code COPY … FROM STDIN} in one transaction.
 */
public final class BackupService {
    /** Archive format version written to the manifest. */
    public static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final int PART_SIZE = 8 << 20;

    private final ObjectStore s3;
    private final DataSource db;
    private final StowageConfig config;

    /**
     * @param s3     the object store
     * @param db     the database to dump
     * @param config configuration (backups bucket, prefix; snapshotted with secrets redacted)
     */
    public BackupService(ObjectStore s3, DataSource db, StowageConfig config) {
        this.s3 = s3;
        this.db = db;
        this.config = config;
    }

    /** One backup in the bucket. */
    public record Backup(String key, long sizeBytes, Instant lastModified, String sha256) {
        /** The name {@code stowage backup restore} takes: the key without the prefix. */
        public String name() {
            return key.substring(key.lastIndexOf('/') + 1);
        }
    }

    /** What a backup run wrote. */
    public record Result(String key, long sizeBytes, String sha256, Map<String, Long> rows) {}

    private String bucket() {
        return config.storage().buckets().backups();
    }

    /**
     * Makes a backup now.
     *
     * @return the object written, its size (bytes) and checksum, rows per table
     * @throws IOException or {@link SQLException} (wrapped) when reading the database fails; the
     *                     partial upload is aborted and no object appears
     */
    public Result run() throws IOException {
        String key = config.backup().prefix() + "stowage-" + NAME_TIME.format(Instant.now()) + ".zip";
        var upload = new MultipartUploadOutputStream(s3, bucket(), key, "application/zip", PART_SIZE);
        MessageDigest sha = sha256();
        Map<String, Long> rows = new LinkedHashMap<>();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            // inside the transaction, not a session setting (setTransactionIsolation runs SET SESSION
            // CHARACTERISTICS outside it, which a transaction pooler applies to some other client's session)
            try (var st = c.createStatement()) {
                st.execute("set transaction isolation level repeatable read, read only");
            }
            unbounded(c);
            var zip = new ZipOutputStream(new DigestOutputStream(upload, sha));
            List<Table> tables = tables(c);
            for (Table t : tables) {
                zip.putNextEntry(new ZipEntry("db/" + t.name() + ".copy"));
                long n = c.unwrap(PGConnection.class).getCopyAPI().copyOut(
                        "copy " + quote(t.name()) + " (" + String.join(", ", t.columns().stream().map(BackupService::quote).toList()) + ") to stdout",
                        new NoClose(zip));
                rows.put(t.name(), n);
                zip.closeEntry();
            }
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("format", FORMAT);
            manifest.put("createdAt", Instant.now().toString());
            manifest.put("schemaVersion", schemaVersion(c));
            manifest.put("provider", config.storage().provider().id());
            ArrayNode ts = manifest.putArray("tables");
            for (Table t : tables) {
                ObjectNode n = ts.addObject();
                n.put("name", t.name());
                n.put("rows", rows.get(t.name()));
                ArrayNode cols = n.putArray("columns");
                t.columns().forEach(cols::add);
            }
            c.commit();
            entry(zip, "manifest.json", JSON.writeValueAsBytes(manifest));
            entry(zip, "config.json", JSON.writeValueAsBytes(redacted(config)));
            Map<String, Object> buckets = new LinkedHashMap<>();
            var inspect = new BucketInspector(s3);
            for (BucketKind k : BucketKind.values()) buckets.put(k.name(config.storage().buckets()), inspect.snapshot(k.name(config.storage().buckets())));
            entry(zip, "buckets.json", JSON.writeValueAsBytes(buckets));
            zip.finish();
            zip.flush();
        } catch (IOException | SQLException | RuntimeException e) {
            upload.abort();
            if (e instanceof IOException io) throw io;
            if (e instanceof RuntimeException re) throw re;
            throw new IOException("backup failed: " + e.getMessage(), e);
        }
        upload.close();
        String hex = HexFormat.of().formatHex(sha.digest());
        String name = key.substring(key.lastIndexOf('/') + 1);
        s3.put(ObjectStore.Put.of(bucket(), key + ".sha256").contentType("text/plain"),
                ObjectStore.Body.of((hex + "  " + name + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return new Result(key, upload.size(), hex, rows);
    }

    /** The backups in the bucket, newest first. */
    public List<Backup> list() {
        List<Backup> out = new ArrayList<>();
        for (ObjectStore.Listed o : s3.list(bucket(), config.backup().prefix(), 0)) {
            if (!o.key().endsWith(".zip")) continue;
            out.add(new Backup(o.key(), o.size(), o.lastModified(), checksum(o.key())));
        }
        out.sort(Comparator.comparing(Backup::key).reversed());
        return out;
    }

    private String checksum(String key) {
        try {
            String s = new String(s3.getBytes(bucket(), key + ".sha256"), java.nio.charset.StandardCharsets.UTF_8);
            return s.split("\\s+")[0];
        } catch (StoreException e) {
            if (e.notFound()) return null;
            throw e;
        }
    }

    /**
     * Restores a backup into an empty database.
     *
     * @param name   a backup name from {@link #list()} ({@code stowage-….zip}), or {@code latest}
     * @param target the database to fill: it must hold no Stowage tables yet
     * @return rows loaded per table
     * @throws IllegalStateException when the target is not empty, the backup is missing, or its checksum differs
     */
    public Map<String, Long> restore(String name, DataSource target) throws IOException {
        List<Backup> all = list();
        Backup b = (name.equals("latest") ? all.stream() : all.stream().filter(x -> x.name().equals(name) || x.key().equals(name)))
                .findFirst().orElseThrow(() -> new IllegalStateException("no backup " + name + " in " + bucket() + "/" + config.backup().prefix()));
        if (b.sha256() == null) throw new IllegalStateException("backup " + b.name() + " has no checksum (" + b.key() + ".sha256)");
        Path tmp = Files.createTempFile("stowage-restore-", ".zip");
        try {
            MessageDigest sha = sha256();
            try (InputStream in = new DigestInputStream(s3.get(bucket(), b.key()), sha)) {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(b.sha256())) {
                throw new IllegalStateException("backup " + b.name() + " is damaged: SHA-256 " + got + ", expected " + b.sha256());
            }
            JsonNode manifest = null;
            try (var zin = new ZipInputStream(Files.newInputStream(tmp))) {
                for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                    if (e.getName().equals("manifest.json")) manifest = JSON.readTree(zin.readAllBytes());
                }
            }
            if (manifest == null || manifest.path("format").asInt() != FORMAT) throw new IllegalStateException("backup " + b.name() + " has no manifest of format " + FORMAT);
            try (Connection c = target.getConnection(); var rs = c.getMetaData().getTables(null, "public", "files", null)) {
                if (rs.next()) throw new IllegalStateException("the target database is not empty (it has a files table): restore needs an empty database");
            } catch (SQLException e) {
                throw new IOException("cannot read the target database: " + e.getMessage(), e);
            }
            // the transaction-scoped advisory lock, as Database.flyway: a session lock would outlive this process behind a pooler
            Flyway.configure().dataSource(target).locations("classpath:db/migration")
                    .configuration(Map.of("flyway.postgresql.transactional.lock", "true"))
                    .target(manifest.path("schemaVersion").asText()).load().migrate();
            Map<String, List<String>> columns = new LinkedHashMap<>();
            for (JsonNode t : manifest.path("tables")) {
                List<String> cols = new ArrayList<>();
                t.path("columns").forEach(x -> cols.add(x.asText()));
                columns.put(t.path("name").asText(), cols);
            }
            Map<String, Long> rows = new LinkedHashMap<>();
            try (Connection c = target.getConnection(); var zin = new ZipInputStream(Files.newInputStream(tmp))) {
                c.setAutoCommit(false);
                unbounded(c);
                for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                    if (!e.getName().startsWith("db/")) continue;
                    String table = e.getName().substring(3, e.getName().length() - ".copy".length());
                    List<String> cols = columns.get(table);
                    if (cols == null) throw new IllegalStateException("backup " + b.name() + ": table " + table + " is not in the manifest");
                    rows.put(table, c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                            "copy " + quote(table) + " (" + String.join(", ", cols.stream().map(BackupService::quote).toList()) + ") from stdin",
                            new java.io.FilterInputStream(zin) {
                                @Override
                                public void close() {
                                    // the next entry follows in the same stream
                                }
                            }));
                }
                c.commit();
            } catch (SQLException e) {
                throw new IOException("restore of " + b.name() + " failed (nothing was loaded): " + e.getMessage(), e);
            }
            return rows;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A table and its columns. */
    record Table(String name, List<String> columns) {}

    /** The public schema's tables except Flyway's own, parents before children (foreign keys). */
    /**
     * Lifts the pool's statement and socket timeouts for this transaction: a dump or a load of a large table
     * may take longer than any API statement (the pool restores the socket timeout when the connection returns;
     * {@code SET LOCAL} ends with the transaction).
     */
    private static void unbounded(Connection c) throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("SET LOCAL statement_timeout = 0");
        }
        c.setNetworkTimeout(Runnable::run, 0);
    }

    static List<Table> tables(Connection c) throws SQLException {
        Map<String, List<String>> cols = new LinkedHashMap<>();
        try (var st = c.createStatement(); var rs = st.executeQuery("""
                select c.table_name, c.column_name from information_schema.columns c
                join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
                where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.table_name <> 'flyway_schema_history'
                  and c.is_generated = 'NEVER'
                order by c.table_name, c.ordinal_position""")) {
            while (rs.next()) cols.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        }
        Map<String, Set<String>> parents = new LinkedHashMap<>();
        cols.keySet().forEach(t -> parents.put(t, new LinkedHashSet<>()));
        try (var st = c.createStatement(); var rs = st.executeQuery("""
                select cl.relname, pl.relname from pg_constraint k
                join pg_class cl on cl.oid = k.conrelid join pg_class pl on pl.oid = k.confrelid
                join pg_namespace n on n.oid = cl.relnamespace
                where k.contype = 'f' and n.nspname = 'public'""")) {
            while (rs.next()) {
                if (parents.containsKey(rs.getString(1)) && !rs.getString(1).equals(rs.getString(2))) parents.get(rs.getString(1)).add(rs.getString(2));
            }
        }
        List<Table> out = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        while (done.size() < cols.size()) {
            boolean progress = false;
            for (String t : cols.keySet()) {
                if (done.contains(t) || !done.containsAll(parents.get(t))) continue;
                done.add(t);
                out.add(new Table(t, cols.get(t)));
                progress = true;
            }
            if (!progress) throw new SQLException("foreign keys form a cycle among " + cols.keySet());
        }
        return out;
    }

    private static String schemaVersion(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery(
                "select version from flyway_schema_history where success and version is not null order by installed_rank desc limit 1")) {
            return rs.next() ? rs.getString(1) : "0";
        }
    }

    private static Map<String, Object> redacted(StowageConfig c) {
        Map<String, Object> m = JSON.convertValue(c, JSON.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, Object.class));
        redact(m, "database", "password");
        redact(m, "auth", "jwtSecret");
        redact(m, "events", "webhookSecret");
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void redact(Map<String, Object> m, String section, String key) {
        if (m.get(section) instanceof Map<?, ?> s && ((Map<String, Object>) s).get(key) != null) ((Map<String, Object>) s).put(key, "(redacted)");
    }

    private static void entry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    private static String quote(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Keeps the driver from closing the ZIP stream after one table. */
    private static final class NoClose extends FilterOutputStream {
        NoClose(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}

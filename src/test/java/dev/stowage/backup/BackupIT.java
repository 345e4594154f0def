package dev.stowage.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.dev.EmbeddedPostgresServer;
import dev.stowage.testing.Harness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * {@code stowage backup run | list | restore}: a backup of a working Stowage restored into a fresh
 * embedded PostgreSQL server holds the same rows in every table; a damaged archive and a non-empty
 * target are refused.
 */
class BackupIT {
    @TempDir
    Path dir;

    static DataSource dataSource(String url) {
        var ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser("postgres");
        return ds;
    }

    /** Per table: row count and a digest of every row's text, in a stable order. */
    static Map<String, String> contents(DataSource ds, Iterable<String> tables) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            for (String t : tables) {
                try (var rs = st.executeQuery("select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') from \"" + t + "\" x")) {
                    rs.next();
                    out.put(t, rs.getString(1));
                }
            }
        }
        return out;
    }

    @Test
    void aBackupRestoredIntoAFreshDatabaseHasTheSameRows() throws Exception {
        try (var h = new Harness(); var fresh = EmbeddedPostgresServer.start(dir.resolve("pg"), 0, false)) {
            h.uploadText("fay", "fay's notes\n");
            h.uploadText("gus", "gus's notes, with a tab\tand a backslash \\ and ünïcödé\n");
            h.stowage.retention().run(true);
            var svc = h.stowage.backup();
            var made = svc.run();
            System.out.println("backup " + made.key() + ": " + made.sizeBytes() + " bytes, sha256 " + made.sha256() + ", rows " + made.rows());
            assertThat(made.rows()).containsEntry("accounts", 2L).containsEntry("files", 2L);
            assertThat(made.rows().get("retention_runs")).isPositive(); // the dry run (and the worker's sweep at start)
            assertThat(made.rows().keySet()).startsWith("accounts").doesNotContain("flyway_schema_history");
            var listed = svc.list();
            assertThat(listed).first().satisfies(b -> {
                assertThat(b.key()).isEqualTo(made.key());
                assertThat(b.sha256()).isEqualTo(made.sha256());
                assertThat(b.sizeBytes()).isEqualTo(made.sizeBytes());
            });

            DataSource target = dataSource(fresh.jdbcUrl());
            Map<String, Long> loaded = svc.restore("latest", target);
            assertThat(loaded).isEqualTo(made.rows());
            DataSource source = h.stowage.db().dataSource();
            // the scheduler's own table is live state (heartbeats, next runs, tasks added meanwhile): its rows were
            // compared by count above; every other table must match row for row
            var stable = made.rows().keySet().stream().filter(t -> !t.equals("scheduled_tasks")).toList();
            assertThat(contents(target, stable)).isEqualTo(contents(source, stable));

            // a database that is not empty is refused, and nothing changes
            assertThatThrownBy(() -> svc.restore(listed.getFirst().name(), target))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not empty");
            // a damaged archive is refused before anything is loaded
            try (Connection c = target.getConnection(); var st = c.createStatement()) {
                st.execute("create database second");
            }
            String bucket = h.config.storage().buckets().backups();
            h.stowage.s3().client().putObject(r -> r.bucket(bucket).key(made.key() + ".sha256"),
                    RequestBody.fromString("0".repeat(64) + "  x.zip\n", StandardCharsets.UTF_8));
            DataSource second = dataSource(fresh.jdbcUrl().replace("/" + EmbeddedPostgresServer.DATABASE, "/second"));
            assertThatThrownBy(() -> svc.restore("latest", second)).isInstanceOf(IllegalStateException.class).hasMessageContaining("is damaged");
            try (Connection c = second.getConnection(); var rs = c.getMetaData().getTables(null, "public", "files", null)) {
                assertThat(rs.next()).isFalse();
            }
        }
    }
}

package dev.stowage.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The schema's constraints refuse inconsistent rows, so no code path can write one. */
class SchemaIT {
    static Database db;

    @BeforeAll
    static void migrate() {
        db = Database.open(new StowageConfig.Database(TestServers.newDatabase(), "postgres", null, 4));
        assertThat(db.migrate()).as("every migration applies to an empty database").isGreaterThanOrEqualTo(2);
        assertThat(db.migrate()).as("a second migrate applies nothing").isZero();
    }

    @AfterAll
    static void close() {
        db.close();
    }

    private static UUID file(Handle h, String owner, String status) {
        UUID id = UUID.randomUUID();
        h.createUpdate("""
                insert into files (id, owner_id, original_name, safe_name, declared_type, declared_size, bucket, object_key, status)
                values (:id, :owner, 'a.jpg', 'a.jpg', 'image/jpeg', 10, 'uploads-raw', :key, :status)""")
                .bind("id", id).bind("owner", owner).bind("key", owner + "/" + id + "/a.jpg").bind("status", status).execute();
        return id;
    }

    private static void refused(String sql, Object... args) {
        assertThatThrownBy(() -> db.jdbi().useHandle(h -> h.execute(sql, args)))
                .as(sql).isInstanceOf(UnableToExecuteStatementException.class);
    }

    @Test
    void quotasNeverGoNegative() {
        db.jdbi().useHandle(h -> h.execute("insert into accounts (user_id, quota_bytes) values ('q1', 100)"));
        refused("update accounts set used_bytes = -1 where user_id = 'q1'");
        refused("update accounts set reserved_bytes = reserved_bytes - 1 where user_id = 'q1'");
        refused("insert into accounts (user_id, quota_bytes) values ('q2', -5)");
        refused("insert into accounts (user_id, quota_bytes) values ('../etc', 5)");
    }

    @Test
    void oneUploadSessionPerFileAndMultipartNeedsItsUploadId() {
        db.jdbi().useHandle(h -> {
            h.execute("insert into accounts (user_id, quota_bytes) values ('s1', 100)");
            UUID f = file(h, "s1", "pending");
            h.execute("insert into upload_sessions (file_id, kind, expires_at) values (?, 'single', now() + interval '15 minutes')", f);
            UUID g = file(h, "s1", "pending");
            assertThatThrownBy(() -> h.execute("insert into upload_sessions (file_id, kind, expires_at) values (?, 'single', now() + interval '15 minutes')", f))
                    .isInstanceOf(UnableToExecuteStatementException.class);
            assertThatThrownBy(() -> h.execute("insert into upload_sessions (file_id, kind, part_size, expires_at) values (?, 'multipart', 5242880, now() + interval '1 hour')", g))
                    .isInstanceOf(UnableToExecuteStatementException.class);
        });
    }

    @Test
    void aFileReachesReadyOnlyWithItsSizeAndChecksum() {
        db.jdbi().useHandle(h -> {
            h.execute("insert into accounts (user_id, quota_bytes) values ('r1', 100)");
            UUID f = file(h, "r1", "verifying");
            assertThatThrownBy(() -> h.execute("update files set status = 'ready' where id = ?", f))
                    .isInstanceOf(UnableToExecuteStatementException.class);
            h.execute("update files set status = 'ready', size_bytes = 10, sha256 = repeat('a', 64) where id = ?", f);
            assertThatThrownBy(() -> h.execute("update files set status = 'bogus' where id = ?", f))
                    .isInstanceOf(UnableToExecuteStatementException.class);
            assertThatThrownBy(() -> h.execute("update files set status = 'deleted' where id = ?", f))
                    .as("deleted needs deleted_at").isInstanceOf(UnableToExecuteStatementException.class);
            assertThatThrownBy(() -> h.execute("update files set sha256 = 'XYZ' where id = ?", f))
                    .isInstanceOf(UnableToExecuteStatementException.class);
        });
    }

    @Test
    void oneObjectKeyBelongsToOneFile() {
        db.jdbi().useHandle(h -> {
            h.execute("insert into accounts (user_id, quota_bytes) values ('k1', 100)");
            UUID f = file(h, "k1", "pending");
            String key = h.createQuery("select object_key from files where id = ?").bind(0, f).mapTo(String.class).one();
            assertThatThrownBy(() -> h.execute("""
                    insert into files (id, owner_id, original_name, safe_name, declared_type, declared_size, bucket, object_key)
                    values (?, 'k1', 'b', 'b', 'text/plain', 1, 'uploads-raw', ?)""", UUID.randomUUID(), key))
                    .isInstanceOf(UnableToExecuteStatementException.class);
        });
    }
}

package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.db.Database;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.testing.TestServers;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The initiation's transaction on PostgreSQL ({@link JdbiFileRepository#createPending}): an account that exists on
 * the token's plan is reserved, counted and written in three statements; a new account, a plan that changed, a
 * full quota and too many open uploads take the long way and leave exactly what they did before.
 */
class InitiationStatementsIT {
    static Database db;
    static Jdbi jdbi;
    static JdbiFileRepository files;
    static final List<String> statements = java.util.Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() {
        db = Database.open(new StowageConfig.Database(TestServers.newDatabase(), "postgres", null, 2));
        db.migrate();
        jdbi = db.jdbi();
        jdbi.setSqlLogger(new SqlLogger() {
            @Override
            public void logBeforeExecution(StatementContext ctx) {
                statements.add(ctx.getRenderedSql().strip());
            }
        });
        files = new JdbiFileRepository(jdbi);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    /** Initiates a single PUT of {@code size} bytes for {@code user}; the SQL it ran. */
    private static List<String> initiate(String user, String plan, long quota, long size, int maxOpen) {
        UUID id = ObjectKeys.newFileId();
        statements.clear();
        files.createPending(FileTransitions.of(null, FileStatus.PENDING),
                new NewUpload(id, user, plan, quota, "a.txt", "a.txt", "text/plain", size, null, "raw", user + "/" + id + "/a.txt"),
                new UploadSession(id, "single", null, null, null, Instant.now().plus(15, ChronoUnit.MINUTES), Instant.now()), maxOpen);
        return List.copyOf(statements);
    }

    private static long count(String sql, String user) {
        return jdbi.withHandle(h -> h.createQuery(sql).bind("u", user).mapTo(Long.class).one());
    }

    private static String account(String user) {
        return jdbi.withHandle(h -> h.createQuery("select plan || ' ' || quota_bytes || ' ' || reserved_bytes from accounts where user_id = :u")
                .bind("u", user).mapTo(String.class).findOne().orElse("none"));
    }

    private static long sessions(String user) {
        return count("select count(*) from upload_sessions s join files f on f.id = s.file_id where f.owner_id = :u", user);
    }

    private static long rows(String user) {
        return count("select count(*) from files where owner_id = :u and status = 'pending'", user);
    }

    @Test
    void aKnownAccountOnItsPlanIsReservedCountedAndWrittenInThreeStatements() {
        List<String> first = initiate("known", "free", 1_000, 100, 10);
        assertThat(first).as("a new account takes the long way").hasSizeGreaterThan(3);
        assertThat(account("known")).isEqualTo("free 1000 100");

        List<String> second = initiate("known", "free", 1_000, 200, 10);
        assertThat(second).as(String.join("\n", second)).hasSize(3);
        assertThat(second.get(0)).startsWith("update accounts set reserved_bytes");
        assertThat(second.get(2)).startsWith("with f as (").contains("insert into upload_sessions");
        assertThat(account("known")).isEqualTo("free 1000 300");
        assertThat(rows("known")).isEqualTo(2);
        assertThat(sessions("known")).as("each file has its session").isEqualTo(2);
    }

    @Test
    void anAccountFollowsTheTokensPlanAndItsQuota() {
        initiate("upgrading", "free", 1_000, 900, 10);
        // over the free quota, within the new plan's: the account follows the plan, then reserves
        initiate("upgrading", "pro", 5_000, 3_000, 10);
        assertThat(account("upgrading")).isEqualTo("pro 5000 3900");
        assertThat(rows("upgrading")).isEqualTo(2);
        assertThat(sessions("upgrading")).isEqualTo(2);
    }

    @Test
    void noRoomInTheQuotaWritesNothingAndSaysWhatIsAvailable() {
        initiate("full", "free", 1_000, 700, 10);
        assertThatThrownBy(() -> initiate("full", "free", 1_000, 301, 10))
                .isInstanceOfSatisfying(FileRepository.QuotaExceeded.class, e -> assertThat(e.availableBytes).isEqualTo(300));
        // a new account whose first upload does not fit is not created either
        assertThatThrownBy(() -> initiate("newcomer", "free", 1_000, 1_001, 10)).isInstanceOf(FileRepository.QuotaExceeded.class);
        // a plan change whose upload does not fit is not kept
        assertThatThrownBy(() -> initiate("full", "tiny", 500, 10, 10))
                .isInstanceOfSatisfying(FileRepository.QuotaExceeded.class, e -> assertThat(e.availableBytes).isZero());
        assertThat(account("full")).isEqualTo("free 1000 700");
        assertThat(account("newcomer")).isEqualTo("none");
        assertThat(rows("full")).isEqualTo(1);
        assertThat(sessions("full")).isEqualTo(1);
    }

    @Test
    void tooManyOpenUploadsWritesNothingAndReleasesNothingItDidNotReserve() {
        initiate("busy", "free", 1_000, 10, 2);
        initiate("busy", "free", 1_000, 10, 2);
        assertThatThrownBy(() -> initiate("busy", "free", 1_000, 10, 2))
                .isInstanceOfSatisfying(FileRepository.TooManyOpen.class, e -> assertThat(e.open).isEqualTo(2));
        assertThat(account("busy")).isEqualTo("free 1000 20");
        assertThat(rows("busy")).isEqualTo(2);
        assertThat(sessions("busy")).isEqualTo(2);
    }
}

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
 * The initiation's transaction on PostgreSQL ({@link JdbiFileRepository#createPending}): for an account that
 * exists on the token's plan, the limits are checked and the bytes reserved in one statement and the file
 * written with its session in another, whatever the user's backlog; a new account, a plan that changed, a full
 * quota and too many open uploads take the long way and leave exactly what was there before. The account's
 * open uploads follow every move into and out of {@code pending}.
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

    /** The account's open uploads, and its pending files counted. */
    private static long[] open(String user) {
        return new long[] {files.openUploads(user), rows(user)};
    }

    @Test
    void aKnownAccountOnItsPlanIsCheckedReservedAndWrittenInTwoStatementsWhateverItsBacklog() {
        List<String> first = initiate("known", "free", 1_000_000, 100, 1_000);
        assertThat(first).as("a new account takes the long way").hasSizeGreaterThan(2);
        assertThat(account("known")).isEqualTo("free 1000000 100");

        for (int i = 0; i < 200; i++) initiate("known", "free", 1_000_000, 1, 1_000);
        List<String> later = initiate("known", "free", 1_000_000, 200, 1_000);
        assertThat(later).as(String.join("\n", later)).hasSize(2);
        assertThat(later.get(0)).startsWith("update accounts set reserved_bytes").contains("open_uploads < ");
        assertThat(later.get(1)).startsWith("with f as (").contains("insert into upload_sessions");
        assertThat(account("known")).isEqualTo("free 1000000 500");
        assertThat(open("known")).containsExactly(202, 202);
        assertThat(sessions("known")).as("each file has its session").isEqualTo(202);
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
    void tooManyOpenUploadsWritesNothingAndAnUploadThatLeavesPendingMakesRoom() {
        initiate("busy", "free", 1_000, 10, 2);
        initiate("busy", "free", 1_000, 10, 2);
        assertThatThrownBy(() -> initiate("busy", "free", 1_000, 10, 2))
                .isInstanceOfSatisfying(FileRepository.TooManyOpen.class, e -> assertThat(e.open).isEqualTo(2));
        // too many open is told before a full quota
        assertThatThrownBy(() -> initiate("busy", "free", 1_000, 5_000, 2)).isInstanceOf(FileRepository.TooManyOpen.class);
        assertThat(account("busy")).isEqualTo("free 1000 20");
        assertThat(open("busy")).containsExactly(2, 2);
        assertThat(sessions("busy")).isEqualTo(2);

        UUID one = pendingIds("busy").getFirst();
        assertThat(files.move(one, List.of(FileTransitions.of(FileStatus.PENDING, FileStatus.UPLOADED)), FileChanges.uploaded())).isPresent();
        assertThat(open("busy")).as("an upload that arrived is no longer open").containsExactly(1, 1);
        initiate("busy", "free", 1_000, 10, 2);
        assertThat(open("busy")).containsExactly(2, 2);
        assertThat(account("busy")).as("the arrived file keeps its reservation until it is ready").isEqualTo("free 1000 30");
    }

    @Test
    void theOpenUploadsFollowEveryMoveOutOfPendingAndNeverTwice() {
        for (int i = 0; i < 8; i++) initiate("mover", "free", 1_000_000, 10, 100);
        List<UUID> ids = pendingIds("mover");
        var cancel = List.of(FileTransitions.of(FileStatus.PENDING, FileStatus.CANCELLED));
        assertThat(files.move(ids.get(0), cancel, FileChanges.ended("cancelled", "cancelled"))).isPresent();
        assertThat(files.move(ids.get(0), cancel, FileChanges.ended("cancelled", "cancelled"))).as("a second cancel moves nothing").isEmpty();
        assertThat(files.move(ids.get(1), List.of(FileTransitions.of(FileStatus.PENDING, FileStatus.REJECTED)),
                FileChanges.ended("part_too_large", "too large"))).isPresent();
        assertThat(files.move(ids.get(2), List.of(FileTransitions.of(FileStatus.PENDING, FileStatus.EXPIRED)),
                FileChanges.ended("expired", "expired"))).isPresent();
        assertThat(open("mover")).containsExactly(5, 5);
        // three sessions past their lifetime, ended in bulk; one kept (its object was seen)
        jdbi.useHandle(h -> h.createUpdate("""
                        update upload_sessions set created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
                        where file_id = any(:ids)""").bind("ids", ids.subList(3, 7).toArray(UUID[]::new)).execute());
        var ended = files.endExpired(FileTransitions.of(FileStatus.PENDING, FileStatus.EXPIRED), FileChanges.ended("expired", "expired"),
                "mover", false, List.of(ids.get(6)), null, 100);
        assertThat(ended).hasSize(3);
        assertThat(open("mover")).containsExactly(2, 2);
        assertThat(files.endExpired(FileTransitions.of(FileStatus.PENDING, FileStatus.EXPIRED), FileChanges.ended("expired", "expired"),
                "mover", false, List.of(ids.get(6)), null, 100)).as("nothing is ended twice").isEmpty();
        assertThat(open("mover")).containsExactly(2, 2);
        assertThat(account("mover")).as("the reservations of the two still open").isEqualTo("free 1000000 20");
    }

    private static List<UUID> pendingIds(String user) {
        return jdbi.withHandle(h -> h.createQuery("select id from files where owner_id = :u and status = 'pending' order by id")
                .bind("u", user).mapTo(UUID.class).list());
    }
}

package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fair limits under a one-user flood (docs/architecture.md §4, §5): initiations past the plan's rate or open
 * uploads are refused with 429, a Retry-After and nothing written; another user's upload that was PUT but never
 * completed is handled in one reconciler pass however many due sessions the flooder has; and a backlog of
 * thousands of expired sessions is ended in bulk within a pass.
 */
class FairLimitsIT {
    static Harness h;
    /** Plan {@code free} (the flood): 10 initiations at once, then 5 a second; plan {@code tiny}: 5 open uploads. */
    static final Map<String, StowageConfig.Limits> LIMITS = Map.of(
            "free", new StowageConfig.Limits(10_000, 5, 10),
            "tiny", new StowageConfig.Limits(5, 1000, 1000));

    @BeforeAll
    static void start() {
        h = new Harness(Map.of(), c -> {
            var u = c.uploads();
            // the scheduled pass runs once at start; the test runs its own passes
            var rules = new StowageConfig.Uploads(u.maxSizeBytes(), u.multipartThresholdBytes(), u.partSizeBytes(), u.urlTtl(), u.sessionTtl(),
                    u.downloadUrlTtl(), u.allowedTypes(), u.quotas(), Duration.ofDays(1), u.stagingTtl(), LIMITS,
                    new StowageConfig.Reconcile(10, 500, 1000, Duration.ofSeconds(30)));
            return c.withUploads(rules);
        });
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private Harness.Resp initiate(String user, String plan, long size) {
        return h.callWithToken("POST", "/v1/uploads", Harness.token(user, plan),
                Map.of("filename", "f.txt", "size", size, "contentType", "text/plain"));
    }

    private long rows(String user) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select count(*) from files where owner_id = :u")
                .bind("u", user).mapTo(Long.class).one());
    }

    private long reserved(String user) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select reserved_bytes from accounts where user_id = :u")
                .bind("u", user).mapTo(Long.class).one());
    }

    private static void assertRetryAfter(Harness.Resp r, String code) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(429);
        assertThat(r.json().path("code").asText()).isEqualTo(code);
        assertThat(r.raw().headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        String ra = r.raw().headers().firstValue("Retry-After").orElseThrow(() -> new AssertionError("no Retry-After on " + code));
        assertThat(ra).as("Retry-After in whole seconds").matches("[1-9][0-9]*");
    }

    @Test
    void aFloodOfInitiationsIsRateLimitedWithRetryAfterAndNothingPastTheLimitIsWritten() throws Exception {
        int accepted = 0, limited = 0;
        Harness.Resp refusal = null;
        for (int i = 0; i < 40; i++) {
            var r = initiate("flooder", "free", 100);
            if (r.status() == 201) accepted++;
            else {
                limited++;
                refusal = r;
            }
        }
        assertThat(limited).as("refused past the burst of 10").isGreaterThan(0);
        assertRetryAfter(refusal, "rate_limited");
        // the bucket refills 5 a second: 10 at once plus what refilled while the loop ran
        assertThat(accepted).isBetween(10, 10 + 5 * 10);
        assertThat(rows("flooder")).as("a file row per accepted initiation only").isEqualTo(accepted);
        assertThat(reserved("flooder")).as("bytes reserved for accepted initiations only").isEqualTo(100L * accepted);
        Thread.sleep(Long.parseLong(refusal.raw().headers().firstValue("Retry-After").orElseThrow()) * 1000);
        assertThat(initiate("flooder", "free", 100).status()).as("after Retry-After").isEqualTo(201);
    }

    @Test
    void openUploadsPastThePlansLimitAreRefusedBeforeAnythingIsWrittenOrAskedOfTheStore() {
        for (int i = 0; i < 5; i++) assertThat(initiate("capped", "tiny", 100).status()).isEqualTo(201);
        assertRetryAfter(initiate("capped", "tiny", 100), "too_many_open_uploads");
        var multipart = initiate("capped", "tiny", 20_000_000);
        assertRetryAfter(multipart, "too_many_open_uploads");
        assertThat(rows("capped")).isEqualTo(5);
        assertThat(reserved("capped")).isEqualTo(500);
        assertThat(h.stowage.s3().client().listMultipartUploads(r -> r.bucket(h.config.storage().buckets().raw()).prefix("staging/capped/"))
                .uploads()).as("no multipart upload created for a refused initiation").isEmpty();
        // another plan's user is not affected
        assertThat(initiate("roomy", "tiny", 100).status()).isEqualTo(201);
    }

    @Test
    void anotherUsersUploadIsHandledInOnePassAndAFloodersBacklogIsExpiredInBulk() {
        var jdbi = h.stowage.files().jdbi();
        int expiredSingles = 5000, expiredMultiparts = 100, dueSingles = 3000;
        long size = 100;
        // the flooder's backlog, inserted as a flood of initiations would have left it (older than any other upload)
        jdbi.useTransaction(x -> {
            x.execute("insert into accounts (user_id, plan, quota_bytes) values ('backlog', 'free', 1073741824) on conflict do nothing");
            x.execute("""
                    insert into files (id, owner_id, original_name, safe_name, declared_type, declared_size, bucket, object_key, status, created_at, updated_at)
                    select g.id, 'backlog', 'f.txt', 'f.txt', 'text/plain', ?, ?, 'backlog/' || g.id || '/f.txt', 'pending', now() - interval '3 hours', now() - interval '3 hours'
                    from (select gen_random_uuid() as id from generate_series(1, ?)) g""", size, h.config.storage().buckets().raw(),
                    expiredSingles + expiredMultiparts + dueSingles);
            x.execute("""
                    with f as (select id, row_number() over (order by id) as n from files where owner_id = 'backlog')
                    insert into upload_sessions (file_id, kind, s3_upload_id, part_size, part_count, expires_at, created_at)
                    select id, case when n <= ? then 'multipart' else 'single' end,
                           case when n <= ? then 'upload-' || n end, case when n <= ? then 5242880 end, case when n <= ? then 1 end,
                           case when n <= ? then now() - interval '1 hour' else now() + interval '10 minutes' end,
                           now() - interval '3 hours'
                    from f""", expiredMultiparts, expiredMultiparts, expiredMultiparts, expiredMultiparts, expiredMultiparts + expiredSingles);
            x.execute("update accounts set reserved_bytes = reserved_bytes + ?, open_uploads = open_uploads + ? where user_id = 'backlog'",
                    size * (expiredSingles + expiredMultiparts + dueSingles), expiredSingles + expiredMultiparts + dueSingles);
        });
        // alice PUTs her bytes and never calls complete; no event arrives (none is configured)
        byte[] bytes = "alice's bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var init = h.call("POST", "/v1/uploads", "alice", Map.of("filename", "a.txt", "size", bytes.length, "contentType", "text/plain"));
        assertThat(init.status()).isEqualTo(201);
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        String alice = init.json().path("fileId").asText();

        List<Reconciler.Pass> passes = new ArrayList<>();
        var first = h.stowage.reconciler().pass(Duration.ZERO, Duration.ofMinutes(5));
        passes.add(first);
        assertThat(first.report().recovered()).as("alice's upload, looked at in the first turn").isGreaterThanOrEqualTo(1);
        assertThat(h.awaitSettled("alice", alice, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("ready");

        while (pendingExpired() > 0 && passes.size() < 3) passes.add(h.stowage.reconciler().pass(Duration.ZERO, Duration.ofMinutes(5)));
        assertThat(pendingExpired()).as("the backlog of expired sessions is cleared within a pass or a few").isZero();
        int expired = passes.stream().mapToInt(p -> p.report().expired()).sum();
        assertThat(expired).isEqualTo(expiredSingles + expiredMultiparts);
        assertThat(passes).allSatisfy(p -> assertThat(p.took()).isLessThan(Duration.ofSeconds(30)));
        long stillPending = jdbi.withHandle(x -> x.createQuery("select count(*) from files where owner_id = 'backlog' and status = 'pending'")
                .mapTo(Long.class).one());
        assertThat(stillPending).as("sessions not yet past their lifetime stay open").isEqualTo(dueSingles);
        assertThat(reserved("backlog")).as("exactly the reservations of the uploads still open").isEqualTo(size * dueSingles);
        assertThat(h.stowage.files().openUploads("backlog")).as("and exactly those open").isEqualTo(dueSingles);
        long expiredRows = jdbi.withHandle(x -> x.createQuery(
                "select count(*) from files f where owner_id = 'backlog' and status = 'expired' and reason_code = 'expired' "
                        + "and not exists (select 1 from upload_sessions s where s.file_id = f.id)").mapTo(Long.class).one());
        assertThat(expiredRows).isEqualTo(expiredSingles + expiredMultiparts);
        System.out.printf("FairLimitsIT: %d expired sessions cleared in %d pass(es): %s; alice handled in the first (%d ms)%n",
                expired, passes.size(), passes.stream().map(p -> p.took().toMillis() + " ms").toList(), first.took().toMillis());
    }

    private long pendingExpired() {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery(
                "select count(*) from upload_sessions s join files f on f.id = s.file_id where f.status = 'pending' and s.expires_at < now()")
                .mapTo(Long.class).one());
    }
}

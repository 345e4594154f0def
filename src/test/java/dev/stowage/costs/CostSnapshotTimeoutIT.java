package dev.stowage.costs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.Test;

/**
 * A cost snapshot reads the files and variants tables whole, once per snapshot, in a worker: the pool's
 * statement and socket timeouts, sized for requests, do not cut it (on 10,000,000 files rows the default
 * 15-second statement timeout did). Shown with a pool statement timeout of 1 second, a socket timeout of 2
 * and a table locked for 5: a request-sized statement is cancelled, the snapshot waits and completes, and
 * the pool's connections keep their own timeouts afterwards.
 */
class CostSnapshotTimeoutIT {

    @Test
    void theSnapshotsWholeTableReadsOutlastThePoolsStatementTimeout() throws Exception {
        // its own database, not behind the pooler: the pool's statement_timeout is what is under test
        try (var h = new Harness(Map.of("STOWAGE_DATABASE_URL", TestServers.newDatabase()), c -> {
            var d = c.database();
            return c.withDatabase(new StowageConfig.Database(d.url(), d.user(), d.password(), d.maxPoolSize(), d.connectionTimeout(),
                    Duration.ofSeconds(1), Duration.ofSeconds(2), d.pooler()));
        })) {
            Jdbi jdbi = h.stowage.db().jdbi();
            String raw = h.config.storage().buckets().raw();
            h.stowage.store().put(dev.stowage.storage.ObjectStore.Put.of(raw, "sized/one"), new dev.stowage.storage.ObjectStore.Body.Bytes(new byte[100]));
            var locked = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> jdbi.useTransaction(x -> {
                x.execute("lock table variants in access exclusive mode");
                locked.countDown();
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            assertThat(locked.await(30, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> jdbi.withHandle(x -> x.createQuery("select count(*) from variants").mapTo(Long.class).one()))
                    .as("a statement of a request is cancelled after the pool's 1 second")
                    .isInstanceOf(UnableToExecuteStatementException.class).hasMessageContaining("statement timeout");
            CostReport r = h.stowage.costs().snapshot();
            assertThat(r.usage()).as("the snapshot waited for the lock and completed").anySatisfy(u -> {
                assertThat(u.bucket()).isEqualTo(raw);
                assertThat(u.storeBytes()).isEqualTo(100);
            });
            holder.join(30_000);
            String after = jdbi.withHandle(x -> x.createQuery("show statement_timeout").mapTo(String.class).one());
            assertThat(after)
                    .as("the longer timeout was local to the snapshot's transactions").isEqualTo("1s");
            int socketMillis = jdbi.withHandle(x -> x.getConnection().getNetworkTimeout());
            assertThat(socketMillis).as("the pool's socket timeout is back").isEqualTo(2_000);
        }
    }
}

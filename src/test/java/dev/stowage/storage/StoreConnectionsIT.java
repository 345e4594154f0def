package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TcpProxy;
import dev.stowage.testing.TestServers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Calls cut off by their deadline while the store does not answer give their pooled connections back: after
 * more timed-out calls than the pool has connections, the store answers again as soon as it is back.
 */
class StoreConnectionsIT {

    @Test
    void callsTimedOutDuringAnOutageGiveTheirConnectionsBackAndTheStoreAnswersOnceItReturns() throws Exception {
        try (var proxied = TestServers.throughProxies(Map.of("STOWAGE_STORE_CALL_TIMEOUT_MS", "300"))) {
            StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), proxied.env(), StowageConfig.Mode.PRODUCTION);
            try (S3Clients s3 = S3Clients.create(config.storage(), TestServers.embeddedCredentials())) {
                String bucket = config.storage().buckets().raw();
                s3.client().createBucket(r -> r.bucket(bucket));
                for (TcpProxy.Cut how : List.of(TcpProxy.Cut.BLACK_HOLE, TcpProxy.Cut.REFUSE)) {
                    proxied.store().cut(how);
                    AtomicInteger failed = new AtomicInteger();
                    try (var pool = Executors.newFixedThreadPool(16)) {
                        List<Future<?>> calls = new ArrayList<>();
                        for (int i = 0; i < 200; i++) { // over three times the 64 connections of the pool
                            int n = i;
                            calls.add(pool.submit(() -> {
                                try {
                                    s3.shortCalls().headObject(r -> r.bucket(bucket).key("k" + n));
                                } catch (RuntimeException e) {
                                    failed.incrementAndGet();
                                }
                            }));
                        }
                        for (Future<?> f : calls) f.get();
                    }
                    assertThat(failed.get()).as("calls during the %s outage", how).isEqualTo(200);
                    proxied.store().restore();
                    long start = System.nanoTime();
                    String answer = null;
                    for (int i = 0; i < 20 && answer == null; i++) {
                        try {
                            s3.shortCalls().headObject(r -> r.bucket(bucket).key("absent"));
                            answer = "found";
                        } catch (NoSuchKeyException e) {
                            answer = "404";
                        } catch (RuntimeException e) {
                            Thread.sleep(100);
                        }
                    }
                    assertThat(answer).as("the store answers after the %s outage (%d ms)", how, (System.nanoTime() - start) / 1_000_000)
                            .isEqualTo("404");
                    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
                }
            }
        }
    }

    @Test
    void aTagWriteTheStoreHoldsUnansweredGivesUpWithinItsDeadlineNotTheSocketTimeout() throws Exception {
        // Ceph RGW holds two tag writes of one object unanswered until a client hangs up: a worker's tag write
        // must not wait for the 60 s socket timeout three times over. A black hole holds it the same way.
        try (var proxied = TestServers.throughProxies(Map.of("STOWAGE_STORE_CALL_TIMEOUT_MS", "300"))) {
            StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), proxied.env(), StowageConfig.Mode.PRODUCTION);
            try (S3Clients s3 = S3Clients.create(config.storage(), TestServers.embeddedCredentials())) {
                assertThat(s3.smallBody()).as("four times call_ms, at least 5 s").isEqualTo(java.time.Duration.ofSeconds(5));
                assertThat(config.storage().timeouts().socket()).isEqualTo(java.time.Duration.ofSeconds(60));
                String bucket = config.storage().buckets().raw();
                s3.client().createBucket(r -> r.bucket(bucket));
                var store = new S3ObjectStore(s3);
                proxied.store().cut(TcpProxy.Cut.BLACK_HOLE);
                long start = System.nanoTime();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.putTags(bucket, "k", Map.of("sha256", "ab")))
                        .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.unavailable()).isTrue());
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertThat(ms).as("the tag write gave up after %d ms: its attempts' deadlines (3 x 5 s), not the socket timeout", ms)
                        .isBetween(4_000L, 20_000L);
                proxied.store().restore();
            }
        }
    }
}

package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.security.JwtAuthenticator;
import dev.stowage.testing.Http;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping the API lets in-flight requests finish, then closes the listener. */
class GracefulShutdownIT {

    @Test
    void inFlightRequestsFinishBeforeTheListenerCloses() throws Exception {
        var entered = new CountDownLatch(1);
        HealthCheck slow = new HealthCheck("slow", () -> {
            entered.countDown();
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        var config = new StowageConfig(StowageConfig.Mode.PRODUCTION,
                new StowageConfig.Http("127.0.0.1", 0, URI.create("http://localhost"), Duration.ofSeconds(10)),
                null, null, new StowageConfig.Auth("0123456789abcdef0123456789abcdef", null, null, null));
        var api = new ApiServer(config, List.of(slow), new JwtAuthenticator(config.auth()), null,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start();
        String url = "http://127.0.0.1:" + api.port() + "/health/ready";
        CompletableFuture<HttpResponse<String>> inFlight = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        api.stop();
        long stoppedAfterMs = (System.nanoTime() - t0) / 1_000_000;

        HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isIn(200, 503);           // answered, not cut off
        assertThat(r.body()).contains("\"slow\":{\"status\":\"up\"}");
        assertThat(stoppedAfterMs).as("stop waited for the request").isGreaterThanOrEqualTo(800);
        assertThatThrownBy(() -> Http.get(url)).isInstanceOf(AssertionError.class);  // listener closed
    }
}

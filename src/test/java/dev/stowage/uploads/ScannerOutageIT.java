package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestClamd;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A scanner outage never lets a file through: it waits in {@code scanning} and is retried when clamd is back. */
class ScannerOutageIT {

    /** Forwards TCP connections from a local port to clamd once started: "clamd coming back". */
    static final class Forwarder implements AutoCloseable {
        final ServerSocket server;

        Forwarder(int port, String host, int target) throws Exception {
            server = new ServerSocket(port, 50, java.net.InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        Socket out = new Socket(host, target);
                        Thread.ofVirtual().start(() -> pipe(in, out));
                        Thread.ofVirtual().start(() -> pipe(out, in));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
        }

        static void pipe(Socket from, Socket to) {
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                i.transferTo(o);
            } catch (Exception ignored) {
                // connection closed
            } finally {
                try {
                    to.shutdownOutput();
                } catch (Exception ignored) {
                    // already closed
                }
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }

    @Test
    void filesWaitInScanningWhileClamdIsDownAndBecomeReadyWhenItReturns() throws Exception {
        var clamd = TestClamd.clamd();
        int port;
        try (var probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        final int scannerPort = port;
        try (var h = new Harness(Map.of(), c -> c.withScanner(new StowageConfig.Scanner("127.0.0.1", scannerPort,
                TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(10))))) {
            byte[] text = "quarterly numbers, nothing to see\n".getBytes(StandardCharsets.UTF_8);
            var init = h.call("POST", "/v1/uploads", "olga", Map.of("filename", "q.txt", "size", text.length, "contentType", "text/plain")).json();
            assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);
            String id = init.path("fileId").asText();
            h.call("POST", "/v1/uploads/" + id + "/complete", "olga", null);

            JsonNode f = null;
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < end) {
                f = h.call("GET", "/v1/files/" + id, "olga", null).json();
                if (f.at("/scan/result").asText().equals("error")) break;
                Thread.sleep(100);
            }
            assertThat(f.path("status").asText()).isEqualTo("scanning");
            assertThat(f.at("/scan/result").asText()).isEqualTo("error");
            assertThat(h.call("GET", "/v1/files/" + id + "/content", "olga", null).status()).isEqualTo(409);
            var ready = h.call("GET", "/health/ready", null, null);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().at("/checks/scanner/status").asText()).isEqualTo("down");

            try (var back = new Forwarder(scannerPort, clamd.host(), clamd.port())) {
                JsonNode settled = h.awaitSettled("olga", id, Duration.ofSeconds(90));
                assertThat(settled.path("status").asText()).isEqualTo("ready");
                assertThat(settled.at("/scan/result").asText()).isEqualTo("clean");
            }
        }
    }
}

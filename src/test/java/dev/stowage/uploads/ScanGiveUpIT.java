package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileLifecycle;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestClamd;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scans that never end, ended: with {@code scanner.give_up_after_seconds: 2} a file whose scans keep failing
 * ends {@code rejected} {@code scan_failed} with the scanner's last error in its view, and an operator's
 * re-scan makes it ready once clamd answers; with {@code scanner.on_limits: hold} a file over a real clamd's
 * limit waits in {@code scanning} with the limit in its view until the operator re-scans it.
 */
class ScanGiveUpIT {
    static Harness h;
    static Switch scanner;
    static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    /** What the scanner's address does: refuse every scan, forward to the real clamd, or answer OK as a clamd with raised limits would. */
    enum Mode { DOWN, CLAMD, RAISED_LIMITS }

    /** A TCP endpoint in front of clamd whose behaviour the test switches. */
    static final class Switch implements AutoCloseable {
        final ServerSocket server;
        volatile Mode mode = Mode.DOWN;

        Switch(String host, int port) throws Exception {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        switch (mode) {
                            case DOWN -> in.close();
                            case CLAMD -> {
                                Socket out = new Socket(host, port);
                                Thread.ofVirtual().start(() -> ScannerOutageIT.Forwarder.pipe(in, out));
                                Thread.ofVirtual().start(() -> ScannerOutageIT.Forwarder.pipe(out, in));
                            }
                            case RAISED_LIMITS -> Thread.ofVirtual().start(() -> answerOk(in));
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            });
        }

        /** Reads one whole zINSTREAM and answers {@code stream: OK}: the reply of a clamd whose limits the file is within. */
        static void answerOk(Socket s) {
            try (s; var in = new DataInputStream(s.getInputStream()); OutputStream out = s.getOutputStream()) {
                in.readNBytes("zINSTREAM\0".length());
                for (int n; (n = in.readInt()) > 0; ) in.skipNBytes(n);
                out.write("stream: OK\0".getBytes(StandardCharsets.US_ASCII));
            } catch (Exception ignored) {
                // client gone
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        var clamd = TestClamd.clamd();
        scanner = new Switch(clamd.host(), clamd.port());
        h = new Harness(Map.of(), c -> c.withScanner(new StowageConfig.Scanner("127.0.0.1", scanner.port(), TestClamd.STREAM_MAX_BYTES,
                Duration.ofSeconds(10)).with(StowageConfig.Scanner.OnLimits.HOLD, Duration.ofSeconds(2))));
    }

    @AfterAll
    static void stop() throws Exception {
        h.close();
        scanner.close();
    }

    private String upload(String user, String name, String type, byte[] bytes) {
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", name, "size", bytes.length, "contentType", type));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        String id = init.json().path("fileId").asText();
        h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        return id;
    }

    private JsonNode await(String user, String id, Duration timeout, Predicate<JsonNode> done) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode f = null;
        while (System.nanoTime() < end) {
            f = h.call("GET", "/v1/files/" + id, user, null).json();
            if (done.test(f)) return f;
            Thread.sleep(100);
        }
        throw new AssertionError("not reached within " + timeout + ": " + f);
    }

    private List<String> objects(String prefix) {
        var raw = h.config.storage().buckets().raw();
        return h.stowage.s3().client().listObjectsV2Paginator(r -> r.bucket(raw).prefix(prefix)).contents().stream().map(o -> o.key()).toList();
    }

    @Test
    void aScanThatKeepsFailingEndsRejectedScanFailedWithItsReasonAndARescanMakesItReady() throws Exception {
        scanner.mode = Mode.DOWN;
        byte[] text = "minutes of the meeting\n".getBytes(StandardCharsets.UTF_8);
        String id = upload("gina", "minutes.txt", "text/plain", text);

        // while it is retried the view says why
        JsonNode retrying = await("gina", id, Duration.ofSeconds(30), f -> f.at("/scan/result").asText().equals("error"));
        assertThat(retrying.path("status").asText()).isEqualTo("scanning");
        assertThat(retrying.at("/scan/error").asText()).contains("clamd");

        // the first retry comes 10 s later (jobs.CappedBackoff), past the 2 s give-up time: a terminal state
        long t0 = System.nanoTime();
        JsonNode given = await("gina", id, Duration.ofSeconds(45), f -> !f.path("status").asText().equals("scanning"));
        assertThat(given.path("status").asText()).as(given.toString()).isEqualTo("rejected");
        assertThat(given.at("/reason/code").asText()).isEqualTo("scan_failed");
        assertThat(given.at("/reason/message").asText()).contains("scanner.give_up_after_seconds 2").contains("last error: clamd");
        assertThat(given.at("/scan/result").asText()).isEqualTo("error");
        assertThat(given.at("/scan/error").asText()).contains("clamd");
        System.out.printf("scan_failed %.1f s after the first failure was seen%n", (System.nanoTime() - t0) / 1e9);
        var usage = h.call("GET", "/v1/usage", "gina", null).json();
        assertThat(usage.path("reservedBytes").asLong()).isZero();
        assertThat(usage.path("usedBytes").asLong()).isZero();
        assertThat(h.call("GET", "/v1/files/" + id + "/content", "gina", null).status()).isEqualTo(409);
        assertThat(objects("gina/")).as("the object is kept for a re-scan").hasSize(1);
        assertThat(h.stowage.lifecycle().rescan(UUID.randomUUID())).isEqualTo(FileLifecycle.Rescan.NOT_FOUND);

        // clamd is back; the operator re-scans
        scanner.mode = Mode.CLAMD;
        assertThat(h.stowage.lifecycle().rescan(UUID.fromString(id))).isEqualTo(FileLifecycle.Rescan.RESUMED);
        JsonNode ready = h.awaitSettled("gina", id, Duration.ofSeconds(60));
        assertThat(ready.path("status").asText()).as(ready.toString()).isEqualTo("ready");
        assertThat(ready.at("/scan/result").asText()).isEqualTo("clean");
        assertThat(ready.path("reason").isMissingNode()).isTrue();
        assertThat(h.call("GET", "/v1/usage", "gina", null).json().path("usedBytes").asLong()).isEqualTo(text.length);
        assertThat(h.stowage.lifecycle().rescan(UUID.fromString(id))).as("a ready file").isEqualTo(FileLifecycle.Rescan.NOT_RESCANNABLE);
    }

    @Test
    void onLimitsHoldKeepsAFileOverMaxFilesInScanningWithItsLimitUntilARescan() throws Exception {
        scanner.mode = Mode.CLAMD;
        List<TypeDetectorTest.Entry> extra = new ArrayList<>();
        for (int i = 0; i <= TestClamd.MAX_FILES; i++) extra.add(new TypeDetectorTest.Entry("word/media/note" + i + ".txt", "note " + i + "\n"));
        byte[] docx = TypeDetectorTest.zip(TypeDetectorTest.docxEntries(DOCX + ".main+xml", true, extra.toArray(TypeDetectorTest.Entry[]::new)));
        String id = upload("hank", "report.docx", DOCX, docx);

        JsonNode held = await("hank", id, Duration.ofSeconds(60), f -> f.at("/scan/result").asText().equals("limits_exceeded"));
        assertThat(held.path("status").asText()).isEqualTo("scanning");
        assertThat(held.at("/scan/limit").asText()).isEqualTo("MaxFiles");
        assertThat(held.at("/reason/code").asText()).isEqualTo("too_large_to_scan");
        assertThat(held.at("/reason/message").asText()).contains("held for an operator").contains("MaxFiles");
        assertThat(h.call("GET", "/v1/files/" + id + "/content", "hank", null).status()).isEqualTo(409);
        assertThat(h.call("GET", "/v1/usage", "hank", null).json().path("reservedBytes").asLong()).isEqualTo(docx.length);
        assertThat(h.stowage.files().stuck(Duration.ZERO, 100)).as("a held file is not re-queued as stuck").doesNotContain(UUID.fromString(id));

        // the operator raises clamd's limits and re-scans
        scanner.mode = Mode.RAISED_LIMITS;
        assertThat(h.stowage.lifecycle().rescan(UUID.fromString(id))).isEqualTo(FileLifecycle.Rescan.RELEASED);
        JsonNode ready = h.awaitSettled("hank", id, Duration.ofSeconds(60));
        assertThat(ready.path("status").asText()).as(ready.toString()).isEqualTo("ready");
        assertThat(ready.at("/scan/result").asText()).isEqualTo("clean");
        assertThat(ready.at("/scan/limit").isMissingNode()).isTrue();
        assertThat(ready.path("reason").isMissingNode()).isTrue();
    }
}

package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Listings are checked, not trusted (docs/architecture.md §9): Stowage runs over a store that answers every
 * ListParts with the same page and {@code IsTruncated=true} — a store that ignores {@code part-number-marker}, or
 * answers {@code NextPartNumberMarker=0} — and forwards everything else to the embedded S3 server. Before the
 * guard, {@code GET /v1/uploads/{id}} and complete asked for ever (9,000–10,000 ListParts a minute); now they end at
 * once with 502 {@code store_listing_invalid} naming the listing, bucket and key, after one or two ListParts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListingDefenceIT {
    /** What the store answers to ListParts. */
    enum Answer {
        /** parts 1 and 2, {@code NextPartNumberMarker=0}, truncated */
        ZERO_MARKER,
        /** parts 1 and 2, {@code NextPartNumberMarker=2}, truncated, whatever marker was sent */
        IGNORES_MARKER
    }

    private RepeatingListParts store;
    private Harness h;

    @BeforeAll
    void start() {
        store = new RepeatingListParts(TestServers.embeddedS3());
        h = new Harness(Map.of("S3_ENDPOINT", store.uri().toString()), c -> c);
    }

    @AfterAll
    void stop() {
        if (h != null) h.close();
        if (store != null) store.close();
    }

    private String initiate(String user) {
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", "big.csv", "size", 12_582_912, "contentType", "text/csv"));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(init.json().path("kind").asText()).isEqualTo("multipart");
        return init.json().path("fileId").asText();
    }

    private void assertStopped(Harness.Resp r, String id, int listPartsCalls, long startedNanos) {
        long ms = (System.nanoTime() - startedNanos) / 1_000_000;
        assertThat(r.status()).as(r.raw().body()).isEqualTo(502);
        assertThat(r.raw().headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
        assertThat(r.json().path("code").asText()).isEqualTo("store_listing_invalid");
        String key = "staging/" + h.stowage.files().find(UUID.fromString(id)).orElseThrow().objectKey();
        assertThat(r.json().path("detail").asText()).contains("ListParts", "bucket " + h.config.storage().buckets().raw(), "key " + key);
        assertThat(store.listPartsCalls()).as("ListParts calls for one request").isEqualTo(listPartsCalls);
        assertThat(ms).as("answered in ms").isLessThan(5_000);
    }

    private void bothRoutesStop(String user, Answer answer, int callsEach, String why) {
        store.answer = answer;
        String id = initiate(user);
        long reserved = h.call("GET", "/v1/usage", user, null).json().path("reservedBytes").asLong();
        assertThat(reserved).isEqualTo(12_582_912);

        store.reset();
        long t0 = System.nanoTime();
        var state = h.call("GET", "/v1/uploads/" + id, user, null);
        assertStopped(state, id, callsEach, t0);
        assertThat(state.json().path("detail").asText()).contains(why);

        store.reset();
        t0 = System.nanoTime();
        var done = h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        assertStopped(done, id, callsEach, t0);

        // nothing was decided from a listing that could not be read: the upload stays pending, its bytes reserved
        JsonNode f = h.call("GET", "/v1/files/" + id, user, null).json();
        assertThat(f.path("status").asText()).isEqualTo("pending");
        assertThat(h.call("GET", "/v1/usage", user, null).json().path("reservedBytes").asLong()).isEqualTo(reserved);
        assertThat(store.markersSent()).allSatisfy(m -> assertThat(m).isIn("", "2"));
    }

    @Test
    void aNextPartNumberMarkerOfZeroStopsAfterOneListParts() {
        bothRoutesStop("zoe", Answer.ZERO_MARKER, 1, "next part-number marker 0 does not advance past 0");
    }

    @Test
    void aStoreThatIgnoresTheMarkerStopsAtTheRepeatedPage() {
        bothRoutesStop("ivan", Answer.IGNORES_MARKER, 2, "lists part 1, outside 3..10000");
    }

    /**
     * A loopback HTTP/1.1 store in front of the embedded S3 server: ListParts requests are answered with one
     * fixed, truncated page; every other request is forwarded as it is (the Host header, and so the signature,
     * unchanged), one request per connection.
     */
    static final class RepeatingListParts implements AutoCloseable {
        private final ServerSocket server;
        private final URI upstream;
        private final List<String> markers = new CopyOnWriteArrayList<>();
        volatile Answer answer = Answer.ZERO_MARKER;
        private volatile boolean closed;

        RepeatingListParts(URI upstream) {
            this.upstream = upstream;
            try {
                server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Thread.ofVirtual().start(() -> {
                while (!closed) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> serve(s));
                    } catch (IOException e) {
                        if (!closed) e.printStackTrace();
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort());
        }

        int listPartsCalls() {
            return markers.size();
        }

        List<String> markersSent() {
            return new ArrayList<>(markers);
        }

        void reset() {
            markers.clear();
        }

        private void serve(Socket client) {
            try (client) {
                InputStream in = new BufferedInputStream(client.getInputStream());
                OutputStream out = client.getOutputStream();
                List<String> head = readHead(in);
                if (head.isEmpty()) return;
                String[] line = head.getFirst().split(" ");
                String method = line[0], target = line[1];
                String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
                if (method.equals("GET") && query.contains("uploadId=") && !query.contains("partNumber=")) {
                    String marker = "";
                    for (String kv : query.split("&")) if (kv.startsWith("part-number-marker=")) marker = kv.substring(19);
                    markers.add(marker);
                    byte[] body = page().getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    return;
                }
                long length = 0;
                boolean expect = false;
                StringBuilder forwarded = new StringBuilder(head.getFirst()).append("\r\n");
                for (String h : head.subList(1, head.size())) {
                    String name = h.substring(0, h.indexOf(':')).trim().toLowerCase(Locale.ROOT);
                    if (name.equals("content-length")) length = Long.parseLong(h.substring(h.indexOf(':') + 1).trim());
                    if (name.equals("expect")) {
                        expect = true;
                        continue;
                    }
                    if (name.equals("connection")) continue;
                    forwarded.append(h).append("\r\n");
                }
                forwarded.append("Connection: close\r\n\r\n");
                if (expect) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                try (Socket up = new Socket(upstream.getHost(), upstream.getPort())) {
                    OutputStream upOut = up.getOutputStream();
                    upOut.write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
                    byte[] buf = new byte[8192];
                    for (long left = length; left > 0; ) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) break;
                        upOut.write(buf, 0, n);
                        left -= n;
                    }
                    upOut.flush();
                    up.getInputStream().transferTo(out);
                    out.flush();
                }
            } catch (IOException e) {
                // the client went away
            }
        }

        private String page() {
            String next = answer == Answer.ZERO_MARKER ? "0" : "2";
            StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    + "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId><PartNumberMarker>0</PartNumberMarker>"
                    + "<NextPartNumberMarker>" + next + "</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>true</IsTruncated>");
            for (int n = 1; n <= 2; n++) {
                sb.append("<Part><PartNumber>").append(n).append("</PartNumber><LastModified>2026-01-01T00:00:00.000Z</LastModified>")
                        .append("<ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>5242880</Size></Part>");
            }
            return sb.append("</ListPartsResult>").toString();
        }

        /** The request line and header lines, up to the empty line (empty when the connection closed first). */
        private static List<String> readHead(InputStream in) throws IOException {
            List<String> lines = new ArrayList<>();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    String l = line.toString(StandardCharsets.ISO_8859_1);
                    if (l.endsWith("\r")) l = l.substring(0, l.length() - 1);
                    if (l.isEmpty()) return lines;
                    lines.add(l);
                    line.reset();
                } else {
                    line.write(b);
                }
            }
            return List.of();
        }

        @Override
        public void close() {
            closed = true;
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
        }

    }
}

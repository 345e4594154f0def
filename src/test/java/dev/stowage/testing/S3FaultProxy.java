package dev.stowage.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An HTTP proxy on a loopback port in front of an S3 server that answers chosen requests itself, as a store
 * that lacks a feature would (a {@code 501 NotImplemented} for one sub-resource, a {@code 400} for a request
 * without {@code Content-MD5}), and forwards the others unchanged (bytes as sent, so signatures still hold).
 * One request per connection: every answer carries {@code Connection: close}.
 */
public final class S3FaultProxy implements AutoCloseable {
    /**
     * The head of one request.
     *
     * @param method  {@code GET}, {@code PUT}, …
     * @param target  path and query as sent, e.g. {@code /bucket?lifecycle}
     * @param headers header names in lower case, values as sent
     */
    public record Request(String method, String target, Map<String, String> headers) {
        /** Whether the query has this sub-resource, e.g. {@code tagging} for {@code ?tagging}. */
        public boolean has(String subresource) {
            int q = target.indexOf('?');
            if (q < 0) return false;
            for (String p : target.substring(q + 1).split("&")) if (p.equals(subresource) || p.startsWith(subresource + "=")) return true;
            return false;
        }
    }

    /** A canned S3 error answer. */
    public static String error(int status, String reason, String code, String message) {
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
                + "</Message><RequestId>fault-proxy</RequestId></Error>";
        return "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/xml\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
    }

    private final ServerSocket server;
    private final String host;
    private final int port;
    private final Function<Request, String> rule;
    private final List<Request> seen = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private S3FaultProxy(URI upstream, Function<Request, String> rule) throws IOException {
        this.host = upstream.getHost();
        this.port = upstream.getPort();
        this.rule = rule;
        this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("s3-fault-proxy").start(this::accept);
    }

    /**
     * Starts a proxy.
     *
     * @param upstream the S3 endpoint, {@code http://host:port}
     * @param rule     per request, the raw HTTP answer to give instead of forwarding, or {@code null} to forward
     */
    public static S3FaultProxy to(URI upstream, Function<Request, String> rule) {
        try {
            return new S3FaultProxy(upstream, rule);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The endpoint to give clients. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Every request head seen, in order. */
    public List<Request> seen() {
        return seen;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket c = server.accept();
                Thread.ofVirtual().start(() -> handle(c));
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private static byte[] head(InputStream in) throws IOException {
        var out = new ByteArrayOutputStream();
        int b, state = 0;
        while ((b = in.read()) >= 0) {
            out.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) ? state + 1 : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) return out.toByteArray();
        }
        return out.size() == 0 ? null : out.toByteArray();
    }

    private void handle(Socket client) {
        try (client; Socket up = new Socket(host, port)) {
            InputStream cin = client.getInputStream();
            OutputStream cout = client.getOutputStream();
            byte[] raw = head(cin);
            if (raw == null) return;
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r\n");
            String[] rl = lines[0].split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int c = lines[i].indexOf(':');
                if (c > 0) headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
            }
            Request req = new Request(rl[0], rl[1], headers);
            seen.add(req);
            long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
            String canned = rule.apply(req);
            if (canned != null) {
                if (!"100-continue".equalsIgnoreCase(headers.get("expect"))) cin.readNBytes((int) Math.min(length, 64 << 20));
                cout.write(canned.getBytes(StandardCharsets.UTF_8));
                cout.flush();
                return;
            }
            var sb = new StringBuilder(lines[0]).append("\r\n");
            for (int i = 1; i < lines.length; i++) {
                if (lines[i].isEmpty() || lines[i].toLowerCase(Locale.ROOT).startsWith("connection:")) continue;
                sb.append(lines[i]).append("\r\n");
            }
            sb.append("Connection: close\r\n\r\n");
            OutputStream uout = up.getOutputStream();
            uout.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            uout.flush();
            Thread body = Thread.ofVirtual().start(() -> {
                try {
                    long left = length;
                    byte[] buf = new byte[8192];
                    while (left > 0) {
                        int n = cin.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) break;
                        uout.write(buf, 0, n);
                        left -= n;
                    }
                    uout.flush();
                } catch (IOException ignored) {
                    // the client or the server went away
                }
            });
            InputStream uin = up.getInputStream();
            while (true) {
                byte[] rh = head(uin);
                if (rh == null) break;
                String h = new String(rh, StandardCharsets.ISO_8859_1);
                boolean interim = h.startsWith("HTTP/1.1 1") || h.startsWith("HTTP/1.0 1");
                if (interim) {
                    cout.write(rh);
                    cout.flush();
                    continue;
                }
                var rb = new StringBuilder();
                for (String l : h.split("\r\n")) {
                    if (l.isEmpty() || l.toLowerCase(Locale.ROOT).startsWith("connection:")) continue;
                    rb.append(l).append("\r\n");
                }
                rb.append("Connection: close\r\n\r\n");
                cout.write(rb.toString().getBytes(StandardCharsets.ISO_8859_1));
                uin.transferTo(cout);
                cout.flush();
                break;
            }
            body.join(1000);
        } catch (IOException | InterruptedException e) {
            // a connection went away: the client sees it as a network error
        }
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

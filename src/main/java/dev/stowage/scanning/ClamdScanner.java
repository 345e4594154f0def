package dev.stowage.scanning;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A client of clamd, the ClamAV daemon, over TCP.
 *
 * <p>Protocol (clamd(8), "COMMANDS", {@code INSTREAM}; ClamAV 1.4): a command prefixed with {@code z} is
 * terminated by a NUL byte and clamd ends its reply with a NUL byte. {@code zINSTREAM\0} is followed by
 * chunks, each a 4-byte unsigned big-endian length then that many bytes; a zero-length chunk ends the
 * stream. clamd then replies {@code stream: OK}, {@code stream: <signature> FOUND} or
 * {@code <message> ERROR}. A stream longer than clamd's {@code StreamMaxLength} gets
 * {@code INSTREAM size limit exceeded. ERROR} and clamd closes the connection while the client may still be
 * sending. {@code zPING\0} is answered with {@code PONG}. One connection per command.
 *
 * <p>Verdicts ({@link ClamdReply} has the grammar of every reply): {@link ScanResult.Clean} only for
 * {@code stream: OK} after the whole content was sent; {@code stream: <signature> FOUND} is
 * {@link ScanResult.Infected}; {@code Heuristics.Limits.Exceeded.<limit> FOUND} (clamd with
 * {@code AlertExceedsMax yes}), clamd's {@code INSTREAM size limit exceeded} and content larger than
 * {@code maxStreamBytes} (not sent at all) are {@link ScanResult.LimitsExceeded}; everything else,
 * {@code (null) FOUND} included, is {@link ScanResult.Failed}.
 *
 * <p>Timeouts: {@code timeout} bounds connecting, each wait for clamd's reply, and each write that clamd
 * does not drain (detected within twice {@code timeout}). Reading {@code content} is not timed here.
 * Thread-safe: every call opens its own connection.
 */
public final class ClamdScanner implements MalwareScanner {
    /** Bytes of content per INSTREAM chunk (64 KiB). */
    static final int CHUNK_BYTES = 64 * 1024;
    /** Longest reply read from clamd, in bytes; a signature name is far shorter. */
    private static final int MAX_REPLY_BYTES = 4096;
    /** Upper bound of {@link #health()}'s connect and reply timeouts. */
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(5);
    private static final byte[] INSTREAM = "zINSTREAM\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PING = "zPING\0".getBytes(StandardCharsets.US_ASCII);

    private final String host;
    private final int port;
    private final long maxStreamBytes;
    private final Duration timeout;

    /**
     * @param host           clamd's host name or address
     * @param port           clamd's TCP port ({@code TCPSocket} in clamd.conf)
     * @param maxStreamBytes the largest content sent to clamd, in bytes; at most clamd's {@code StreamMaxLength}
     * @param timeout        connect timeout, and the longest wait for clamd to take more bytes or to reply
     */
    public ClamdScanner(String host, int port, long maxStreamBytes, Duration timeout) {
        this.host = Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1-65535, was " + port);
        if (maxStreamBytes < 0) throw new IllegalArgumentException("maxStreamBytes must be >= 0, was " + maxStreamBytes);
        if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeout must be positive and below 24 days, was " + timeout);
        }
        this.port = port;
        this.maxStreamBytes = maxStreamBytes;
        this.timeout = timeout;
    }

    /**
     * Streams {@code content} to clamd with {@code INSTREAM} in chunks of {@value #CHUNK_BYTES} bytes.
     *
     * @param content   read to the end, not closed
     * @param sizeBytes the exact length of {@code content} in bytes; above {@code maxStreamBytes} nothing is
     *                  sent and the result is {@link ScanResult.LimitsExceeded} ({@code StreamMaxLength}); content
     *                  shorter or longer than this
     *                  is {@link ScanResult.Failed} (clamd is never asked for a verdict on a part of the content)
     * @throws IllegalArgumentException when {@code sizeBytes} is negative
     */
    @Override
    public ScanResult scan(InputStream content, long sizeBytes) {
        Objects.requireNonNull(content, "content");
        if (sizeBytes < 0) throw new IllegalArgumentException("sizeBytes must be >= 0, was " + sizeBytes);
        if (sizeBytes > maxStreamBytes) {
            return new ScanResult.LimitsExceeded(ScanResult.LimitsExceeded.STREAM_MAX_LENGTH, "the content (" + sizeBytes
                    + " bytes) is larger than this scanner's limit of " + maxStreamBytes + " bytes (scanner.max_stream_bytes): not sent");
        }

        Socket socket;
        try {
            socket = connect(timeout);
        } catch (IOException e) {
            return new ScanResult.Failed("clamd unreachable: " + address() + ": " + message(e));
        }
        try (socket; WriteGuard guard = new WriteGuard(socket, timeout)) {
            OutputStream out = socket.getOutputStream();
            byte[] chunk = new byte[4 + CHUNK_BYTES];
            long sent = 0;
            IOException uploadError = null;
            try {
                guard.write(out, INSTREAM, INSTREAM.length);
                while (sent < sizeBytes) {
                    int want = (int) Math.min(CHUNK_BYTES, sizeBytes - sent);
                    int n;
                    try {
                        n = content.readNBytes(chunk, 4, want);
                    } catch (IOException e) {
                        return new ScanResult.Failed("cannot read the content after " + sent + " bytes: " + message(e));
                    }
                    if (n < want) {
                        return new ScanResult.Failed("the content ended after " + (sent + n) + " of " + sizeBytes + " bytes");
                    }
                    putLength(chunk, n);
                    guard.write(out, chunk, 4 + n);
                    sent += n;
                }
                try {
                    if (content.read() != -1) {
                        return new ScanResult.Failed("the content is longer than the declared " + sizeBytes + " bytes");
                    }
                } catch (IOException e) {
                    return new ScanResult.Failed("cannot read the content after " + sent + " bytes: " + message(e));
                }
                putLength(chunk, 0);
                guard.write(out, chunk, 4);
            } catch (IOException e) {
                // clamd may have closed the connection early (e.g. past StreamMaxLength): its reply says why
                uploadError = e;
            }
            if (guard.fired()) {
                return new ScanResult.Failed("clamd unreachable: " + address() + ": took no data for " + seconds(timeout)
                        + " after " + sent + " bytes");
            }
            String reply;
            try {
                socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
                reply = readReply(socket.getInputStream());
            } catch (SocketTimeoutException e) {
                return new ScanResult.Failed("clamd unreachable: " + address() + ": no reply within " + seconds(timeout)
                        + " after " + sent + " bytes");
            } catch (IOException e) {
                reply = "";
            }
            if (uploadError != null) {
                if (reply.isBlank()) {
                    return new ScanResult.Failed("clamd closed the connection after " + sent + " of " + sizeBytes
                            + " bytes without a reply: " + message(uploadError));
                }
                ScanResult r = ClamdReply.parse(reply);
                // Only a complete upload can be clean, whatever clamd said.
                return r.isClean() ? new ScanResult.Failed("clamd answered " + ClamdReply.quote(reply) + " to an incomplete stream") : r;
            }
            if (reply.isBlank()) return new ScanResult.Failed("clamd closed the connection without a reply");
            return ClamdReply.parse(reply);
        } catch (IOException e) {
            return new ScanResult.Failed("clamd connection failed: " + message(e));
        }
    }

    /**
     * Sends {@code zPING} and expects {@code PONG}, waiting at most the smaller of {@code timeout} and 5 s
     * for the connection and for the reply.
     */
    @Override
    public String health() {
        Duration t = timeout.compareTo(HEALTH_TIMEOUT) < 0 ? timeout : HEALTH_TIMEOUT;
        try (Socket socket = connect(t)) {
            socket.setSoTimeout(Math.toIntExact(t.toMillis()));
            socket.getOutputStream().write(PING);
            socket.getOutputStream().flush();
            String reply = readReply(socket.getInputStream()).strip();
            return reply.equals("PONG") ? null : "clamd at " + address() + " answered PING with " + ClamdReply.quote(reply);
        } catch (SocketTimeoutException e) {
            return "clamd unreachable: " + address() + ": no answer within " + seconds(t);
        } catch (IOException e) {
            return "clamd unreachable: " + address() + ": " + message(e);
        }
    }

    @Override
    public String name() {
        return "clamd " + address();
    }

    /** The configured content limit, in bytes. */
    public long maxStreamBytes() {
        return maxStreamBytes;
    }

    @Override
    public String toString() {
        return name();
    }

    private Socket connect(Duration t) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), Math.toIntExact(t.toMillis()));
            socket.setSoTimeout(Math.toIntExact(t.toMillis()));
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Reads one NUL-terminated reply (or up to end of stream), at most {@value #MAX_REPLY_BYTES} bytes, as
     * clamd sent it (newlines kept, for {@link ClamdReply#parse}).
     */
    private static String readReply(InputStream in) throws IOException {
        byte[] buf = new byte[MAX_REPLY_BYTES];
        int n = 0;
        int b;
        while (n < buf.length && (b = in.read()) > 0) buf[n++] = (byte) b;
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    private static void putLength(byte[] chunk, int length) {
        chunk[0] = (byte) (length >>> 24);
        chunk[1] = (byte) (length >>> 16);
        chunk[2] = (byte) (length >>> 8);
        chunk[3] = (byte) length;
    }

    private String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }

    private static String message(Throwable e) {
        if (e instanceof UnknownHostException) return "unknown host";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\p{Cntrl}", " ");
    }

    /**
     * Blocking socket writes have no timeout in Java: this closes the socket when one write has waited longer
     * than the timeout (clamd hung or stopped reading), which makes the write throw.
     */
    private static final class WriteGuard implements AutoCloseable {
        private final Socket socket;
        private final long timeoutNanos;
        private final Thread thread;
        private volatile long writeStarted; // System.nanoTime() | 1 while a write is in progress, else 0
        private volatile boolean fired;
        private volatile boolean closed;

        WriteGuard(Socket socket, Duration timeout) {
            this.socket = socket;
            this.timeoutNanos = timeout.toNanos();
            this.thread = Thread.ofVirtual().name("clamd-write-guard").start(this::watch);
        }

        void write(OutputStream out, byte[] bytes, int length) throws IOException {
            writeStarted = System.nanoTime() | 1;
            try {
                out.write(bytes, 0, length);
            } finally {
                writeStarted = 0;
            }
        }

        boolean fired() {
            return fired;
        }

        private void watch() {
            while (!closed) {
                long started = writeStarted;
                long waited = started == 0 ? 0 : System.nanoTime() - started;
                if (started != 0 && waited >= timeoutNanos) {
                    fired = true;
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // the blocked write fails either way
                    }
                    return;
                }
                LockSupport.parkNanos(this, timeoutNanos - waited);
            }
        }

        @Override
        public void close() {
            closed = true;
            LockSupport.unpark(thread);
        }
    }
}

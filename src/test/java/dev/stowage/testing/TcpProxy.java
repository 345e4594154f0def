package dev.stowage.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a loopback port in front of a server (the embedded PostgreSQL, the embedded S3), which a
 * test cuts to stage an outage and restores. Two ways to cut:
 *
 * <ul>
 *   <li>{@link Cut#REFUSE}: open connections are reset, new ones are accepted and reset at once (as a stopped
 *       server or a closed port answers);
 *   <li>{@link Cut#BLACK_HOLE}: nothing answers any more and nothing is reset, as in a partition or behind a
 *       firewall that drops packets: bytes sent on open connections are held, not delivered; new connections
 *       are accepted and then hear nothing. On {@link #restore()} what was held flows on, as TCP delivers
 *       retransmitted segments once the path is back — unless a side gave up and closed meanwhile.
 * </ul>
 */
public final class TcpProxy implements AutoCloseable {
    /** How a cut behaves. */
    public enum Cut { REFUSE, BLACK_HOLE }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
    private final Set<Socket> held = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private final AtomicLong accepted = new AtomicLong();
    private volatile Cut cut;
    private volatile boolean closed;

    private TcpProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-proxy-" + server.getLocalPort()).start(this::acceptLoop);
    }

    /**
     * Starts a proxy to {@code host:port}.
     *
     * @return the proxy, forwarding
     */
    public static TcpProxy to(String host, int port) {
        try {
            return new TcpProxy(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a proxy port: " + e, e);
        }
    }

    /** The loopback port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public long accepted() {
        return accepted.get();
    }

    /** Cuts the link (see {@link Cut}); cutting again changes the way. */
    public void cut(Cut how) {
        cut = how;
        if (how == Cut.REFUSE) {
            for (Pair p : pairs) p.reset();
            for (Socket s : held) quietReset(s);
            held.clear();
        }
    }

    /** Forwards again: held bytes flow on, held connections are connected through, new ones are forwarded. */
    public void restore() {
        synchronized (gate) {
            cut = null;
            gate.notifyAll();
        }
    }

    /** Waits while the link is black-holed. */
    private void passGate() throws InterruptedException {
        synchronized (gate) {
            while (cut == Cut.BLACK_HOLE && !closed) gate.wait(100);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) return;
                continue;
            }
            accepted.incrementAndGet();
            Cut now = cut;
            if (now == Cut.REFUSE) {
                quietReset(client);
            } else if (now == Cut.BLACK_HOLE) {
                held.add(client);
                Thread.ofVirtual().start(() -> {
                    try {
                        passGate();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (held.remove(client) && !closed) connect(client);
                });
            } else {
                Thread.ofVirtual().start(() -> connect(client));
            }
        }
    }

    private void connect(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 2000);
            upstream.setTcpNoDelay(true);
            client.setTcpNoDelay(true);
        } catch (IOException e) {
            quietReset(client);
            quietReset(upstream);
            return;
        }
        Pair p = new Pair(client, upstream);
        pairs.add(p);
        if (cut == Cut.REFUSE) p.reset();
        Thread.ofVirtual().start(() -> p.pump(client, upstream));
        Thread.ofVirtual().start(() -> p.pump(upstream, client));
    }

    private static void quietReset(Socket s) {
        try {
            if (s.isConnected()) s.setSoLinger(true, 0); // RST instead of FIN
        } catch (SocketException ignored) {
            // already closed
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** One proxied connection: the client's socket and the server's. */
    private final class Pair {
        final Socket client;
        final Socket upstream;

        Pair(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void pump(Socket from, Socket to) {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while (true) {
                    passGate();
                    if ((n = in.read(buf)) < 0) break;
                    passGate(); // bytes read as the cut came are held too
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException ignored) {
                // one side closed or reset
            }
            reset();
        }

        void reset() {
            pairs.remove(this);
            quietReset(client);
            quietReset(upstream);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        synchronized (gate) {
            gate.notifyAll();
        }
        for (Pair p : pairs) p.reset();
        for (Socket s : held) quietReset(s);
    }
}

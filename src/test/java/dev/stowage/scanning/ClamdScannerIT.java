package dev.stowage.scanning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.TestClamd;
import dev.stowage.testing.TestServers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ClamdScanner} against the real clamd of {@code scripts/clamd.sh} (project-owned signatures only),
 * plus a few misbehaving fake servers for what a healthy clamd never does.
 */
class ClamdScannerIT {
    /** The EICAR anti-virus test file (68 bytes), in two pieces so this source file itself is not flagged. */
    static final byte[] EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
            .getBytes(StandardCharsets.US_ASCII);
    /** Debian's clamav-testfiles: one test program, plain and in 43 packed, compressed or archived forms. */
    static final Path CLAMAV_TESTFILES = Path.of("/usr/share/clamav-testfiles");

    static TestClamd.Clamd clamd;
    static ClamdScanner scanner;

    @BeforeAll
    static void clamdRuns() {
        clamd = TestClamd.clamd();
        scanner = new ClamdScanner(clamd.host(), clamd.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(30));
        assertThat(scanner.health())
                .as("the test clamd at %s:%d does not answer PING: run 'scripts/clamd.sh start'", clamd.host(), clamd.port())
                .isNull();
    }

    static ScanResult scan(ClamdScanner s, byte[] content) {
        return s.scan(new ByteArrayInputStream(content), content.length);
    }

    static ScanResult scanFile(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return scanner.scan(in, Files.size(file));
        }
    }

    @Test
    void eicarIsInfectedWithItsSignatureName() {
        ScanResult r = scan(scanner, EICAR);
        assertThat(r).isEqualTo(new ScanResult.Infected(TestClamd.EICAR_SIGNATURE));
        assertThat(r.isClean()).isFalse();
    }

    @Test
    void eicarInsideOtherBytesAndInsideAZipIsInfected() throws IOException {
        byte[] padded = ("report.txt\n" + new String(EICAR, StandardCharsets.US_ASCII) + "\nend\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(scan(scanner, padded)).isEqualTo(new ScanResult.Infected(TestClamd.EICAR_SIGNATURE));

        var zip = new ByteArrayOutputStream();
        try (var z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("docs/readme.txt"));
            z.write("nothing to see".getBytes(StandardCharsets.US_ASCII));
            z.putNextEntry(new ZipEntry("docs/eicar.com"));
            z.write(EICAR);
        }
        assertThat(scan(scanner, zip.toByteArray())).isEqualTo(new ScanResult.Infected(TestClamd.EICAR_SIGNATURE));
    }

    @Test
    void textThatOnlyNamesEicarIsClean() {
        byte[] text = "This mail mentions EICAR-STANDARD-ANTIVIRUS-TEST-FILE but is not the test file.".getBytes(StandardCharsets.US_ASCII);
        assertThat(scan(scanner, text)).isEqualTo(new ScanResult.Clean());
    }

    @Test
    void cleanPdfsAreClean() throws IOException {
        Path docs = TestServers.fixture("docs");
        assertThat(docs).as("fixture folder %s is missing", docs).isDirectory();
        List<Path> pdfs;
        try (Stream<Path> files = Files.list(docs)) {
            pdfs = files.filter(p -> p.getFileName().toString().endsWith(".pdf")).sorted().toList();
        }
        assertThat(pdfs).as("PDF fixtures in %s", docs).isNotEmpty();
        for (Path pdf : pdfs) {
            ScanResult r = scanFile(pdf);
            assertThat(r).as(pdf.getFileName().toString()).isEqualTo(new ScanResult.Clean());
            assertThat(r.isClean()).isTrue();
        }
    }

    static Stream<Path> clamavTestFiles() throws IOException {
        assertThat(CLAMAV_TESTFILES).as("%s is missing: apt-get install clamav-testfiles", CLAMAV_TESTFILES).isDirectory();
        try (Stream<Path> files = Files.list(CLAMAV_TESTFILES)) {
            List<Path> all = files.filter(Files::isRegularFile).sorted().toList();
            assertThat(all.stream().map(p -> p.getFileName().toString())).contains("clam.exe", "clam-aspack.exe", "clam.zip");
            return all.stream();
        }
    }

    /** One SHA-256 signature (of clam.exe) flags every form: clamd unpacks, decompresses and extracts them. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("clamavTestFiles")
    void everyClamavTestFileIsInfected(Path file) throws IOException {
        assertThat(scanFile(file)).isEqualTo(new ScanResult.Infected(TestClamd.TEST_FILE_SIGNATURE));
    }

    @Test
    void largerThanTheLimitIsNotSent() {
        var limited = new ClamdScanner(clamd.host(), clamd.port(), 1024 * 1024, Duration.ofSeconds(30));
        var content = new Zeros(2 * 1024 * 1024);
        ScanResult r = limited.scan(content, content.size);
        assertThat(r).isInstanceOfSatisfying(ScanResult.LimitsExceeded.class, l -> {
            assertThat(l.limit()).isEqualTo("StreamMaxLength");
            assertThat(l.detail()).contains("1048576");
        });
        assertThat(r.isClean()).isFalse();
        assertThat(content.read).as("bytes read from the content").isZero();
    }

    /**
     * Exactly StreamMaxLength is taken whole and answered with a verdict: clean where clamd's MaxFileSize is
     * at least as large, else (scripts/clamd.sh: MaxFileSize 20M, AlertExceedsMax yes) not fully scanned at
     * MaxFileSize. Never refused, never a failure.
     */
    @Test
    void exactlyClamdsStreamMaxLengthIsSentWhole() {
        var content = new Zeros(TestClamd.STREAM_MAX_BYTES);
        ScanResult r = scanner.scan(content, content.size);
        assertThat(r).isIn(new ScanResult.Clean(), new ScanResult.LimitsExceeded("MaxFileSize",
                ((r instanceof ScanResult.LimitsExceeded l) ? l.detail() : "x")));
        assertThat(content.read).isEqualTo(TestClamd.STREAM_MAX_BYTES);
    }

    /**
     * A scanner allowed more than clamd's StreamMaxLength (a configuration mistake): clamd refuses the stream,
     * one byte over at the last chunk, 32 MiB over while the client is still sending. Not fully scanned at
     * StreamMaxLength when its reply arrives, a failure when clamd closed before the client read it; never clean.
     */
    @ParameterizedTest(name = "StreamMaxLength + {0} bytes")
    @ValueSource(longs = {1, 32L * 1024 * 1024})
    void clamdRefusingALongStreamIsNotFullyScanned(long over) {
        var tooTrusting = new ClamdScanner(clamd.host(), clamd.port(), 2 * TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(30));
        var content = new Zeros(TestClamd.STREAM_MAX_BYTES + over);
        ScanResult r = tooTrusting.scan(content, content.size);
        if (r instanceof ScanResult.LimitsExceeded l) {
            assertThat(l.limit()).isEqualTo("StreamMaxLength");
        } else {
            assertThat(r).isInstanceOfSatisfying(ScanResult.Failed.class, f -> assertThat(f.reason()).contains("clamd closed the connection"));
        }
        assertThat(r.isClean()).isFalse();
        assertThat(scanner.health()).as("clamd still answers").isNull();
    }

    @Test
    void contentOfAnotherLengthThanDeclaredIsAFailedScan() {
        assertThat(scanner.scan(new ByteArrayInputStream(new byte[1000]), 2000))
                .isEqualTo(new ScanResult.Failed("the content ended after 1000 of 2000 bytes"));
        assertThat(scanner.scan(new ByteArrayInputStream(new byte[2000]), 1000))
                .isEqualTo(new ScanResult.Failed("the content is longer than the declared 1000 bytes"));
        // the first bytes are EICAR, but clamd is never asked about a part of the content
        byte[] eicarThenMore = (new String(EICAR, StandardCharsets.US_ASCII) + " and more").getBytes(StandardCharsets.US_ASCII);
        assertThat(scanner.scan(new ByteArrayInputStream(eicarThenMore), EICAR.length)).isInstanceOf(ScanResult.Failed.class);
    }

    @Test
    void unreadableContentIsAFailedScan() {
        InputStream broken = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ < 100_000) return 'a';
                throw new IOException("connection to S3 reset");
            }
        };
        assertThat(scanner.scan(broken, 1_000_000)).isInstanceOfSatisfying(ScanResult.Failed.class,
                f -> assertThat(f.reason()).startsWith("cannot read the content after ").endsWith("connection to S3 reset"));
    }

    @Test
    void emptyContentIsClean() {
        assertThat(scan(scanner, new byte[0])).isEqualTo(new ScanResult.Clean());
    }

    @Test
    void healthIsNullWhileClamdAnswers() {
        assertThat(scanner.health()).isNull();
        assertThat(scanner.name()).isEqualTo("clamd " + clamd.host() + ":" + clamd.port());
    }

    @Test
    void nothingListeningIsAFailedScanAndAnUnhealthyScanner() throws IOException {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var down = new ClamdScanner("127.0.0.1", port, TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(2));
        ScanResult r = scan(down, EICAR);
        assertThat(r).isInstanceOfSatisfying(ScanResult.Failed.class,
                f -> assertThat(f.reason()).startsWith("clamd unreachable: 127.0.0.1:" + port + ": "));
        assertThat(r.isClean()).isFalse();
        assertThat(down.health()).startsWith("clamd unreachable: 127.0.0.1:" + port + ": ");
    }

    @Test
    void parallelScansGetTheirOwnVerdicts() throws Exception {
        try (var pool = Executors.newFixedThreadPool(8)) {
            List<Future<ScanResult>> infected = new ArrayList<>();
            List<Future<ScanResult>> clean = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                infected.add(pool.submit(() -> scan(scanner, EICAR)));
                clean.add(pool.submit(() -> scan(scanner, new byte[300_000])));
            }
            for (var f : infected) assertThat(f.get()).isEqualTo(new ScanResult.Infected(TestClamd.EICAR_SIGNATURE));
            for (var f : clean) assertThat(f.get()).isEqualTo(new ScanResult.Clean());
        }
    }

    // ------------------------------------------------------------------ servers that misbehave

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (var server = new FakeServer(s -> {
            try {
                s.getInputStream().transferTo(OutputStreamNull.INSTANCE); // takes everything, says nothing
            } catch (IOException ignored) {
                // client gave up
            }
        })) {
            var s = new ClamdScanner("127.0.0.1", server.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofMillis(300));
            long t0 = System.nanoTime();
            assertThat(scan(s, EICAR)).isInstanceOfSatisfying(ScanResult.Failed.class,
                    f -> assertThat(f.reason()).startsWith("clamd unreachable: ").contains("no reply within 0.3 s"));
            assertThat(s.health()).contains("no answer within 0.3 s");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aServerThatStopsReadingTimesOut() throws Exception {
        try (var server = new FakeServer(s -> {
            try {
                Thread.sleep(10_000); // accepts, never reads: the client's writes fill the buffers and block
            } catch (InterruptedException ignored) {
                // test over
            }
        })) {
            var s = new ClamdScanner("127.0.0.1", server.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofMillis(300));
            var content = new Zeros(64L * 1024 * 1024);
            long t0 = System.nanoTime();
            assertThat(s.scan(content, content.size)).isInstanceOfSatisfying(ScanResult.Failed.class,
                    f -> assertThat(f.reason()).startsWith("clamd unreachable: ").contains("took no data for 0.3 s"));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void okToAnIncompleteUploadIsNotClean() throws Exception {
        try (var server = new FakeServer(s -> {
            try {
                s.getInputStream().readNBytes(10);
                s.getOutputStream().write("stream: OK\0".getBytes(StandardCharsets.US_ASCII));
                s.setSoLinger(true, 0); // reset: the client's next writes fail
            } catch (IOException ignored) {
                // client gone
            }
        })) {
            var s = new ClamdScanner("127.0.0.1", server.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(5));
            var content = new Zeros(32L * 1024 * 1024);
            ScanResult r = s.scan(content, content.size);
            assertThat(r).isInstanceOf(ScanResult.Failed.class);
            assertThat(r.isClean()).isFalse();
        }
    }

    @Test
    void noReplyOrAStrangeReplyIsAFailedScan() throws Exception {
        for (String reply : List.of("", "stream:  FOUND\0", "UNKNOWN COMMAND\0", "stream: OK but\nnot really\0")) {
            try (var server = new FakeServer(s -> {
                try {
                    s.getInputStream().readNBytes("zINSTREAM\0".length() + 4 + EICAR.length + 4);
                    s.getOutputStream().write(reply.getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // client gone
                }
            })) {
                var s = new ClamdScanner("127.0.0.1", server.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(5));
                ScanResult r = scan(s, EICAR);
                assertThat(r).as("reply '%s'", reply).isInstanceOf(ScanResult.Failed.class);
                assertThat(((ScanResult.Failed) r).reason()).doesNotContain("\n");
            }
        }
    }

    @Test
    void resultsOtherThanCleanAreNeverClean() {
        assertThat(new ScanResult.Clean().isClean()).isTrue();
        assertThat(new ScanResult.Infected("x").isClean()).isFalse();
        assertThat(new ScanResult.LimitsExceeded("MaxFiles", "x").isClean()).isFalse();
        assertThat(new ScanResult.Failed("x").isClean()).isFalse();
    }

    /** {@code size} zero bytes, generated as they are read; counts what was read. */
    static final class Zeros extends InputStream {
        final long size;
        long read;

        Zeros(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            if (read >= size) return -1;
            read++;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) return 0;
            if (read >= size) return -1;
            int n = (int) Math.min(len, size - read);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            read += n;
            return n;
        }
    }

    static final class OutputStreamNull extends java.io.OutputStream {
        static final OutputStreamNull INSTANCE = new OutputStreamNull();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }

    /** A loopback server that handles each connection with {@code handler}, on a virtual thread. */
    static final class FakeServer implements AutoCloseable {
        private final ServerSocket server;
        private final Thread acceptor;

        FakeServer(Consumer<Socket> handler) throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> {
                            try (s) {
                                handler.accept(s);
                            } catch (IOException ignored) {
                                // closing
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            acceptor.interrupt();
        }
    }
}

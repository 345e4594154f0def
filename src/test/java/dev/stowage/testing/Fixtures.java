package dev.stowage.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * The test fixtures: the files committed under {@code src/test/resources/fixtures} (origins and licences
 * in its {@code MANIFEST.md}), read from the test classpath copy ({@code target/test-classes/fixtures}),
 * plus three that are made on first use instead of committed ({@link #GENERATED}).
 *
 * <p>The generated files are written into that classpath copy, beside the committed ones, so a test that
 * lists a folder ({@code images/special}) sees both. Writes go through a temporary file and an atomic
 * rename, so JVMs running at the same time never see half a file.
 *
 * <p>{@code main} makes them and prints the folder, for tools that read the fixtures outside a test.
 */
public final class Fixtures {
    /** 1-bit grey PNG declaring 50000x50000, all black, every row present (≈ 300 KB, 2.5 Gpixel decoded). */
    public static final String BOMB_1BIT = "images/special/bomb_50000x50000_1bit.png";
    /** RGBA PNG declaring 50000x50000 with one row of pixel data: 274 bytes. */
    public static final String BOMB_HEADER_ONLY = "images/special/bomb_header_only_50000x50000.png";
    /** The first half of the bytes of {@code images/photos/mate_Storm.jpg}. */
    public static final String TRUNCATED_STORM = "images/special/truncated_Storm.jpg";
    /** The fixtures made by this class, as paths relative to the fixtures folder. */
    public static final List<String> GENERATED = List.of(BOMB_1BIT, BOMB_HEADER_ONLY, TRUNCATED_STORM);

    private static final int BOMB_SIDE = 50_000;
    private static Path root;

    private Fixtures() {}

    /**
     * The fixtures folder, with the generated files in place (made on the first call of this JVM if missing).
     *
     * @return the classpath copy of {@code src/test/resources/fixtures}
     * @throws AssertionError when the folder is not on the test classpath as a directory, or cannot be written
     */
    public static synchronized Path root() {
        if (root != null) return root;
        URL manifest = Fixtures.class.getResource("/fixtures/MANIFEST.md");
        if (manifest == null || !manifest.getProtocol().equals("file")) {
            throw new AssertionError("test fixtures not on the classpath as a folder (" + manifest + "): "
                    + "src/test/resources/fixtures is copied to target/test-classes by ./mvnw test-compile");
        }
        Path dir;
        try {
            dir = Path.of(manifest.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
        if (dir.endsWith(Path.of("src", "test", "resources", "fixtures"))) {
            throw new AssertionError("the fixtures on the classpath are the source folder " + dir
                    + ": generated fixtures are not written there; use the build output (target/test-classes)");
        }
        try {
            generate(dir);
        } catch (IOException e) {
            throw new AssertionError("cannot write the generated fixtures into " + dir + ": " + e, e);
        }
        root = dir;
        return dir;
    }

    /**
     * A fixture file or folder.
     *
     * @param relative path inside the fixtures folder, e.g. {@code images/photos/mate_Storm.jpg} or {@code docs}
     * @return its absolute path
     * @throws AssertionError when it does not exist
     */
    public static Path path(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) throw new AssertionError("fixture missing: " + p + " (see src/test/resources/fixtures/MANIFEST.md)");
        return p;
    }

    /** Writes the generated fixtures that are missing or stale into {@code dir}. */
    private static void generate(Path dir) throws IOException {
        if (!Files.exists(dir.resolve(BOMB_1BIT))) write(dir, BOMB_1BIT, bombOneBit());
        if (!Files.exists(dir.resolve(BOMB_HEADER_ONLY))) write(dir, BOMB_HEADER_ONLY, bombHeaderOnly());
        Path truncated = dir.resolve(TRUNCATED_STORM);
        byte[] storm = Files.readAllBytes(dir.resolve("images/photos/mate_Storm.jpg"));
        if (!Files.exists(truncated) || Files.size(truncated) != storm.length / 2) write(dir, TRUNCATED_STORM, truncated(storm));
    }

    private static void write(Path dir, String relative, byte[] data) throws IOException {
        Path target = dir.resolve(relative);
        Files.createDirectories(target.getParent());
        // the temporary file sits in the fixtures folder itself, which no test lists
        Path tmp = Files.createTempFile(dir, ".generating-", ".tmp");
        try {
            Files.write(tmp, data);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A decompression bomb: a valid 1-bit greyscale PNG of 50000x50000 black pixels, the 312,550,000 bytes
     * of filtered rows deflated at level 9 into one IDAT chunk.
     *
     * @return the PNG file's bytes (≈ 300 KB)
     */
    static byte[] bombOneBit() {
        int rowBytes = 1 + BOMB_SIDE / 8; // filter byte + 6250 bytes of 8 pixels each
        byte[] rows = new byte[rowBytes * 100];
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        ByteArrayOutputStream idat = new ByteArrayOutputStream(320 * 1024);
        byte[] buf = new byte[64 * 1024];
        try {
            for (int i = 0; i < BOMB_SIDE / 100; i++) {
                d.setInput(rows);
                while (!d.needsInput()) idat.write(buf, 0, d.deflate(buf));
            }
            d.finish();
            while (!d.finished()) idat.write(buf, 0, d.deflate(buf));
        } finally {
            d.end();
        }
        return png(ihdr(1, 0), idat.toByteArray());
    }

    /**
     * A PNG whose header declares 50000x50000 RGBA pixels but whose data holds a single row of zeros
     * (deflated at the default level).
     *
     * @return the PNG file's bytes (274)
     */
    static byte[] bombHeaderOnly() {
        Deflater d = new Deflater();
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            d.setInput(new byte[1 + BOMB_SIDE * 4]);
            d.finish();
            while (!d.finished()) idat.write(buf, 0, d.deflate(buf));
        } finally {
            d.end();
        }
        return png(ihdr(8, 6), idat.toByteArray());
    }

    /**
     * A JPEG cut in the middle of its entropy-coded data.
     *
     * @param jpeg a whole JPEG file
     * @return its first {@code jpeg.length / 2} bytes
     */
    static byte[] truncated(byte[] jpeg) {
        return Arrays.copyOf(jpeg, jpeg.length / 2);
    }

    /** IHDR payload for a 50000x50000 image: bit depth, colour type, deflate, adaptive filtering, no interlace. */
    private static byte[] ihdr(int bitDepth, int colourType) {
        return ByteBuffer.allocate(13).putInt(BOMB_SIDE).putInt(BOMB_SIDE)
                .put((byte) bitDepth).put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).array();
    }

    /** Signature, IHDR, one IDAT, IEND. */
    private static byte[] png(byte[] ihdr, byte[] idat) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(idat.length + 64);
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(out, "IHDR", ihdr);
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /**
     * Makes the generated fixtures and prints the fixtures folder (for benchmarks and manual runs).
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.out.println(root());
    }
}

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
    /** 8-bit grey PNG declaring 1x300000 (a side over the 30,000 px limit), every row present, deflated: about 1 KB. */
    public static final String BOMB_TALL = "images/hostile/bomb_1x300000.png";
    /** A 200-byte 16x16 grey PNG whose {@code tEXt} chunk, before IDAT, claims 0x7FFFFFFF bytes. */
    public static final String LYING_TEXT_LENGTH = "images/hostile/lying_text_length.png";
    /**
     * {@code images/photos/mate_Storm.jpg} with an Exif APP1 (IFD0 {@code Artist}, a GPS IFD with latitude and
     * longitude) written right after SOI, then cut to its first half (inside the entropy-coded data).
     */
    public static final String TRUNCATED_GPS_ARTIST = "images/hostile/truncated_gps_artist.jpg";
    /** The Artist written into {@link #TRUNCATED_GPS_ARTIST}. */
    public static final String ARTIST = "Stowage Test Artist";
    /** The fixtures made by this class, as paths relative to the fixtures folder. */
    public static final List<String> GENERATED = List.of(BOMB_1BIT, BOMB_HEADER_ONLY, TRUNCATED_STORM, BOMB_TALL,
            LYING_TEXT_LENGTH, TRUNCATED_GPS_ARTIST);

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
        if (!Files.exists(dir.resolve(BOMB_TALL))) write(dir, BOMB_TALL, bombTall());
        if (!Files.exists(dir.resolve(LYING_TEXT_LENGTH))) write(dir, LYING_TEXT_LENGTH, lyingTextLength());
        byte[] gps = truncated(withGpsAndArtist(storm));
        Path gpsPath = dir.resolve(TRUNCATED_GPS_ARTIST);
        if (!Files.exists(gpsPath) || Files.size(gpsPath) != gps.length) write(dir, TRUNCATED_GPS_ARTIST, gps);
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

    /**
     * A tall strip: an 8-bit greyscale PNG of 1x300000 black pixels (filter byte and one sample per row),
     * deflated at level 9. Within the pixel limit (300,000 pixels) but a side ten times the 30,000 px limit.
     *
     * @return the PNG file's bytes (about 1 KB)
     */
    static byte[] bombTall() {
        int height = 300_000;
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            d.setInput(new byte[2 * height]);
            d.finish();
            while (!d.finished()) idat.write(buf, 0, d.deflate(buf));
        } finally {
            d.end();
        }
        byte[] ihdr = ByteBuffer.allocate(13).putInt(1).putInt(height).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array();
        return png(ihdr, idat.toByteArray());
    }

    /**
     * A PNG that lies about a metadata chunk's length (ISO/IEC 15948 §5.3): signature, IHDR (16x16, 8-bit grey),
     * a {@code tEXt} chunk whose length field says 0x7FFFFFFF (the largest the format allows) though the file
     * ends 167 bytes later, holding a keyword, text, and the real IDAT and IEND chunks that the lie swallows.
     *
     * @return the PNG file's bytes (200)
     */
    static byte[] lyingTextLength() {
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        Deflater d = new Deflater();
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] buf = new byte[512];
        try {
            d.setInput(new byte[16 * 17]);
            d.finish();
            while (!d.finished()) idat.write(buf, 0, d.deflate(buf));
        } finally {
            d.end();
        }
        chunk(tail, "IDAT", idat.toByteArray());
        chunk(tail, "IEND", new byte[0]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(16).putInt(16).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
        out.writeBytes(ByteBuffer.allocate(4).putInt(0x7FFFFFFF).array());
        out.writeBytes("tEXtComment\0".getBytes(StandardCharsets.ISO_8859_1));
        int text = 200 - out.size() - tail.size();
        for (int i = 0; i < text; i++) out.write('x');
        out.writeBytes(tail.toByteArray());
        return out.toByteArray();
    }

    /**
     * A JPEG with an Exif APP1 segment (CIPA DC-008 §4.5.4; TIFF 6.0 big-endian) inserted right after SOI:
     * IFD0 holds {@code Artist} (0x013B, {@link #ARTIST}) and {@code GPSInfo} (0x8825), the GPS IFD holds
     * GPSLatitudeRef {@code N}, GPSLatitude 51/1 30/1 0/1, GPSLongitudeRef {@code W}, GPSLongitude 0/1 7/1 0/1.
     *
     * @param jpeg a whole JPEG file
     * @return the same file with the segment added
     */
    static byte[] withGpsAndArtist(byte[] jpeg) {
        byte[] artist = (ARTIST + "\0").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer t = ByteBuffer.allocate(512);
        t.put(new byte[] {'M', 'M', 0, 42}).putInt(8);
        int ifd0 = 8, ifd0Size = 2 + 2 * 12 + 4;
        int artistAt = ifd0 + ifd0Size;
        int gpsAt = artistAt + artist.length + (artist.length & 1);
        int gpsSize = 2 + 4 * 12 + 4;
        int latAt = gpsAt + gpsSize, lonAt = latAt + 24;
        t.putShort((short) 2);
        t.putShort((short) 0x013B).putShort((short) 2).putInt(artist.length).putInt(artistAt);
        t.putShort((short) 0x8825).putShort((short) 4).putInt(1).putInt(gpsAt);
        t.putInt(0);
        t.put(artist);
        if ((artist.length & 1) != 0) t.put((byte) 0);
        t.putShort((short) 4);
        t.putShort((short) 1).putShort((short) 2).putInt(2).put(new byte[] {'N', 0, 0, 0});
        t.putShort((short) 2).putShort((short) 5).putInt(3).putInt(latAt);
        t.putShort((short) 3).putShort((short) 2).putInt(2).put(new byte[] {'W', 0, 0, 0});
        t.putShort((short) 4).putShort((short) 5).putInt(3).putInt(lonAt);
        t.putInt(0);
        for (int v : new int[] {51, 1, 30, 1, 0, 1, 0, 1, 7, 1, 0, 1}) t.putInt(v);
        byte[] tiff = Arrays.copyOf(t.array(), t.position());
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length + tiff.length + 16);
        out.write(0xFF);
        out.write(0xD8);
        int length = 2 + 6 + tiff.length;
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (length >> 8), (byte) length});
        out.writeBytes("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(tiff);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
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

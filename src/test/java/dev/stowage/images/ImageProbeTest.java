package dev.stowage.images;

import dev.stowage.testing.TestServers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import com.twelvemonkeys.imageio.metadata.CompoundDirectory;
import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageProbeTest {

    // ---- fixtures (shared with MetadataStripperTest) ------------------------------------------------

    /** The {@code images} fixture folder (committed and generated files). */
    static Path images() {
        return TestServers.fixture("images");
    }

    static Path fixture(String relative) {
        Path p = images().resolve(relative);
        if (!Files.isRegularFile(p)) fail("fixture missing: " + p);
        return p;
    }

    static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(fixture(relative));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Every file under photos/ and special/, as "photos/x.jpg". */
    static List<String> allFixtures() {
        List<String> out = new ArrayList<>();
        for (String dir : List.of("photos", "special")) {
            try (Stream<Path> files = Files.list(images().resolve(dir))) {
                files.filter(Files::isRegularFile).map(p -> dir + "/" + p.getFileName()).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        assertThat(out).as("fixture files").hasSizeGreaterThan(40);
        return out;
    }

    static String extension(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /** The fixture manifest's image rows that give WxH: "photos/x.jpg" → {width, height, bytes or -1, notes}. */
    static Map<String, Object[]> manifest() throws IOException {
        Pattern row = Pattern.compile("^\\|\\s*images/(\\S+)\\s*\\|\\s*(\\d+)x(\\d+)\\s*\\|\\s*(\\d*)\\s*\\|([^|]*)\\|");
        Map<String, Object[]> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(TestServers.fixture("MANIFEST.md"))) {
            Matcher m = row.matcher(line);
            if (m.find()) {
                out.put(m.group(1), new Object[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                        m.group(4).isEmpty() ? -1L : Long.parseLong(m.group(4)), m.group(5).trim()});
            }
        }
        return out;
    }

    /** An ImageIO reader (JDK PNG/GIF, TwelveMonkeys JPEG/WebP) for the data, or null. */
    static ImageReader reader(byte[] data) throws IOException {
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data));
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) return null;
        ImageReader reader = readers.next();
        reader.setInput(in);
        return reader;
    }

    // ---- every fixture -----------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("allFixtures")
    void probesEveryFixtureLikeImageIOAndTheManifest(String name) throws IOException {
        byte[] data = bytes(name);
        ProbeResult probe = ImageProbe.probe(data);

        String expectedFormat = switch (extension(name)) {
            case "jpg" -> "jpeg";
            case "png" -> "png";
            case "gif" -> "gif";
            case "webp" -> "webp";
            case "heic", "avif" -> "heif";
            default -> throw new AssertionError("unexpected fixture " + name);
        };
        assertThat(probe.format()).isEqualTo(expectedFormat);
        assertThat(ImageProbe.probe(fixture(name))).as("probe(Path) = probe(byte[])").isEqualTo(probe);

        ImageReader reader = reader(data);
        if (!expectedFormat.equals("heif")) {
            assertThat(reader).as("an ImageIO reader for " + name).isNotNull();
            assertThat(probe.width()).as("width, as ImageIO reads it").isEqualTo(reader.getWidth(0));
            assertThat(probe.height()).as("height, as ImageIO reads it").isEqualTo(reader.getHeight(0));
            reader.dispose();
        }
        Object[] row = manifest().get(name);
        if (row != null) {
            assertThat(probe.width()).as("width in MANIFEST.md").isEqualTo(row[0]);
            assertThat(probe.height()).as("height in MANIFEST.md").isEqualTo(row[1]);
            String notes = (String) row[3];
            Matcher orient = Pattern.compile("orient=(\\d)").matcher(notes);
            assertThat(probe.orientation()).as("orientation in MANIFEST.md").isEqualTo(orient.find() ? Integer.parseInt(orient.group(1)) : 1);
            if (expectedFormat.equals("jpeg")) assertThat(probe.progressive()).as("progressive in MANIFEST.md").isEqualTo(notes.contains("progressive"));
            Matcher frames = Pattern.compile("(\\d+) frames").matcher(notes);
            assertThat(probe.frames()).as("frames in MANIFEST.md").isEqualTo(frames.find() ? Integer.parseInt(frames.group(1)) : 1);
            if (notes.contains("16-bit")) assertThat(probe.bitDepth()).isEqualTo(16);
        } else {
            fail(name + " has no row with WxH in the fixtures' MANIFEST.md");
        }
        if (expectedFormat.equals("jpeg")) {
            assertThat(probe.orientation()).as("orientation, as TwelveMonkeys' TIFF reader reads the Exif APP1").isEqualTo(exifOrientationByTwelveMonkeys(data));
            assertThat(probe.bitDepth()).isEqualTo(8);
        }
    }

    @Test
    void theManifestIsReadable() throws IOException {
        Map<String, Object[]> m = manifest();
        assertThat(m).hasSizeGreaterThanOrEqualTo(45).containsKeys("special/orient_6.jpg", "special/heic_Wood.heic", "special/bomb_header_only_50000x50000.png");
        assertThat(m.get("special/animated_LadyBird.gif")[3]).isEqualTo("9 frames");
    }

    /** Orientation of IFD0 in the first Exif APP1, parsed by TwelveMonkeys (1 when absent). */
    static int exifOrientationByTwelveMonkeys(byte[] jpeg) throws IOException {
        byte[] app1 = firstExifApp1(jpeg);
        if (app1 == null) return 1;
        Directory exif = new TIFFReader().read(new MemoryCacheImageInputStream(new ByteArrayInputStream(app1, 6, app1.length - 6)));
        Directory ifd0 = exif instanceof CompoundDirectory c ? c.getDirectory(0) : exif;
        Entry orientation = ifd0.getEntryById(0x0112);
        if (orientation == null) return 1;
        int value = ((Number) orientation.getValue()).intValue();
        return value >= 1 && value <= 8 ? value : 1;
    }

    /** The payload of the first APP1 starting with Exif\0\0, by a simple marker walk up to SOS. */
    static byte[] firstExifApp1(byte[] jpeg) {
        int pos = 2;
        while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
            int marker = jpeg[pos + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9) return null;
            int length = (jpeg[pos + 2] & 0xFF) << 8 | (jpeg[pos + 3] & 0xFF);
            if (marker == 0xE1 && length >= 8 && new String(jpeg, pos + 4, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                return Arrays.copyOfRange(jpeg, pos + 4, pos + 2 + length);
            }
            pos += 2 + length;
        }
        return null;
    }

    // ---- orientation -------------------------------------------------------------------------------

    @ParameterizedTest(name = "orient_{0}.jpg")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void readsEveryExifOrientationAndSwapsDisplayDimensions(int n) {
        ProbeResult p = ImageProbe.probe(bytes("special/orient_" + n + ".jpg"));
        assertThat(p.orientation()).isEqualTo(n);
        // every orient_N.jpg is mate Blinds (1920x1200) stored so that it is upright once the tag is applied
        assertThat(p.displayWidth()).isEqualTo(1920);
        assertThat(p.displayHeight()).isEqualTo(1200);
        assertThat(p.swapsDimensions()).isEqualTo(n >= 5);
        if (n >= 5) assertThat(p.width()).isEqualTo(1200);
        else assertThat(p.width()).isEqualTo(1920);
    }

    @Test
    void readsExifInBothByteOrders() {
        // orient_6.jpg's Exif is little-endian (II), derived_phone_o6_gps.jpg's and exiftool_MWG.jpg's big-endian (MM)
        assertThat(new String(firstExifApp1(bytes("special/orient_6.jpg")), 6, 2, StandardCharsets.ISO_8859_1)).isEqualTo("II");
        assertThat(new String(firstExifApp1(bytes("photos/derived_phone_o6_gps.jpg")), 6, 2, StandardCharsets.ISO_8859_1)).isEqualTo("MM");
        assertThat(ImageProbe.probe(bytes("special/orient_6.jpg")).orientation()).isEqualTo(6);
        assertThat(ImageProbe.probe(bytes("photos/derived_phone_o6_gps.jpg")).orientation()).isEqualTo(6);
        assertThat(ImageProbe.probe(bytes("special/exiftool_MWG.jpg")).orientation()).isEqualTo(6);
        for (int o = 1; o <= 8; o++) {
            assertThat(ImageProbe.exifOrientation(tiff(ByteOrder.LITTLE_ENDIAN, o, 3), 0, 26)).isEqualTo(o);
            assertThat(ImageProbe.exifOrientation(tiff(ByteOrder.BIG_ENDIAN, o, 3), 0, 26)).isEqualTo(o);
        }
        assertThat(ImageProbe.exifOrientation(tiff(ByteOrder.BIG_ENDIAN, 9, 3), 0, 26)).as("out of range").isEqualTo(1);
        assertThat(ImageProbe.exifOrientation(tiff(ByteOrder.BIG_ENDIAN, 0, 3), 0, 26)).as("out of range").isEqualTo(1);
        assertThat(ImageProbe.exifOrientation(new byte[] {'M', 'M', 0, 42, 0x7F, 0, 0, 0, 0, 1}, 0, 10)).as("IFD offset out of bounds").isEqualTo(1);
        assertThat(ImageProbe.exifOrientation(Arrays.copyOf(tiff(ByteOrder.BIG_ENDIAN, 6, 3), 20), 0, 20)).as("entry cut off").isEqualTo(1);
    }

    /** A TIFF structure with IFD0 holding Orientation only. */
    static byte[] tiff(ByteOrder order, int orientation, int type) {
        ByteBuffer b = ByteBuffer.allocate(26).order(order);
        b.put(order == ByteOrder.BIG_ENDIAN ? (byte) 'M' : (byte) 'I').put(order == ByteOrder.BIG_ENDIAN ? (byte) 'M' : (byte) 'I');
        b.putShort((short) 42).putInt(8).putShort((short) 1);
        b.putShort((short) 0x0112).putShort((short) type).putInt(1).putShort((short) orientation).putShort((short) 0);
        b.putInt(0);
        return b.array();
    }

    @Test
    void composesHeifTransformsIntoExifOrientations() {
        for (int o = 1; o <= 8; o++) assertThat(ImageProbe.composeOrientation(1, o)).isEqualTo(o);
        assertThat(ImageProbe.composeOrientation(6, 6)).as("two quarter turns clockwise").isEqualTo(3);
        assertThat(ImageProbe.composeOrientation(8, 6)).as("anticlockwise then clockwise").isEqualTo(1);
        assertThat(ImageProbe.composeOrientation(8, 2)).as("anticlockwise, then mirrored left-right: transverse").isEqualTo(7);
        assertThat(ImageProbe.composeOrientation(6, 2)).as("clockwise, then mirrored left-right: transpose").isEqualTo(5);
        assertThat(ImageProbe.composeOrientation(2, 4)).as("both mirrors: half turn").isEqualTo(3);
    }

    // ---- HEIF --------------------------------------------------------------------------------------

    @Test
    void readsHeifAndAvifSpatialExtent() {
        ProbeResult heic = ImageProbe.probe(bytes("special/heic_Wood.heic"));
        assertThat(heic).isEqualTo(new ProbeResult("heif", 2560, 1920, 1, 1, false, 8));
        ProbeResult avif = ImageProbe.probe(bytes("special/avif_Garden.avif"));
        assertThat(avif.format()).isEqualTo("heif");
        assertThat(avif.width()).isEqualTo(2560);
        assertThat(avif.height()).isEqualTo(1600);
    }

    @Test
    void takesThePrimaryItemsExtentAndRotationInHeif() {
        // item 1 (primary): ispe 300x200, irot 1 (90° anticlockwise); item 2: a larger ispe 512x512
        byte[] heif = heif(true);
        ProbeResult p = ImageProbe.probe(heif);
        assertThat(p.width()).isEqualTo(300);
        assertThat(p.height()).isEqualTo(200);
        assertThat(p.orientation()).as("irot 1 = Exif 8 (rotate 90° counter-clockwise)").isEqualTo(8);
        assertThat(p.displayWidth()).isEqualTo(200);
        assertThat(p.displayHeight()).isEqualTo(300);
        assertThat(p.bitDepth()).isEqualTo(10);
        // without pitm the largest extent is taken
        ProbeResult fallback = ImageProbe.probe(heif(false));
        assertThat(fallback.width()).isEqualTo(512);
    }

    static byte[] box(String type, byte[]... payload) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : payload) body.writeBytes(p);
        return ByteBuffer.allocate(8 + body.size()).putInt(8 + body.size()).put(type.getBytes(StandardCharsets.ISO_8859_1)).put(body.toByteArray()).array();
    }

    static byte[] u32(long... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length);
        for (long v : values) b.putInt((int) v);
        return b.array();
    }

    static byte[] raw(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) out[i] = (byte) values[i];
        return out;
    }

    static byte[] heif(boolean withPrimary) {
        byte[] ftyp = box("ftyp", "heic".getBytes(StandardCharsets.ISO_8859_1), u32(0), "mif1heic".getBytes(StandardCharsets.ISO_8859_1));
        byte[] hdlr = box("hdlr", u32(0, 0), "pict".getBytes(StandardCharsets.ISO_8859_1), u32(0, 0, 0), raw(0));
        byte[] pitm = box("pitm", u32(0), raw(0, 1));
        byte[] ipco = box("ipco",
                box("ispe", u32(0, 300, 200)),
                box("irot", raw(1)),
                box("ispe", u32(0, 512, 512)),
                box("pixi", u32(0), raw(3, 10, 10, 10)));
        byte[] ipma = box("ipma", u32(0), u32(2), raw(0, 1, 3, 0x81, 0x82, 0x84), raw(0, 2, 1, 0x83));
        byte[] meta = withPrimary
                ? box("meta", u32(0), hdlr, pitm, box("iprp", ipco, ipma))
                : box("meta", u32(0), hdlr, box("iprp", ipco));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ftyp);
        out.writeBytes(meta);
        out.writeBytes(box("mdat", new byte[100]));
        return out.toByteArray();
    }

    @Test
    void refusesIsoMediaThatIsNotHeif() {
        byte[] mp4 = box("ftyp", "isom".getBytes(StandardCharsets.ISO_8859_1), u32(0x200), "isomiso2mp41".getBytes(StandardCharsets.ISO_8859_1));
        assertRejected(() -> ImageProbe.probe(mp4), "unsupported_image");
    }

    // ---- WebP --------------------------------------------------------------------------------------

    @Test
    void readsWebpSimpleAndExtendedHeaders() {
        ProbeResult lossy = ImageProbe.probe(bytes("special/wood-d.webp"));
        assertThat(lossy.format()).isEqualTo("webp");
        assertThat(lossy.frames()).isEqualTo(1);

        // VP8L: signature 0x2F, 14 bits width-1, 14 bits height-1, alpha, version 0
        long bits = (100 - 1) | (long) (50 - 1) << 14 | 1L << 28;
        byte[] vp8l = riff(chunk("VP8L", raw(0x2F, (int) bits & 0xFF, (int) (bits >> 8) & 0xFF, (int) (bits >> 16) & 0xFF, (int) (bits >> 24) & 0xFF, 0)));
        assertThat(ImageProbe.probe(vp8l)).isEqualTo(new ProbeResult("webp", 100, 50, 1, 1, false, 8));

        // VP8X, animated, two frames, EXIF orientation 6 (with the Exif\0\0 prefix some writers add)
        byte[] exif = concat("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), tiff(ByteOrder.LITTLE_ENDIAN, 6, 3));
        byte[] anim = riff(vp8x(0x02 | 0x08, 640, 480), chunk("ANIM", new byte[6]), chunk("ANMF", new byte[16]), chunk("ANMF", new byte[16]), chunk("EXIF", exif));
        ProbeResult animated = ImageProbe.probe(anim);
        assertThat(animated).isEqualTo(new ProbeResult("webp", 640, 480, 6, 2, false, 8));
        assertThat(animated.displayWidth()).isEqualTo(480);
        // the EXIF chunk is ignored when the flag is not set
        assertThat(ImageProbe.probe(riff(vp8x(0x02, 640, 480), chunk("ANMF", new byte[16]), chunk("EXIF", exif))).orientation()).isEqualTo(1);

        assertRejected(() -> ImageProbe.probe(riff(chunk("XXXX", new byte[10]))), "corrupt_image");
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    static byte[] chunk(String fourcc, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length + (payload.length & 1)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(fourcc.getBytes(StandardCharsets.ISO_8859_1)).putInt(payload.length).put(payload);
        return b.array();
    }

    static byte[] riff(byte[]... chunks) {
        byte[] body = concat(chunks);
        ByteBuffer b = ByteBuffer.allocate(12 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.ISO_8859_1)).putInt(4 + body.length).put("WEBP".getBytes(StandardCharsets.ISO_8859_1)).put(body);
        return b.array();
    }

    static byte[] vp8x(int flags, int width, int height) {
        byte[] p = new byte[10];
        p[0] = (byte) flags;
        for (int i = 0; i < 3; i++) {
            p[4 + i] = (byte) ((width - 1) >> (8 * i));
            p[7 + i] = (byte) ((height - 1) >> (8 * i));
        }
        return chunk("VP8X", p);
    }

    // ---- limits and bombs --------------------------------------------------------------------------

    @Test
    void rejectsDecompressionBombsFromTheHeaderAlone() throws IOException {
        for (String bomb : List.of("special/bomb_header_only_50000x50000.png", "special/bomb_50000x50000_1bit.png")) {
            byte[] data = bytes(bomb);
            // the first 33 bytes (signature + IHDR) are all the probe needs
            ProbeResult p = ImageProbe.probe(Arrays.copyOf(data, 33));
            assertThat(p.width()).isEqualTo(50000);
            assertThat(p.height()).isEqualTo(50000);
            assertThat(ImageProbe.probe(fixture(bomb))).isEqualTo(ImageProbe.probe(data));
            assertRejected(() -> DecodeLimits.DEFAULTS.check(p, data.length), "too_many_pixels");
        }
        assertThat(ImageProbe.probe(bytes("special/bomb_50000x50000_1bit.png")).bitDepth()).isEqualTo(1);
        assertThat(Files.size(fixture("special/bomb_header_only_50000x50000.png"))).isEqualTo(274);
    }

    @Test
    void acceptsEveryOtherFixtureUnderTheDefaultLimits() throws IOException {
        for (String name : allFixtures()) {
            if (name.contains("bomb_")) continue;
            byte[] data = bytes(name);
            DecodeLimits.DEFAULTS.check(ImageProbe.probe(data), data.length);
        }
    }

    @Test
    void checksEachLimit() {
        ProbeResult huge = ImageProbe.probe(bytes("special/huge_8000x6000.jpg"));
        DecodeLimits.DEFAULTS.check(huge, 8_180_535);
        assertRejected(() -> new DecodeLimits(47_999_999, 30_000, 100_000_000).check(huge, 8_180_535), "too_many_pixels");
        new DecodeLimits(48_000_000, 30_000, 100_000_000).check(huge, 8_180_535);
        assertRejected(() -> new DecodeLimits(100_000_000, 7_999, 100_000_000).check(huge, 8_180_535), "too_large_dimensions");
        assertRejected(() -> new DecodeLimits(100_000_000, 30_000, 8_000_000).check(huge, 8_180_535), "too_many_bytes");
        ProbeResult strip = new ProbeResult("png", 40_000, 10, 1, 1, false, 8);
        assertRejected(() -> DecodeLimits.DEFAULTS.check(strip, 1000), "too_large_dimensions");
        assertRejected(() -> DecodeLimits.DEFAULTS.check(huge, 61L * 1024 * 1024), "too_many_bytes");
        assertThat(DecodeLimits.DEFAULTS).isEqualTo(new DecodeLimits(100_000_000L, 30_000, 60L * 1024 * 1024));
    }

    // ---- truncated and garbage ---------------------------------------------------------------------

    @Test
    void probesTheTruncatedJpegBecauseItsHeaderIsIntact() {
        ProbeResult p = ImageProbe.probe(bytes("special/truncated_Storm.jpg"));
        assertThat(p).isEqualTo(ImageProbe.probe(bytes("photos/mate_Storm.jpg")));
        assertThat(p.width()).isEqualTo(1920);
        assertThat(p.height()).isEqualTo(1280);
    }

    @Test
    void needsOnlyTheHeaderBytes() {
        byte[] kleiber = bytes("special/progressive_Kleiber.jpg");
        assertThat(ImageProbe.probe(Arrays.copyOf(kleiber, 4096))).isEqualTo(ImageProbe.probe(kleiber));
        byte[] phone = bytes("photos/derived_phone_o6_gps.jpg"); // 36 KB of Exif before the frame header
        assertThat(ImageProbe.probe(Arrays.copyOf(phone, 64 * 1024))).isEqualTo(ImageProbe.probe(phone));
        assertRejected(() -> ImageProbe.probe(Arrays.copyOf(phone, 10_000)), "truncated_image");
    }

    @Test
    void rejectsGarbageAndTruncatedHeaders() {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);
        random[0] = 0x12;
        assertRejected(() -> ImageProbe.probe(random), "unsupported_image");
        assertRejected(() -> ImageProbe.probe(new byte[0]), "unsupported_image");
        assertRejected(() -> ImageProbe.probe("hello, world\n".getBytes(StandardCharsets.US_ASCII)), "unsupported_image");
        assertRejected(() -> ImageProbe.probe(raw(0xFF, 0xD8)), "truncated_image");
        assertRejected(() -> ImageProbe.probe(raw(0xFF, 0xD8, 0xFF, 0xE0, 0x00)), "truncated_image");

        byte[] png = bytes("special/exiftool_PNG.png");
        assertRejected(() -> ImageProbe.probe(Arrays.copyOf(png, 20)), "truncated_image");
        byte[] badCrc = png.clone();
        badCrc[18]++; // a width byte: the IHDR CRC no longer matches
        assertRejected(() -> ImageProbe.probe(badCrc), "corrupt_image");

        byte[] gif = bytes("special/still_TwoWings.gif");
        assertRejected(() -> ImageProbe.probe(Arrays.copyOf(gif, 9)), "truncated_image");
        assertRejected(() -> ImageProbe.probe(Arrays.copyOf(gif, 100)), "truncated_image"); // inside the global colour table

        byte[] jpeg = bytes("special/exiftool_GPS.jpg");
        int sof = indexOf(jpeg, raw(0xFF, 0xC0));
        byte[] zeroWidth = jpeg.clone();
        zeroWidth[sof + 7] = 0;
        zeroWidth[sof + 8] = 0;
        assertRejected(() -> ImageProbe.probe(zeroWidth), "corrupt_image");
        byte[] noMarker = jpeg.clone();
        noMarker[2 + 2 + 1074] = 0x00; // where the marker after APP1 should be
        assertRejected(() -> ImageProbe.probe(noMarker), "corrupt_image");
        assertRejected(() -> ImageProbe.probe(riff()), "truncated_image");
    }

    static int indexOf(byte[] data, byte[] pattern) {
        return indexOf(data, pattern, 0);
    }

    static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) if (data[i + j] != pattern[j]) continue outer;
            return i;
        }
        return -1;
    }

    static void assertRejected(Runnable action, String code) {
        assertThatThrownBy(action::run).isInstanceOfSatisfying(ImageRejectedException.class,
                e -> assertThat(e.code()).as("code of: " + e.getMessage()).isEqualTo(code));
    }
}

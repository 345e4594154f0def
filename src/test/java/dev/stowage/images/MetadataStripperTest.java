package dev.stowage.images;

import static dev.stowage.images.ImageProbeTest.assertRejected;
import static dev.stowage.images.ImageProbeTest.bytes;
import static dev.stowage.images.ImageProbeTest.chunk;
import static dev.stowage.images.ImageProbeTest.concat;
import static dev.stowage.images.ImageProbeTest.extension;
import static dev.stowage.images.ImageProbeTest.raw;
import static dev.stowage.images.ImageProbeTest.reader;
import static dev.stowage.images.ImageProbeTest.riff;
import static dev.stowage.images.ImageProbeTest.tiff;
import static dev.stowage.images.ImageProbeTest.vp8x;
import static org.assertj.core.api.Assertions.assertThat;

import com.twelvemonkeys.imageio.metadata.CompoundDirectory;
import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DataBufferUShort;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.CRC32;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MetadataStripperTest {

    /** Byte patterns that betray metadata: Exif, GPS, XMP, Photoshop/IPTC, FlashPix, MPF, JUMBF/C2PA. */
    static final List<String> FORBIDDEN = List.of("GPS", "exif", "http://ns.adobe.com/xap", "XML:com.adobe.xmp", "Photoshop", "8BIM",
            "FPXR", "MPF\0", "jumb", "c2pa", "XMP Data");

    static List<String> strippable() {
        return ImageProbeTest.allFixtures().stream()
                .filter(n -> Set.of("jpg", "png", "gif", "webp").contains(extension(n)))
                .filter(n -> !n.contains("truncated_"))
                .toList();
    }

    static byte[] expectedApp1(int orientation) {
        return concat("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), tiff(ByteOrder.BIG_ENDIAN, orientation, 3));
    }

    // ---- every fixture -----------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("strippable")
    void stripsEveryFixtureKeepingTheImageData(String name) throws IOException {
        byte[] in = bytes(name);
        byte[] out = MetadataStripper.strip(in);
        ProbeResult before = ImageProbe.probe(in), after = ImageProbe.probe(out);
        assertThat(after).as("format, dimensions, orientation, frames").isEqualTo(before);

        ImageReader reader = reader(out);
        assertThat(reader).as("ImageIO recognises the output").isNotNull();
        assertThat(reader.getWidth(0)).isEqualTo(before.width());
        reader.dispose();

        assertThat(out.length).as("never larger, but for a 34-byte orientation segment").isLessThanOrEqualTo(in.length + 34);
        assertThat(MetadataStripper.strip(out)).as("stripping is idempotent").isEqualTo(out);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        MetadataStripper.strip(in, streamed);
        assertThat(streamed.toByteArray()).as("strip(byte[], OutputStream)").isEqualTo(out);

        switch (before.format()) {
            case "jpeg" -> checkJpeg(name, in, out, before.orientation());
            case "png" -> checkPng(in, out, before.orientation());
            case "gif" -> checkGif(in, out);
            case "webp" -> checkWebp(in, out);
            default -> throw new AssertionError(before.format());
        }
    }

    private static void checkJpeg(String name, byte[] in, byte[] out, int orientation) {
        List<Seg> inSegs = jpegSegments(in), outSegs = jpegSegments(out);
        assertThat(outSegs.getLast().marker).as("ends with EOI").isEqualTo(0xD9);
        assertThat(outSegs.getLast().end).as("nothing after the main image's EOI").isEqualTo(out.length);

        // the coded image — tables, frame, scans, entropy-coded data — is byte-identical and in order
        assertThat(imageParts(out, outSegs)).as("DQT/DHT/DRI/SOF/SOS/entropy data").containsExactlyElementsOf(imageParts(in, inSegs));
        assertThat(payloads(out, outSegs, 0xE2, "ICC_PROFILE\0")).as("ICC profile chunks").containsExactlyElementsOf(payloads(in, inSegs, 0xE2, "ICC_PROFILE\0"));
        List<byte[]> adobeIn = payloads(in, inSegs, 0xEE, "Adobe"), adobeOut = payloads(out, outSegs, 0xEE, "Adobe");
        assertThat(adobeOut).hasSize(adobeIn.isEmpty() ? 0 : 1);
        if (!adobeIn.isEmpty()) assertThat(adobeOut.getFirst()).isEqualTo(Arrays.copyOf(adobeIn.getFirst(), 12));

        int app1 = 0;
        StringBuilder header = new StringBuilder();
        for (Seg s : outSegs) {
            switch (s.marker) {
                case 0xD8, 0xD9, 0xDB, 0xC4, 0xDD, 0xDA, -1 -> {
                }
                case 0xE0 -> {
                    assertThat(s.end - s.start).as("JFIF APP0 without thumbnail").isEqualTo(18);
                    assertThat(new String(out, s.start + 4, 5, StandardCharsets.ISO_8859_1)).isEqualTo("JFIF\0");
                    assertThat(outSegs.get(1)).as("JFIF right after SOI").isEqualTo(s);
                }
                case 0xE1 -> {
                    app1++;
                    assertThat(orientation).as("an APP1 only for a non-default orientation").isNotEqualTo(1);
                    assertThat(Arrays.copyOfRange(out, s.start + 4, s.end)).as("the minimal Exif").isEqualTo(expectedApp1(orientation));
                }
                case 0xE2 -> assertThat(new String(out, s.start + 4, 12, StandardCharsets.ISO_8859_1)).isEqualTo("ICC_PROFILE\0");
                case 0xEE -> assertThat(s.end - s.start).isEqualTo(16);
                default -> assertThat(ImageProbe.isSof(s.marker)).as("unexpected marker 0x%X", s.marker).isTrue();
            }
            if (s.marker != -1 && s.marker != 0xE1) header.append(new String(out, s.start, s.end - s.start, StandardCharsets.ISO_8859_1));
        }
        assertThat(app1).isEqualTo(orientation == 1 ? 0 : 1);
        assertNoMetadata(header.toString(), name + " headers");
        if (name.contains("exiftool_")) { // small files: grep the whole output, entropy-coded data included
            byte[] withoutApp1 = out.clone();
            for (Seg s : outSegs) if (s.marker == 0xE1) Arrays.fill(withoutApp1, s.start, s.end, (byte) 0);
            assertNoMetadata(new String(withoutApp1, StandardCharsets.ISO_8859_1), name);
        }
    }

    static void assertNoMetadata(String bytes, String what) {
        String lower = bytes.toLowerCase(Locale.ROOT);
        for (String pattern : FORBIDDEN) {
            assertThat(lower).as("'%s' in %s", pattern, what).doesNotContain(pattern.toLowerCase(Locale.ROOT));
        }
    }

    private static void checkPng(byte[] in, byte[] out, int orientation) {
        List<Chunk> inChunks = pngChunks(in), outChunks = pngChunks(out);
        assertThat(outChunks.getLast().type).isEqualTo("IEND");
        assertThat(outChunks.getLast().end).isEqualTo(out.length);
        Set<String> allowed = Set.of("IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "cICP", "mDCv", "cLLi",
                "pHYs", "acTL", "fcTL", "fdAT");
        for (Chunk c : outChunks) {
            if (c.type.equals("eXIf")) {
                assertThat(orientation).isNotEqualTo(1);
                assertThat(Arrays.copyOfRange(out, c.start + 8, c.end - 4)).isEqualTo(tiff(ByteOrder.BIG_ENDIAN, orientation, 3));
            } else {
                assertThat(allowed).as("chunk " + c.type).contains(c.type);
            }
        }
        for (String kept : List.of("IHDR", "PLTE", "tRNS", "IDAT", "gAMA", "cHRM", "sRGB", "iCCP", "pHYs", "acTL", "fcTL", "fdAT")) {
            assertThat(chunkBytes(out, outChunks, kept)).as(kept + " chunks copied verbatim").containsExactlyElementsOf(chunkBytes(in, inChunks, kept));
        }
        StringBuilder ancillary = new StringBuilder();
        for (Chunk c : outChunks) if (!c.type.equals("IDAT") && !c.type.equals("eXIf")) ancillary.append(new String(out, c.start, c.end - c.start, StandardCharsets.ISO_8859_1));
        assertNoMetadata(ancillary.toString(), "PNG chunks");
    }

    private static void checkGif(byte[] in, byte[] out) {
        List<Block> inBlocks = gifBlocks(in), outBlocks = gifBlocks(out);
        assertThat(outBlocks.getLast().kind).isEqualTo("trailer");
        assertThat(outBlocks.getLast().end).isEqualTo(out.length);
        assertThat(outBlocks.getFirst().bytes(out)).as("header, screen descriptor, global colour table").isEqualTo(inBlocks.getFirst().bytes(in));
        assertThat(blocks(out, outBlocks, "image")).as("image descriptors + LZW data").containsExactlyElementsOf(blocks(in, inBlocks, "image"));
        assertThat(blocks(out, outBlocks, "ext F9")).as("graphic control extensions").containsExactlyElementsOf(blocks(in, inBlocks, "ext F9"));
        for (Block b : outBlocks) {
            assertThat(b.kind).as("kept blocks").isIn("screen", "image", "trailer", "ext F9", "app NETSCAPE2.0", "app ANIMEXTS1.0", "app ICCRGBG1012");
        }
        assertThat(blocks(out, outBlocks, "app NETSCAPE2.0")).containsExactlyElementsOf(blocks(in, inBlocks, "app NETSCAPE2.0"));
        StringBuilder text = new StringBuilder();
        for (Block b : outBlocks) if (!b.kind.equals("image")) text.append(new String(b.bytes(out), StandardCharsets.ISO_8859_1));
        assertNoMetadata(text.toString(), "GIF blocks");
    }

    private static void checkWebp(byte[] in, byte[] out) {
        List<Chunk> inChunks = webpChunks(in), outChunks = webpChunks(out);
        for (Chunk c : outChunks) assertThat(c.type).isIn("VP8X", "ICCP", "ANIM", "ANMF", "ALPH", "VP8 ", "VP8L", "EXIF");
        for (String kept : List.of("VP8 ", "VP8L", "ALPH", "ICCP", "ANIM")) {
            assertThat(chunkBytes(out, outChunks, kept)).as(kept).containsExactlyElementsOf(chunkBytes(in, inChunks, kept));
        }
    }

    // ---- pixels ------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "special/progressive_Kleiber.jpg", "special/cmyk_Garden.jpg", "special/adobergb_LadyBird.jpg",
            "photos/derived_phone_o6_gps.jpg", "special/exiftool_ExifTool.jpg", "special/exiftool_XMP.jpg",
            "special/exiftool_IPTC.jpg", "special/1x1.jpg", "special/orient_6.jpg",
            "special/alpha_YellowFlower.png", "special/palette_trns_YellowFlower.png", "special/png16_Storm.png",
            "special/exiftool_PNG.png", "special/animated_LadyBird.gif", "special/exiftool_GIF.gif",
            "special/still_TwoWings.gif", "special/wood-d.webp"})
    void decodesToIdenticalPixels(String name) throws IOException {
        byte[] in = bytes(name);
        byte[] out = MetadataStripper.strip(in);
        List<BufferedImage> before = decodeAll(in), after = decodeAll(out);
        assertThat(after).hasSameSizeAs(before);
        if (name.contains("animated_")) assertThat(after).as("all frames").hasSize(9);
        for (int i = 0; i < before.size(); i++) assertSamePixels(before.get(i), after.get(i), name + " frame " + i);
        if (name.endsWith(".jpg")) {
            Raster rawIn = rawRaster(in), rawOut = rawRaster(out);
            if (rawIn != null) assertSameRaster(rawIn, rawOut, name + " raw samples");
        }
    }

    @Test
    void keepsIccProfilesAndCmykInterpretation() throws IOException {
        for (String name : List.of("special/adobergb_LadyBird.jpg", "special/cmyk_Garden.jpg", "special/exiftool_XMP.jpg", "special/exiftool_ExifTool.jpg")) {
            byte[] in = bytes(name), out = MetadataStripper.strip(in);
            byte[] icc = iccProfile(out);
            assertThat(icc).as(name + " ICC profile").isNotEmpty().isEqualTo(iccProfile(in));
            ICC_Profile profile = ICC_Profile.getInstance(icc); // parses
            if (name.contains("cmyk")) assertThat(profile.getColorSpaceType()).isEqualTo(ColorSpace.TYPE_CMYK);
        }
        byte[] cmyk = MetadataStripper.strip(bytes("special/cmyk_Garden.jpg"));
        assertThat(payloads(cmyk, jpegSegments(cmyk), 0xEE, "Adobe")).as("Adobe APP14 kept for CMYK").hasSize(1);
        assertThat(rawRaster(cmyk).getNumBands()).isEqualTo(4);
    }

    static List<BufferedImage> decodeAll(byte[] data) throws IOException {
        ImageReader reader = reader(data);
        assertThat(reader).isNotNull();
        try {
            int n = reader.getNumImages(true);
            List<BufferedImage> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(reader.read(i));
            return out;
        } finally {
            reader.dispose();
        }
    }

    /** The JPEG's samples before any colour conversion (TwelveMonkeys readRaster), or null. */
    static Raster rawRaster(byte[] jpeg) throws IOException {
        ImageReader reader = reader(jpeg);
        try {
            return reader.canReadRaster() ? reader.readRaster(0, null) : null;
        } finally {
            reader.dispose();
        }
    }

    static void assertSamePixels(BufferedImage a, BufferedImage b, String what) {
        assertThat(b.getType()).as(what + " image type").isEqualTo(a.getType());
        ColorModel ma = a.getColorModel(), mb = b.getColorModel();
        assertThat(mb.getClass()).as(what + " colour model").isEqualTo(ma.getClass());
        assertThat(mb.getColorSpace().getType()).as(what + " colour space").isEqualTo(ma.getColorSpace().getType());
        assertThat(mb.hasAlpha()).as(what + " alpha").isEqualTo(ma.hasAlpha());
        if (ma.getColorSpace() instanceof ICC_ColorSpace ia && mb.getColorSpace() instanceof ICC_ColorSpace ib) {
            assertThat(ib.getProfile().getData()).as(what + " ICC profile").isEqualTo(ia.getProfile().getData());
        }
        if (ma instanceof IndexColorModel pa && mb instanceof IndexColorModel pb) {
            int[] rgbA = new int[pa.getMapSize()], rgbB = new int[pb.getMapSize()];
            pa.getRGBs(rgbA);
            pb.getRGBs(rgbB);
            assertThat(rgbB).as(what + " palette").isEqualTo(rgbA);
        }
        assertSameRaster(a.getRaster(), b.getRaster(), what);
    }

    static void assertSameRaster(Raster a, Raster b, String what) {
        assertThat(b.getWidth()).as(what + " width").isEqualTo(a.getWidth());
        assertThat(b.getHeight()).as(what + " height").isEqualTo(a.getHeight());
        assertThat(b.getNumBands()).as(what + " bands").isEqualTo(a.getNumBands());
        DataBuffer x = a.getDataBuffer(), y = b.getDataBuffer();
        assertThat(y.getClass()).isEqualTo(x.getClass());
        boolean same = switch (x) {
            case DataBufferByte bx -> Arrays.deepEquals(bx.getBankData(), ((DataBufferByte) y).getBankData());
            case DataBufferUShort ux -> Arrays.deepEquals(ux.getBankData(), ((DataBufferUShort) y).getBankData());
            case DataBufferInt ix -> Arrays.deepEquals(ix.getBankData(), ((DataBufferInt) y).getBankData());
            default -> throw new AssertionError("unexpected data buffer " + x.getClass());
        };
        assertThat(same).as(what + ": all samples identical").isTrue();
    }

    // ---- orientation -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"special/orient_6.jpg", "photos/derived_phone_o6_gps.jpg", "special/exiftool_MWG.jpg"})
    void keepsTheOrientationAsTheOnlyExifContent(String name) throws IOException {
        byte[] in = bytes(name), out = MetadataStripper.strip(in);
        assertThat(new String(in, StandardCharsets.ISO_8859_1)).as("the input has metadata to remove").containsAnyOf("GPS", "http://ns.adobe.com/xap");
        List<Seg> app1 = jpegSegments(out).stream().filter(s -> s.marker == 0xE1).toList();
        assertThat(app1).hasSize(1);
        byte[] payload = Arrays.copyOfRange(out, app1.getFirst().start + 4, app1.getFirst().end);
        assertThat(payload).isEqualTo(expectedApp1(6));

        // an independent TIFF parser sees one IFD with one entry: Orientation = 6
        Directory exif = new TIFFReader().read(new MemoryCacheImageInputStream(new ByteArrayInputStream(payload, 6, payload.length - 6)));
        assertThat(exif).isInstanceOf(CompoundDirectory.class);
        CompoundDirectory ifds = (CompoundDirectory) exif;
        assertThat(ifds.directoryCount()).as("IFD0 only, no IFD1 thumbnail").isEqualTo(1);
        Directory ifd0 = ifds.getDirectory(0);
        assertThat(ifd0.size()).as("a single entry").isEqualTo(1);
        Entry entry = ifd0.iterator().next();
        assertThat(entry.getIdentifier()).isEqualTo(0x0112);
        assertThat(((Number) entry.getValue()).intValue()).isEqualTo(6);
        assertThat(ImageProbe.probe(out).orientation()).isEqualTo(6);
        assertThat(ImageProbeTest.exifOrientationByTwelveMonkeys(out)).isEqualTo(6);
    }

    @Test
    void writesNoExifForTheDefaultOrientation() {
        for (String name : List.of("special/orient_1.jpg", "photos/mate_Elephants_3840x2160.jpg", "special/huge_8000x6000.jpg", "special/1x1.jpg")) {
            byte[] in = bytes(name);
            assertThat(ImageProbeTest.firstExifApp1(in)).as(name + " has Exif").isNotNull();
            byte[] out = MetadataStripper.strip(in);
            assertThat(jpegSegments(out)).as(name).noneMatch(s -> s.marker == 0xE1);
        }
    }

    /**
     * Each orient_N.jpg is mate Blinds transformed losslessly so that it is upright once tag N is applied.
     * After stripping, applying the tag found in the stripped file must give back the upright picture —
     * what a browser displays ({@code image-orientation: from-image}).
     */
    @ParameterizedTest(name = "orient_{0}.jpg")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void displaysUprightAfterStripping(int n) throws IOException {
        BufferedImage upright = decodeAll(bytes("photos/mate_Blinds.jpg")).getFirst();
        byte[] out = MetadataStripper.strip(bytes("special/orient_" + n + ".jpg"));
        int tag = ImageProbeTest.exifOrientationByTwelveMonkeys(out);
        assertThat(tag).isEqualTo(n);
        BufferedImage stored = decodeAll(out).getFirst();
        BufferedImage displayed = orient(stored, tag);
        assertThat(meanDifference(displayed, upright)).as("orient_%d.jpg displayed with its tag vs. the upright original", n).isLessThan(2.0);
        if (n != 1) {
            BufferedImage ignored = orient(stored, 1);
            double off = ignored.getWidth() == upright.getWidth() ? meanDifference(ignored, upright) : Double.MAX_VALUE;
            assertThat(off).as("without the tag it would not be upright").isGreaterThan(10.0);
        }
    }

    /** Applies an Exif orientation (Exif 2.32 tag 0x0112) to a decoded image. */
    static BufferedImage orient(BufferedImage src, int orientation) {
        int w = src.getWidth(), h = src.getHeight();
        boolean swap = orientation >= 5;
        BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_INT_RGB);
        for (int dy = 0; dy < out.getHeight(); dy++) {
            for (int dx = 0; dx < out.getWidth(); dx++) {
                int sx, sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - dx; sy = dy; }
                    case 3 -> { sx = w - 1 - dx; sy = h - 1 - dy; }
                    case 4 -> { sx = dx; sy = h - 1 - dy; }
                    case 5 -> { sx = dy; sy = dx; }
                    case 6 -> { sx = dy; sy = h - 1 - dx; }
                    case 7 -> { sx = w - 1 - dy; sy = h - 1 - dx; }
                    case 8 -> { sx = w - 1 - dy; sy = dx; }
                    default -> { sx = dx; sy = dy; }
                }
                out.setRGB(dx, dy, src.getRGB(sx, sy));
            }
        }
        return out;
    }

    static double meanDifference(BufferedImage a, BufferedImage b) {
        assertThat(a.getWidth()).isEqualTo(b.getWidth());
        assertThat(a.getHeight()).isEqualTo(b.getHeight());
        long sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y), q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) sum += Math.abs((p >> shift & 0xFF) - (q >> shift & 0xFF));
            }
        }
        return sum / (3.0 * a.getWidth() * a.getHeight());
    }

    // ---- JPEG specifics ----------------------------------------------------------------------------

    @Test
    void cutsTrailingDataAndDropsEveryOtherSegment() {
        byte[] in = bytes("special/exiftool_ExifTool.jpg"); // APP0 JFXX/CIFF/AVI1, APP1-APP15, MPF, FPXR, COM, data after EOI
        List<Seg> inSegs = jpegSegments(in);
        assertThat(inSegs.getLast().end).as("the input has data after EOI").isLessThan(in.length);
        assertThat(inSegs).anyMatch(s -> s.marker == 0xEB).anyMatch(s -> s.marker == 0xED).anyMatch(s -> s.marker == 0xFE);
        byte[] out = MetadataStripper.strip(in);
        List<Integer> markers = jpegSegments(out).stream().map(s -> s.marker).toList();
        assertThat(markers).containsExactly(0xD8, 0xE0, 0xE2, 0xEE, 0xDB, 0xC0, 0xC4, 0xDA, -1, 0xD9);
        assertThat(new String(out, StandardCharsets.ISO_8859_1)).doesNotContain("a comment").doesNotContain("Qualcomm").doesNotContain("Ducky");
    }

    @Test
    void removesTheJfifThumbnail() {
        byte[] in = bytes("special/exiftool_GPS.jpg");
        // a JFIF APP0 with a 2×1 RGB thumbnail, inserted after SOI
        byte[] jfif = concat(raw(0xFF, 0xE0, 0, 16 + 6), "JFIF\0".getBytes(StandardCharsets.ISO_8859_1), raw(1, 2, 1, 0, 72, 0, 72, 2, 1), raw(1, 2, 3, 4, 5, 6));
        byte[] withThumb = concat(Arrays.copyOf(in, 2), jfif, Arrays.copyOfRange(in, 2, in.length));
        byte[] out = MetadataStripper.strip(withThumb);
        Seg app0 = jpegSegments(out).get(1);
        assertThat(app0.marker).isEqualTo(0xE0);
        assertThat(Arrays.copyOfRange(out, app0.start, app0.end)).isEqualTo(concat(raw(0xFF, 0xE0, 0, 16), "JFIF\0".getBytes(StandardCharsets.ISO_8859_1), raw(1, 2, 1, 0, 72, 0, 72, 0, 0)));
    }

    @Test
    void dropsMetadataBetweenProgressiveScans() {
        byte[] in = bytes("special/progressive_Kleiber.jpg");
        List<Seg> segs = jpegSegments(in);
        Seg secondScan = segs.stream().filter(s -> s.marker == 0xDA).skip(1).findFirst().orElseThrow();
        byte[] com = concat(raw(0xFF, 0xFE, 0, 2 + 12), "GPS 51N 0.1W".getBytes(StandardCharsets.ISO_8859_1));
        byte[] withComment = concat(Arrays.copyOf(in, secondScan.start), com, Arrays.copyOfRange(in, secondScan.start, in.length));
        byte[] out = MetadataStripper.strip(withComment);
        assertThat(out).isEqualTo(MetadataStripper.strip(in));
        assertThat(jpegSegments(out).stream().filter(s -> s.marker == 0xDA).count()).as("all scans kept").isEqualTo(10);
    }

    @Test
    void rejectsTruncatedAndUnsupportedFiles() {
        // the truncated JPEG has an intact header: the missing EOI is found here, while walking the scan
        assertRejected(() -> MetadataStripper.strip(bytes("special/truncated_Storm.jpg")), "truncated_image");
        assertRejected(() -> MetadataStripper.strip(bytes("special/heic_Wood.heic")), "unsupported_image");
        assertRejected(() -> MetadataStripper.strip(bytes("special/avif_Garden.avif")), "unsupported_image");
        assertRejected(() -> MetadataStripper.strip("not an image".getBytes(StandardCharsets.US_ASCII)), "unsupported_image");
        byte[] jpeg = bytes("special/exiftool_GPS.jpg");
        assertRejected(() -> MetadataStripper.strip(Arrays.copyOf(jpeg, 500)), "truncated_image");
        assertRejected(() -> MetadataStripper.strip(Arrays.copyOf(jpeg, jpeg.length - 2)), "truncated_image");
        byte[] png = bytes("special/palette_trns_YellowFlower.png");
        assertRejected(() -> MetadataStripper.strip(Arrays.copyOf(png, png.length - 12)), "truncated_image");
        byte[] gif = bytes("special/still_TwoWings.gif");
        assertRejected(() -> MetadataStripper.strip(Arrays.copyOf(gif, gif.length / 2)), "truncated_image");
        byte[] webp = bytes("special/wood-d.webp");
        assertRejected(() -> MetadataStripper.strip(Arrays.copyOf(webp, webp.length / 2)), "truncated_image");
    }

    // ---- PNG specifics -----------------------------------------------------------------------------

    @Test
    void pngKeepsTransparencyAndWritesOnlyTheOrientation() throws IOException {
        byte[] palette = MetadataStripper.strip(bytes("special/palette_trns_YellowFlower.png"));
        List<String> types = pngChunks(palette).stream().map(c -> c.type).toList();
        assertThat(types).contains("PLTE", "tRNS", "gAMA", "cHRM", "pHYs").doesNotContain("tEXt", "tIME", "bKGD");
        assertThat(decodeAll(palette).getFirst().getColorModel().hasAlpha()).isTrue();
        byte[] alpha = MetadataStripper.strip(bytes("special/alpha_YellowFlower.png"));
        assertThat(pngChunks(alpha).stream().map(c -> c.type)).doesNotContain("eXIf");
        assertThat(decodeAll(alpha).getFirst().getColorModel().hasAlpha()).isTrue();

        // exiftool's PNG with an eXIf saying 6 (GPS included), a bad-CRC gAMA and the XMP/tEXt it already has
        byte[] in = bytes("special/exiftool_PNG.png");
        List<Chunk> chunks = pngChunks(in);
        int afterIhdr = chunks.getFirst().end;
        byte[] exif = concat(tiff(ByteOrder.LITTLE_ENDIAN, 6, 3), "GPS".getBytes(StandardCharsets.ISO_8859_1));
        byte[] badGama = pngChunk("gAMA", raw(0, 0, 0xB1, 0x8F));
        badGama[badGama.length - 1] ^= 1;
        byte[] modified = concat(Arrays.copyOf(in, afterIhdr), pngChunk("eXIf", exif), badGama, Arrays.copyOfRange(in, afterIhdr, in.length));
        byte[] out = MetadataStripper.strip(modified);
        List<Chunk> outChunks = pngChunks(out); // checks every CRC
        assertThat(outChunks.stream().map(c -> c.type).toList()).containsExactly("IHDR", "eXIf", "IDAT", "IEND");
        Chunk e = outChunks.get(1);
        assertThat(Arrays.copyOfRange(out, e.start + 8, e.end - 4)).isEqualTo(tiff(ByteOrder.BIG_ENDIAN, 6, 3));
        assertThat(ImageProbe.probe(out).orientation()).isEqualTo(6);
        assertThat(new String(out, StandardCharsets.ISO_8859_1)).doesNotContain("GPS").doesNotContain("http://ns.adobe.com/xap").doesNotContain("XML:com.adobe.xmp");

        // an unknown critical chunk cannot be dropped safely; a damaged critical chunk is corrupt
        byte[] critical = concat(Arrays.copyOf(in, afterIhdr), pngChunk("ABCD", new byte[3]), Arrays.copyOfRange(in, afterIhdr, in.length));
        assertRejected(() -> MetadataStripper.strip(critical), "unsupported_image");
        byte[] badIdat = in.clone();
        Chunk idat = chunks.stream().filter(c -> c.type.equals("IDAT")).findFirst().orElseThrow();
        badIdat[idat.end - 1] ^= 1;
        assertRejected(() -> MetadataStripper.strip(badIdat), "corrupt_image");
    }

    static byte[] pngChunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(type.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 4, 4 + data.length);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    // ---- GIF specifics -----------------------------------------------------------------------------

    @Test
    void gifKeepsAnimationAndDropsComments() {
        byte[] animated = MetadataStripper.strip(bytes("special/animated_LadyBird.gif"));
        List<Block> blocks = gifBlocks(animated);
        assertThat(blocks.stream().filter(b -> b.kind.equals("image")).count()).as("image descriptors").isEqualTo(9);
        assertThat(blocks.stream().filter(b -> b.kind.equals("app NETSCAPE2.0")).count()).as("looping extension").isEqualTo(1);
        assertThat(ImageProbe.probe(animated).frames()).isEqualTo(9);

        byte[] in = bytes("special/exiftool_GIF.gif");
        assertThat(gifBlocks(in).stream().map(b -> b.kind)).contains("ext FE", "app XMP DataXMP");
        byte[] out = MetadataStripper.strip(in);
        assertThat(gifBlocks(out).stream().map(b -> b.kind).toList()).containsExactly("screen", "app ICCRGBG1012", "image", "trailer");
    }

    @Test
    void gifDropsPlainTextWithItsGraphicControl() {
        byte[] in = bytes("special/still_TwoWings.gif");
        List<Block> blocks = gifBlocks(in);
        int firstGce = blocks.get(1).start;
        assertThat(blocks.get(1).kind).isEqualTo("ext F9");
        // a GCE (delay 7) governing a plain-text block, then a comment, before the image's own GCE
        byte[] gce = raw(0x21, 0xF9, 4, 0, 7, 0, 0, 0);
        byte[] text = concat(raw(0x21, 0x01, 12, 0, 0, 0, 0, 10, 0, 10, 0, 8, 8, 1, 0, 5), "hello".getBytes(StandardCharsets.ISO_8859_1), raw(0));
        byte[] comment = concat(raw(0x21, 0xFE, 5), "hello".getBytes(StandardCharsets.ISO_8859_1), raw(0));
        byte[] modified = concat(Arrays.copyOf(in, firstGce), gce, text, comment, Arrays.copyOfRange(in, firstGce, in.length), "junk after the trailer".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(MetadataStripper.strip(modified)).isEqualTo(in);
    }

    // ---- WebP specifics ----------------------------------------------------------------------------

    @Test
    void webpDropsExifAndXmpAndFixesFlagsAndSize() throws IOException {
        byte[] simple = bytes("special/wood-d.webp");
        byte[] vp8 = Arrays.copyOfRange(simple, 12, simple.length);
        int width = ImageProbe.probe(simple).width(), height = ImageProbe.probe(simple).height();
        byte[] icc = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();
        byte[] exif = concat(tiff(ByteOrder.BIG_ENDIAN, 6, 3), "GPS".getBytes(StandardCharsets.ISO_8859_1));
        byte[] xmp = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:xmp='http://ns.adobe.com/xap/1.0/'/></x:xmpmeta>".getBytes(StandardCharsets.UTF_8);
        int allFlags = ImageProbe.WEBP_ICC | ImageProbe.WEBP_EXIF | ImageProbe.WEBP_XMP;

        byte[] in = riff(vp8x(allFlags, width, height), chunk("ICCP", icc), vp8, chunk("EXIF", exif), chunk("XMP ", xmp), chunk("ABCD", raw(1, 2, 3)));
        byte[] out = MetadataStripper.strip(in);
        List<Chunk> chunks = webpChunks(out);
        assertThat(chunks.stream().map(c -> c.type).toList()).containsExactly("VP8X", "ICCP", "VP8 ", "EXIF");
        assertThat(out[20]).as("VP8X flags: ICC and EXIF (orientation only), no XMP").isEqualTo((byte) (ImageProbe.WEBP_ICC | ImageProbe.WEBP_EXIF));
        Chunk e = chunks.get(3);
        assertThat(Arrays.copyOfRange(out, e.start + 8, e.end)).isEqualTo(tiff(ByteOrder.BIG_ENDIAN, 6, 3));
        assertThat(ImageProbe.probe(out)).isEqualTo(new ProbeResult("webp", width, height, 6, 1, false, 8));
        assertThat(chunkBytes(out, chunks, "VP8 ")).containsExactly(Arrays.copyOfRange(simple, 12, simple.length));
        StringBuilder meta = new StringBuilder(); // chunk payloads other than the bitstream
        for (Chunk c : chunks) if (!c.type.equals("VP8 ")) meta.append(new String(out, c.start + 8, c.end - c.start - 8, StandardCharsets.ISO_8859_1));
        assertNoMetadata(meta.toString(), "WebP chunks");
        // the bitstream is byte-identical (pixels: see decodesToIdenticalPixels); a real reader accepts the container
        ImageReader reader = reader(out);
        assertThat(reader.getWidth(0)).isEqualTo(width);
        assertThat(reader.getNumImages(true)).isEqualTo(1);
        reader.dispose();

        // orientation 1, no ICC: only VP8X and the bitstream remain, flags cleared
        byte[] plain = riff(vp8x(ImageProbe.WEBP_EXIF | ImageProbe.WEBP_XMP, width, height), vp8, chunk("EXIF", tiff(ByteOrder.LITTLE_ENDIAN, 1, 3)), chunk("XMP ", xmp));
        byte[] plainOut = MetadataStripper.strip(plain);
        assertThat(webpChunks(plainOut).stream().map(c -> c.type).toList()).containsExactly("VP8X", "VP8 ");
        assertThat(plainOut[20]).isEqualTo((byte) 0);

        // a simple file keeps just its bitstream chunk
        byte[] trailing = concat(simple, chunk("XMP ", xmp));
        ByteBuffer.wrap(trailing, 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(trailing.length - 8);
        assertThat(MetadataStripper.strip(trailing)).isEqualTo(simple);
    }

    @Test
    void webpKeepsAnimationFramesAndFiltersTheirSubChunks() {
        byte[] simple = bytes("special/wood-d.webp");
        byte[] vp8 = Arrays.copyOfRange(simple, 12, simple.length);
        int width = ImageProbe.probe(simple).width(), height = ImageProbe.probe(simple).height();
        byte[] frameHeader = new byte[16]; // x, y, width-1, height-1 (24 bits each), duration, flags
        for (int i = 0; i < 3; i++) {
            frameHeader[6 + i] = (byte) ((width - 1) >> (8 * i));
            frameHeader[9 + i] = (byte) ((height - 1) >> (8 * i));
        }
        frameHeader[12] = 100;
        byte[] frame = chunk("ANMF", concat(frameHeader, vp8));
        byte[] frameWithJunk = chunk("ANMF", concat(frameHeader, vp8, chunk("ABCD", "GPS data".getBytes(StandardCharsets.ISO_8859_1))));
        byte[] anim = chunk("ANIM", new byte[6]);
        byte[] in = riff(vp8x(ImageProbe.WEBP_ANIMATION | ImageProbe.WEBP_XMP, width, height), anim, frameWithJunk, frame, chunk("XMP ", "x".getBytes(StandardCharsets.ISO_8859_1)));
        byte[] out = MetadataStripper.strip(in);
        assertThat(out).isEqualTo(riff(vp8x(ImageProbe.WEBP_ANIMATION, width, height), anim, frame, frame));
        assertThat(ImageProbe.probe(out).frames()).isEqualTo(2);
    }

    // ---- structure walkers (independent of the code under test) -------------------------------------

    /** A JPEG segment [start, end); marker -1 is entropy-coded data. */
    record Seg(int marker, int start, int end) {
    }

    static List<Seg> jpegSegments(byte[] d) {
        List<Seg> out = new ArrayList<>();
        assertThat(d[0] & 0xFF).isEqualTo(0xFF);
        assertThat(d[1] & 0xFF).isEqualTo(0xD8);
        out.add(new Seg(0xD8, 0, 2));
        int pos = 2;
        while (true) {
            assertThat(pos + 1).as("a marker before the end").isLessThan(d.length);
            assertThat(d[pos] & 0xFF).as("marker at " + pos).isEqualTo(0xFF);
            int marker = d[pos + 1] & 0xFF;
            if (marker == 0xD9) {
                out.add(new Seg(0xD9, pos, pos + 2));
                return out;
            }
            int end = pos + 2 + ((d[pos + 2] & 0xFF) << 8 | (d[pos + 3] & 0xFF));
            assertThat(end).isLessThanOrEqualTo(d.length);
            out.add(new Seg(marker, pos, end));
            pos = end;
            if (marker == 0xDA) {
                int i = pos;
                while (!(d[i] == (byte) 0xFF && d[i + 1] != 0 && (d[i + 1] & 0xF8) != 0xD0)) i++;
                out.add(new Seg(-1, pos, i));
                pos = i;
            }
        }
    }

    /** Tables, frame header, scan headers and entropy-coded data, in order. */
    static List<String> imageParts(byte[] d, List<Seg> segs) {
        return segs.stream().filter(s -> Set.of(0xDB, 0xC4, 0xDD, 0xDA, -1).contains(s.marker) || ImageProbe.isSof(s.marker))
                .map(s -> new String(d, s.start, s.end - s.start, StandardCharsets.ISO_8859_1)).toList();
    }

    static List<byte[]> payloads(byte[] d, List<Seg> segs, int marker, String id) {
        return segs.stream().filter(s -> s.marker == marker && new String(d, s.start + 4, Math.min(id.length(), s.end - s.start - 4), StandardCharsets.ISO_8859_1).equals(id))
                .map(s -> Arrays.copyOfRange(d, s.start + 4, s.end)).toList();
    }

    static byte[] iccProfile(byte[] jpeg) {
        ByteArrayOutputStream icc = new ByteArrayOutputStream();
        for (byte[] p : payloads(jpeg, jpegSegments(jpeg), 0xE2, "ICC_PROFILE\0")) icc.write(p, 14, p.length - 14);
        return icc.toByteArray();
    }

    /** A PNG or WebP chunk [start, end) (end includes the CRC or pad byte). */
    record Chunk(String type, int start, int end) {
    }

    static List<Chunk> pngChunks(byte[] d) {
        assertThat(Arrays.copyOf(d, 8)).isEqualTo(ImageProbe.PNG_SIGNATURE);
        List<Chunk> out = new ArrayList<>();
        int pos = 8;
        CRC32 crc = new CRC32();
        while (true) {
            int length = ByteBuffer.wrap(d, pos, 4).getInt();
            String type = new String(d, pos + 4, 4, StandardCharsets.ISO_8859_1);
            int end = pos + 12 + length;
            assertThat(end).isLessThanOrEqualTo(d.length);
            crc.reset();
            crc.update(d, pos + 4, length + 4);
            assertThat((int) crc.getValue()).as(type + " CRC").isEqualTo(ByteBuffer.wrap(d, end - 4, 4).getInt());
            out.add(new Chunk(type, pos, end));
            if (type.equals("IEND")) return out;
            pos = end;
        }
    }

    static List<Chunk> webpChunks(byte[] d) {
        assertThat(new String(d, 0, 4, StandardCharsets.ISO_8859_1)).isEqualTo("RIFF");
        assertThat(new String(d, 8, 4, StandardCharsets.ISO_8859_1)).isEqualTo("WEBP");
        assertThat(ByteBuffer.wrap(d, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()).as("RIFF size").isEqualTo(d.length - 8);
        List<Chunk> out = new ArrayList<>();
        int pos = 12;
        while (pos < d.length) {
            int size = ByteBuffer.wrap(d, pos + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            int end = pos + 8 + size + (size & 1);
            assertThat(end).isLessThanOrEqualTo(d.length);
            out.add(new Chunk(new String(d, pos, 4, StandardCharsets.ISO_8859_1), pos, end));
            pos = end;
        }
        return out;
    }

    static List<byte[]> chunkBytes(byte[] d, List<Chunk> chunks, String type) {
        return chunks.stream().filter(c -> c.type.equals(type)).map(c -> Arrays.copyOfRange(d, c.start, c.end)).toList();
    }

    /** A GIF block [start, end): "screen", "image", "trailer", "ext XX" or "app IDENTIFIER". */
    record Block(String kind, int start, int end) {
        byte[] bytes(byte[] d) {
            return Arrays.copyOfRange(d, start, end);
        }
    }

    static List<Block> gifBlocks(byte[] d) {
        List<Block> out = new ArrayList<>();
        int packed = d[10] & 0xFF;
        int pos = 13 + ((packed & 0x80) != 0 ? 3 * (2 << (packed & 7)) : 0);
        out.add(new Block("screen", 0, pos));
        while (true) {
            int b = d[pos] & 0xFF;
            if (b == 0x3B) {
                out.add(new Block("trailer", pos, pos + 1));
                return out;
            }
            int start = pos;
            String kind;
            if (b == 0x21) {
                int label = d[pos + 1] & 0xFF;
                kind = label == 0xFF ? "app " + new String(d, pos + 3, 11, StandardCharsets.ISO_8859_1) : String.format("ext %02X", label);
                pos += 2;
            } else {
                assertThat(b).as("block introducer at " + pos).isEqualTo(0x2C);
                int p = d[pos + 9] & 0xFF;
                pos += 10 + ((p & 0x80) != 0 ? 3 * (2 << (p & 7)) : 0) + 1;
                kind = "image";
            }
            while (d[pos] != 0) pos += 1 + (d[pos] & 0xFF);
            pos++;
            out.add(new Block(kind, start, pos));
        }
    }

    static List<String> blocks(byte[] d, List<Block> blocks, String kind) {
        return blocks.stream().filter(b -> b.kind.equals(kind)).map(b -> new String(b.bytes(d), StandardCharsets.ISO_8859_1)).toList();
    }
}

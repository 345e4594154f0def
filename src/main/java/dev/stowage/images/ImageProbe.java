package dev.stowage.images;

import static dev.stowage.images.ImageRejectedException.CORRUPT_IMAGE;
import static dev.stowage.images.ImageRejectedException.TRUNCATED_IMAGE;
import static dev.stowage.images.ImageRejectedException.UNSUPPORTED_IMAGE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Reads an image's container header — never its pixels — and reports format, dimensions, orientation,
 * frame count, progressive/interlaced and bit depth, so that {@link DecodeLimits} can refuse a
 * decompression bomb before a decoder allocates anything.
 *
 * <p>Formats and what is read:
 * <ul>
 *   <li><b>JPEG</b> (ITU-T T.81 Annex B): the marker segments from SOI up to the first SOS are walked by
 *       their lengths (entropy-coded data is never touched). The frame header SOF<i>n</i> (B.2.2) gives
 *       precision, height and width; SOF2/6/10/14 are progressive. The first APP1 segment whose
 *       identifier is {@code Exif\0\0} (Exif 2.32) is parsed as TIFF 6.0 (either byte order,
 *       §2 "Image File Header") and IFD0 tag 0x0112 Orientation is taken. A JPEG cut after its header
 *       probes fine: truncated entropy data is found by the decoder, or by
 *       {@link MetadataStripper#strip(byte[])} which must find the EOI marker.
 *   <li><b>PNG</b> (ISO/IEC 15948 §5.2-5.3, §11.2.2): the signature and the IHDR chunk (CRC checked);
 *       then chunk headers up to the first IDAT for {@code acTL} (APNG frame count) and {@code eXIf}
 *       (orientation, PNG 3rd edition / Extensions 1.5.0).
 *   <li><b>GIF</b> (GIF89a §17-§20): the logical screen descriptor and the global colour table size; then
 *       the blocks are skipped by their sub-block lengths (no LZW decoding) to count image descriptors.
 *   <li><b>WebP</b> (WebP container specification, RFC 9649): the RIFF header and the first chunk —
 *       {@code VP8 } (RFC 6386 §9.1 frame header: 14-bit width and height), {@code VP8L} (lossless
 *       bitstream header: 14-bit width-1 and height-1) or {@code VP8X} (24-bit canvas width-1 and
 *       height-1, feature flags); with VP8X the chunk headers are walked to count {@code ANMF} frames and
 *       read the {@code EXIF} chunk's orientation.
 *   <li><b>HEIF/AVIF</b> (ISO/IEC 23008-12 item properties {@code ispe}, {@code irot}, {@code imir},
 *       {@code pixi}; boxes per ISO/IEC 14496-12): best effort — the {@code ftyp}
 *       brands, then {@code meta}/{@code pitm}/{@code iprp}/{@code ipco}/{@code ipma} to find the primary
 *       item's spatial extent (falling back to the largest {@code ispe}); {@code irot}/{@code imir} are
 *       folded into the equivalent Exif orientation. {@code clap} cropping is ignored.
 * </ul>
 *
 * <p><b>Bounded reading.</b> {@link #probe(Path)} reads the file through an 8 KiB window and stops after
 * {@value #PATH_READ_BUDGET} bytes: enough to seek over megabytes of JPEG APP segments, and a frame
 * count that needs more (a very large GIF) is reported as counted so far (at least 2 still means
 * animated). {@link #probe(byte[])} accepts the whole file or just its first bytes; optional
 * information past the end of the bytes given (frames, a WebP EXIF chunk after the image data) is
 * then simply not reported.
 *
 * <p>Errors: {@value ImageRejectedException#UNSUPPORTED_IMAGE} for other formats,
 * {@value ImageRejectedException#TRUNCATED_IMAGE} when the bytes end before the dimensions,
 * {@value ImageRejectedException#CORRUPT_IMAGE} for invalid headers.
 */
public final class ImageProbe {

    /** Format names reported in {@link ProbeResult#format()}. */
    public static final String JPEG = "jpeg", PNG = "png", GIF = "gif", WEBP = "webp", HEIF = "heif";

    /** Most bytes {@link #probe(Path)} reads from a file. */
    public static final int PATH_READ_BUDGET = 4 * 1024 * 1024;

    static final byte[] JPEG_SIGNATURE = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /**
     * ISO/IEC 23008-12 (Annex B: heic heix heim heis hevc hevx hevm hevs; §10: mif1 msf1 mif2), MIAF
     * (ISO/IEC 23000-22: miaf) and AV1 Image File Format (avif avis) brands.
     */
    static final Set<String> HEIF_BRANDS = Set.of("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs",
            "mif1", "msf1", "mif2", "miaf", "avif", "avis");

    private ImageProbe() {
    }

    /**
     * Probes an image held in memory.
     *
     * @param data the whole file, or at least its first bytes
     * @return what the header says
     * @throws ImageRejectedException with {@code unsupported_image}, {@code truncated_image} or
     *                                {@code corrupt_image}
     */
    public static ProbeResult probe(byte[] data) {
        return probe(new ArraySource(data));
    }

    /**
     * Probes an image file, reading at most {@value #PATH_READ_BUDGET} bytes of it.
     *
     * @param file the image file
     * @return what the header says
     * @throws IOException            when the file cannot be read
     * @throws ImageRejectedException with {@code unsupported_image}, {@code truncated_image} or
     *                                {@code corrupt_image}
     */
    public static ProbeResult probe(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ChannelSource source = new ChannelSource(channel);
            try {
                return probe(source);
            } catch (ChannelSource.Failure e) {
                throw e.getCause();
            }
        }
    }

    /** The format of the bytes by their magic numbers, or throws {@code unsupported_image}/{@code truncated_image}. */
    static String detect(byte[] data) {
        return detect(new ArraySource(data));
    }

    private static ProbeResult probe(Source src) {
        String format = detect(src);
        try {
            return switch (format) {
                case JPEG -> jpeg(src);
                case PNG -> png(src);
                case GIF -> gif(src);
                case WEBP -> webp(src);
                case HEIF -> heif(src);
                default -> throw new IllegalStateException(format);
            };
        } catch (OutOfData e) {
            if (e.budget) {
                throw new ImageRejectedException(CORRUPT_IMAGE, "no " + format + " image header in the first " + PATH_READ_BUDGET + " bytes");
            }
            throw new ImageRejectedException(TRUNCATED_IMAGE, "the " + format + " data ends inside its header");
        }
    }

    private static String detect(Source src) {
        long size = src.size();
        if (size == 0) throw new ImageRejectedException(UNSUPPORTED_IMAGE, "no bytes");
        byte[] head = src.bytes(0, (int) Math.min(size, 32));
        if (startsWith(head, JPEG_SIGNATURE)) return JPEG;
        if (startsWith(head, PNG_SIGNATURE)) return PNG;
        if (startsWith(head, ascii("GIF87a")) || startsWith(head, ascii("GIF89a"))) return GIF;
        if (head.length >= 12 && startsWith(head, ascii("RIFF")) && ascii(head, 8, 4).equals("WEBP")) return WEBP;
        if (head.length >= 12 && ascii(head, 4, 4).equals("ftyp")) {
            if (isHeif(src)) return HEIF;
            throw new ImageRejectedException(UNSUPPORTED_IMAGE, "an ISO base media file that is not HEIF or AVIF (brands " + brands(src) + ")");
        }
        if (head.length < 12) { // too short to tell: a prefix of a signature is a truncated image
            boolean prefix = head.length >= 8 && ascii(head, 4, 4).equals("ftyp");
            for (byte[] sig : List.of(JPEG_SIGNATURE, PNG_SIGNATURE, ascii("GIF87a"), ascii("GIF89a"), ascii("RIFF"))) {
                prefix |= Arrays.equals(head, 0, Math.min(head.length, sig.length), sig, 0, Math.min(head.length, sig.length));
            }
            if (prefix) throw new ImageRejectedException(TRUNCATED_IMAGE, "only " + size + " bytes: too short to identify");
        }
        throw new ImageRejectedException(UNSUPPORTED_IMAGE, "not a JPEG, PNG, GIF, WebP, HEIF or AVIF image");
    }

    // ---- JPEG (ITU-T T.81 Annex B) -------------------------------------------------------------------

    /** SOFn markers (T.81 Table B.1): C0-C3, C5-C7, C9-CB, CD-CF. */
    static boolean isSof(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static ProbeResult jpeg(Source src) {
        long pos = 2;
        int orientation = 1;
        boolean exifSeen = false;
        int width = 0, height = 0, precision = 0;
        boolean progressive = false, sofSeen = false;
        try {
            while (true) {
                if (src.u8(pos) != 0xFF) throw corrupt("JPEG: expected a marker at offset " + pos);
                long p = pos + 1;
                int marker = src.u8(p);
                while (marker == 0xFF) marker = src.u8(++p); // fill bytes (T.81 B.1.1.2)
                pos = p + 1;
                if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; // TEM, RSTn: no length
                if (marker == 0x00 || marker == 0xD8) throw corrupt("JPEG: unexpected marker 0x" + Integer.toHexString(marker) + " at offset " + p);
                if (marker == 0xD9) throw corrupt("JPEG: EOI before any scan");
                int length = src.u16be(pos);
                if (length < 2) throw corrupt("JPEG: segment length " + length + " at offset " + pos);
                long payload = pos + 2;
                int payloadLength = length - 2;
                if (marker == 0xF7) throw new ImageRejectedException(UNSUPPORTED_IMAGE, "JPEG-LS (SOF55) is not supported");
                if (isSof(marker)) {
                    if (payloadLength < 6) throw corrupt("JPEG: frame header too short");
                    if (sofSeen) throw corrupt("JPEG: a second frame header");
                    precision = src.u8(payload);
                    height = src.u16be(payload + 1);
                    width = src.u16be(payload + 3);
                    if (width == 0) throw corrupt("JPEG: frame width 0");
                    if (height == 0) throw new ImageRejectedException(UNSUPPORTED_IMAGE, "JPEG: the height is only given by a DNL marker after the first scan");
                    progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
                    sofSeen = true;
                } else if (marker == 0xE1 && !exifSeen && payloadLength >= 6 && ascii(src.bytes(payload, 6), 0, 6).equals("Exif\0\0")) {
                    exifSeen = true;
                    byte[] app1 = src.bytes(payload, payloadLength);
                    orientation = exifOrientation(app1, 6, app1.length - 6);
                } else if (marker == 0xDA) {
                    if (!sofSeen) throw corrupt("JPEG: a scan before the frame header");
                    break;
                }
                pos = payload + payloadLength;
            }
        } catch (OutOfData e) {
            if (!sofSeen) throw e; // otherwise the header is complete enough
        }
        return new ProbeResult(JPEG, width, height, orientation, 1, progressive, precision);
    }

    // ---- Exif / TIFF 6.0 ---------------------------------------------------------------------------

    /**
     * The Orientation (tag 0x0112) of IFD0 in a TIFF structure (TIFF 6.0 §2: byte order {@code II} or
     * {@code MM}, 42, offset of IFD0; 12-byte IFD entries). Anything malformed or out of 1-8 gives 1: a
     * broken Exif block never rejects an image.
     *
     * @param buf    holds the TIFF structure
     * @param offset where the TIFF header starts in {@code buf}
     * @param length bytes of TIFF structure available
     */
    static int exifOrientation(byte[] buf, int offset, int length) {
        if (length < 8 || offset < 0 || offset + length > buf.length) return 1;
        boolean little;
        if (buf[offset] == 'I' && buf[offset + 1] == 'I') little = true;
        else if (buf[offset] == 'M' && buf[offset + 1] == 'M') little = false;
        else return 1;
        if (tiffU16(buf, offset + 2, little) != 42) return 1;
        long ifd = tiffU32(buf, offset + 4, little);
        if (ifd < 8 || ifd > length - 2) return 1;
        int base = offset + (int) ifd;
        int count = tiffU16(buf, base, little);
        for (int i = 0; i < count; i++) {
            int entry = base + 2 + 12 * i;
            if (entry + 12 > offset + length) return 1;
            if (tiffU16(buf, entry, little) != 0x0112) continue;
            int type = tiffU16(buf, entry + 2, little);
            long n = tiffU32(buf, entry + 4, little);
            if (n < 1) return 1;
            long value = switch (type) {
                case 3 -> tiffU16(buf, entry + 8, little); // SHORT, as Exif specifies
                case 4 -> tiffU32(buf, entry + 8, little); // LONG, seen from some writers
                case 1 -> buf[entry + 8] & 0xFF;           // BYTE
                default -> 1;
            };
            return value >= 1 && value <= 8 ? (int) value : 1;
        }
        return 1;
    }

    private static int tiffU16(byte[] b, int i, boolean little) {
        return little ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static long tiffU32(byte[] b, int i, boolean little) {
        return little
                ? (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24
                : (b[i] & 0xFFL) << 24 | (b[i + 1] & 0xFFL) << 16 | (b[i + 2] & 0xFFL) << 8 | (b[i + 3] & 0xFFL);
    }

    // ---- PNG (ISO/IEC 15948) -----------------------------------------------------------------------

    private static ProbeResult png(Source src) {
        byte[] ihdr = src.bytes(8, 25);
        if (be32(ihdr, 0) != 13 || !ascii(ihdr, 4, 4).equals("IHDR")) throw corrupt("PNG: the first chunk is not a 13-byte IHDR");
        CRC32 crc = new CRC32();
        crc.update(ihdr, 4, 17);
        if (crc.getValue() != be32(ihdr, 21)) throw corrupt("PNG: IHDR CRC mismatch");
        long width = be32(ihdr, 8), height = be32(ihdr, 12);
        int depth = ihdr[16] & 0xFF, colourType = ihdr[17] & 0xFF;
        int compression = ihdr[18] & 0xFF, filter = ihdr[19] & 0xFF, interlace = ihdr[20] & 0xFF;
        if (width == 0 || height == 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
            throw corrupt("PNG: invalid dimensions " + width + "x" + height);
        }
        boolean depthOk = switch (colourType) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
        if (!depthOk || compression != 0 || filter != 0 || interlace > 1) {
            throw corrupt("PNG: invalid IHDR (colour type " + colourType + ", bit depth " + depth + ", methods " + compression + "/" + filter + "/" + interlace + ")");
        }
        int frames = 1, orientation = 1;
        boolean exifSeen = false;
        long pos = 33;
        try {
            while (true) {
                long length = src.u32be(pos);
                String type = ascii(src.bytes(pos + 4, 4), 0, 4);
                if (length > Integer.MAX_VALUE || type.equals("IDAT") || type.equals("IEND")) break;
                if (type.equals("acTL") && length >= 8) {
                    long n = src.u32be(pos + 8);
                    if (n >= 1 && n <= Integer.MAX_VALUE) frames = (int) n;
                } else if (type.equals("eXIf") && !exifSeen) {
                    exifSeen = true;
                    byte[] exif = src.bytes(pos + 8, (int) length);
                    orientation = exifOrientation(exif, 0, exif.length);
                }
                pos += 12 + length;
            }
        } catch (OutOfData e) {
            // optional information only
        }
        return new ProbeResult(PNG, (int) width, (int) height, orientation, frames, interlace == 1, depth);
    }

    // ---- GIF (GIF89a) ------------------------------------------------------------------------------

    private static ProbeResult gif(Source src) {
        byte[] lsd = src.bytes(6, 7);
        int width = le16(lsd, 0), height = le16(lsd, 2), packed = lsd[4] & 0xFF;
        boolean globalTable = (packed & 0x80) != 0;
        int tableBits = (packed & 7) + 1;
        long pos = 13 + (globalTable ? 3L << tableBits : 0);
        if (globalTable) src.u8(pos - 1); // the table must be there
        int images = 0, firstWidth = 0, firstHeight = 0, localBits = 0;
        boolean interlaced = false;
        try {
            walk:
            while (true) {
                int introducer = src.u8(pos);
                switch (introducer) {
                    case 0x21 -> pos = skipSubBlocks(src, pos + 2);
                    case 0x2C -> {
                        int p = src.u8(pos + 9);
                        if (images == 0) {
                            firstWidth = src.u16le(pos + 5);
                            firstHeight = src.u16le(pos + 7);
                            interlaced = (p & 0x40) != 0;
                            if ((p & 0x80) != 0) localBits = (p & 7) + 1;
                        }
                        images++;
                        pos += 10 + ((p & 0x80) != 0 ? 3L << ((p & 7) + 1) : 0);
                        pos = skipSubBlocks(src, pos + 1); // after the LZW minimum code size
                    }
                    default -> {
                        break walk; // trailer (0x3B) or garbage after the last image
                    }
                }
            }
        } catch (OutOfData e) {
            if (width == 0 || height == 0) {
                if (images == 0) throw e;
            }
        }
        if (width == 0 || height == 0) { // some writers leave the logical screen at 0: use the first image
            width = firstWidth;
            height = firstHeight;
        }
        if (width == 0 || height == 0) throw corrupt("GIF: zero dimensions");
        int bits = globalTable ? tableBits : localBits > 0 ? localBits : 8;
        return new ProbeResult(GIF, width, height, 1, Math.max(1, images), interlaced, bits);
    }

    /** Skips GIF data sub-blocks (GIF89a §15) starting at {@code pos}; returns the position after the terminator. */
    static long skipSubBlocks(Source src, long pos) {
        while (true) {
            int size = src.u8(pos);
            pos += 1 + size;
            if (size == 0) return pos;
        }
    }

    // ---- WebP (RIFF container) ---------------------------------------------------------------------

    private static ProbeResult webp(Source src) {
        long riffEnd = 8 + src.u32le(4);
        String first = ascii(src.bytes(12, 4), 0, 4);
        long firstSize = src.u32le(16);
        long data = 20;
        switch (first) {
            case "VP8 " -> {
                byte[] h = src.bytes(data, 10);
                if ((h[0] & 1) != 0) throw corrupt("WebP: the VP8 frame is not a key frame");
                if ((h[3] & 0xFF) != 0x9D || (h[4] & 0xFF) != 0x01 || (h[5] & 0xFF) != 0x2A) throw corrupt("WebP: no VP8 start code");
                int w = le16(h, 6) & 0x3FFF, hgt = le16(h, 8) & 0x3FFF;
                if (w == 0 || hgt == 0) throw corrupt("WebP: zero dimensions");
                return new ProbeResult(WEBP, w, hgt, 1, 1, false, 8);
            }
            case "VP8L" -> {
                byte[] h = src.bytes(data, 5);
                if ((h[0] & 0xFF) != 0x2F) throw corrupt("WebP: no VP8L signature");
                long bits = le32(h, 1);
                if ((bits >>> 29) != 0) throw corrupt("WebP: unknown VP8L version");
                return new ProbeResult(WEBP, (int) (bits & 0x3FFF) + 1, (int) ((bits >>> 14) & 0x3FFF) + 1, 1, 1, false, 8);
            }
            case "VP8X" -> {
                if (firstSize < 10) throw corrupt("WebP: VP8X chunk too short");
                byte[] h = src.bytes(data, 10);
                int flags = h[0] & 0xFF;
                int w = (int) le24(h, 4) + 1, hgt = (int) le24(h, 7) + 1;
                int frames = 0, orientation = 1;
                if ((flags & (WEBP_ANIMATION | WEBP_EXIF)) != 0) {
                    try {
                        long pos = data + firstSize + (firstSize & 1);
                        boolean exifSeen = false;
                        while (pos + 8 <= riffEnd) {
                            String type = ascii(src.bytes(pos, 4), 0, 4);
                            long size = src.u32le(pos + 4);
                            if (type.equals("ANMF")) frames++;
                            else if (type.equals("EXIF") && !exifSeen && (flags & WEBP_EXIF) != 0 && size <= Integer.MAX_VALUE) {
                                exifSeen = true;
                                byte[] exif = src.bytes(pos + 8, (int) size);
                                int skip = exif.length >= 6 && ascii(exif, 0, 6).equals("Exif\0\0") ? 6 : 0;
                                orientation = exifOrientation(exif, skip, exif.length - skip);
                            }
                            pos += 8 + size + (size & 1);
                        }
                    } catch (OutOfData e) {
                        // optional information only
                    }
                }
                return new ProbeResult(WEBP, w, hgt, orientation, Math.max(1, frames), false, 8);
            }
            default -> throw corrupt("WebP: the first chunk is '" + first + "', not VP8, VP8L or VP8X");
        }
    }

    /** VP8X feature flags (WebP container specification, "Extended File Format"). */
    static final int WEBP_ICC = 0x20, WEBP_ALPHA = 0x10, WEBP_EXIF = 0x08, WEBP_XMP = 0x04, WEBP_ANIMATION = 0x02;

    // ---- HEIF / AVIF (ISO/IEC 23008-12, ISO/IEC 14496-12) ------------------------------------------

    private record Box(String type, long start, long payload, long end) {
    }

    private static Box box(Source src, long pos, long parentEnd) {
        long size = src.u32be(pos);
        String type = ascii(src.bytes(pos + 4, 4), 0, 4);
        long header = 8;
        if (size == 1) {
            size = src.u32be(pos + 8) << 32 | src.u32be(pos + 12);
            header = 16;
        } else if (size == 0) {
            size = parentEnd - pos;
        }
        if (type.equals("uuid")) header += 16;
        if (size < header || pos + size > parentEnd || size < 0) throw corrupt("HEIF: box '" + type + "' at offset " + pos + " has an invalid size");
        return new Box(type, pos, pos + header, pos + size);
    }

    private static List<Box> children(Source src, long from, long to) {
        List<Box> out = new ArrayList<>();
        for (long pos = from; pos + 8 <= to; ) {
            Box b = box(src, pos, to);
            out.add(b);
            pos = b.end;
        }
        return out;
    }

    private static boolean isHeif(Source src) {
        for (String brand : brandList(src)) if (HEIF_BRANDS.contains(brand)) return true;
        return false;
    }

    private static String brands(Source src) {
        return String.join(",", brandList(src));
    }

    private static List<String> brandList(Source src) {
        List<String> brands = new ArrayList<>();
        try {
            long size = src.u32be(0);
            brands.add(ascii(src.bytes(8, 4), 0, 4));
            for (long p = 16; p + 4 <= Math.min(size, 4096); p += 4) brands.add(ascii(src.bytes(p, 4), 0, 4));
        } catch (OutOfData e) {
            // as many as there are
        }
        return brands;
    }

    /** Orientation matrices (x' = a·x + b·y, y' = c·x + d·y, y downwards) of Exif orientations 1-8. */
    private static final int[][] ORIENTATION_MATRIX = {
            null,
            {1, 0, 0, 1}, {-1, 0, 0, 1}, {-1, 0, 0, -1}, {1, 0, 0, -1},
            {0, 1, 1, 0}, {0, -1, 1, 0}, {0, -1, -1, 0}, {0, 1, -1, 0}};

    /** The Exif orientation equivalent to applying {@code first}, then {@code then}. */
    static int composeOrientation(int first, int then) {
        int[] a = ORIENTATION_MATRIX[then], b = ORIENTATION_MATRIX[first];
        int[] m = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]};
        for (int o = 1; o <= 8; o++) if (Arrays.equals(ORIENTATION_MATRIX[o], m)) return o;
        throw new IllegalStateException();
    }

    private static ProbeResult heif(Source src) {
        long size = src.size();
        Box meta = null;
        for (long pos = 0; pos + 8 <= size && meta == null; ) {
            Box b = box(src, pos, size);
            if (b.type.equals("meta")) meta = b;
            pos = b.end;
        }
        if (meta == null) throw new OutOfData(false);
        long primary = -1;
        List<Box> properties = new ArrayList<>();
        List<Integer> primaryProperties = null;
        List<Box> ipmas = new ArrayList<>();
        for (Box b : children(src, meta.payload + 4, meta.end)) { // meta is a FullBox
            if (b.type.equals("pitm")) {
                primary = src.u8(b.payload) == 0 ? src.u16be(b.payload + 4) : src.u32be(b.payload + 4);
            } else if (b.type.equals("iprp")) {
                for (Box c : children(src, b.payload, b.end)) {
                    if (c.type.equals("ipco")) properties.addAll(children(src, c.payload, c.end));
                    else if (c.type.equals("ipma")) ipmas.add(c);
                }
            }
        }
        for (Box ipma : ipmas) {
            int version = src.u8(ipma.payload);
            int flags = (int) (src.u32be(ipma.payload) & 0xFFFFFF);
            long count = src.u32be(ipma.payload + 4);
            long p = ipma.payload + 8;
            for (long i = 0; i < count && p < ipma.end; i++) {
                long item;
                if (version < 1) {
                    item = src.u16be(p);
                    p += 2;
                } else {
                    item = src.u32be(p);
                    p += 4;
                }
                int n = src.u8(p++);
                List<Integer> indexes = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    if ((flags & 1) != 0) {
                        indexes.add(src.u16be(p) & 0x7FFF);
                        p += 2;
                    } else {
                        indexes.add(src.u8(p) & 0x7F);
                        p += 1;
                    }
                }
                if (item == primary && primaryProperties == null) primaryProperties = indexes;
            }
        }
        long width = 0, height = 0;
        int orientation = 1, depth = 8;
        if (primaryProperties != null) {
            for (int index : primaryProperties) {
                if (index < 1 || index > properties.size()) continue;
                Box prop = properties.get(index - 1);
                switch (prop.type) {
                    case "ispe" -> {
                        if (width == 0) {
                            width = src.u32be(prop.payload + 4);
                            height = src.u32be(prop.payload + 8);
                        }
                    }
                    case "irot" -> {
                        int angle = src.u8(prop.payload) & 3; // anti-clockwise quarter turns
                        orientation = composeOrientation(orientation, angle == 1 ? 8 : angle == 2 ? 3 : angle == 3 ? 6 : 1);
                    }
                    case "imir" -> orientation = composeOrientation(orientation, (src.u8(prop.payload) & 1) == 0 ? 2 : 4);
                    case "pixi" -> {
                        if (src.u8(prop.payload + 4) > 0) depth = src.u8(prop.payload + 5);
                    }
                    default -> {
                    }
                }
            }
        }
        if (width == 0) { // no association found: the largest spatial extent, best effort
            for (Box prop : properties) {
                if (!prop.type.equals("ispe")) continue;
                long w = src.u32be(prop.payload + 4), h = src.u32be(prop.payload + 8);
                if (w * h > width * height) {
                    width = w;
                    height = h;
                }
            }
        }
        if (width == 0 || height == 0) throw corrupt("HEIF: no image spatial extent (ispe)");
        if (width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) throw corrupt("HEIF: dimensions out of range");
        return new ProbeResult(HEIF, (int) width, (int) height, orientation, 1, false, depth == 0 ? 8 : depth);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    static ImageRejectedException corrupt(String reason) {
        return new ImageRejectedException(CORRUPT_IMAGE, reason);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String ascii(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }

    static boolean startsWith(byte[] data, byte[] prefix) {
        if (data.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (data[i] != prefix[i]) return false;
        return true;
    }

    static long be32(byte[] b, int i) {
        return (b[i] & 0xFFL) << 24 | (b[i + 1] & 0xFFL) << 16 | (b[i + 2] & 0xFFL) << 8 | (b[i + 3] & 0xFFL);
    }

    static int le16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    static long le24(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16;
    }

    static long le32(byte[] b, int i) {
        return le24(b, i) | (b[i + 3] & 0xFFL) << 24;
    }

    /** The bytes ran out (or, for a file, the read budget did). */
    static final class OutOfData extends RuntimeException {
        final boolean budget;

        OutOfData(boolean budget) {
            super(null, null, false, false);
            this.budget = budget;
        }
    }

    /** Random access to the image's bytes. */
    abstract static class Source {
        abstract long size();

        abstract int u8(long pos);

        /** {@code length} bytes at {@code pos}, or {@link OutOfData}. */
        abstract byte[] bytes(long pos, int length);

        int u16be(long pos) {
            return u8(pos) << 8 | u8(pos + 1);
        }

        int u16le(long pos) {
            return u8(pos) | u8(pos + 1) << 8;
        }

        long u32be(long pos) {
            return (long) u8(pos) << 24 | u8(pos + 1) << 16 | u8(pos + 2) << 8 | u8(pos + 3);
        }

        long u32le(long pos) {
            return u8(pos) | u8(pos + 1) << 8 | u8(pos + 2) << 16 | (long) u8(pos + 3) << 24;
        }
    }

    static final class ArraySource extends Source {
        private final byte[] data;

        ArraySource(byte[] data) {
            this.data = data;
        }

        @Override
        long size() {
            return data.length;
        }

        @Override
        int u8(long pos) {
            if (pos < 0 || pos >= data.length) throw new OutOfData(false);
            return data[(int) pos] & 0xFF;
        }

        @Override
        byte[] bytes(long pos, int length) {
            if (pos < 0 || length < 0 || pos + length > data.length) throw new OutOfData(false);
            return Arrays.copyOfRange(data, (int) pos, (int) pos + length);
        }
    }

    /** A file read through a small window, with a budget of bytes read. */
    static final class ChannelSource extends Source {
        private static final int WINDOW = 8 * 1024;
        private final FileChannel channel;
        private final long size;
        private final ByteBuffer window = ByteBuffer.allocate(WINDOW);
        private long windowStart = -1;
        private int windowLength;
        private long read;

        /** Wraps an IOException so it passes through the parsers. */
        static final class Failure extends RuntimeException {
            Failure(IOException cause) {
                super(cause);
            }

            @Override
            public synchronized IOException getCause() {
                return (IOException) super.getCause();
            }
        }

        ChannelSource(FileChannel channel) throws IOException {
            this.channel = channel;
            this.size = channel.size();
        }

        @Override
        long size() {
            return size;
        }

        @Override
        int u8(long pos) {
            if (pos < 0 || pos >= size) throw new OutOfData(false);
            if (pos < windowStart || pos >= windowStart + windowLength) fill(pos);
            return window.get((int) (pos - windowStart)) & 0xFF;
        }

        @Override
        byte[] bytes(long pos, int length) {
            if (pos < 0 || length < 0 || pos + length > size) throw new OutOfData(false);
            byte[] out = new byte[length];
            if (length <= WINDOW) {
                for (int i = 0; i < length; i++) out[i] = (byte) u8(pos + i);
                return out;
            }
            charge(length);
            ByteBuffer buffer = ByteBuffer.wrap(out);
            try {
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, pos + buffer.position()) < 0) throw new OutOfData(false);
                }
            } catch (IOException e) {
                throw new Failure(e);
            }
            return out;
        }

        private void fill(long pos) {
            int length = (int) Math.min(WINDOW, size - pos);
            charge(length);
            window.clear().limit(length);
            try {
                while (window.hasRemaining()) {
                    if (channel.read(window, pos + window.position()) < 0) throw new OutOfData(false);
                }
            } catch (IOException e) {
                throw new Failure(e);
            }
            windowStart = pos;
            windowLength = length;
        }

        private void charge(int length) {
            read += length;
            if (read > PATH_READ_BUDGET) throw new OutOfData(true);
        }
    }
}

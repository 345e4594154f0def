package dev.stowage.images;

import static dev.stowage.images.ImageProbe.ascii;
import static dev.stowage.images.ImageProbe.be32;
import static dev.stowage.images.ImageProbe.corrupt;
import static dev.stowage.images.ImageProbe.le32;
import static dev.stowage.images.ImageRejectedException.TRUNCATED_IMAGE;
import static dev.stowage.images.ImageRejectedException.UNSUPPORTED_IMAGE;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Makes the {@code original} variant losslessly: the same file format with all metadata removed at the
 * container level and the coded image data copied byte for byte, so the pixels are bit-identical and
 * nothing is decoded or re-encoded.
 *
 * <p>What is kept is a whitelist; everything else (including anything unknown) is dropped:
 * <ul>
 *   <li><b>JPEG</b> (ITU-T T.81 Annex B): SOI, DQT, DHT, DAC, DRI, SOF<i>n</i>, DNL, DHP, EXP, each SOS
 *       with its entropy-coded data (all scans of a progressive JPEG, restart markers included), up to
 *       and including the main image's EOI — anything after it (MPF second images, trailers) is cut.
 *       Plus APP0 JFIF (JFIF 1.02; rewritten without its optional thumbnail, moved right after SOI),
 *       every APP2 {@code ICC_PROFILE} chunk in order (ICC.1 Annex B.4: the colour stays correct) and
 *       APP14 {@code Adobe} (its transform flag tells YCCK/CMYK and RGB/YCbCr apart). Dropped: APP1 Exif,
 *       XMP and Extended XMP, APP13 Photoshop/IPTC, APP2 FPXR and MPF, APP11 JUMBF/C2PA, JFXX thumbnails,
 *       COM and all other APP<i>n</i>/JPG<i>n</i> segments, wherever they occur (also between scans).
 *   <li><b>PNG</b> (ISO/IEC 15948 §5.6, §11): IHDR, PLTE, IDAT, IEND; tRNS; the colour chunks gAMA,
 *       cHRM, sRGB, iCCP, sBIT and cICP, mDCv, cLLi (PNG 3rd edition); pHYs (pixel aspect ratio — affects
 *       display, reveals nothing); APNG acTL, fcTL, fdAT. Dropped: tEXt, zTXt, iTXt (XMP), eXIf, tIME,
 *       bKGD, hIST, sPLT (carries a name), caBX (C2PA) and every other ancillary chunk. Kept chunks are
 *       copied verbatim with their CRCs, which are checked: a bad CRC on a critical chunk is
 *       {@code corrupt_image}, a kept ancillary chunk with a bad CRC is dropped (as libpng does). An unknown
 *       critical chunk is {@code unsupported_image}. Data after IEND is cut.
 *   <li><b>GIF</b> (GIF89a §17-§26): header, logical screen descriptor, global and local colour tables,
 *       image descriptors with their LZW data, Graphic Control Extensions, the {@code NETSCAPE2.0}
 *       (and equivalent {@code ANIMEXTS1.0}) looping extension, and the {@code ICCRGBG1012} ICC profile
 *       extension (kept for the same reason as ICC in JPEG). Dropped: Comment extensions, XMP and every
 *       other application extension, Plain Text extensions together with the Graphic Control Extension
 *       that governs them (GIF89a §23: it applies to the next graphic rendering block, which would
 *       otherwise become the following image). Data after the trailer is cut.
 *   <li><b>WebP</b> (WebP container specification, RFC 9649): a simple file (VP8/VP8L) keeps only its
 *       bitstream chunk. An extended file keeps VP8X, ICCP, ANIM, ANMF (its sub-chunks filtered to ALPH,
 *       VP8, VP8L), ALPH, VP8, VP8L; EXIF, XMP and unknown chunks are dropped, the VP8X EXIF/XMP (and,
 *       without ICCP, ICC) flags cleared and the RIFF size recomputed.
 *   <li>Anything else — HEIF/AVIF included — is {@code unsupported_image}: the caller re-encodes or
 *       skips.
 * </ul>
 *
 * <p><b>Orientation.</b> Pixels are never moved, so an image whose Exif Orientation (TIFF/Exif tag
 * 0x0112) is 2-8 would display sideways without it. The stripped file therefore carries a minimal Exif
 * block holding <em>only</em> that tag: a TIFF header ({@code MM}, 42, IFD0 at offset 8), IFD0 with one
 * entry (0x0112, SHORT, count 1, the value) and a next-IFD offset of 0 — 26 bytes, no GPS, no maker
 * notes, no thumbnail, no sub-IFDs. It goes in an APP1 {@code Exif\0\0} segment after SOI (after JFIF
 * APP0 when there is one) for JPEG, an {@code eXIf} chunk before the first image chunk for PNG, and an
 * {@code EXIF} chunk (VP8X EXIF flag set) at the end of an extended WebP. Browsers apply the JPEG tag
 * (CSS {@code image-orientation: from-image}, the default), so the original displays upright and stays
 * bit-identical; for PNG and WebP the tag is carried the same way for the viewers that honour it (a
 * simple VP8/VP8L WebP has no place for it). Orientation 1, absent or invalid writes nothing. Rotating in the DCT domain
 * (jpegtran-style) would also be lossless but is not possible for every size (partial MCUs) and
 * would need a JPEG coefficient codec; re-encoding would not be lossless.
 *
 * <p><b>Memory.</b> The input is held in memory (uploads are at most 50 MB; check {@link DecodeLimits}
 * first). {@link #strip(byte[])} walks the structure into a list of slices of the input (one per kept
 * segment or chunk, O(segments)), then allocates the output once at its exact size: peak ≈ input +
 * output ≤ 2 × input + 64 bytes. {@link #strip(byte[], OutputStream)} writes the slices to the stream and
 * allocates no output copy.
 */
public final class MetadataStripper {

    /** Big-endian TIFF with only IFD0 → Orientation; the value goes at {@link #ORIENTATION_VALUE_OFFSET}. */
    private static final byte[] MINIMAL_EXIF_TIFF = {
            'M', 'M', 0, 42, 0, 0, 0, 8,      // byte order, 42, offset of IFD0 (TIFF 6.0 §2)
            0, 1,                             // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1,     // tag 0x0112 Orientation, type SHORT, count 1
            0, 0, 0, 0,                       // value (left-justified SHORT), padding
            0, 0, 0, 0};                      // no next IFD
    private static final int ORIENTATION_VALUE_OFFSET = 19;

    private static final Set<String> PNG_KEEP = Set.of("IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB",
            "iCCP", "sBIT", "cICP", "mDCv", "cLLi", "pHYs", "acTL", "fcTL", "fdAT");
    private static final Set<String> GIF_KEEP_APPLICATIONS = Set.of("NETSCAPE2.0", "ANIMEXTS1.0", "ICCRGBG1012");

    private MetadataStripper() {
    }

    /**
     * Strips all metadata from a JPEG, PNG, GIF or WebP image, keeping the format and the coded pixels.
     *
     * @param image the whole file
     * @return the stripped file
     * @throws ImageRejectedException {@code unsupported_image} (HEIF/AVIF or not an image),
     *                                {@code truncated_image} (e.g. a JPEG without its EOI) or
     *                                {@code corrupt_image}
     */
    public static byte[] strip(byte[] image) {
        return bytes(plan(image, false));
    }

    private static byte[] bytes(Plan plan) {
        byte[] out = new byte[Math.toIntExact(plan.total())];
        int at = 0;
        for (Slice s : plan.slices) {
            System.arraycopy(s.bytes, s.offset, out, at, s.length);
            at += s.length;
        }
        return out;
    }

    /**
     * Like {@link #strip(byte[])}, for a file whose image data ends early (a truncated upload): the same
     * whitelist, with the metadata before the cut removed, and the file closed where the data ends — JPEG:
     * the entropy-coded data up to the end, then EOI; PNG: the cut {@code IDAT} rewritten with the bytes
     * present (its CRC recomputed), then {@code IEND}; GIF: the image data up to its last whole sub-block,
     * a block terminator and the trailer; WebP: a cut {@code VP8 }/{@code VP8L}/{@code ALPH}/{@code ANMF}
     * chunk with its size rewritten, metadata chunks after the cut dropped. A well-formed file gives
     * exactly what {@link #strip(byte[])} gives. This is what is served when the variants fail
     * (docs/architecture.md §6): the pixels that arrived, and no metadata.
     *
     * @param image the whole file as stored
     * @return the stripped file, as complete as the data allows
     * @throws ImageRejectedException as for {@link #strip(byte[])}, and {@code truncated_image} when the data
     *                                ends before any image data (nothing worth serving), or inside a
     *                                metadata structure whose length runs past the end of the file before
     *                                any image data
     */
    public static byte[] stripTolerant(byte[] image) {
        return bytes(plan(image, true));
    }

    /**
     * Like {@link #strip(byte[])}, writing the result to {@code out}. Nothing is written when the image is
     * rejected.
     *
     * @param image the whole file
     * @param out   receives the stripped file (not closed)
     * @throws IOException            from {@code out}
     * @throws ImageRejectedException as for {@link #strip(byte[])}
     */
    public static void strip(byte[] image, OutputStream out) throws IOException {
        for (Slice s : plan(image, false).slices) out.write(s.bytes, s.offset, s.length);
    }

    /**
     * The 26-byte TIFF structure (Exif 2.32, TIFF 6.0 §2 "Image File Directory") holding only IFD0 with the Orientation
     * tag.
     *
     * @param orientation 1-8
     */
    static byte[] minimalExif(int orientation) {
        if (orientation < 1 || orientation > 8) throw new IllegalArgumentException("orientation " + orientation);
        byte[] tiff = MINIMAL_EXIF_TIFF.clone();
        tiff[ORIENTATION_VALUE_OFFSET] = (byte) orientation;
        return tiff;
    }

    private static Plan plan(byte[] image, boolean tolerant) {
        String format = ImageProbe.detect(image);
        return switch (format) {
            case ImageProbe.JPEG -> jpeg(image, tolerant);
            case ImageProbe.PNG -> png(image, tolerant);
            case ImageProbe.GIF -> gif(image, tolerant);
            case ImageProbe.WEBP -> webp(image, tolerant);
            default -> throw new ImageRejectedException(UNSUPPORTED_IMAGE,
                    "metadata cannot be stripped losslessly from " + format + " here; re-encode instead");
        };
    }

    // ---- JPEG --------------------------------------------------------------------------------------

    private static final byte[] EOI = {(byte) 0xFF, (byte) 0xD9};

    private static Plan jpeg(byte[] in, boolean tolerant) {
        int n = in.length;
        Plan plan = new Plan(in);
        plan.add(0, 2); // SOI
        int pos = 2, orientation = 1, afterHeader = 1;
        boolean exifSeen = false, jfifSeen = false, frameSeen = false, scanSeen = false;
        walk:
        while (true) {
            if (tolerant && scanSeen && (pos >= n || (in[pos] & 0xFF) == 0xFF && pos + 2 > n)) { // cut after a scan: closed here
                plan.add(EOI);
                break walk;
            }
            if (pos >= n) throw truncated("JPEG: the data ends before the EOI marker");
            if ((in[pos] & 0xFF) != 0xFF) throw corrupt("JPEG: expected a marker at offset " + pos);
            int p = pos + 1;
            while (p < n && (in[p] & 0xFF) == 0xFF) p++; // fill bytes
            if (p >= n && tolerant && scanSeen) {
                plan.add(EOI);
                break walk;
            }
            if (p >= n) throw truncated("JPEG: the data ends before the EOI marker");
            int marker = in[p] & 0xFF, markerStart = p - 1;
            pos = p + 1;
            if (marker == 0xD9) { // EOI: the end of the main image, anything after it is cut
                if (!scanSeen) throw corrupt("JPEG: EOI before any scan");
                plan.add(markerStart, 2);
                break;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; // stray TEM/RSTn outside a scan
            if (marker == 0x00 || marker == 0xD8) throw corrupt("JPEG: unexpected marker 0x" + Integer.toHexString(marker) + " at offset " + p);
            boolean cut = pos + 2 > n || pos + ((in[pos] & 0xFF) << 8 | (in[pos + 1] & 0xFF)) > n;
            if (cut && tolerant && scanSeen) { // a segment cut between scans: dropped, the file closed
                plan.add(EOI);
                break walk;
            }
            if (pos + 2 > n) throw truncated("JPEG: the data ends inside a marker segment");
            int length = (in[pos] & 0xFF) << 8 | (in[pos + 1] & 0xFF);
            if (length < 2) throw corrupt("JPEG: segment length " + length + " at offset " + pos);
            int payload = pos + 2, payloadLength = length - 2, end = pos + length;
            if (end > n) throw truncated("JPEG: the data ends inside a marker segment");
            if (marker == 0xF7) throw new ImageRejectedException(UNSUPPORTED_IMAGE, "JPEG-LS (SOF55) is not supported");
            switch (marker) {
                case 0xE0 -> { // APP0: JFIF without its thumbnail, right after SOI; JFXX and the rest dropped
                    if (!jfifSeen && payloadLength >= 14 && hasId(in, payload, "JFIF\0")) {
                        jfifSeen = true;
                        byte[] jfif = new byte[18];
                        jfif[0] = (byte) 0xFF;
                        jfif[1] = (byte) 0xE0;
                        jfif[3] = 16;
                        System.arraycopy(in, payload, jfif, 4, 12); // "JFIF\0", version, units, densities; thumbnail 0×0
                        plan.insert(1, jfif);
                        afterHeader = 2;
                    }
                }
                case 0xE1 -> { // APP1: Exif (read the orientation), XMP, Extended XMP: all dropped
                    if (!exifSeen && payloadLength >= 6 && hasId(in, payload, "Exif\0\0")) {
                        exifSeen = true;
                        orientation = ImageProbe.exifOrientation(in, payload + 6, payloadLength - 6);
                    }
                }
                case 0xE2 -> { // APP2: ICC profile chunks kept; FPXR, MPF dropped
                    if (payloadLength >= 14 && hasId(in, payload, "ICC_PROFILE\0")) plan.add(markerStart, end - markerStart);
                }
                case 0xEE -> { // APP14 Adobe: version, flags0, flags1, transform
                    if (payloadLength >= 12 && hasId(in, payload, "Adobe")) {
                        byte[] adobe = new byte[16];
                        adobe[0] = (byte) 0xFF;
                        adobe[1] = (byte) 0xEE;
                        adobe[3] = 14;
                        System.arraycopy(in, payload, adobe, 4, 12);
                        plan.add(adobe);
                    }
                }
                case 0xDB, 0xC4, 0xCC, 0xDD, 0xDC, 0xDE, 0xDF -> plan.add(markerStart, end - markerStart); // DQT DHT DAC DRI DNL DHP EXP
                case 0xDA -> { // SOS, then the entropy-coded data up to the next marker
                    if (!frameSeen) throw corrupt("JPEG: a scan before the frame header");
                    plan.add(markerStart, end - markerStart);
                    scanSeen = true;
                    int i = entropyEnd(in, end, tolerant);
                    if (i < 0) { // tolerant: the data ends inside this scan
                        plan.add(end, n - end);
                        plan.add(EOI);
                        break walk;
                    }
                    plan.add(end, i - end);
                    pos = i;
                    continue;
                }
                default -> {
                    if (ImageProbe.isSof(marker)) {
                        frameSeen = true;
                        plan.add(markerStart, end - markerStart);
                    }
                    // every other APPn, COM (0xFE), JPGn and reserved marker: dropped
                }
            }
            pos = end;
        }
        if (orientation != 1) {
            byte[] tiff = minimalExif(orientation);
            byte[] app1 = new byte[4 + 6 + tiff.length];
            app1[0] = (byte) 0xFF;
            app1[1] = (byte) 0xE1;
            app1[2] = (byte) ((app1.length - 2) >> 8);
            app1[3] = (byte) (app1.length - 2);
            System.arraycopy(ascii("Exif\0\0"), 0, app1, 4, 6);
            System.arraycopy(tiff, 0, app1, 10, tiff.length);
            plan.insert(afterHeader, app1);
        }
        return plan;
    }

    /** The offset of the marker ending the entropy-coded data that starts at {@code from} (T.81 B.1.1.5, F.1.2.3). */
    private static int entropyEnd(byte[] in, int from, boolean tolerant) {
        int n = in.length;
        int i = from;
        while (i + 1 < n) {
            if (in[i] != (byte) 0xFF) {
                i++;
                continue;
            }
            int next = in[i + 1] & 0xFF;
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) i += 2; // stuffed zero byte, restart marker
            else if (next == 0xFF) i++;                                // fill byte before a marker
            else return i;
        }
        if (tolerant) return -1;
        throw truncated("JPEG: the data ends inside the entropy-coded data, before the EOI marker");
    }

    private static boolean hasId(byte[] in, int at, String id) {
        if (at + id.length() > in.length) return false;
        for (int i = 0; i < id.length(); i++) if (in[at + i] != (byte) id.charAt(i)) return false;
        return true;
    }

    // ---- PNG ---------------------------------------------------------------------------------------

    private static final byte[] IEND = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};

    private static Plan png(byte[] in, boolean tolerant) {
        int n = in.length;
        Plan plan = new Plan(in);
        plan.add(0, 8); // signature
        long pos = 8;
        int orientation = 1, firstImageChunk = -1;
        boolean exifSeen = false, first = true;
        CRC32 crc = new CRC32();
        while (true) {
            if (pos + 8 > n && tolerant && firstImageChunk >= 0) { // cut between chunks after the image data
                plan.add(IEND);
                break;
            }
            if (pos + 8 > n) throw truncated("PNG: the data ends before IEND");
            long length = be32(in, (int) pos);
            if (length > Integer.MAX_VALUE) throw corrupt("PNG: chunk length " + length + " at offset " + pos);
            String type = ascii(in, (int) pos + 4, 4);
            for (int i = 0; i < 4; i++) {
                char c = type.charAt(i);
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) throw corrupt("PNG: invalid chunk type at offset " + pos);
            }
            long end = pos + 12 + length;
            if (end > n && tolerant && type.equals("IDAT") && !first) { // the image data that arrived, as a whole chunk
                if (firstImageChunk < 0) firstImageChunk = plan.slices.size();
                plan.add(pngChunk("IDAT", in, (int) pos + 8, (int) Math.min(length, n - pos - 8), crc));
                plan.add(IEND);
                break;
            }
            if (end > n && tolerant && firstImageChunk >= 0) { // a chunk cut after the image data: dropped
                plan.add(IEND);
                break;
            }
            if (end > n) throw truncated("PNG: the data ends inside the " + type + " chunk");
            boolean critical = Character.isUpperCase(type.charAt(0));
            if (first && !type.equals("IHDR")) throw corrupt("PNG: the first chunk is " + type + ", not IHDR");
            first = false;
            if (PNG_KEEP.contains(type)) {
                crc.reset();
                crc.update(in, (int) pos + 4, (int) length + 4);
                if (crc.getValue() != be32(in, (int) (end - 4))) {
                    if (critical) throw corrupt("PNG: CRC mismatch in the " + type + " chunk at offset " + pos);
                    pos = end; // a damaged ancillary chunk is dropped
                    continue;
                }
                if (firstImageChunk < 0 && (type.equals("IDAT") || type.equals("fcTL"))) firstImageChunk = plan.slices.size();
                plan.add((int) pos, (int) (end - pos));
                if (type.equals("IEND")) break;
            } else if (type.equals("eXIf")) {
                if (!exifSeen) {
                    exifSeen = true;
                    orientation = ImageProbe.exifOrientation(in, (int) pos + 8, (int) length);
                }
            } else if (critical) {
                throw new ImageRejectedException(UNSUPPORTED_IMAGE, "PNG: unknown critical chunk " + type);
            }
            pos = end;
        }
        if (firstImageChunk < 0) throw corrupt("PNG: no IDAT chunk");
        if (orientation != 1) {
            byte[] tiff = minimalExif(orientation);
            byte[] chunk = new byte[12 + tiff.length];
            chunk[3] = (byte) tiff.length;
            System.arraycopy(ascii("eXIf"), 0, chunk, 4, 4);
            System.arraycopy(tiff, 0, chunk, 8, tiff.length);
            crc.reset();
            crc.update(chunk, 4, 4 + tiff.length);
            long value = crc.getValue();
            for (int i = 0; i < 4; i++) chunk[8 + tiff.length + i] = (byte) (value >>> (24 - 8 * i));
            plan.insert(firstImageChunk, chunk);
        }
        return plan;
    }

    /** A PNG chunk of {@code type} holding {@code length} bytes of {@code in} from {@code at}, with its CRC. */
    private static byte[] pngChunk(String type, byte[] in, int at, int length, CRC32 crc) {
        byte[] chunk = new byte[12 + length];
        for (int i = 0; i < 4; i++) chunk[i] = (byte) (length >>> (24 - 8 * i));
        System.arraycopy(ascii(type), 0, chunk, 4, 4);
        System.arraycopy(in, at, chunk, 8, length);
        crc.reset();
        crc.update(chunk, 4, 4 + length);
        long value = crc.getValue();
        for (int i = 0; i < 4; i++) chunk[8 + length + i] = (byte) (value >>> (24 - 8 * i));
        return chunk;
    }

    // ---- GIF ---------------------------------------------------------------------------------------

    private static Plan gif(byte[] in, boolean tolerant) {
        int n = in.length;
        Plan plan = new Plan(in);
        if (n < 13) throw truncated("GIF: the data ends inside the logical screen descriptor");
        int packed = in[10] & 0xFF;
        int pos = 13 + ((packed & 0x80) != 0 ? 3 << ((packed & 7) + 1) : 0);
        if (pos > n) throw truncated("GIF: the data ends inside the global colour table");
        plan.add(0, pos); // header, logical screen descriptor, global colour table
        int images = 0, pendingControl = -1;
        while (true) {
            if (pos >= n) {
                if (images == 0) throw truncated("GIF: the data ends before any image");
                plan.add(new byte[] {0x3B}); // a missing trailer is supplied
                break;
            }
            int introducer = in[pos] & 0xFF;
            if (introducer == 0x3B) {
                plan.add(pos, 1);
                break;
            } else if (introducer == 0x21) {
                if (tolerant && images > 0 && (pos + 2 > n || lastWholeSubBlock(in, pos + 2) >= 0)) { // an extension cut: dropped
                    plan.add(new byte[] {0x3B});
                    break;
                }
                if (pos + 2 > n) throw truncated("GIF: the data ends inside an extension");
                int label = in[pos + 1] & 0xFF;
                int end = subBlocksEnd(in, pos + 2);
                switch (label) {
                    case 0xF9 -> { // Graphic Control Extension: kept, but it belongs to the next graphic block
                        pendingControl = plan.slices.size();
                        plan.add(pos, end - pos);
                    }
                    case 0x01 -> { // Plain Text Extension: dropped with its Graphic Control Extension
                        if (pendingControl >= 0) plan.drop(pendingControl);
                        pendingControl = -1;
                    }
                    case 0xFF -> {
                        if ((in[pos + 2] & 0xFF) == 11 && pos + 14 <= n && GIF_KEEP_APPLICATIONS.contains(ascii(in, pos + 3, 11))) {
                            plan.add(pos, end - pos);
                        }
                    }
                    default -> {
                        // Comment (0xFE) and unknown extensions: dropped
                    }
                }
                pos = end;
            } else if (introducer == 0x2C) {
                int p = pos + 10 <= n ? in[pos + 9] & 0xFF : 0;
                int data = pos + 10 + ((p & 0x80) != 0 ? 3 << ((p & 7) + 1) : 0);
                if (tolerant && pos + 10 <= n && data + 1 < n && lastWholeSubBlock(in, data + 1) >= 0) {
                    // the image data that arrived, to its last whole sub-block, then a terminator and the trailer
                    plan.add(pos, lastWholeSubBlock(in, data + 1) - pos);
                    plan.add(new byte[] {0x00, 0x3B});
                    break;
                }
                if (tolerant && images > 0 && (pos + 10 > n || data + 1 >= n)) {
                    plan.add(new byte[] {0x3B});
                    break;
                }
                if (pos + 10 > n) throw truncated("GIF: the data ends inside an image descriptor");
                if (data + 1 > n) throw truncated("GIF: the data ends inside a local colour table");
                int end = subBlocksEnd(in, data + 1); // after the LZW minimum code size
                plan.add(pos, end - pos);
                pendingControl = -1;
                images++;
                pos = end;
            } else {
                if (images == 0) throw corrupt("GIF: unexpected byte 0x" + Integer.toHexString(introducer) + " at offset " + pos);
                plan.add(new byte[] {0x3B}); // garbage after the last image: cut, as decoders stop there
                break;
            }
        }
        return plan;
    }

    /**
     * When the data sub-blocks starting at {@code pos} are cut by the end of the data: the offset after the
     * last whole sub-block; -1 when they end with their terminator within the data.
     */
    private static int lastWholeSubBlock(byte[] in, int pos) {
        int n = in.length;
        while (pos < n) {
            int size = in[pos] & 0xFF;
            if (size == 0) return -1;
            if (pos + 1 + size > n) return pos;
            pos += 1 + size;
        }
        return pos;
    }

    private static int subBlocksEnd(byte[] in, int pos) {
        try {
            long end = ImageProbe.skipSubBlocks(new ImageProbe.ArraySource(in), pos);
            if (end > in.length) throw truncated("GIF: the data ends inside a data sub-block");
            return (int) end;
        } catch (ImageProbe.OutOfData e) {
            throw truncated("GIF: the data ends inside a data sub-block");
        }
    }

    // ---- WebP --------------------------------------------------------------------------------------

    private static Plan webp(byte[] in, boolean tolerant) {
        int n = in.length;
        long riffEnd = 8 + le32(in, 4);
        if (riffEnd > n && tolerant) riffEnd = n;
        if (riffEnd > n) throw truncated("WebP: the RIFF chunk declares " + riffEnd + " bytes, the data has " + n);
        List<int[]> chunks = chunks(in, 12, (int) riffEnd, tolerant); // {start, payloadLength, cut}
        if (chunks.isEmpty()) throw corrupt("WebP: no chunks");
        Plan plan = new Plan(in);
        byte[] riffHeader = new byte[12];
        plan.add(riffHeader);
        String first = fourcc(in, chunks.get(0)[0]);
        switch (first) {
            case "VP8 ", "VP8L" -> addChunk(plan, in, chunks.get(0)); // a simple file has nothing else
            case "VP8X" -> {
                int[] vp8x = chunks.get(0);
                if (vp8x[1] < 10) throw corrupt("WebP: VP8X chunk too short");
                byte[] header = new byte[18];
                System.arraycopy(in, vp8x[0], header, 0, 18);
                header[4] = 10;
                header[5] = header[6] = header[7] = 0;
                plan.add(header);
                int orientation = 1;
                boolean exifSeen = false, iccKept = false;
                for (int[] chunk : chunks.subList(1, chunks.size())) {
                    switch (fourcc(in, chunk[0])) {
                        case "ICCP" -> {
                            if (!iccKept) addChunk(plan, in, chunk);
                            iccKept = true;
                        }
                        case "ANIM", "ALPH", "VP8 ", "VP8L" -> addChunk(plan, in, chunk);
                        case "ANMF" -> addFrame(plan, in, chunk, tolerant);
                        case "EXIF" -> {
                            if (!exifSeen) {
                                exifSeen = true;
                                int at = chunk[0] + 8, length = chunk[1];
                                if (length >= 6 && hasId(in, at, "Exif\0\0")) {
                                    at += 6;
                                    length -= 6;
                                }
                                orientation = ImageProbe.exifOrientation(in, at, length);
                            }
                        }
                        default -> {
                            // XMP and unknown chunks: dropped
                        }
                    }
                }
                int flags = in[vp8x[0] + 8] & 0xFF & ~(ImageProbe.WEBP_EXIF | ImageProbe.WEBP_XMP | ImageProbe.WEBP_ICC);
                if (iccKept) flags |= ImageProbe.WEBP_ICC;
                if (orientation != 1) {
                    flags |= ImageProbe.WEBP_EXIF;
                    byte[] tiff = minimalExif(orientation);
                    byte[] chunk = new byte[8 + tiff.length];
                    System.arraycopy(ascii("EXIF"), 0, chunk, 0, 4);
                    chunk[4] = (byte) tiff.length;
                    System.arraycopy(tiff, 0, chunk, 8, tiff.length); // 26 bytes: no padding needed
                    plan.add(chunk);
                }
                header[8] = (byte) flags;
            }
            default -> throw corrupt("WebP: the first chunk is '" + first + "', not VP8, VP8L or VP8X");
        }
        if (tolerant && chunks.stream().noneMatch(c -> WEBP_IMAGE_DATA.contains(fourcc(in, c[0])))) {
            throw truncated("WebP: the data ends before any image data");
        }
        long size = plan.total() - 8;
        System.arraycopy(ascii("RIFF"), 0, riffHeader, 0, 4);
        for (int i = 0; i < 4; i++) riffHeader[4 + i] = (byte) (size >>> (8 * i));
        System.arraycopy(ascii("WEBP"), 0, riffHeader, 8, 4);
        return plan;
    }

    private static final Set<String> WEBP_IMAGE_DATA = Set.of("VP8 ", "VP8L", "ALPH", "ANMF");

    /**
     * The chunks between {@code from} and {@code to} as {start, payload length, 1 when cut}. Tolerant: an image
     * data chunk cut by {@code to} is kept with the bytes present, any other cut chunk ends the list.
     */
    private static List<int[]> chunks(byte[] in, int from, int to, boolean tolerant) {
        List<int[]> out = new ArrayList<>();
        int pos = from;
        while (pos + 8 <= to) {
            long size = le32(in, pos + 4);
            if (pos + 8 + size > to && tolerant) {
                if (WEBP_IMAGE_DATA.contains(fourcc(in, pos))) out.add(new int[] {pos, to - pos - 8, 1});
                break;
            }
            if (pos + 8 + size > to) throw truncated("WebP: the data ends inside the '" + fourcc(in, pos) + "' chunk");
            out.add(new int[] {pos, (int) size, 0});
            pos += 8 + (int) size + (int) (size & 1);
        }
        return out;
    }

    private static String fourcc(byte[] in, int at) {
        return ascii(in, at, 4);
    }

    /** Copies a chunk, with a zero pad byte when its size is odd (RIFF); a cut chunk gets a header with its new size. */
    private static void addChunk(Plan plan, byte[] in, int[] chunk) {
        if (chunk[2] == 1) {
            byte[] header = new byte[8];
            System.arraycopy(in, chunk[0], header, 0, 4);
            for (int i = 0; i < 4; i++) header[4 + i] = (byte) (chunk[1] >>> (8 * i));
            plan.add(header);
            plan.add(chunk[0] + 8, chunk[1]);
        } else {
            plan.add(chunk[0], 8 + chunk[1]);
        }
        if ((chunk[1] & 1) != 0) plan.add(new byte[1]);
    }

    /** An ANMF chunk with its frame data filtered to ALPH, VP8 and VP8L (unknown sub-chunks dropped). */
    private static void addFrame(Plan plan, byte[] in, int[] chunk, boolean tolerant) {
        if (chunk[1] < 16) throw corrupt("WebP: ANMF chunk too short");
        byte[] header = new byte[8 + 16];
        System.arraycopy(in, chunk[0], header, 0, header.length);
        plan.add(header);
        long size = 16;
        for (int[] sub : chunks(in, chunk[0] + 24, chunk[0] + 8 + chunk[1], tolerant)) {
            String type = fourcc(in, sub[0]);
            if (type.equals("ALPH") || type.equals("VP8 ") || type.equals("VP8L")) {
                addChunk(plan, in, sub);
                size += 8 + sub[1] + (sub[1] & 1);
            }
        }
        for (int i = 0; i < 4; i++) header[4 + i] = (byte) (size >>> (8 * i));
    }

    // ---- output plan -------------------------------------------------------------------------------

    private static ImageRejectedException truncated(String reason) {
        return new ImageRejectedException(TRUNCATED_IMAGE, reason);
    }

    private record Slice(byte[] bytes, int offset, int length) {
    }

    /** The output as slices of the input and small new byte arrays. */
    private static final class Plan {
        private static final Slice EMPTY = new Slice(new byte[0], 0, 0);
        final byte[] input;
        final List<Slice> slices = new ArrayList<>();

        Plan(byte[] input) {
            this.input = input;
        }

        void add(int offset, int length) {
            slices.add(new Slice(input, offset, length));
        }

        void add(byte[] literal) {
            slices.add(new Slice(literal, 0, literal.length));
        }

        void insert(int index, byte[] literal) {
            slices.add(index, new Slice(literal, 0, literal.length));
        }

        void drop(int index) {
            slices.set(index, EMPTY);
        }

        long total() {
            long total = 0;
            for (Slice s : slices) total += s.length;
            return total;
        }
    }
}

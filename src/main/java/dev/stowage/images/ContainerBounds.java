package dev.stowage.images;

import static dev.stowage.images.ImageProbe.JPEG_SIGNATURE;
import static dev.stowage.images.ImageProbe.PNG_SIGNATURE;
import static dev.stowage.images.ImageProbe.ascii;
import static dev.stowage.images.ImageProbe.be32;
import static dev.stowage.images.ImageProbe.le32;
import static dev.stowage.images.ImageProbe.startsWith;

import java.util.Set;

/**
 * Checks the lengths an image's container declares against the file's real size before any engine reads it,
 * so that no decoder allocates what a header merely claims (docs/architecture.md §6, "Bounded metadata"): a
 * 200-byte PNG whose {@code tEXt} chunk claims 0x7FFFFFFF bytes made libpng inside libvips grow the process
 * by about 2 GB, and the two engines disagreed on it.
 *
 * <p>Rules (a failure is {@value ImageRejectedException#CORRUPT_IMAGE}, on every engine):
 * <ul>
 *   <li><b>PNG</b> (ISO/IEC 15948 §5.3): a chunk length over 2<sup>31</sup>−1 is invalid; a chunk other
 *       than the image data ({@code IDAT}, APNG {@code fdAT}) that runs past the end of the file lies
 *       about its length.
 *   <li><b>JPEG</b> (ITU-T T.81 B.1.1.4): every marker segment before the first SOS has a length of at
 *       least 2 that ends within the file. Segment lengths are 16-bit, so what comes after cannot claim
 *       more than 64 KiB.
 *   <li><b>WebP</b> (RFC 9649 §2.2, RIFF): a chunk other than image data ({@code VP8 }, {@code VP8L},
 *       {@code ALPH}, {@code ANMF}) that runs past the end of the file.
 *   <li><b>HEIF/AVIF</b> (ISO/IEC 14496-12 §4.2): a top-level box other than {@code mdat} that runs past
 *       the end of the file.
 *   <li>GIF (GIF89a §15) needs nothing: its sub-blocks are at most 255 bytes.
 * </ul>
 *
 * <p>Image data that ends early is a truncated image, not a lie: that is left to the decoders (which
 * call it {@code corrupt_image} too) and to {@link MetadataStripper#stripTolerant(byte[])}. Formats not
 * recognised here pass: the probe and the engines refuse them.
 */
public final class ContainerBounds {

    private static final Set<String> PNG_IMAGE_DATA = Set.of("IDAT", "fdAT");
    private static final Set<String> WEBP_IMAGE_DATA = Set.of("VP8 ", "VP8L", "ALPH", "ANMF");

    private ContainerBounds() {
    }

    /**
     * Checks the declared lengths of an image's container.
     *
     * @param data the whole file
     * @throws ImageRejectedException {@value ImageRejectedException#CORRUPT_IMAGE} naming the chunk or segment,
     *                                its offset and its claimed length
     */
    public static void check(byte[] data) {
        if (startsWith(data, PNG_SIGNATURE)) png(data);
        else if (startsWith(data, JPEG_SIGNATURE)) jpeg(data);
        else if (data.length >= 12 && startsWith(data, ascii("RIFF")) && ascii(data, 8, 4).equals("WEBP")) webp(data);
        else if (data.length >= 12 && ascii(data, 4, 4).equals("ftyp")) heif(data);
    }

    /** {@link #check(byte[])} as an engine reports it: a {@link CorruptImageException}. */
    static void checkForEngine(byte[] data) throws CorruptImageException {
        try {
            check(data);
        } catch (ImageRejectedException e) {
            throw new CorruptImageException(e.reason(), e);
        }
    }

    private static void png(byte[] in) {
        long n = in.length;
        long pos = 8;
        while (pos + 8 <= n) {
            long length = be32(in, (int) pos);
            String type = ascii(in, (int) pos + 4, 4);
            if (length > Integer.MAX_VALUE) throw lie("PNG: the " + safe(type) + " chunk at offset " + pos + " has the invalid length " + length);
            long end = pos + 12 + length;
            if (end > n) {
                if (PNG_IMAGE_DATA.contains(type)) return; // truncated image data: the decoders' case
                throw lie("PNG: the " + safe(type) + " chunk at offset " + pos + " claims " + length + " bytes; the file has "
                        + Math.max(0, n - pos - 12) + " after its header");
            }
            if (type.equals("IEND")) return;
            pos = end;
        }
    }

    private static void jpeg(byte[] in) {
        int n = in.length;
        int pos = 2;
        while (pos + 1 < n) {
            if ((in[pos] & 0xFF) != 0xFF) return; // not a marker: the probe and the decoders say so
            int p = pos + 1;
            while (p < n && (in[p] & 0xFF) == 0xFF) p++;
            if (p >= n) return;
            int marker = in[p] & 0xFF;
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos = p + 1;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9 || marker == 0x00 || marker == 0xD8) return; // image data, end, or invalid
            if (p + 2 >= n) throw lie("JPEG: the file ends inside the header of the marker segment at offset " + (p - 1));
            int length = (in[p + 1] & 0xFF) << 8 | (in[p + 2] & 0xFF);
            if (length < 2) throw lie("JPEG: the marker segment 0x" + Integer.toHexString(marker) + " at offset " + (p - 1) + " has the invalid length " + length);
            if ((long) p + 1 + length > n) {
                throw lie("JPEG: the marker segment 0x" + Integer.toHexString(marker) + " at offset " + (p - 1) + " claims " + length
                        + " bytes; the file has " + (n - p - 1) + " left");
            }
            pos = p + 1 + length;
        }
    }

    private static void webp(byte[] in) {
        long n = in.length;
        long riffEnd = Math.min(n, 8 + le32(in, 4));
        long pos = 12;
        while (pos + 8 <= riffEnd) {
            String type = ascii(in, (int) pos, 4);
            long size = le32(in, (int) pos + 4);
            if (pos + 8 + size > n) {
                if (WEBP_IMAGE_DATA.contains(type)) return;
                throw lie("WebP: the '" + safe(type) + "' chunk at offset " + pos + " claims " + size + " bytes; the file has "
                        + (n - pos - 8) + " after its header");
            }
            pos += 8 + size + (size & 1);
        }
    }

    private static void heif(byte[] in) {
        long n = in.length;
        long pos = 0;
        while (pos + 8 <= n) {
            long size = be32(in, (int) pos);
            String type = ascii(in, (int) pos + 4, 4);
            if (size == 1) {
                if (pos + 16 > n) return;
                size = be32(in, (int) pos + 8) << 32 | be32(in, (int) pos + 12);
            } else if (size == 0) {
                return; // to the end of the file
            }
            if (size < 8 || pos + size > n) {
                if (type.equals("mdat") && size >= 8) return;
                throw lie("HEIF: the '" + safe(type) + "' box at offset " + pos + " claims " + size + " bytes; the file has " + (n - pos));
            }
            pos += size;
        }
    }

    private static String safe(String fourcc) {
        StringBuilder b = new StringBuilder();
        for (char c : fourcc.toCharArray()) b.append(c >= 0x20 && c < 0x7F ? c : '?');
        return b.toString();
    }

    private static ImageRejectedException lie(String reason) {
        return new ImageRejectedException(ImageRejectedException.CORRUPT_IMAGE, reason);
    }
}

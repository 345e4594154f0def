package dev.stowage.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * The CMYK colour management of the pure-Java engine: a CMYK or YCCK JPEG is converted to sRGB through
 * its embedded profile when that profile is a usable CMYK profile, else through the standard CMYK
 * profile that libvips builds in ({@code cmyk-chemical-proof.icc}, "Chemical proof", public domain), so
 * both engines convert the same file the same way.
 *
 * <p>The JPEG reader (TwelveMonkeys) applies an embedded profile itself and, without one, falls back to a
 * naive CMYK→RGB formula (ΔE2000 6-9 from a colour-managed rendering). {@link #withUsableProfile(byte[])}
 * therefore gives it a file that always carries a usable profile: the standard one is spliced in as
 * {@code APP2 ICC_PROFILE} segments where the file has none, or has one that is damaged or not CMYK. The
 * Adobe {@code APP14} transform flag (YCCK, inverted CMYK) stays as it is and the reader honours it.
 */
final class CmykProfiles {

    /** Classpath resource of the standard CMYK profile. */
    static final String RESOURCE = "/dev/stowage/images/cmyk-chemical-proof.icc";

    private static final byte[] ICC_MARKER = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
    /** Profile bytes per APP2 segment: 65535 − 2 (length) − 12 (marker) − 2 (sequence, count). */
    private static final int CHUNK = 65519;

    private static volatile byte[] standard;

    private CmykProfiles() {}

    /**
     * The standard CMYK profile's bytes (read once; callers must not change the array).
     *
     * @throws UncheckedIOException the resource is missing from the build
     */
    static byte[] standard() {
        byte[] s = standard;
        if (s == null) {
            try (InputStream in = CmykProfiles.class.getResourceAsStream(RESOURCE)) {
                if (in == null) throw new IOException("resource " + RESOURCE + " not found");
                standard = s = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return s;
    }

    /**
     * A JPEG whose CMYK/YCCK samples the reader will convert through a usable CMYK profile.
     *
     * @param jpeg a whole JPEG file
     * @return {@code jpeg} itself when it is not a 4-component JPEG or already carries a usable CMYK
     *         profile; else a copy with its ICC segments (if any) replaced by the standard profile's
     */
    static byte[] withUsableProfile(byte[] jpeg) {
        Scan s = scan(jpeg);
        if (s == null || s.components != 4 || usableCmyk(s.profile)) return jpeg;
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length + standard().length + 256);
        out.write(jpeg, 0, s.insertAt);
        writeProfile(out, standard());
        int i = s.insertAt;
        // copy the rest, leaving out the old ICC segments
        for (int[] seg : s.iccSegments) {
            out.write(jpeg, i, seg[0] - i);
            i = seg[0] + seg[1];
        }
        out.write(jpeg, i, jpeg.length - i);
        return out.toByteArray();
    }

    /** Whether {@code icc} is a whole ICC profile whose data colour space is CMYK. */
    static boolean usableCmyk(byte[] icc) {
        if (icc == null || icc.length < 132) return false;
        long declared = ((icc[0] & 0xFFL) << 24) | ((icc[1] & 0xFF) << 16) | ((icc[2] & 0xFF) << 8) | (icc[3] & 0xFF);
        if (declared != icc.length) return false;
        if (!Arrays.equals(icc, 36, 40, "acsp".getBytes(StandardCharsets.US_ASCII), 0, 4)) return false;
        if (!Arrays.equals(icc, 16, 20, "CMYK".getBytes(StandardCharsets.US_ASCII), 0, 4)) return false;
        try {
            java.awt.color.ICC_Profile.getInstance(icc);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void writeProfile(ByteArrayOutputStream out, byte[] icc) {
        int n = (icc.length + CHUNK - 1) / CHUNK;
        for (int k = 0; k < n; k++) {
            int off = k * CHUNK;
            int len = Math.min(CHUNK, icc.length - off);
            int segLen = 2 + ICC_MARKER.length + 2 + len;
            out.write(0xFF);
            out.write(0xE2);
            out.write(segLen >> 8);
            out.write(segLen & 0xFF);
            out.write(ICC_MARKER, 0, ICC_MARKER.length);
            out.write(k + 1);
            out.write(n);
            out.write(icc, off, len);
        }
    }

    /**
     * @param components  components of the first frame header, 0 when none was found
     * @param profile     the embedded profile reassembled from its APP2 segments, or null
     * @param iccSegments {offset, length incl. marker} of each APP2 ICC segment, in file order
     * @param insertAt    where new APP2 segments go: after SOI and the leading APP0/APP14 segments
     */
    private record Scan(int components, byte[] profile, java.util.List<int[]> iccSegments, int insertAt) {}

    /** Walks the segments before the first SOS; null when the file is not a JPEG or is cut short there. */
    private static Scan scan(byte[] b) {
        if (b.length < 4 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) return null;
        int i = 2, components = 0, insertAt = -1;
        TreeMap<Integer, byte[]> chunks = new TreeMap<>();
        int declaredCount = -1;
        boolean badChunks = false;
        java.util.List<int[]> segs = new java.util.ArrayList<>();
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) return null;
            int m = b[i + 1] & 0xFF;
            if (m == 0xFF) {
                i++;
                continue;
            }
            if (m == 0xDA || m == 0xD9) break;
            int len = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
            if (len < 2 || i + 2 + len > b.length) return null;
            if (insertAt < 0 && m != 0xE0 && m != 0xEE) insertAt = i;
            int body = i + 4, bodyLen = len - 2;
            if (m == 0xE2 && bodyLen >= 14 && Arrays.equals(b, body, body + 12, ICC_MARKER, 0, 12)) {
                int seq = b[body + 12] & 0xFF, count = b[body + 13] & 0xFF;
                if (declaredCount >= 0 && declaredCount != count) badChunks = true;
                declaredCount = count;
                if (chunks.put(seq, Arrays.copyOfRange(b, body + 14, body + bodyLen)) != null) badChunks = true;
                segs.add(new int[] {i, len + 2});
            }
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC && bodyLen >= 6 && components == 0) {
                components = b[body + 5] & 0xFF;
            }
            i += 2 + len;
        }
        if (insertAt < 0) insertAt = i;
        byte[] profile = null;
        if (!chunks.isEmpty() && !badChunks && chunks.size() == declaredCount && chunks.firstKey() == 1 && chunks.lastKey() == declaredCount) {
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            for (byte[] c : chunks.values()) p.write(c, 0, c.length);
            profile = p.toByteArray();
        }
        return new Scan(components, profile, segs, insertAt);
    }
}

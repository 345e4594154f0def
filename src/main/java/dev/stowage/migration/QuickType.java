package dev.stowage.migration;

/**
 * The type of the commonest files of a legacy tree from their first bytes alone — JPEG, PNG, GIF, WebP
 * and PDF, whose magic numbers at offset 0 are what Tika's own magic database matches them by — so that a
 * migration does not evaluate every clause of that database for each photo (about 0.8 ms a file). Where
 * the quick check is not sure it says nothing, and Tika ({@link dev.stowage.uploads.TypeDetector}) decides:
 * any other header, and a PDF whose first 8 KiB mention {@code %AI} (Tika may call an Illustrator file by
 * its own type).
 */
final class QuickType {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    private static final byte[] PDF = {'%', 'P', 'D', 'F', '-'};
    private static final byte[] GIF87 = {'G', 'I', 'F', '8', '7', 'a'}, GIF89 = {'G', 'I', 'F', '8', '9', 'a'};
    private static final int AI_WINDOW = 8192;

    private QuickType() {}

    /**
     * @param b the file's first bytes (or all of it)
     * @param n how many of {@code b} are the file's
     * @return {@code image/jpeg}, {@code image/png}, {@code image/gif}, {@code image/webp},
     *         {@code application/pdf}, or {@code null} when Tika must decide
     */
    static String of(byte[] b, int n) {
        if (n >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) return "image/jpeg";
        if (starts(b, n, PNG)) return "image/png";
        if (starts(b, n, GIF87) || starts(b, n, GIF89)) return "image/gif";
        if (n >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return "image/webp";
        }
        if (starts(b, n, PDF) && !mentionsIllustrator(b, Math.min(n, AI_WINDOW))) return "application/pdf";
        return null;
    }

    private static boolean starts(byte[] b, int n, byte[] magic) {
        if (n < magic.length) return false;
        for (int i = 0; i < magic.length; i++) if (b[i] != magic[i]) return false;
        return true;
    }

    private static boolean mentionsIllustrator(byte[] b, int n) {
        for (int i = 0; i + 2 < n; i++) if (b[i] == '%' && b[i + 1] == 'A' && b[i + 2] == 'I') return true;
        return false;
    }
}

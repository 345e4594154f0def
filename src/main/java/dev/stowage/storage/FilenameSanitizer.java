package dev.stowage.storage;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.BreakIterator;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Objects;

/**
 * Turns a user-supplied original filename into the {@code safeName} segment of a raw object key
 * (see {@link ObjectKeys#rawKey}), and carries the exact original name in ASCII-only S3 user
 * metadata.
 *
 * <p>{@link #sanitize} applies, in order:
 * <ol>
 *   <li>rejection of a missing or empty name, a name containing NUL (U+0000), a name containing an
 *       unpaired UTF-16 surrogate, and a name longer than {@value #MAX_ORIGINAL_BYTES} UTF-8 bytes;
 *   <li>path separators {@code /} and {@code \} become {@code _} ({@code a/b.txt} → {@code a_b.txt});
 *   <li>whitespace of any kind (tab, line breaks, NBSP, U+2028, ideographic space, …) becomes a
 *       space; other control characters (C0, DEL, C1) and format characters (general category Cf:
 *       bidi overrides such as U+202E, zero-width space, BOM, soft hyphen, tag characters) are
 *       removed, except ZERO WIDTH JOINER and NON-JOINER, which emoji sequences and several scripts
 *       need;
 *   <li>Unicode Normalization Form C (Unicode Standard Annex #15), so names typed on macOS (NFD)
 *       and elsewhere (NFC) give the same {@code safeName};
 *   <li>runs of spaces collapse to one; spaces, dots and joiners are trimmed from both ends (so
 *       {@code .bashrc} becomes {@code bashrc}); a name left empty is rejected;
 *   <li>a name over {@value #MAX_SAFE_NAME_BYTES} UTF-8 bytes is cut at an extended grapheme
 *       cluster boundary (UAX #29; at a code point boundary when a single cluster is too long),
 *       keeping its extension.
 * </ol>
 *
 * <p>The result is never empty, is at most {@value #MAX_SAFE_NAME_BYTES} UTF-8 bytes, is NFC,
 * contains no {@code /}, {@code \}, control or bidi character, does not start or end with a space
 * or dot, and is a fixed point: {@code sanitize(sanitize(x)).equals(sanitize(x))}. That keeps the
 * whole raw key within S3's 1,024-byte limit and each segment within the 255-byte limit of S3Proxy's
 * filesystem store.
 */
public final class FilenameSanitizer {

    /** Largest {@code safeName}, in UTF-8 bytes (S3Proxy's filesystem store fails a segment over 255). */
    public static final int MAX_SAFE_NAME_BYTES = 200;

    /**
     * Largest accepted original name, in UTF-8 bytes. Percent-encoded it takes at most three times
     * as many ASCII characters, which keeps {@code original-filename} plus the other metadata of a
     * raw object under S3's 2 KB limit on user-defined metadata.
     */
    public static final int MAX_ORIGINAL_BYTES = 512;

    /** Longest suffix after the last dot, in code points, that counts as an extension to keep. */
    static final int MAX_EXTENSION_CHARS = 16;

    private static final int ZWNJ = 0x200C;
    private static final int ZWJ = 0x200D;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private FilenameSanitizer() {
    }

    /**
     * Returns the {@code safeName} for an original filename, following the steps listed on the class.
     *
     * @param original the name as the user or the old file tree supplied it, any length up to
     *                 {@value #MAX_ORIGINAL_BYTES} UTF-8 bytes
     * @return a non-empty, NFC-normalised name of at most {@value #MAX_SAFE_NAME_BYTES} UTF-8 bytes
     * @throws InvalidFilenameException (code {@code invalid_filename}) when the name is null or
     *         empty, contains NUL or an unpaired surrogate, is longer than
     *         {@value #MAX_ORIGINAL_BYTES} UTF-8 bytes, or has nothing left after cleaning (e.g.
     *         {@code ..}, {@code " . "}, only control characters)
     */
    public static String sanitize(String original) {
        checkOriginal(original);
        var cleaned = new StringBuilder(original.length());
        original.codePoints().forEach(cp -> {
            int mapped = map(cp);
            if (mapped >= 0) {
                cleaned.appendCodePoint(mapped);
            }
        });
        String name = trimEnds(collapseSpaces(Normalizer.normalize(cleaned, Normalizer.Form.NFC)));
        if (name.isEmpty()) {
            throw new InvalidFilenameException(
                    "filename has no usable characters (only dots, spaces or control characters)");
        }
        return fit(name);
    }

    /**
     * Returns the name to store and show for an original filename ({@code files.original_name}, the
     * {@code name} of the API, the name a download is saved under): the original in Unicode
     * Normalization Form C with every {@linkplain #stripControls control character} removed, nothing
     * else changed. NFC makes a name typed on macOS (NFD) and its NFC twin the same name; the exact
     * original stays in the {@code original-filename} metadata and in {@code files.original_name_bytes}
     * (see {@link #keepsOriginalBytes}). Uploads and migration both call this.
     *
     * @param original the name as the user or the old file tree supplied it
     * @return the display name, never empty
     * @throws InvalidFilenameException (code {@code invalid_filename}) when the name is null or has
     *         nothing left once its control characters are removed
     */
    public static String displayName(String original) {
        if (original == null) {
            throw new InvalidFilenameException("filename is required");
        }
        String name = Normalizer.normalize(stripControls(original), Normalizer.Form.NFC);
        if (name.isBlank()) {
            throw new InvalidFilenameException("filename has no usable characters (only control characters or spaces)");
        }
        return name;
    }

    /**
     * Whether the exact original bytes of a name must be kept beside its {@link #displayName}: true
     * when the display name's UTF-8 bytes differ from them (NFD, control characters, or bytes that are
     * not UTF-8 at all).
     *
     * @param originalBytes the name's bytes exactly as supplied
     * @param displayName   the name's {@link #displayName}
     * @return true when {@code originalBytes} cannot be recovered from {@code displayName}
     */
    public static boolean keepsOriginalBytes(byte[] originalBytes, String displayName) {
        return !java.util.Arrays.equals(originalBytes, displayName.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Removes every control character: C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F) and the
     * Unicode LINE SEPARATOR and PARAGRAPH SEPARATOR (U+2028, U+2029). Nothing else changes; never throws.
     *
     * @param s any string, or null
     * @return {@code s} without those characters; empty for null
     */
    public static String stripControls(String s) {
        if (s == null) {
            return "";
        }
        var out = new StringBuilder(s.length());
        s.codePoints().filter(cp -> !isControl(cp)).forEach(out::appendCodePoint);
        return out.toString();
    }

    /** Whether {@link #stripControls} removes {@code cp}. */
    static boolean isControl(int cp) {
        return cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
    }

    /**
     * Tells whether {@code name} is already a {@code safeName}, i.e. {@link #sanitize} would return
     * it unchanged. Never throws.
     *
     * @param name any string, or null
     * @return true when {@code name} is non-null and a fixed point of {@link #sanitize}
     */
    public static boolean isSafeName(String name) {
        if (name == null || name.isEmpty() || utf8Length(name) > MAX_SAFE_NAME_BYTES) {
            return false;
        }
        try {
            return sanitize(name).equals(name);
        } catch (InvalidFilenameException e) {
            return false;
        }
    }

    /**
     * Encodes the exact original name for the {@code original-filename} S3 user metadata value
     * (S3 metadata must be ASCII; S3Proxy fails the signature on anything else): the name's UTF-8
     * bytes, percent-encoded per RFC 3986 §2.1 with upper-case hex digits, leaving only the
     * unreserved characters of RFC 3986 §2.3 ({@code A-Z a-z 0-9 - . _ ~}) as they are. A space
     * becomes {@code %20}, never {@code +}.
     *
     * @param original the name exactly as supplied (not the {@code safeName})
     * @return an ASCII string of at most three characters per UTF-8 byte of {@code original}
     * @throws NullPointerException     when {@code original} is null
     * @throws InvalidFilenameException when {@code original} contains an unpaired surrogate, which
     *                                  has no UTF-8 encoding
     */
    public static String metadataValue(String original) {
        Objects.requireNonNull(original, "original");
        checkWellFormed(original);
        byte[] bytes = original.getBytes(StandardCharsets.UTF_8);
        var out = new StringBuilder(bytes.length * 3);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (isUnreserved(c)) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        return out.toString();
    }

    /**
     * Inverse of {@link #metadataValue}: decodes an RFC 3986 percent-encoded UTF-8 string. Hex
     * digits may be upper or lower case.
     *
     * @param value a metadata value as read back from the object store
     * @return the original name
     * @throws NullPointerException     when {@code value} is null
     * @throws IllegalArgumentException when {@code value} contains a character that is neither
     *                                  unreserved nor part of a {@code %XX} triplet (including
     *                                  {@code +} and space), a truncated or non-hex triplet, or
     *                                  bytes that are not valid UTF-8
     */
    public static String decodeMetadataValue(String value) {
        Objects.requireNonNull(value, "value");
        var bytes = new byte[value.length()];
        int n = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                int hi = i + 2 < value.length() ? Character.digit(value.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(value.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new IllegalArgumentException("bad percent-encoding at index " + i + " in metadata value");
                }
                bytes[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (isUnreserved(c)) {
                bytes[n++] = (byte) c;
            } else {
                throw new IllegalArgumentException(
                        "character '" + c + "' at index " + i + " is not allowed in a percent-encoded metadata value");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, n))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("percent-encoded metadata value is not valid UTF-8", e);
        }
    }

    /** Number of bytes in the UTF-8 encoding of a well-formed string. */
    static int utf8Length(CharSequence s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static void checkOriginal(String original) {
        if (original == null || original.isEmpty()) {
            throw new InvalidFilenameException("filename is empty");
        }
        if (original.indexOf('\0') >= 0) {
            throw new InvalidFilenameException("filename contains a NUL character");
        }
        checkWellFormed(original);
        if (utf8Length(original) > MAX_ORIGINAL_BYTES) {
            throw new InvalidFilenameException(
                    "filename is longer than " + MAX_ORIGINAL_BYTES + " bytes in UTF-8");
        }
    }

    private static void checkWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidFilenameException(
                        "filename is not well-formed Unicode (unpaired surrogate at index " + i + ")");
            }
        }
    }

    /** The code point to keep for {@code cp}, or -1 to drop it. */
    private static int map(int cp) {
        if (cp == '/' || cp == '\\') {
            return '_';
        }
        if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85) {
            return ' ';
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.SURROGATE -> -1;
            case Character.FORMAT -> cp == ZWJ || cp == ZWNJ ? cp : -1;
            default -> cp;
        };
    }

    private static String collapseSpaces(String s) {
        var out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ') {
                space = true;
            } else {
                if (space && !out.isEmpty()) {
                    out.append(' ');
                }
                space = false;
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String trimEnds(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isTrimmed(s.charAt(start))) {
            start++;
        }
        while (end > start && isTrimmed(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isTrimmed(char c) {
        return c == ' ' || c == '.' || c == ZWJ || c == ZWNJ;
    }

    /** Cuts a cleaned, trimmed name to {@link #MAX_SAFE_NAME_BYTES}, keeping its extension. */
    private static String fit(String name) {
        if (utf8Length(name) <= MAX_SAFE_NAME_BYTES) {
            return name;
        }
        String ext = extension(name);
        String stem = name.substring(0, name.length() - ext.length());
        // The stem starts with a character that is not trimmed, and the budget (>= 135 bytes) holds
        // at least one code point, so the cut stem is never empty.
        return trimEnds(cut(stem, MAX_SAFE_NAME_BYTES - utf8Length(ext))) + ext;
    }

    /** The suffix from the last dot ("." included) when it looks like an extension, else "". */
    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        if (dot <= 0) {
            return "";
        }
        String ext = name.substring(dot + 1);
        int chars = ext.codePointCount(0, ext.length());
        return chars >= 1 && chars <= MAX_EXTENSION_CHARS && ext.indexOf(' ') < 0 ? name.substring(dot) : "";
    }

    /** The longest prefix of {@code s} within {@code maxBytes}, ending on a grapheme boundary if possible. */
    private static String cut(String s, int maxBytes) {
        BreakIterator graphemes = BreakIterator.getCharacterInstance(Locale.ROOT);
        graphemes.setText(s);
        int best = 0;
        int bytes = 0;
        for (int start = graphemes.first(), end = graphemes.next();
                end != BreakIterator.DONE;
                start = end, end = graphemes.next()) {
            bytes += utf8Length(s.substring(start, end));
            if (bytes > maxBytes) {
                break;
            }
            best = end;
        }
        if (best > 0) {
            return s.substring(0, best);
        }
        // One grapheme cluster is longer than the budget (e.g. hundreds of combining marks).
        bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int len = utf8Length(Character.toString(cp));
            if (bytes + len > maxBytes) {
                break;
            }
            bytes += len;
            i += Character.charCount(cp);
            best = i;
        }
        return s.substring(0, best);
    }

    private static boolean isUnreserved(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }
}

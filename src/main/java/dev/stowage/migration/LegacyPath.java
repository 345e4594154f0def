package dev.stowage.migration;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Paths of a legacy tree as the file system holds them: raw bytes, not text. Linux names are byte
 * strings and old trees hold names that are not UTF-8 (Latin-1 from an old server, say); Java decodes
 * those lossily in {@link Path#toString()}. Two public, lossless doors are used instead:
 * {@link Path#toUri()} percent-encodes a path's raw bytes, and {@link Path#of(URI)} decodes them back.
 * So every path is journalled as its exact bytes and reopened from them by any process.
 */
public final class LegacyPath {
    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

    private LegacyPath() {}

    /** The raw bytes of an absolute path (a directory's without the trailing slash {@code toUri} adds). */
    static byte[] rawBytes(Path absolute) {
        byte[] b = percentDecode(absolute.toUri().getRawPath());
        int n = b.length;
        while (n > 1 && b[n - 1] == '/') n--;
        return n == b.length ? b : Arrays.copyOf(b, n);
    }

    /** The raw bytes of {@code path} relative to {@code root} (which must contain it). */
    static byte[] relative(Path root, Path path) {
        byte[] r = rawBytes(root);
        byte[] p = rawBytes(path);
        int skip = r.length == 1 ? 1 : r.length + 1; // root "/" or "/x/y" followed by '/'
        return Arrays.copyOfRange(p, skip, p.length);
    }

    /**
     * The path of an entry of a tree from its relative raw bytes.
     *
     * @param root     the tree's root (absolute)
     * @param relative raw bytes relative to it, as journalled
     */
    public static Path resolve(Path root, byte[] relative) {
        String base = root.toUri().getRawPath();
        if (!base.endsWith("/")) base += "/";
        return Path.of(URI.create("file://" + base + percentEncode(relative)));
    }

    /** The file: URI of a root, lossless, as stored in {@code migration_runs.source_uri}. */
    static String uri(Path root) {
        return "file://" + percentEncode(rawBytes(root));
    }

    /** A root back from {@link #uri}. */
    static Path fromUri(String uri) {
        return Path.of(URI.create(uri));
    }

    /** Whether the bytes are well-formed UTF-8. */
    static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /**
     * A name as text: UTF-8 when the bytes are UTF-8, otherwise Windows-1252 (a superset of Latin-1 for
     * printable characters; what non-UTF-8 names in web upload folders nearly always are). The raw bytes
     * are kept beside the text wherever this matters.
     */
    static String text(byte[] bytes) {
        return isUtf8(bytes) ? new String(bytes, StandardCharsets.UTF_8) : new String(bytes, WINDOWS_1252);
    }

    /** A relative path as text, each segment decoded on its own by {@link #text}. */
    public static String display(byte[] relative) {
        List<String> out = new ArrayList<>();
        for (byte[] seg : segments(relative)) out.add(text(seg));
        return String.join("/", out);
    }

    /** The '/'-separated segments of raw path bytes. */
    static List<byte[]> segments(byte[] path) {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= path.length; i++) {
            if (i == path.length || path[i] == '/') {
                if (i > start) out.add(Arrays.copyOfRange(path, start, i));
                start = i + 1;
            }
        }
        return out;
    }

    /** RFC 3986 percent-encoding of raw path bytes: unreserved characters and '/' stay. */
    static String percentEncode(byte[] bytes) {
        var sb = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    /**
     * Decodes {@code %XX} escapes to bytes; every other character is taken as its UTF-8 bytes ('+' stays a
     * plus: paths are not form data).
     *
     * @throws IllegalArgumentException on a truncated or non-hex escape
     */
    public static byte[] percentDecode(String s) {
        var out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) throw new IllegalArgumentException("bad percent-encoding at index " + i);
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
                out.writeBytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
            }
        }
        return out.toByteArray();
    }
}

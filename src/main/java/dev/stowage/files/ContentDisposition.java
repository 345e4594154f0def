package dev.stowage.files;

import dev.stowage.storage.FilenameSanitizer;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;

/**
 * Builds {@code Content-Disposition} values that carry any original file name safely: an ASCII
 * {@code filename} fallback plus the exact name as {@code filename*} in UTF-8 percent-encoding
 * (RFC 6266 §4.3 with the RFC 8187 ext-value encoding, formerly RFC 5987).
 */
public final class ContentDisposition {
    private ContentDisposition() {}

    /**
     * The header value for a file name. The name is first cleaned as a stored name is
     * ({@link FilenameSanitizer#stripControls}, then NFC), so neither {@code filename} nor
     * {@code filename*} ever carries a control character (CR and LF included, even percent-encoded).
     *
     * @param filename   the name to save the file under (any Unicode; null or nothing left → {@code download})
     * @param attachment {@code true} for {@code attachment} (download), {@code false} for {@code inline}
     * @return e.g. {@code attachment; filename="Cafe.txt"; filename*=UTF-8''Caf%C3%A9.txt}
     */
    public static String of(String filename, boolean attachment) {
        String type = attachment ? "attachment" : "inline";
        String name = Normalizer.normalize(FilenameSanitizer.stripControls(filename), Normalizer.Form.NFC);
        if (name.isBlank()) name = "download";
        return type + "; filename=\"" + asciiFallback(name) + "\"; filename*=UTF-8''" + encode(name);
    }

    /** The name with non-ASCII, quotes, backslashes and control characters replaced by {@code _}. */
    static String asciiFallback(String name) {
        StringBuilder sb = new StringBuilder();
        String n = java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFD);
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (Character.getType(c) == Character.NON_SPACING_MARK) continue; // é → e
            sb.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%' ? c : '_');
        }
        return sb.isEmpty() ? "download" : sb.toString();
    }

    /** RFC 8187 attr-char percent-encoding of the UTF-8 bytes. */
    static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean attrChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$&+-.^_`|~".indexOf(c) >= 0;
            if (attrChar) sb.append((char) c);
            else sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
        }
        return sb.toString();
    }
}

package dev.stowage.delivery;

import java.nio.charset.StandardCharsets;

/** URL paths of object keys behind a CDN. */
final class CdnUrls {
    private CdnUrls() {}

    /** Percent-encodes each {@code /}-separated segment of a key (RFC 3986 unreserved characters kept). */
    static String encodePath(String key) {
        StringBuilder sb = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
            if (keep) sb.append((char) c);
            else sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return sb.toString();
    }
}

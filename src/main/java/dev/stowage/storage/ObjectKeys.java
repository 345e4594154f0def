package dev.stowage.storage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one owner of the object key layout (docs/architecture.md §3). Nothing else builds or parses keys.
 *
 * <pre>
 * raw bucket        {userId}/{fileId}/{safeName}                      e.g. u42/0199…-7…/Café.txt
 * raw bucket        quarantine/{userId}/{fileId}/{safeName}
 * raw bucket        staging/{userId}/{fileId}/{safeName}             what clients write; promoted by the verifier
 * processed bucket  {userId}/{fileId}/{variant}-{digest12}.{extension}  e.g. u42/0199…/thumb-3f0c9a1b2d4e.webp
 * </pre>
 *
 * <p>Every key is at most 1,024 UTF-8 bytes (S3's limit) by construction: a user id is at most
 * {@value #MAX_USER_ID_LENGTH} ASCII characters, a file id 36, a {@code safeName} at most
 * {@value FilenameSanitizer#MAX_SAFE_NAME_BYTES} bytes, so a quarantine key is at most 377 bytes.
 * Keys also avoid what S3Proxy's filesystem store cannot hold: no segment over 255 bytes, no empty
 * segment ({@code //}), no trailing {@code /}, no control characters, and all objects of one
 * bucket at the same depth except under {@code quarantine/} and {@code staging/}, whose names are
 * therefore not valid user ids.
 */
public final class ObjectKeys {

    /** Prefix of quarantined objects in the raw bucket. */
    public static final String QUARANTINE_PREFIX = "quarantine/";

    /**
     * Prefix of the keys clients write to in the raw bucket (presigned PUTs and multipart uploads); the
     * verifier copies an arrived object to its final key, which no URL is ever issued for.
     */
    public static final String STAGING_PREFIX = "staging/";

    /** Longest user id, in characters (all ASCII, so also bytes). */
    public static final int MAX_USER_ID_LENGTH = 128;

    /** Variant names allowed in processed keys. */
    public static final Set<String> VARIANTS = Set.of("thumb", "medium", "original");

    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_USER_ID_LENGTH + "}");
    private static final Pattern FILE_ID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern DIGEST12 = Pattern.compile("[0-9a-f]{12}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern EXTENSION = Pattern.compile("[a-z0-9]{1,10}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private ObjectKeys() {
    }

    /**
     * The parts of a raw key.
     *
     * @param userId   a valid user id
     * @param fileId   a UUID in canonical lower-case form
     * @param safeName a name {@link FilenameSanitizer#isSafeName accepted} by the sanitizer
     */
    public record ParsedRawKey(String userId, String fileId, String safeName) {

        /**
         * Rebuilds the raw key from its parts.
         *
         * @return {@code {userId}/{fileId}/{safeName}}
         */
        public String key() {
            return rawKey(userId, fileId, safeName);
        }
    }

    /**
     * Builds the key of an original upload in the raw bucket: {@code {userId}/{fileId}/{safeName}}.
     *
     * @param userId   1–{@value #MAX_USER_ID_LENGTH} characters of {@code [A-Za-z0-9._-]}, not
     *                 {@code .}, {@code ..}, {@code quarantine} or {@code staging} (any case)
     * @param fileId   a UUID in canonical lower-case 8-4-4-4-12 form, see {@link #newFileId()}
     * @param safeName the output of {@link FilenameSanitizer#sanitize}
     * @return the key, at most 366 UTF-8 bytes
     * @throws IllegalArgumentException naming the offending part when any part is invalid
     */
    public static String rawKey(String userId, String fileId, String safeName) {
        requireUserId(userId);
        requireFileId(fileId);
        if (!FilenameSanitizer.isSafeName(safeName)) {
            throw new IllegalArgumentException(
                    "safeName must be the output of FilenameSanitizer.sanitize, got " + quote(safeName));
        }
        return userId + '/' + fileId + '/' + safeName;
    }

    /**
     * Builds the raw key of a file migrated from a legacy tree where it sat in sub-folders of its user's
     * folder: {@code {userId}/{fileId}/{folder}/…/{safeName}}, the folders kept under the file id (each
     * segment sanitised like a name). The file id keeps every such key apart from every other, so nested
     * keys never collide. When the folders would take the key past 1,024 bytes (or a folder has no usable
     * characters) they are left out: {@code {userId}/{fileId}/{safeName}}, as {@link #rawKey}.
     *
     * @param userId   as for {@link #rawKey}
     * @param fileId   as for {@link #rawKey}
     * @param folders  the folder names between the user's folder and the file, outermost first (may be empty)
     * @param safeName as for {@link #rawKey}
     * @return the key, at most 1,024 UTF-8 bytes
     * @throws IllegalArgumentException naming the offending part when userId, fileId or safeName is invalid
     */
    public static String migratedKey(String userId, String fileId, java.util.List<String> folders, String safeName) {
        String flat = rawKey(userId, fileId, safeName);
        if (folders.isEmpty()) return flat;
        var key = new StringBuilder(userId).append('/').append(fileId).append('/');
        for (String folder : folders) {
            String segment;
            try {
                segment = FilenameSanitizer.sanitize(folder);
            } catch (InvalidFilenameException e) {
                return flat;
            }
            key.append(segment).append('/');
        }
        key.append(safeName);
        // the quarantine prefix must still fit in front of it
        return FilenameSanitizer.utf8Length(key) + QUARANTINE_PREFIX.length() <= 1024 ? key.toString() : flat;
    }

    /**
     * The quarantine key of a migrated file's key ({@link #migratedKey}): {@code quarantine/{key}}.
     *
     * @param migratedKey a key made by {@link #migratedKey}
     * @return the quarantine key, at most 1,024 UTF-8 bytes
     * @throws IllegalArgumentException when the key does not start with a valid user id and file id
     */
    public static String migratedQuarantineKey(String migratedKey) {
        String[] parts = migratedKey == null ? new String[0] : migratedKey.split("/", 3);
        if (parts.length != 3 || !isUserId(parts[0]) || !FILE_ID.matcher(parts[1]).matches()) {
            throw new IllegalArgumentException("not a migrated object key: " + quote(migratedKey));
        }
        return QUARANTINE_PREFIX + migratedKey;
    }

    /**
     * Builds the key of a derived object in the processed bucket:
     * {@code {userId}/{fileId}/{variant}-{digest12}.{extension}}.
     *
     * @param userId    as for {@link #rawKey}
     * @param fileId    as for {@link #rawKey}
     * @param variant   one of {@link #VARIANTS}: {@code thumb}, {@code medium}, {@code original}
     * @param digest12  12 lower-case hex characters, see {@link #recipeDigest}
     * @param extension 1–10 characters of {@code [a-z0-9]}, without the dot (e.g. {@code webp})
     * @return the key
     * @throws IllegalArgumentException naming the offending part when any part is invalid
     */
    public static String processedKey(String userId, String fileId, String variant, String digest12,
                                      String extension) {
        requireUserId(userId);
        requireFileId(fileId);
        if (!VARIANTS.contains(variant)) {
            throw new IllegalArgumentException("variant must be one of thumb, medium, original, got " + quote(variant));
        }
        require(DIGEST12, digest12, "digest12 must be 12 lower-case hex characters");
        require(EXTENSION, extension, "extension must be 1-10 characters of [a-z0-9] without a dot");
        return userId + '/' + fileId + '/' + variant + '-' + digest12 + '.' + extension;
    }

    /**
     * Builds the key under which a raw object is kept for review after a malware finding:
     * {@code quarantine/{rawKey}}, in the raw bucket.
     *
     * @param rawKey a key in raw layout, as made by {@link #rawKey}
     * @return the quarantine key, at most 377 UTF-8 bytes
     * @throws IllegalArgumentException when {@code rawKey} is not in raw layout
     */
    public static String quarantineKey(String rawKey) {
        if (parseRawKey(rawKey).isEmpty()) {
            throw new IllegalArgumentException("not a raw object key: " + quote(rawKey));
        }
        return QUARANTINE_PREFIX + rawKey;
    }

    /**
     * The key a client uploads a file's bytes to: {@code staging/{rawKey}}, in the raw bucket. Presigned PUTs,
     * multipart uploads and their part URLs name this key only; verification promotes the object to
     * {@code rawKey} (docs/architecture.md §3, §4).
     *
     * @param rawKey a key in raw layout, as made by {@link #rawKey}
     * @return the staging key, at most 374 UTF-8 bytes
     * @throws IllegalArgumentException when {@code rawKey} is not in raw layout
     */
    public static String stagingKey(String rawKey) {
        if (parseRawKey(rawKey).isEmpty()) {
            throw new IllegalArgumentException("not a raw object key: " + quote(rawKey));
        }
        return STAGING_PREFIX + rawKey;
    }

    /**
     * The final raw key a staging key stands for, e.g. for an S3 event or the staging sweep.
     *
     * @param key an object key (decoded), or null
     * @return the parts of the raw key after {@code staging/}, or empty when {@code key} is not
     *         {@code staging/{userId}/{fileId}/{safeName}} with all three parts valid
     */
    public static Optional<ParsedRawKey> parseStagingKey(String key) {
        if (key == null || !key.startsWith(STAGING_PREFIX)) {
            return Optional.empty();
        }
        return parseRawKey(key.substring(STAGING_PREFIX.length()));
    }

    /**
     * Prefix of every object of one user, for listing and deleting a user's data.
     *
     * @param userId as for {@link #rawKey}
     * @return {@code {userId}/}
     * @throws IllegalArgumentException when {@code userId} is invalid
     */
    public static String userPrefix(String userId) {
        requireUserId(userId);
        return userId + '/';
    }

    /**
     * Prefix of every object of one file: the raw object in the raw bucket, all its variants in the
     * processed bucket.
     *
     * @param userId as for {@link #rawKey}
     * @param fileId as for {@link #rawKey}
     * @return {@code {userId}/{fileId}/}
     * @throws IllegalArgumentException when a part is invalid
     */
    public static String filePrefix(String userId, String fileId) {
        requireUserId(userId);
        requireFileId(fileId);
        return userId + '/' + fileId + '/';
    }

    /**
     * The digest that names a variant: the first 12 hex characters (48 bits) of SHA-256 over the
     * UTF-8 bytes of {@code sourceSha256Hex + "\n" + recipe}. The same source bytes and recipe
     * always give the same digest, so a processed key always maps to the same bytes and can be
     * cached as immutable.
     *
     * @param sourceSha256Hex SHA-256 of the raw object, 64 hex characters (either case; lower-cased
     *                        before hashing so the case does not change the digest)
     * @param recipe          a canonical description of the variant's processing, e.g.
     *                        {@code thumb:150x150:cover:webp:q80}; any change must change this text
     * @return 12 lower-case hex characters
     * @throws IllegalArgumentException when {@code sourceSha256Hex} is not 64 hex characters
     * @throws NullPointerException     when {@code recipe} is null
     */
    public static String recipeDigest(String sourceSha256Hex, String recipe) {
        require(SHA256_HEX, sourceSha256Hex, "sourceSha256Hex must be 64 hex characters");
        Objects.requireNonNull(recipe, "recipe");
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(
                    (sourceSha256Hex.toLowerCase(Locale.ROOT) + "\n" + recipe).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * Splits a key in raw layout into its parts, e.g. for an S3 event notification. The key must
     * already be decoded as its provider sends it (AWS URL-encodes event keys, Ceph does not).
     * Only the shape is checked: a processed key also has raw shape, so the bucket an event came
     * from tells raw from processed objects.
     *
     * @param key an object key, or null
     * @return the parts, or empty when the key is not exactly {@code {userId}/{fileId}/{safeName}}
     *         with all three parts valid (quarantine keys, foreign keys and null give empty)
     */
    public static Optional<ParsedRawKey> parseRawKey(String key) {
        if (key == null) {
            return Optional.empty();
        }
        int first = key.indexOf('/');
        int second = first < 0 ? -1 : key.indexOf('/', first + 1);
        if (second < 0) {
            return Optional.empty();
        }
        String userId = key.substring(0, first);
        String fileId = key.substring(first + 1, second);
        String safeName = key.substring(second + 1);
        return isUserId(userId) && FILE_ID.matcher(fileId).matches() && FilenameSanitizer.isSafeName(safeName)
                ? Optional.of(new ParsedRawKey(userId, fileId, safeName))
                : Optional.empty();
    }

    /**
     * A new random, time-ordered file id: a version 7 UUID as defined in RFC 9562 §5.7. Bits 0–47
     * hold the Unix time in milliseconds (big-endian), then the version {@code 0111}, 12 random
     * bits, the variant {@code 10} and 62 random bits, all random bits from {@link SecureRandom}.
     * Ids from different milliseconds sort in creation order, both as {@link UUID}s and as their
     * canonical strings; ids from the same millisecond are in random order. 74 random bits make
     * the id unguessable from the user, the name or the time.
     *
     * @return a new id; its {@code toString()} is the canonical form {@link #rawKey} expects
     */
    public static UUID newFileId() {
        return newFileId(System.currentTimeMillis());
    }

    /** A version 7 UUID for the given Unix time in milliseconds (only the low 48 bits are used). */
    static UUID newFileId(long unixMillis) {
        long msb = (unixMillis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | (RANDOM.nextLong() & 0x0FFFL);
        long lsb = RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb);
    }

    private static boolean isUserId(String userId) {
        return userId != null && USER_ID.matcher(userId).matches()
                && !userId.equals(".") && !userId.equals("..")
                && !userId.equalsIgnoreCase("quarantine") && !userId.equalsIgnoreCase("staging");
    }

    private static void requireUserId(String userId) {
        if (!isUserId(userId)) {
            throw new IllegalArgumentException("userId must be 1-" + MAX_USER_ID_LENGTH
                    + " characters of [A-Za-z0-9._-], not '.', '..', 'quarantine' or 'staging', got " + quote(userId));
        }
    }

    private static void requireFileId(String fileId) {
        require(FILE_ID, fileId, "fileId must be a UUID in canonical lower-case form (8-4-4-4-12 hex)");
    }

    private static void require(Pattern pattern, String value, String message) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new IllegalArgumentException(message + ", got " + quote(value));
        }
    }

    /** The value in double quotes for an error message: at most 80 code points, invisible characters escaped. */
    private static String quote(String value) {
        if (value == null) {
            return "null";
        }
        String shown = value.codePoints().limit(80)
                .mapToObj(cp -> Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                        ? "\\u%04X".formatted(cp) : Character.toString(cp))
                .collect(Collectors.joining());
        return '"' + shown + (value.codePointCount(0, value.length()) > 80 ? "…" : "") + '"';
    }
}

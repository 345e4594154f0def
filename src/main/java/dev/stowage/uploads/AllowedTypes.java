package dev.stowage.uploads;

import dev.stowage.files.ImageType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The allow-list of upload types: which {@link FileType}s this deployment accepts.
 *
 * <p>Stowage knows these types (the default allow-list, in this order):
 * <ul>
 *   <li>images: the {@link ImageType}s, {@code image/jpeg}, {@code image/png}, {@code image/gif},
 *       {@code image/webp}, {@code image/heic} (also named {@code image/heif}, see below), {@code image/avif};
 *   <li>PDF: {@code application/pdf};
 *   <li>office documents: DOCX {@code application/vnd.openxmlformats-officedocument.wordprocessingml.document},
 *       XLSX {@code application/vnd.openxmlformats-officedocument.spreadsheetml.sheet},
 *       PPTX {@code application/vnd.openxmlformats-officedocument.presentationml.presentation},
 *       ODT {@code application/vnd.oasis.opendocument.text},
 *       ODS {@code application/vnd.oasis.opendocument.spreadsheet};
 *   <li>text: {@code text/plain}, {@code text/csv}.
 * </ul>
 * Configuration ({@code uploads.allowed_types}) can narrow the list, never extend it. None of these
 * types is {@linkplain FileType#active() active}. Macro-enabled office formats (DOCM, XLSM, PPTM), SVG,
 * HTML and anything else are not on it.
 *
 * <p>MIME names are compared as their essence (RFC 9110 §8.3.1: case-insensitive type and subtype,
 * parameters such as {@code ; charset=utf-8} ignored). {@code image/heif} is an alias of
 * {@code image/heic}: both name the HEIF container (ISO/IEC 23008-12); which one a browser or an
 * operating system reports for a photo depends on the platform, and which one magic-byte detection
 * reports depends on the file's major brand. Both resolve to the same {@code image/heic} type.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class AllowedTypes {

    private static final List<FileType> CATALOGUE = Stream.concat(
            Arrays.stream(ImageType.values()).map(i -> new FileType(i.mimeType(), "image", i.extensions(), false)), Stream.of(
            new FileType("application/pdf", "pdf", List.of("pdf"), false),
            new FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document", List.of("docx"), false),
            new FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document", List.of("xlsx"), false),
            new FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", "document", List.of("pptx"), false),
            new FileType("application/vnd.oasis.opendocument.text", "document", List.of("odt"), false),
            new FileType("application/vnd.oasis.opendocument.spreadsheet", "document", List.of("ods"), false),
            new FileType("text/plain", "text", List.of("txt"), false),
            new FileType("text/csv", "text", List.of("csv"), false))).toList();

    /** Other names of catalogue types: alias → canonical MIME type. */
    private static final Map<String, String> ALIASES = Map.of("image/heif", "image/heic");

    /** Types a browser can execute or render as a document of the serving origin, named explicitly. */
    private static final Set<String> ACTIVE = Set.of(
            "image/svg+xml", "text/html", "application/xhtml+xml", "application/xml", "text/xml",
            "text/javascript", "application/javascript", "application/x-javascript", "application/ecmascript",
            "text/ecmascript", "text/xsl", "application/xslt+xml");

    private static final Map<String, FileType> KNOWN = index(CATALOGUE);

    private final Map<String, FileType> allowed;

    /** The full default allow-list ({@link #defaults()}). */
    public AllowedTypes() {
        this(List.of());
    }

    /**
     * An allow-list of some of the known types.
     *
     * @param mimeTypes the MIME types to accept, compared as described on the class (so
     *                  {@code Image/JPEG} and {@code image/heif} are fine); order and duplicates do not
     *                  matter. An empty list means all known types, as {@code allowed_types: []} does in
     *                  the configuration
     * @throws NullPointerException     when the list is null
     * @throws IllegalArgumentException when a name is not one of the known types, naming every such name
     *                                  and the known ones
     */
    public AllowedTypes(List<String> mimeTypes) {
        Objects.requireNonNull(mimeTypes, "mimeTypes");
        if (mimeTypes.isEmpty()) {
            this.allowed = KNOWN;
            return;
        }
        List<String> unknown = new ArrayList<>();
        Set<String> wanted = new HashSet<>();
        for (String m : mimeTypes) {
            FileType t = lookup(m);
            if (t == null) unknown.add(m == null ? "null" : "'" + m + "'");
            else wanted.add(t.mimeType());
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown MIME type" + (unknown.size() > 1 ? "s" : "") + " in the allow-list: "
                    + String.join(", ", unknown) + " (known: " + String.join(", ", defaults()) + ")");
        }
        this.allowed = index(CATALOGUE.stream().filter(t -> wanted.contains(t.mimeType())).toList());
    }

    /**
     * The allowed type a content type names.
     *
     * @param declaredContentType a MIME type as a client or a detector gives it, e.g.
     *                            {@code Text/CSV; charset=utf-8}; null or blank finds nothing
     * @return the type, when it is known and allowed here; {@code image/heif} finds {@code image/heic}
     */
    public Optional<FileType> byMime(String declaredContentType) {
        String essence = essence(declaredContentType);
        return Optional.ofNullable(allowed.get(ALIASES.getOrDefault(essence, essence)));
    }

    /**
     * Whether a content type is allowed here.
     *
     * @param mime a MIME type, compared as {@link #byMime} does
     * @return {@code true} when {@link #byMime} finds it
     */
    public boolean allows(String mime) {
        return byMime(mime).isPresent();
    }

    /** The allowed types, in the order listed on the class; never empty. */
    public List<FileType> all() {
        return List.copyOf(allowed.values());
    }

    /** The MIME types of the full default allow-list, in the order listed on the class (14 names). */
    public static List<String> defaults() {
        return CATALOGUE.stream().map(FileType::mimeType).toList();
    }

    /**
     * Whether a browser could run content of this type, so that it must be served with
     * {@code Content-Disposition: attachment} and never inline.
     *
     * <p>True for SVG ({@code image/svg+xml}: can carry {@code <script>}), HTML, XHTML, XML and XSLT
     * (any {@code +xml} suffix included), JavaScript and ECMAScript under any of their names, and for
     * everything Stowage does not know: null, blank, malformed or simply unlisted types. False only for
     * the known, inert types listed on the class (and their aliases), whatever this deployment allows.
     * Serving those inline still relies on {@code X-Content-Type-Options: nosniff}.
     *
     * @param mime a MIME type, parameters and case ignored
     * @return {@code false} only for a known inert type
     */
    public static boolean isActiveContent(String mime) {
        String essence = essence(mime);
        if (ACTIVE.contains(essence) || essence.endsWith("+xml")) return true;
        FileType t = lookup(essence);
        return t == null || t.active();
    }

    /**
     * The essence of a MIME type: lower case, parameters and surrounding white space removed
     * ({@code " Text/CSV; charset=utf-8"} → {@code text/csv}).
     *
     * @param contentType a MIME type or a {@code Content-Type} header value; may be null
     * @return the essence; empty for null or blank
     */
    public static String essence(String contentType) {
        if (contentType == null) return "";
        int semi = contentType.indexOf(';');
        String base = semi >= 0 ? contentType.substring(0, semi) : contentType;
        return base.strip().toLowerCase(Locale.ROOT);
    }

    private static FileType lookup(String mime) {
        String essence = essence(mime);
        return KNOWN.get(ALIASES.getOrDefault(essence, essence));
    }

    private static Map<String, FileType> index(List<FileType> types) {
        Map<String, FileType> m = new LinkedHashMap<>();
        for (FileType t : types) m.put(t.mimeType(), t);
        return Collections.unmodifiableMap(m);
    }

    @Override
    public String toString() {
        return "AllowedTypes" + allowed.keySet();
    }
}

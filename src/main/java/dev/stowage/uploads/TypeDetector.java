package dev.stowage.uploads;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.mime.MimeTypes;

/**
 * Finds the MIME type of a file from its bytes alone.
 *
 * <p>The file name is never consulted, so a spoofed name cannot win: junk named {@code photo.jpg} is
 * {@code application/octet-stream}, {@code /bin/ls} named {@code cat.jpg} is
 * {@code application/x-sharedlib}. Detection has three layers:
 * <ol>
 *   <li><b>Magic bytes</b> of the first {@value #HEAD_BYTES} bytes, by Apache Tika's
 *       {@code MimeTypes} (tika-core: JPEG, PNG, GIF, WebP, HEIF, AVIF, PDF, ZIP, SVG, HTML, ELF, PE,
 *       text and hundreds more). Text with no magic, CSV included, is {@code text/plain}.
 *   <li><b>ISO base media file format brands</b> (ISO/IEC 14496-12 §4.3 File Type Box) of MP4, QuickTime,
 *       M4A, 3GP, HEIF and AVIF: the major brand decides, else the first compatible brand that names a type.
 *       Tika answers for the brands it knows; a small table ({@code BRAND_FIXES}) answers where Tika 3.3
 *       is wrong, which is mostly where it answers {@code video/quicktime}, its name for any {@code ftyp} box
 *       it does not know: an Android MP4 ({@code isom}, compatible {@code iso2 mp41}) is {@code video/mp4},
 *       not {@code video/quicktime}. The generic HEIF brands {@code mif1 msf1 miaf} (ISO/IEC 23008-12) are
 *       classified by their compatible brands, so an AVIF written with {@code mif1} first is
 *       {@code image/avif}, not {@code image/heif}.
 *   <li><b>A look inside ZIP containers</b>, where Tika alone answers {@code application/zip} or
 *       {@code application/x-tika-ooxml}:
 *       <ul>
 *         <li>OpenDocument (OASIS ODF 1.2 Part 3 §3.3): the first entry must be named {@code mimetype},
 *             stored uncompressed, without encryption or data descriptor, so its content is a plain
 *             {@code application/vnd.oasis.opendocument.*} string right after the local header (at
 *             offset 38 when the header has no extra field). That string is the type. It lies within the
 *             head, so ODF needs no more than the head.
 *         <li>Office Open XML (ECMA-376 Part 2, Open Packaging Conventions): the {@code [Content_Types].xml}
 *             stream lists the content type of every part; the main part's type tells the format
 *             (ECMA-376 Part 1: Main Document part §11.3.10
 *             {@code …wordprocessingml.document.main+xml} → DOCX, Workbook part §12.3.23
 *             {@code …spreadsheetml.sheet.main+xml} → XLSX, Presentation part §13.3.6
 *             {@code …presentationml.presentation.main+xml} → PPTX). Macro-enabled variants (DOCM,
 *             XLSM, PPTM, also when a {@code vbaProject} part hides in a file whose main part says
 *             DOCX/XLSX/PPTX), templates and slide shows get their own types, which are not on the
 *             allow-list. The presence of {@code word/}, {@code xl/} or {@code ppt/} entries alone is
 *             deliberately not enough: it cannot tell a DOCX from a DOCM.
 *       </ul>
 *       A ZIP that is neither (or is ambiguous: two {@code [Content_Types].xml} entries, two different
 *       main parts, ZIP64, a damaged directory) keeps Tika's generic answer, which no allow-list has.
 * </ol>
 *
 * <p><b>Where {@code [Content_Types].xml} is found</b> depends on the entry point.
 * {@link #detect(InputStream)} sees only the head, so it finds it only among the local entries that lie
 * entirely within the first {@value #HEAD_BYTES} bytes (Microsoft Office writes it first; LibreOffice
 * writes it last, so a large LibreOffice DOCX read this way keeps Tika's generic answer).
 * {@link #detect(Path)} and {@link #detect(SeekableByteChannel)} re-read the file at random: they read
 * the ZIP end-of-central-directory record from the tail, then the central directory, then only the
 * {@code [Content_Types].xml} entry, wherever it is.
 *
 * <p><b>Memory</b>, per call, at most: the head ({@value #HEAD_BYTES} bytes); for a ZIP read through
 * a channel, the tail searched for the end record (65,557 bytes), the central directory (refused above
 * {@value #MAX_CENTRAL_DIRECTORY_BYTES} bytes) and the {@code [Content_Types].xml} entry, compressed and
 * inflated (each refused above {@value #MAX_CONTENT_TYPES_BYTES} bytes, buffers included): under
 * 4 MiB whatever the file size. Through a channel no other entry is read or inflated, so a ZIP bomb
 * costs nothing; through a stream, entries in the head before {@code [Content_Types].xml} are inflated
 * to skip them (streamed, no memory; CPU bounded by deflate's ~1:1000 ratio on a 64 KiB head).
 *
 * <p>Instances are thread-safe and cheap to share; build one per application.
 */
public final class TypeDetector {

    /** Bytes of the head used for magic detection: 64 KiB, what Tika's {@code MimeTypes} reads at most. */
    public static final int HEAD_BYTES = 64 * 1024;

    /** Returned for a file of zero bytes (the shared-mime-info name for an empty document). */
    public static final String EMPTY = "application/x-zerosize";

    /** Largest ZIP central directory parsed, bytes (1 MiB: about 10,000 entries with typical names). */
    public static final int MAX_CENTRAL_DIRECTORY_BYTES = 1 << 20;

    /** Largest {@code [Content_Types].xml} read, bytes, compressed and inflated (1 MiB). */
    public static final int MAX_CONTENT_TYPES_BYTES = 1 << 20;

    private static final String OCTET_STREAM = "application/octet-stream";
    private static final String ZIP = "application/zip";
    private static final String CONTENT_TYPES = "[Content_Types].xml";
    private static final String CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types";
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_RECORD = 0x06054b50;
    private static final int END_RECORD_BYTES = 22;
    private static final int MAX_TAIL = END_RECORD_BYTES + 0xFFFF;
    private static final Pattern ODF_MIME = Pattern.compile("application/vnd\\.oasis\\.opendocument\\.[a-z0-9.+-]{1,60}");

    private static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    private static final String XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    private static final String PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    private static final String DOCM = "application/vnd.ms-word.document.macroenabled.12";
    private static final String XLSM = "application/vnd.ms-excel.sheet.macroenabled.12";
    private static final String PPTM = "application/vnd.ms-powerpoint.presentation.macroenabled.12";
    private static final String VBA_PROJECT = "application/vnd.ms-office.vbaproject";

    /** Main-part content type (lower case) → file type: ECMA-376 Part 1, plus Microsoft Office's macro-enabled and template variants. */
    private static final Map<String, String> OOXML_MAIN = Map.ofEntries(
            Map.entry("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", DOCX),
            Map.entry("application/vnd.ms-word.document.macroenabled.main+xml", DOCM),
            Map.entry("application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.template"),
            Map.entry("application/vnd.ms-word.template.macroenabledtemplate.main+xml", "application/vnd.ms-word.template.macroenabled.12"),
            Map.entry("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", XLSX),
            Map.entry("application/vnd.ms-excel.sheet.macroenabled.main+xml", XLSM),
            Map.entry("application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.template"),
            Map.entry("application/vnd.ms-excel.template.macroenabled.main+xml", "application/vnd.ms-excel.template.macroenabled.12"),
            Map.entry("application/vnd.ms-excel.sheet.binary.macroenabled.main", "application/vnd.ms-excel.sheet.binary.macroenabled.12"),
            Map.entry("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", PPTX),
            Map.entry("application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", PPTM),
            Map.entry("application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
                    "application/vnd.openxmlformats-officedocument.presentationml.slideshow"),
            Map.entry("application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", "application/vnd.ms-powerpoint.slideshow.macroenabled.12"),
            Map.entry("application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
                    "application/vnd.openxmlformats-officedocument.presentationml.template"),
            Map.entry("application/vnd.ms-powerpoint.template.macroenabled.main+xml", "application/vnd.ms-powerpoint.template.macroenabled.12"));

    /** A DOCX/XLSX/PPTX main part next to a VBA project is really the macro-enabled format. */
    private static final Map<String, String> WITH_MACROS = Map.of(DOCX, DOCM, XLSX, XLSM, PPTX, PPTM);

    private static final Set<String> HEIC_STILL = Set.of("heic", "heix", "heim", "heis");
    private static final Set<String> HEIC_SEQUENCE = Set.of("hevc", "hevx", "hevm", "hevs");
    private static final String QUICKTIME = "video/quicktime";

    /**
     * ISO BMFF brands whose type Tika 3.3 gets wrong, and the right one: Stowage's own table, used before Tika.
     * Every other brand is Tika's ({@code mp41 mp42} video/mp4, {@code qt  } video/quicktime, {@code M4A  M4B }
     * audio/mp4, {@code heic heix} image/heic, {@code hevc hevx} image/heic-sequence, {@code mif1} image/heif,
     * {@code msf1} image/heif-sequence, {@code avif} image/avif, {@code 3gp4 3gp5 3gp6} video/3gpp, …).
     * Tika answers {@code video/quicktime} (its match for any {@code ftyp} box) for all of these but the
     * {@code M4V} brands, for which it answers the unregistered {@code video/x-m4v}: an M4V is an MP4
     * (Apple's brand for it), played by browsers as {@code video/mp4}. {@code TypeDetectorTest} checks both
     * columns: what Tika says alone and what Stowage says.
     */
    static final Map<String, String> BRAND_FIXES = Map.ofEntries(
            // ISO/IEC 14496-12 and -14 (MP4), -15 (AVC), 23009-1 (DASH); Apple's M4V
            Map.entry("isom", "video/mp4"), Map.entry("iso2", "video/mp4"), Map.entry("iso3", "video/mp4"),
            Map.entry("iso4", "video/mp4"), Map.entry("iso5", "video/mp4"), Map.entry("iso6", "video/mp4"),
            Map.entry("iso7", "video/mp4"), Map.entry("iso8", "video/mp4"), Map.entry("iso9", "video/mp4"),
            Map.entry("avc1", "video/mp4"), Map.entry("dash", "video/mp4"),
            Map.entry("M4V ", "video/mp4"), Map.entry("M4VH", "video/mp4"), Map.entry("M4VP", "video/mp4"),
            // Apple's protected M4A
            Map.entry("M4P ", "audio/mp4"),
            // 3GPP TS 26.244 releases 7–9 (Tika knows 3gp1–3gp6 and 3gs7)
            Map.entry("3gp7", "video/3gpp"), Map.entry("3gp8", "video/3gpp"), Map.entry("3gp9", "video/3gpp"),
            // ISO/IEC 23008-12: HEVC images and sequences by other profiles
            Map.entry("heim", "image/heic"), Map.entry("heis", "image/heic"),
            Map.entry("hevm", "image/heic-sequence"), Map.entry("hevs", "image/heic-sequence"),
            // AOMedia AVIF: image sequences
            Map.entry("avis", "image/avif"));

    private final MimeTypes magic = MimeTypes.getDefaultMimeTypes();

    /** A detector using tika-core's built-in magic database. */
    public TypeDetector() {
    }

    /**
     * Detects the type from the head of a stream.
     *
     * <p>Reads at most {@value #HEAD_BYTES} bytes. When the stream supports mark/reset it is reset
     * afterwards, so the caller can read it again from where it was (wrap it in a
     * {@link java.io.BufferedInputStream} to get that); otherwise those bytes are consumed. The stream
     * is not closed. ZIP containers are classified only from what the head holds (see the class).
     *
     * @param in the content, positioned at its first byte
     * @return a lower-case MIME type without parameters: {@link #EMPTY} when the stream has no bytes,
     *         {@code application/octet-stream} when nothing is recognised
     * @throws IOException when reading fails
     */
    public String detect(InputStream in) throws IOException {
        Objects.requireNonNull(in, "in");
        byte[] head;
        if (in.markSupported()) {
            in.mark(HEAD_BYTES);
            try {
                head = in.readNBytes(HEAD_BYTES);
            } finally {
                in.reset();
            }
        } else {
            head = in.readNBytes(HEAD_BYTES);
        }
        return detect(head, null);
    }

    /**
     * Detects the type of a file, looking inside ZIP containers through their central directory.
     *
     * @param file a regular file
     * @return a lower-case MIME type without parameters, as {@link #detect(InputStream)} returns
     * @throws IOException when the file cannot be opened or read
     */
    public String detect(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return detect(ch);
        }
    }

    /**
     * Detects the type of the content of a channel, reading it at random positions (head, then for
     * a ZIP its tail, central directory and {@code [Content_Types].xml} entry; see the class for the
     * memory bound). The content is taken to start at position 0 and end at {@code size()}; the
     * channel's position is changed and it is not closed.
     *
     * @param channel the content
     * @return a lower-case MIME type without parameters, as {@link #detect(InputStream)} returns
     * @throws IOException when reading fails
     */
    public String detect(SeekableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        byte[] head = readAt(channel, 0, (int) Math.min(HEAD_BYTES, channel.size()));
        return detect(head, channel);
    }

    private String detect(byte[] head, SeekableByteChannel channel) throws IOException {
        if (head.length == 0) return EMPTY;
        String tika = magic.detect(new ByteArrayInputStream(head), new Metadata()).getBaseType().toString()
                .toLowerCase(Locale.ROOT);
        if (head.length >= 30 && le32(head, 0) == LOCAL_HEADER) {
            String odf = odfMimetype(head);
            if (odf != null) return odf;
            byte[] contentTypes = channel != null ? contentTypesByDirectory(channel) : contentTypesInHead(head);
            String ooxml = contentTypes == null ? null : ooxmlType(contentTypes);
            if (ooxml != null) return ooxml;
            // Only the checks above may call a ZIP an allowed type (Tika's ODF magic is looser than ODF's rules).
            return tika.startsWith("application/vnd.oasis.opendocument.") ? ZIP : tika;
        }
        String brand = isoBrandType(head);
        return brand != null ? brand : tika;
    }

    // ---- ODF ----------------------------------------------------------------------------------

    /** The {@code mimetype} first entry's content when the head is an ODF package, else null. */
    static String odfMimetype(byte[] head) {
        if (head.length < 38 || le32(head, 0) != LOCAL_HEADER) return null;
        int flags = le16(head, 6);
        int method = le16(head, 8);
        long compressed = le32(head, 18) & 0xFFFFFFFFL;
        long size = le32(head, 22) & 0xFFFFFFFFL;
        int nameLength = le16(head, 26);
        int extraLength = le16(head, 28);
        if (nameLength != 8 || !"mimetype".equals(new String(head, 30, 8, StandardCharsets.ISO_8859_1))) return null;
        // stored, not encrypted (bit 0), sizes in the header rather than in a data descriptor (bit 3)
        if (method != 0 || (flags & 0x9) != 0 || compressed != size || size == 0 || size > 100) return null;
        int start = 30 + nameLength + extraLength;
        if (start + size > head.length) return null;
        String mime = new String(head, start, (int) size, StandardCharsets.ISO_8859_1);
        return ODF_MIME.matcher(mime).matches() ? mime : null;
    }

    // ---- OOXML --------------------------------------------------------------------------------

    /** {@code [Content_Types].xml} among the local entries wholly inside the head, else null. */
    static byte[] contentTypesInHead(byte[] head) {
        byte[] found = null;
        try (var zip = new ZipInputStream(new ByteArrayInputStream(head))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.getName().equalsIgnoreCase(CONTENT_TYPES)) continue;
                if (found != null) return null; // two of them: readers would disagree on which one counts
                found = readAtMost(zip, MAX_CONTENT_TYPES_BYTES);
                if (found == null) return null;
            }
        } catch (IOException | IllegalArgumentException e) {
            // EOFException / ZipException at the end of the head (an entry cut off) or a damaged entry
        }
        return found;
    }

    /**
     * {@code [Content_Types].xml} found through the ZIP central directory (PKWARE APPNOTE 6.3 §4.3.12,
     * §4.3.16), else null: not a single-disk non-ZIP64 archive, directory too large or damaged, no such
     * entry or two of them, entry encrypted, too large or compressed other than stored/deflated.
     */
    static byte[] contentTypesByDirectory(SeekableByteChannel ch) throws IOException {
        long size = ch.size();
        if (size < END_RECORD_BYTES) return null;
        int tailLength = (int) Math.min(size, MAX_TAIL);
        long tailStart = size - tailLength;
        byte[] tail = readAt(ch, tailStart, tailLength);
        int end = -1;
        for (int i = tailLength - END_RECORD_BYTES; i >= 0; i--) {
            // the last end record whose comment reaches exactly the end of the file
            if (le32(tail, i) == END_RECORD && i + END_RECORD_BYTES + le16(tail, i + 20) == tailLength) {
                end = i;
                break;
            }
        }
        if (end < 0) return null;
        int disk = le16(tail, end + 4);
        int directoryDisk = le16(tail, end + 6);
        int entriesHere = le16(tail, end + 8);
        int entries = le16(tail, end + 10);
        long directorySize = le32(tail, end + 12) & 0xFFFFFFFFL;
        long directoryOffset = le32(tail, end + 16) & 0xFFFFFFFFL;
        if (disk != 0 || directoryDisk != 0 || entriesHere != entries) return null;
        if (entries == 0xFFFF || directorySize == 0xFFFFFFFFL || directoryOffset == 0xFFFFFFFFL) return null; // ZIP64
        if (directorySize > MAX_CENTRAL_DIRECTORY_BYTES || directoryOffset + directorySize > tailStart + end) return null;
        byte[] dir = readAt(ch, directoryOffset, (int) directorySize);

        int p = 0;
        long[] entry = null; // flags, method, compressed, size, local header offset
        for (int k = 0; k < entries; k++) {
            if (p + 46 > dir.length || le32(dir, p) != CENTRAL_HEADER) return null;
            int nameLength = le16(dir, p + 28);
            int next = p + 46 + nameLength + le16(dir, p + 30) + le16(dir, p + 32);
            if (next > dir.length) return null;
            if (CONTENT_TYPES.equalsIgnoreCase(new String(dir, p + 46, nameLength, StandardCharsets.ISO_8859_1))) {
                if (entry != null) return null;
                entry = new long[] {le16(dir, p + 8), le16(dir, p + 10), le32(dir, p + 20) & 0xFFFFFFFFL,
                        le32(dir, p + 24) & 0xFFFFFFFFL, le32(dir, p + 42) & 0xFFFFFFFFL};
            }
            p = next;
        }
        if (entry == null) return null;
        long flags = entry[0], method = entry[1], compressed = entry[2], length = entry[3], offset = entry[4];
        if ((flags & 1) != 0 || compressed > MAX_CONTENT_TYPES_BYTES || length > MAX_CONTENT_TYPES_BYTES) return null;
        if (offset + 30 > directoryOffset) return null;
        byte[] local = readAt(ch, offset, 30);
        if (le32(local, 0) != LOCAL_HEADER) return null;
        int nameLength = le16(local, 26);
        long data = offset + 30 + nameLength + le16(local, 28);
        if (data + compressed > directoryOffset) return null;
        String localName = new String(readAt(ch, offset + 30, nameLength), StandardCharsets.ISO_8859_1);
        if (!CONTENT_TYPES.equalsIgnoreCase(localName)) return null;
        byte[] raw = readAt(ch, data, (int) compressed);
        if (method == 0) return compressed == length ? raw : null;
        if (method == 8) return inflate(raw, (int) length);
        return null;
    }

    /**
     * The file type named by the main part in {@code [Content_Types].xml}, else null (not an OPC
     * content-types stream, no known main part, or several). A DTD makes the stream invalid.
     */
    static String ooxmlType(byte[] contentTypesXml) {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        Set<String> declared = new HashSet<>();
        try {
            XMLStreamReader xml = factory.createXMLStreamReader(new ByteArrayInputStream(contentTypesXml));
            try {
                boolean root = true;
                while (xml.hasNext()) {
                    int event = xml.next();
                    if (event == XMLStreamConstants.DTD) return null;
                    if (event != XMLStreamConstants.START_ELEMENT) continue;
                    if (root) {
                        if (!"Types".equals(xml.getLocalName()) || !CONTENT_TYPES_NS.equals(xml.getNamespaceURI())) return null;
                        root = false;
                    } else if ("Default".equals(xml.getLocalName()) || "Override".equals(xml.getLocalName())) {
                        String type = xml.getAttributeValue(null, "ContentType");
                        if (type != null) declared.add(AllowedTypes.essence(type));
                    }
                }
            } finally {
                xml.close();
            }
        } catch (XMLStreamException | RuntimeException e) {
            return null;
        }
        Set<String> kinds = new HashSet<>();
        for (String t : declared) {
            String kind = OOXML_MAIN.get(t);
            if (kind != null) kinds.add(kind);
        }
        if (kinds.size() != 1) return null;
        String kind = kinds.iterator().next();
        return declared.contains(VBA_PROJECT) ? WITH_MACROS.getOrDefault(kind, kind) : kind;
    }

    // ---- ISO BMFF brands ----------------------------------------------------------------------

    /**
     * The type the ISO BMFF {@code ftyp} brands name, else null (not such a box, or no brand names a type:
     * the caller keeps Tika's answer). The major brand first; the generic HEIF brands by their compatible
     * brands; a major brand neither Tika nor {@link #BRAND_FIXES} knows by its first compatible brand that one
     * of them knows (a camera's own major brand listing {@code isom} is an MP4).
     */
    String isoBrandType(byte[] head) {
        if (head.length < 16 || !"ftyp".equals(new String(head, 4, 4, StandardCharsets.ISO_8859_1))) return null;
        long boxSize = be32(head, 0) & 0xFFFFFFFFL;
        if (boxSize < 16) return null; // 0 (to end of file) and 1 (64-bit size) never happen for ftyp in practice
        String major = new String(head, 8, 4, StandardCharsets.ISO_8859_1);
        List<String> compatible = new ArrayList<>();
        int end = (int) Math.min(head.length, Math.min(boxSize, 16 + 4 * 64));
        for (int i = 16; i + 4 <= end; i += 4) compatible.add(new String(head, i, 4, StandardCharsets.ISO_8859_1));
        if (major.equals("mif1") || major.equals("miaf")) {
            if (compatible.contains("avif")) return "image/avif";
            if (compatible.stream().anyMatch(HEIC_STILL::contains)) return "image/heic";
            return "image/heif";
        }
        if (major.equals("msf1")) {
            if (compatible.contains("avis")) return "image/avif";
            if (compatible.stream().anyMatch(HEIC_SEQUENCE::contains)) return "image/heic-sequence";
            return "image/heif-sequence";
        }
        String type = brandType(major);
        for (int i = 0; type == null && i < compatible.size(); i++) type = brandType(compatible.get(i));
        return type;
    }

    /**
     * The type one brand names: {@link #BRAND_FIXES}, else Tika's answer for a box with that major brand, else
     * null when Tika does not know the brand (it answers {@code video/quicktime} for any {@code ftyp} box, so
     * that answer counts only for QuickTime's own brand {@code qt  }).
     */
    String brandType(String brand) {
        String fix = BRAND_FIXES.get(brand);
        if (fix != null) return fix;
        byte[] box = new byte[16];
        box[3] = 16;
        System.arraycopy("ftyp".getBytes(StandardCharsets.ISO_8859_1), 0, box, 4, 4);
        System.arraycopy(brand.getBytes(StandardCharsets.ISO_8859_1), 0, box, 8, 4);
        String tika;
        try {
            tika = magic.detect(new ByteArrayInputStream(box), new Metadata()).getBaseType().toString().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a byte array cannot fail to be read
        }
        if (tika.equals(OCTET_STREAM) || tika.equals(QUICKTIME) && !brand.equals("qt  ")) return null;
        return tika;
    }

    // ---- bytes --------------------------------------------------------------------------------

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        byte[] b = in.readNBytes(limit + 1);
        return b.length > limit ? null : b;
    }

    private static byte[] inflate(byte[] raw, int expected) {
        Inflater inflater = new Inflater(true);
        try {
            byte[] input = new byte[raw.length + 1]; // trailing dummy byte, as java.util.zip.ZipFile gives nowrap inflaters
            System.arraycopy(raw, 0, input, 0, raw.length);
            inflater.setInput(input);
            var out = new ByteArrayOutputStream(Math.min(expected, MAX_CONTENT_TYPES_BYTES));
            byte[] buf = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) return null;
                out.write(buf, 0, n);
                if (out.size() > MAX_CONTENT_TYPES_BYTES) return null;
            }
            return out.size() == expected ? out.toByteArray() : null;
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }

    private static byte[] readAt(SeekableByteChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        ch.position(position);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) throw new EOFException("content ended at " + (position + buf.position()) + " bytes");
        }
        return buf.array();
    }

    private static int le16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static int le32(byte[] b, int i) {
        return le16(b, i) | le16(b, i + 2) << 16;
    }

    private static int be32(byte[] b, int i) {
        return (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
    }
}

package dev.stowage.uploads;

import dev.stowage.testing.TestServers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.mime.MimeTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TypeDetectorTest {

    static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    static final String XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    static final String PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    static final String ODT = "application/vnd.oasis.opendocument.text";
    static final String ODS = "application/vnd.oasis.opendocument.spreadsheet";
    static final String DOCM = "application/vnd.ms-word.document.macroenabled.12";

    static final Map<String, String> BY_EXTENSION = Map.of(
            "jpg", "image/jpeg", "png", "image/png", "gif", "image/gif", "webp", "image/webp",
            "heic", "image/heic", "avif", "image/avif", "pdf", "application/pdf", "odt", ODT);

    private final TypeDetector detector = new TypeDetector();

    @TempDir
    Path tmp;

    // ---- fixtures -----------------------------------------------------------------------------

    /** The files of fixture folders (e.g. {@code docs}), sorted, without the Markdown notes. */
    static List<Path> files(String... dirs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String d : dirs) {
            Path dir = TestServers.fixture(d);
            if (!Files.isDirectory(dir)) fail("fixture folder missing: " + dir);
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".md")).sorted().forEach(out::add);
            }
        }
        if (out.isEmpty()) fail("no fixture files in " + List.of(dirs));
        return out;
    }

    static List<Path> images() throws IOException {
        return files("images/photos", "images/special");
    }

    static List<Path> docs() throws IOException {
        return files("docs");
    }

    /** The type a fixture is, by its (trusted) extension; fails for an extension the test does not know. */
    static String expected(Path fixture) {
        String name = fixture.getFileName().toString();
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        String type = BY_EXTENSION.get(ext);
        if (type == null) fail("fixture with an extension this test has no expectation for: " + fixture);
        return type;
    }

    // ---- samples built here -------------------------------------------------------------------

    /** One ZIP entry; {@code stored} writes it uncompressed with its sizes in the local header. */
    record Entry(String name, byte[] data, boolean stored) {
        Entry(String name, String text) {
            this(name, text.getBytes(StandardCharsets.UTF_8), false);
        }
    }

    static byte[] zip(List<Entry> entries) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(bytes)) {
            for (Entry e : entries) {
                ZipEntry z = new ZipEntry(e.name());
                if (e.stored()) {
                    var crc = new CRC32();
                    crc.update(e.data());
                    z.setMethod(ZipEntry.STORED);
                    z.setSize(e.data().length);
                    z.setCompressedSize(e.data().length);
                    z.setCrc(crc.getValue());
                }
                zip.putNextEntry(z);
                zip.write(e.data());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    static String contentTypes(String partName, String mainType, String... more) {
        var sb = new StringBuilder("""
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
                <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
                <Default Extension="xml" ContentType="application/xml"/>""");
        sb.append("<Override PartName=\"").append(partName).append("\" ContentType=\"").append(mainType).append("\"/>");
        for (String m : more) sb.append(m);
        return sb.append("</Types>").toString();
    }

    static Entry packageRels(String target) {
        return new Entry("_rels/.rels", """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
                Target="%s"/></Relationships>""".formatted(target));
    }

    /** The parts of a minimal DOCX, {@code [Content_Types].xml} first or last (Word's and LibreOffice's orders). */
    static List<Entry> docxEntries(String mainType, boolean contentTypesFirst, Entry... extra) {
        List<Entry> parts = new ArrayList<>(List.of(packageRels("word/document.xml"),
                new Entry("word/document.xml", """
                        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                        <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">\
                        <w:body><w:p><w:r><w:t>Hello, Stowage</w:t></w:r></w:p></w:body></w:document>""")));
        parts.addAll(List.of(extra));
        Entry ct = new Entry("[Content_Types].xml", contentTypes("/word/document.xml", mainType));
        if (contentTypesFirst) parts.addFirst(ct);
        else parts.addLast(ct);
        return parts;
    }

    static byte[] docx() throws IOException {
        return zip(docxEntries("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", true));
    }

    static byte[] xlsx() throws IOException {
        return zip(List.of(
                new Entry("[Content_Types].xml", contentTypes("/xl/workbook.xml",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                        "<Override PartName=\"/xl/worksheets/sheet1.xml\" "
                                + "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>")),
                packageRels("xl/workbook.xml"),
                new Entry("xl/workbook.xml", """
                        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
                        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
                        <sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""),
                new Entry("xl/_rels/workbook.xml.rels", """
                        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
                        Target="worksheets/sheet1.xml"/></Relationships>"""),
                new Entry("xl/worksheets/sheet1.xml", """
                        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                        <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
                        <sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>42</t></is></c></row></sheetData></worksheet>""")));
    }

    static byte[] pptx() throws IOException {
        return zip(List.of(
                new Entry("[Content_Types].xml", contentTypes("/ppt/presentation.xml",
                        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
                packageRels("ppt/presentation.xml"),
                new Entry("ppt/presentation.xml", """
                        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                        <p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">\
                        <p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>""")));
    }

    /** A minimal ODF package: {@code mimetype} first and stored (ODF 1.2 Part 3 §3.3), then content and manifest. */
    static byte[] odf(String mimetype, boolean storedMimetype) throws IOException {
        return zip(List.of(
                new Entry("mimetype", mimetype.getBytes(StandardCharsets.US_ASCII), storedMimetype),
                new Entry("content.xml", """
                        <?xml version="1.0" encoding="UTF-8"?>
                        <office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" \
                        xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">\
                        <office:body><office:spreadsheet><table:table table:name="Sheet1"/></office:spreadsheet></office:body>\
                        </office:document-content>"""),
                new Entry("META-INF/manifest.xml", """
                        <?xml version="1.0" encoding="UTF-8"?>
                        <manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">\
                        <manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/>\
                        <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\
                        </manifest:manifest>""".formatted(mimetype))));
    }

    static byte[] ods() throws IOException {
        return odf(ODS, true);
    }

    /** The first 64 KiB of {@code /bin/ls}: an ELF executable. */
    static byte[] elf() throws IOException {
        Path ls = Path.of("/bin/ls");
        if (!Files.isRegularFile(ls)) fail("/bin/ls is needed as an ELF sample and is missing");
        try (InputStream in = Files.newInputStream(ls)) {
            return in.readNBytes(64 * 1024);
        }
    }

    /** A Windows PE header written by hand: {@code MZ}, e_lfanew at 0x3C pointing to {@code PE\0\0}. */
    static byte[] handMadePe() {
        byte[] pe = new byte[1024];
        pe[0] = 'M';
        pe[1] = 'Z';
        pe[0x3C] = (byte) 0x80;
        pe[0x80] = 'P';
        pe[0x81] = 'E';
        pe[0x84] = 0x4C; // machine i386
        pe[0x85] = 0x01;
        return pe;
    }

    /** The first 4 KiB of ClamAV's harmless test executable when installed, else {@link #handMadePe()}. */
    static byte[] pe() throws IOException {
        Path clam = Path.of("/usr/share/clamav-testfiles/clam.exe");
        if (!Files.isRegularFile(clam)) return handMadePe();
        try (InputStream in = Files.newInputStream(clam)) {
            return in.readNBytes(4096);
        }
    }

    static final String SVG_WITH_SCRIPT = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
              <script type="text/javascript">fetch('/v1/me').then(r => r.text()).then(alert)</script>
              <rect width="10" height="10" fill="red"/>
            </svg>
            """;

    static final String CSV = "id,name,amount\n1,Ada,12.50\n2,\"Grace, Admiral\",7\n3,Linus,0\n";

    /** Random bytes (fixed seed) that match no magic. */
    static byte[] junk() {
        byte[] b = new byte[4096];
        new Random(42).nextBytes(b);
        return b;
    }

    Path write(String name, byte[] data) throws IOException {
        return Files.write(tmp.resolve(name), data);
    }

    /** What tika-core alone says, without the zip and brand look-ups. */
    static String tikaAlone(byte[] data) throws IOException {
        return MimeTypes.getDefaultMimeTypes().detect(new ByteArrayInputStream(data), new Metadata()).getBaseType().toString();
    }

    // ---- images, PDFs, ODT from the fixtures ---------------------------------------------------

    @ParameterizedTest
    @MethodSource("images")
    void everyFixtureImageIsDetectedFromItsBytes(Path image) throws IOException {
        assertThat(detector.detect(image)).as(image.toString()).isEqualTo(expected(image));
        try (InputStream in = new BufferedInputStream(Files.newInputStream(image))) {
            assertThat(detector.detect(in)).as("head only: " + image).isEqualTo(expected(image));
        }
    }

    @Test
    void theImageFixturesCoverEveryAllowedImageType() throws IOException {
        Set<String> seen = new TreeSet<>();
        for (Path p : images()) seen.add(detector.detect(p));
        assertThat(seen).containsExactlyInAnyOrder("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif");
    }

    @ParameterizedTest
    @MethodSource("docs")
    void fixtureDocumentsAreDetected(Path doc) throws IOException {
        assertThat(detector.detect(doc)).as(doc.toString()).isEqualTo(expected(doc));
        try (InputStream in = new BufferedInputStream(Files.newInputStream(doc))) {
            assertThat(detector.detect(in)).as("head only: " + doc).isEqualTo(expected(doc));
        }
    }

    @Test
    void theDocumentFixturesHoldPdfsAndAnOdt() throws IOException {
        assertThat(docs().stream().map(TypeDetectorTest::expected)).contains("application/pdf", ODT);
    }

    @Test
    void theFileNameNeverCounts() throws IOException {
        Path png = images().stream().filter(p -> p.toString().endsWith(".png")).findFirst().orElseThrow();
        Path renamed = Files.copy(png, tmp.resolve("holiday.jpg"));
        assertThat(detector.detect(renamed)).isEqualTo("image/png");
        assertThat(detector.detect(write("report.pdf", CSV.getBytes(StandardCharsets.UTF_8)))).isEqualTo("text/plain");
    }

    // ---- office documents ---------------------------------------------------------------------

    @Test
    void tikaAloneCannotTellOfficeDocumentsApart() throws IOException {
        // the premise of the zip look-up: without it, DOCX/XLSX/PPTX are all one generic type
        assertThat(List.of(tikaAlone(docx()), tikaAlone(xlsx()), tikaAlone(pptx())))
                .containsOnly("application/x-tika-ooxml");
    }

    @Test
    void docxXlsxPptxAreToldApartByTheirMainPart() throws IOException {
        assertThat(detector.detect(write("a.docx", docx()))).isEqualTo(DOCX);
        assertThat(detector.detect(write("a.xlsx", xlsx()))).isEqualTo(XLSX);
        assertThat(detector.detect(write("a.pptx", pptx()))).isEqualTo(PPTX);
        assertThat(detector.detect(new ByteArrayInputStream(docx()))).isEqualTo(DOCX);
        assertThat(detector.detect(new ByteArrayInputStream(xlsx()))).isEqualTo(XLSX);
        assertThat(detector.detect(new ByteArrayInputStream(pptx()))).isEqualTo(PPTX);
    }

    @Test
    void odsIsReadFromItsStoredMimetypeEntry() throws IOException {
        byte[] ods = ods();
        assertThat(new String(ods, 30, 8, StandardCharsets.US_ASCII)).isEqualTo("mimetype");
        assertThat(detector.detect(write("a.ods", ods))).isEqualTo(ODS);
        assertThat(detector.detect(new ByteArrayInputStream(ods))).isEqualTo(ODS);
    }

    @Test
    void aCompressedMimetypeEntryIsNotOdf() throws IOException {
        // ODF 1.2 Part 3 §3.3: the mimetype entry must be stored; deflated, it is just a zip
        assertThat(detector.detect(write("a.ods", odf(ODS, false)))).isEqualTo("application/zip");
    }

    @Test
    void aMimetypeEntryWhoseHeaderSaysDeflatedIsNotOdf() throws IOException {
        byte[] ods = ods();
        ods[8] = 8; // compression method of the first local header: deflated; the bytes after it are unchanged
        assertThat(tikaAlone(ods)).isEqualTo(ODS); // Tika's magic only compares the bytes at offset 30
        assertThat(detector.detect(write("a.ods", ods))).isEqualTo("application/zip");
        assertThat(detector.detect(new ByteArrayInputStream(ods))).isEqualTo("application/zip");
    }

    @Test
    void aMimetypeEntryNamingSomethingElseIsNotOdf() throws IOException {
        assertThat(detector.detect(write("a.epub", odf("application/epub+zip", true)))).isNotEqualTo(ODS).doesNotContain("opendocument");
        assertThat(detector.detect(write("b.ods", odf("text/html", true)))).isEqualTo("application/zip");
    }

    @Test
    void contentTypesWrittenLastAreFoundThroughTheCentralDirectory() throws IOException {
        // LibreOffice's order: [Content_Types].xml is the last entry, here after 200 KB of incompressible media
        byte[] media = new byte[200_000];
        new Random(7).nextBytes(media);
        byte[] big = zip(docxEntries("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                false, new Entry("word/media/image1.bin", media, true)));
        assertThat(detector.detect(write("big.docx", big))).isEqualTo(DOCX);
        // the head alone does not reach it: generic, hence not allowed (documented limitation)
        assertThat(detector.detect(new ByteArrayInputStream(big))).isEqualTo("application/x-tika-ooxml");
        // a small one written in the same order fits in the head
        byte[] small = zip(docxEntries("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", false));
        assertThat(detector.detect(new ByteArrayInputStream(small))).isEqualTo(DOCX);
    }

    @Test
    void macroEnabledDocumentsAreNotDocx() throws IOException {
        byte[] docm = zip(docxEntries("application/vnd.ms-word.document.macroEnabled.main+xml", true));
        assertThat(detector.detect(write("a.docx", docm))).isEqualTo(DOCM);
        // a DOCX main part next to a VBA project is a DOCM in disguise
        String ct = contentTypes("/word/document.xml",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>");
        List<Entry> parts = new ArrayList<>(docxEntries("ignored", true));
        parts.set(0, new Entry("[Content_Types].xml", ct));
        parts.add(new Entry("word/vbaProject.bin", new byte[] {(byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0}, false));
        assertThat(detector.detect(write("b.docx", zip(parts)))).isEqualTo(DOCM);
    }

    @Test
    void ambiguousOrBrokenPackagesStayGeneric() throws IOException {
        String main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
        // two content-type streams (names differing in case only): zip readers would disagree
        List<Entry> twice = new ArrayList<>(docxEntries(main, true));
        twice.add(new Entry("[content_types].xml", contentTypes("/xl/workbook.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")));
        assertThat(detector.detect(write("twice.docx", zip(twice)))).isIn("application/zip", "application/x-tika-ooxml");
        // two different main parts in one stream
        List<Entry> both = new ArrayList<>(docxEntries(main, true));
        both.set(0, new Entry("[Content_Types].xml", contentTypes("/word/document.xml", main,
                "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>")));
        assertThat(detector.detect(write("both.docx", zip(both)))).isEqualTo("application/x-tika-ooxml");
        // a DTD (entity tricks) is refused
        List<Entry> dtd = new ArrayList<>(docxEntries(main, true));
        dtd.set(0, new Entry("[Content_Types].xml", "<?xml version=\"1.0\"?><!DOCTYPE Types [<!ENTITY m \"" + main + "\">]>"
                + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                + "<Override PartName=\"/word/document.xml\" ContentType=\"&m;\"/></Types>"));
        assertThat(detector.detect(write("dtd.docx", zip(dtd)))).isEqualTo("application/x-tika-ooxml");
        // word/ entries without [Content_Types].xml are not an OOXML package
        List<Entry> noTypes = docxEntries(main, true).subList(1, 3);
        assertThat(detector.detect(write("none.docx", zip(noTypes)))).isIn("application/zip", "application/x-tika-ooxml");
        // a plain zip
        assertThat(detector.detect(write("notes.docx", zip(List.of(new Entry("notes.txt", CSV)))))).isEqualTo("application/zip");
    }

    @Test
    void anOversizedCentralDirectoryIsNotParsed() throws IOException {
        String main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
        List<Entry> parts = new ArrayList<>(docxEntries(main, false));
        String longName = "word/media/" + "x".repeat(180);
        int count = TypeDetector.MAX_CENTRAL_DIRECTORY_BYTES / (46 + longName.length()) + 100;
        for (int i = 0; i < count; i++) parts.add(parts.size() - 1, new Entry(longName + i, new byte[0], true));
        byte[] zip = zip(parts);
        assertThat(detector.detect(write("many.docx", zip))).isIn("application/zip", "application/x-tika-ooxml");
        // control: the same package with few entries is a DOCX
        assertThat(detector.detect(write("few.docx", zip(docxEntries(main, false))))).isEqualTo(DOCX);
    }

    // ---- things that must not pass as what they claim -----------------------------------------

    @Test
    void anElfNamedJpgIsAnExecutable() throws IOException {
        String type = detector.detect(write("cat.jpg", elf()));
        assertThat(type).isIn("application/x-sharedlib", "application/x-executable", "application/x-elf");
        assertThat(detector.detect(new ByteArrayInputStream(elf()))).isEqualTo(type);
    }

    @Test
    void windowsExecutablesAreDetected() throws IOException {
        assertThat(detector.detect(write("invoice.pdf", pe()))).isEqualTo("application/x-msdownload");
        assertThat(detector.detect(write("photo.jpg", handMadePe()))).isEqualTo("application/x-msdownload");
    }

    @Test
    void svgWithScriptIsSvg() throws IOException {
        assertThat(detector.detect(write("kitten.jpg", SVG_WITH_SCRIPT.getBytes(StandardCharsets.UTF_8)))).isEqualTo("image/svg+xml");
    }

    @Test
    void junkNamedJpgIsNothing() throws IOException {
        assertThat(detector.detect(write("photo.jpg", junk()))).isEqualTo("application/octet-stream");
    }

    @Test
    void csvIsPlainText() throws IOException {
        assertThat(detector.detect(new ByteArrayInputStream(CSV.getBytes(StandardCharsets.UTF_8)))).isEqualTo("text/plain");
    }

    @Test
    void nothingIsEmpty() throws IOException {
        assertThat(detector.detect(InputStream.nullInputStream())).isEqualTo(TypeDetector.EMPTY);
        assertThat(detector.detect(write("empty.jpg", new byte[0]))).isEqualTo(TypeDetector.EMPTY);
    }

    // ---- HEIF and AVIF brands -----------------------------------------------------------------

    static byte[] ftyp(String major, String... compatible) {
        byte[] b = new byte[16 + 4 * compatible.length + 16];
        int size = 16 + 4 * compatible.length;
        b[3] = (byte) size;
        System.arraycopy("ftyp".getBytes(StandardCharsets.US_ASCII), 0, b, 4, 4);
        System.arraycopy(major.getBytes(StandardCharsets.US_ASCII), 0, b, 8, 4);
        for (int i = 0; i < compatible.length; i++) {
            System.arraycopy(compatible[i].getBytes(StandardCharsets.US_ASCII), 0, b, 16 + 4 * i, 4);
        }
        System.arraycopy(new byte[] {0, 0, 0, 16, 'm', 'e', 't', 'a'}, 0, b, size, 8);
        return b;
    }

    @Test
    void genericHeifMajorBrandsAreClassifiedByCompatibleBrands() throws IOException {
        assertThat(tikaAlone(ftyp("mif1", "mif1", "avif", "miaf"))).isEqualTo("image/heif");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("mif1", "mif1", "avif", "miaf")))).isEqualTo("image/avif");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("mif1", "mif1", "heic")))).isEqualTo("image/heic");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("mif1", "mif1")))).isEqualTo("image/heif");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("avis", "avis", "avif", "msf1")))).isEqualTo("image/avif");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("hevc", "hevc", "msf1")))).isEqualTo("image/heic-sequence");
        // video brands are left to Tika
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("mp42", "isom", "avif")))).isEqualTo("video/mp4");
    }

    /**
     * The brand table: brand → (what Stowage detects for a file whose major brand it is, what Tika 3.3 says
     * alone). Where the two differ the brand is in {@link TypeDetector#BRAND_FIXES}; where they agree Tika answers.
     */
    static Stream<org.junit.jupiter.params.provider.Arguments> brands() {
        String mp4 = "video/mp4", qt = "video/quicktime";
        return Stream.of(
                // MP4: Tika knows mp41/mp42 only and calls the rest QuickTime (M4V: video/x-m4v)
                brand("isom", mp4, qt), brand("iso2", mp4, qt), brand("iso3", mp4, qt), brand("iso4", mp4, qt),
                brand("iso5", mp4, qt), brand("iso6", mp4, qt), brand("iso7", mp4, qt), brand("iso8", mp4, qt),
                brand("iso9", mp4, qt), brand("mp41", mp4, mp4), brand("mp42", mp4, mp4), brand("avc1", mp4, qt),
                brand("dash", mp4, qt), brand("M4V ", mp4, "video/x-m4v"), brand("M4VH", mp4, "video/x-m4v"),
                brand("M4VP", mp4, "video/x-m4v"),
                // QuickTime
                brand("qt  ", qt, qt),
                // M4A
                brand("M4A ", "audio/mp4", "audio/mp4"), brand("M4B ", "audio/mp4", "audio/mp4"), brand("M4P ", "audio/mp4", qt),
                // HEIF: HEVC stills are image/heic, HEVC sequences image/heic-sequence, the generic brands image/heif(-sequence)
                brand("heic", "image/heic", "image/heic"), brand("heix", "image/heic", "image/heic"),
                brand("heim", "image/heic", qt), brand("heis", "image/heic", qt),
                brand("hevc", "image/heic-sequence", "image/heic-sequence"), brand("hevx", "image/heic-sequence", "image/heic-sequence"),
                brand("hevm", "image/heic-sequence", qt), brand("hevs", "image/heic-sequence", qt),
                brand("mif1", "image/heif", "image/heif"), brand("miaf", "image/heif", qt),
                brand("msf1", "image/heif-sequence", "image/heif-sequence"),
                // AVIF
                brand("avif", "image/avif", "image/avif"), brand("avis", "image/avif", qt),
                // 3GP
                brand("3gp4", "video/3gpp", "video/3gpp"), brand("3gp5", "video/3gpp", "video/3gpp"),
                brand("3gp6", "video/3gpp", "video/3gpp"), brand("3gp7", "video/3gpp", qt),
                brand("3g2a", "video/3gpp2", "video/3gpp2"));
    }

    private static org.junit.jupiter.params.provider.Arguments brand(String brand, String stowage, String tika) {
        return org.junit.jupiter.params.provider.Arguments.of(brand, stowage, tika);
    }

    @ParameterizedTest(name = "''{0}'' is {1} (Tika alone: {2})")
    @MethodSource("brands")
    void eachIsoBrandNamesItsType(String brand, String expected, String tika) throws IOException {
        byte[] box = ftyp(brand, brand);
        assertThat(detector.detect(new ByteArrayInputStream(box))).isEqualTo(expected);
        assertThat(detector.detect(write("clip", box))).as("through a file").isEqualTo(expected);
        assertThat(tikaAlone(box)).as("what Tika says alone").isEqualTo(tika);
        // the table holds exactly the brands Tika gets wrong
        assertThat(TypeDetector.BRAND_FIXES.containsKey(brand)).as("in BRAND_FIXES").isEqualTo(!expected.equals(tika)
                && !List.of("miaf").contains(brand)); // miaf: generic HEIF, classified by its compatible brands
    }

    @Test
    void anAndroidMp4IsAnMp4NotAQuickTimeMovie() throws IOException {
        // a phone camera's file: ftyp isom, compatible isom iso2 mp41 (the shape reported from the field)
        byte[] android = ftyp("isom", "isom", "iso2", "mp41");
        assertThat(tikaAlone(android)).isEqualTo("video/quicktime");
        assertThat(detector.detect(new ByteArrayInputStream(android))).isEqualTo("video/mp4");
        assertThat(TypeCheck.check("video/mp4", detector.detect(new ByteArrayInputStream(android)), new AllowedTypes()))
                .as("still not an allowed upload type").isInstanceOf(TypeVerdict.Rejected.class);
    }

    @Test
    void anUnknownMajorBrandIsNamedByItsFirstKnownCompatibleBrand() throws IOException {
        // a camera's own brand (Sony XAVC) listing MP4 brands
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("XAVC", "XAVC", "mp42", "iso2")))).isEqualTo("video/mp4");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("XAVC", "XAVC", "3gp6", "isom")))).isEqualTo("video/3gpp");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("XYZ1", "XYZ1", "M4A ")))).isEqualTo("audio/mp4");
        // a major brand Tika knows keeps Tika's answer, whatever the compatible brands: a Canon CR3 lists isom
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("crx ", "crx ", "isom")))).isEqualTo("image/x-canon-cr3");
        // the major brand wins over the compatible ones
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("qt  ", "qt  ", "isom")))).isEqualTo("video/quicktime");
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("M4A ", "M4A ", "isom", "mp42")))).isEqualTo("audio/mp4");
        // no brand known at all: Tika's answer for an ftyp box stands
        assertThat(detector.detect(new ByteArrayInputStream(ftyp("XYZ1", "XYZ2")))).isEqualTo("video/quicktime");
    }

    // ---- stream handling ----------------------------------------------------------------------

    @Test
    void aMarkableStreamIsResetForTheCaller() throws IOException {
        Path jpeg = images().getFirst();
        byte[] all = Files.readAllBytes(jpeg);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(jpeg))) {
            assertThat(detector.detect(in)).isEqualTo("image/jpeg");
            assertThat(in.readAllBytes()).isEqualTo(all);
        }
    }

    @Test
    void atMostTheHeadIsReadFromAStream() throws IOException {
        Path largest = images().stream().max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).orElseThrow();
        assertThat(Files.size(largest)).isGreaterThan(4L * TypeDetector.HEAD_BYTES);
        long[] read = {0};
        try (InputStream counting = new FilterInputStream(Files.newInputStream(largest)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) read[0]++;
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) read[0] += n;
                return n;
            }

            @Override
            public boolean markSupported() {
                return false;
            }
        }) {
            assertThat(detector.detect(counting)).isEqualTo(expected(largest));
        }
        assertThat(read[0]).isPositive().isLessThanOrEqualTo(TypeDetector.HEAD_BYTES);
    }

    /** Samples by name, for {@link TypeCheckTest}. */
    static Map<String, byte[]> officeSamples() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(DOCX, docx());
        m.put(XLSX, xlsx());
        m.put(PPTX, pptx());
        m.put(ODS, ods());
        return m;
    }
}

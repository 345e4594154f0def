package dev.stowage.uploads;

import static dev.stowage.uploads.TypeVerdict.TYPE_MISMATCH;
import static dev.stowage.uploads.TypeVerdict.TYPE_NOT_ALLOWED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TypeCheckTest {

    private final TypeDetector detector = new TypeDetector();
    private final AllowedTypes all = new AllowedTypes();

    @TempDir
    Path tmp;

    private static final Path JPG = Path.of("src/test/resources/fixtures/images/special/1x1.jpg");

    static List<Path> fixtures() throws IOException {
        var files = new java.util.ArrayList<>(TypeDetectorTest.images());
        files.addAll(TypeDetectorTest.docs());
        return files;
    }

    private TypeVerdict check(String declared, byte[] content) throws IOException {
        return TypeCheck.check(declared, detector.detect(Files.write(tmp.resolve("upload.bin"), content)), all);
    }

    private static void assertAccepted(TypeVerdict v, String mime) {
        assertThat(v).isInstanceOf(TypeVerdict.Accepted.class);
        assertThat(((TypeVerdict.Accepted) v).type().mimeType()).isEqualTo(mime);
    }

    private static TypeVerdict.Rejected assertRejected(TypeVerdict v, String code) {
        assertThat(v).isInstanceOf(TypeVerdict.Rejected.class);
        var r = (TypeVerdict.Rejected) v;
        assertThat(r.code()).as(r.reason()).isEqualTo(code);
        return r;
    }

    // ---- real files declared as what they are -------------------------------------------------

    @ParameterizedTest
    @MethodSource("fixtures")
    void everyFixtureDeclaredAsItselfIsAccepted(Path fixture) throws IOException {
        String type = TypeDetectorTest.expected(fixture);
        assertAccepted(TypeCheck.check(type, detector.detect(fixture), all), type);
    }

    @Test
    void officeSamplesDeclaredAsThemselvesAreAcceptedAndNotAsEachOther() throws IOException {
        Map<String, byte[]> samples = TypeDetectorTest.officeSamples();
        for (var sample : samples.entrySet()) {
            assertAccepted(check(sample.getKey(), sample.getValue()), sample.getKey());
            for (String other : samples.keySet()) {
                if (!other.equals(sample.getKey())) {
                    assertRejected(check(other, sample.getValue()), TYPE_MISMATCH);
                }
            }
        }
    }

    @Test
    void aDocmDeclaredAsDocxIsNotAllowed() throws IOException {
        byte[] docm = TypeDetectorTest.zip(TypeDetectorTest.docxEntries("application/vnd.ms-word.document.macroEnabled.main+xml", true));
        var r = assertRejected(check(TypeDetectorTest.DOCX, docm), TYPE_NOT_ALLOWED);
        assertThat(r.reason()).contains(TypeDetectorTest.DOCM);
    }

    // ---- hostile or wrong uploads ------------------------------------------------------------

    @Test
    void anElfDeclaredAsJpegIsNotAllowed() throws IOException {
        var r = assertRejected(check("image/jpeg", TypeDetectorTest.elf()), TYPE_NOT_ALLOWED);
        assertThat(r.reason()).contains("image/jpeg").containsPattern("application/x-(sharedlib|executable|elf)");
    }

    @Test
    void aWindowsExecutableIsNotAllowed() throws IOException {
        assertRejected(check("application/pdf", TypeDetectorTest.pe()), TYPE_NOT_ALLOWED);
        assertRejected(check("image/jpeg", TypeDetectorTest.handMadePe()), TYPE_NOT_ALLOWED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"image/jpeg", "image/svg+xml", "text/plain"})
    void svgWithScriptIsRejectedWhateverItIsDeclaredAs(String declared) throws IOException {
        var r = assertRejected(check(declared, TypeDetectorTest.SVG_WITH_SCRIPT.getBytes(StandardCharsets.UTF_8)), TYPE_NOT_ALLOWED);
        assertThat(r.reason()).contains("image/svg+xml");
    }

    @Test
    void junkNamedJpgIsRejected() throws IOException {
        Path junk = Files.write(tmp.resolve("photo.jpg"), TypeDetectorTest.junk());
        var r = assertRejected(TypeCheck.check("image/jpeg", detector.detect(junk), all), TYPE_NOT_ALLOWED);
        assertThat(r.reason()).contains("no recognised type").contains("image/jpeg");
    }

    @Test
    void aPngDeclaredAsJpegIsTakenAsPng() throws IOException {
        Path png = TypeDetectorTest.images().stream().filter(p -> p.toString().endsWith(".png")).findFirst().orElseThrow();
        assertAccepted(TypeCheck.check("image/jpeg", detector.detect(png), all), "image/png");
    }

    @Test
    void aJpegDeclaredAsHeicIsTakenAsJpeg() throws IOException {
        assertAccepted(TypeCheck.check("image/heic", detector.detect(JPG), all), "image/jpeg");
        assertAccepted(TypeCheck.check("image/heif", detector.detect(JPG), all), "image/jpeg");
    }

    @Test
    void theDetectedImageWinsOnlyWhenItIsAllowed() throws IOException {
        var noJpeg = new AllowedTypes(List.of("image/heic", "image/png"));
        assertRejected(TypeCheck.check("image/heic", detector.detect(JPG), noJpeg), TYPE_NOT_ALLOWED);
    }

    @Test
    void anImageDeclaredAsAnythingButAnImageIsStillAMismatch() throws IOException {
        assertRejected(TypeCheck.check("application/pdf", detector.detect(JPG), all), TYPE_MISMATCH);
        assertRejected(TypeCheck.check("text/plain", "image/png", all), TYPE_MISMATCH);
    }

    @ParameterizedTest
    @ValueSource(strings = {"image/jpeg", "image/heic", "image/png"})
    void htmlDeclaredAsAnImageStaysRejected(String declared) throws IOException {
        byte[] html = "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".getBytes(StandardCharsets.UTF_8);
        assertRejected(check(declared, html), TYPE_NOT_ALLOWED);
    }

    // ---- empty files --------------------------------------------------------------------------

    @Test
    void anEmptyFileIsAcceptedAsItsDeclaredType() throws IOException {
        String empty = detector.detect(InputStream.nullInputStream());
        assertAccepted(TypeCheck.check("text/plain", empty, "empty.txt", all), "text/plain");
        assertAccepted(TypeCheck.check("application/pdf", empty, "notes.pdf", all), "application/pdf");
        assertAccepted(TypeCheck.check("text/csv", empty, null, all), "text/csv");
    }

    @Test
    void anEmptyFileDeclaredAsAnImageIsAnEmptyImage() throws IOException {
        String empty = detector.detect(InputStream.nullInputStream());
        var r = assertRejected(TypeCheck.check("image/jpeg", empty, "photo", all), TypeVerdict.EMPTY_IMAGE);
        assertThat(r.reason()).contains("empty").contains("image/jpeg");
    }

    @ParameterizedTest
    @ValueSource(strings = {"empty.jpg", "EMPTY.JPEG", "a.png", "b.heic", "c.webp", "d.gif", "e.avif", "f.svg"})
    void anEmptyFileNamedAsAnImageIsAnEmptyImage(String name) throws IOException {
        String empty = detector.detect(InputStream.nullInputStream());
        assertRejected(TypeCheck.check("text/plain", empty, name, all), TypeVerdict.EMPTY_IMAGE);
        assertThat(TypeCheck.emptyImage(0, null, name)).get().extracting(TypeVerdict.Rejected::code).isEqualTo(TypeVerdict.EMPTY_IMAGE);
    }

    @Test
    void theEmptyImageRuleConcernsOnlyEmptyFiles() {
        assertThat(TypeCheck.emptyImage(1, "image/jpeg", "a.jpg")).isEmpty();
        assertThat(TypeCheck.emptyImage(0, "text/plain", "empty.txt")).isEmpty();
        assertThat(TypeCheck.emptyImage(0, null, "jpg")).isEmpty();
        assertThat(TypeCheck.emptyImage(0, null, "photos.jpg/readme")).isEmpty();
        assertThat(TypeCheck.emptyImage(0, null, null)).isEmpty();
    }

    @Test
    void anEmptyFileOfATypeNotAllowedIsRejected() throws IOException {
        String empty = detector.detect(InputStream.nullInputStream());
        assertRejected(TypeCheck.check("application/x-msdownload", empty, "a.exe", all), TYPE_NOT_ALLOWED);
        assertRejected(TypeCheck.check("text/plain", null, all), TYPE_NOT_ALLOWED);
    }

    @Test
    void anUndecidedDeclarationTakesTheDetectedTypeWhenItIsAllowed() throws IOException {
        // no type, or application/octet-stream (a browser's empty File.type): the bytes decide
        Path png = TypeDetectorTest.images().stream().filter(p -> p.toString().endsWith(".png")).findFirst().orElseThrow();
        for (String undecided : new String[] {null, "", "  ", "application/octet-stream", "Application/Octet-Stream; x=1"}) {
            assertThat(TypeCheck.undecided(undecided)).as(undecided).isTrue();
            assertAccepted(TypeCheck.check(undecided, detector.detect(png), all), "image/png");
        }
        assertAccepted(TypeCheck.check("application/octet-stream", "text/plain", all), "text/plain");
        assertAccepted(TypeCheck.check("application/octet-stream", "image/heif", all), "image/heic");
        assertAccepted(check("application/octet-stream", TypeDetectorTest.docx()), TypeDetectorTest.DOCX);
        assertThat(TypeCheck.undecided("image/png")).isFalse();
        assertThat(TypeCheck.undecided("application/octet-streams")).isFalse();
    }

    @Test
    void anUndecidedDeclarationOfADisallowedTypeIsRejectedAsNotAllowed() throws IOException {
        var elf = assertRejected(check("application/octet-stream", TypeDetectorTest.elf()), TYPE_NOT_ALLOWED);
        assertThat(elf.reason()).containsPattern("the content is application/x-(sharedlib|executable|elf), which is not an allowed type")
                .contains("declared application/octet-stream");
        var junk = assertRejected(TypeCheck.check(null, "application/octet-stream", all), TYPE_NOT_ALLOWED);
        assertThat(junk.reason()).contains("of no recognised type").contains("declared no type");
        assertRejected(TypeCheck.check("application/octet-stream", "video/mp4", all), TYPE_NOT_ALLOWED);
        // an allowed type this deployment narrowed away
        assertRejected(TypeCheck.check("application/octet-stream", "image/png", new AllowedTypes(List.of("application/pdf"))), TYPE_NOT_ALLOWED);
        // an empty file has no bytes to decide from
        assertRejected(TypeCheck.check("application/octet-stream", TypeDetector.EMPTY, "notes", all), TYPE_NOT_ALLOWED);
    }

    // ---- agreement rules ----------------------------------------------------------------------

    @Test
    void csvDeclaredAsCsvIsAcceptedAsCsv() throws IOException {
        byte[] csv = TypeDetectorTest.CSV.getBytes(StandardCharsets.UTF_8);
        assertThat(detector.detect(new ByteArrayInputStream(csv))).isEqualTo("text/plain");
        assertAccepted(check("text/csv", csv), "text/csv");
        assertAccepted(check("Text/CSV; charset=utf-8", csv), "text/csv");
        assertAccepted(check("text/plain", csv), "text/plain");
        assertAccepted(TypeCheck.check("text/plain", "text/csv", all), "text/plain");
    }

    @Test
    void heicAndHeifAgree() throws IOException {
        Path heic = TypeDetectorTest.images().stream().filter(p -> p.toString().endsWith(".heic")).findFirst().orElseThrow();
        assertAccepted(TypeCheck.check("image/heif", detector.detect(heic), all), "image/heic");
        assertAccepted(TypeCheck.check("image/heic", "image/heif", all), "image/heic");
        assertAccepted(TypeCheck.check("image/heif", "image/heif", all), "image/heic");
        assertAccepted(TypeCheck.check("image/avif", detector.detect(heic), all), "image/heic");
    }

    @Test
    void otherTypesDoNotAgree() {
        assertRejected(TypeCheck.check("text/csv", "application/pdf", all), TYPE_MISMATCH);
        assertRejected(TypeCheck.check("image/png", "text/plain", all), TYPE_MISMATCH);
        assertRejected(TypeCheck.check("application/pdf", "image/png", all), TYPE_MISMATCH);
        assertAccepted(TypeCheck.check("IMAGE/PNG", "image/png", all), "image/png");
    }

    @Test
    void aNarrowedAllowListRejectsTheRest() throws IOException {
        var imagesOnly = new AllowedTypes(List.of("image/jpeg", "image/png", "text/plain"));
        Path png = TypeDetectorTest.images().stream().filter(p -> p.toString().endsWith(".png")).findFirst().orElseThrow();
        assertAccepted(TypeCheck.check("image/png", detector.detect(png), imagesOnly), "image/png");
        Path pdf = TypeDetectorTest.docs().stream().filter(p -> p.toString().endsWith(".pdf")).findFirst().orElseThrow();
        assertRejected(TypeCheck.check("application/pdf", detector.detect(pdf), imagesOnly), TYPE_NOT_ALLOWED);
        // CSV agrees with plain text, but CSV itself is not allowed here
        var r = assertRejected(TypeCheck.check("text/csv", "text/plain", imagesOnly), TYPE_NOT_ALLOWED);
        assertThat(r.reason()).contains("declared type text/csv");
    }

    // ---- the allow-list itself ----------------------------------------------------------------

    @Test
    void theDefaultAllowListHasTheFourteenTypes() {
        assertThat(AllowedTypes.defaults()).containsExactly(
                "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif", "application/pdf",
                TypeDetectorTest.DOCX, TypeDetectorTest.XLSX, TypeDetectorTest.PPTX, TypeDetectorTest.ODT, TypeDetectorTest.ODS,
                "text/plain", "text/csv");
        assertThat(all.all()).extracting(FileType::mimeType).containsExactlyElementsOf(AllowedTypes.defaults());
        assertThat(new AllowedTypes(List.of()).all()).isEqualTo(all.all());
        assertThat(all.all()).noneMatch(FileType::active);
        assertThat(all.byMime("image/jpeg")).get().satisfies(t -> {
            assertThat(t.family()).isEqualTo("image");
            assertThat(t.extensions()).containsExactly("jpg", "jpeg");
        });
        assertThat(all.byMime("application/pdf")).get().extracting(FileType::family).isEqualTo("pdf");
        assertThat(all.byMime(TypeDetectorTest.ODS)).get().extracting(FileType::family).isEqualTo("document");
        assertThat(all.byMime("text/csv")).get().extracting(FileType::family).isEqualTo("text");
    }

    @Test
    void lookupsIgnoreCaseAndParameters() {
        assertThat(all.byMime("Text/CSV; charset=utf-8")).get().extracting(FileType::mimeType).isEqualTo("text/csv");
        assertThat(all.byMime(" IMAGE/JPEG ")).get().extracting(FileType::mimeType).isEqualTo("image/jpeg");
        assertThat(all.byMime("image/heif")).get().extracting(FileType::mimeType).isEqualTo("image/heic");
        assertThat(all.allows("image/svg+xml")).isFalse();
        assertThat(all.allows(null)).isFalse();
        assertThat(all.allows("")).isFalse();
        assertThat(all.allows("image/jpeg2")).isFalse();
    }

    @Test
    void aNarrowedListKeepsOnlyItsTypes() {
        var narrowed = new AllowedTypes(List.of("application/pdf", "IMAGE/PNG", "image/png"));
        assertThat(narrowed.all()).extracting(FileType::mimeType).containsExactly("image/png", "application/pdf");
        assertThat(narrowed.allows("image/jpeg")).isFalse();
        assertThat(narrowed.allows("image/png; q=1")).isTrue();
    }

    @Test
    void unknownNamesInTheAllowListAreNamedInTheError() {
        assertThatThrownBy(() -> new AllowedTypes(List.of("image/jpeg", "image/svg+xml", "application/x-msdownload")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'image/svg+xml'")
                .hasMessageContaining("'application/x-msdownload'")
                .hasMessageNotContaining("'image/jpeg'");
        assertThatThrownBy(() -> new AllowedTypes(null)).isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"image/svg+xml", "text/html", "TEXT/HTML; charset=utf-8", "application/xhtml+xml",
            "application/xml", "text/xml", "text/javascript", "application/javascript", "application/rss+xml",
            "application/x-msdownload", "application/octet-stream", "image/bmp", "", "nonsense"})
    void activeOrUnknownContentIsNeverInline(String mime) {
        assertThat(AllowedTypes.isActiveContent(mime)).isTrue();
    }

    @Test
    void knownInertTypesMayBeInline() {
        assertThat(AllowedTypes.isActiveContent(null)).isTrue();
        for (String m : AllowedTypes.defaults()) assertThat(AllowedTypes.isActiveContent(m)).as(m).isFalse();
        assertThat(AllowedTypes.isActiveContent("text/plain; charset=utf-8")).isFalse();
        assertThat(AllowedTypes.isActiveContent("image/heif")).isFalse();
    }
}

package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.storage.FilenameSanitizer;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Edge inputs, one rule each (docs/architecture.md §3, §4): empty files, an image declared as another image
 * format, names in NFD or with control characters. Run on every store the tests have: this class on the
 * embedded one, {@link EdgeInputsOnCephRgwIT} on Ceph RGW (a zero-byte PUT or an NFD key may behave differently there).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EdgeInputsIT {
    Harness h;

    /** The stack the cases run against. */
    Harness harness() {
        return new Harness();
    }

    @BeforeAll
    void start() {
        h = harness();
    }

    @AfterAll
    void stop() {
        if (h != null) h.close();
    }

    private JsonNode settle(String user, String id) {
        return h.awaitSettled(user, id, Duration.ofSeconds(60));
    }

    private Harness.Resp content(String user, String id) {
        var r = h.call("GET", "/v1/files/" + id + "/content", user, null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(302);
        return r;
    }

    @Test
    void anEmptyTextFileIsReadyAndServedAsZeroBytes() {
        String id = h.upload("edgar", "empty.txt", "text/plain", new byte[0]);
        JsonNode f = settle("edgar", id);
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(f.path("size").asLong()).isZero();
        assertThat(f.path("contentType").asText()).isEqualTo("text/plain");
        assertThat(f.path("sha256").asText()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        var download = Harness.getBytes(content("edgar", id).raw().headers().firstValue("Location").orElseThrow());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEmpty();
        assertThat(download.headers().firstValue("Content-Disposition").orElseThrow())
                .isEqualTo("inline; filename=\"empty.txt\"; filename*=UTF-8''empty.txt");
        assertThat(h.call("GET", "/v1/usage", "edgar", null).json().path("reservedBytes").asLong()).isZero();
    }

    @Test
    void anEmptyJpgIsRejectedAsAnEmptyImageWhateverItIsDeclaredAs() {
        for (var body : List.of(Map.of("filename", "empty.jpg", "size", 0, "contentType", "image/jpeg"),
                Map.of("filename", "empty.jpg", "size", 0, "contentType", "text/plain"),
                Map.of("filename", "empty", "size", 0, "contentType", "image/png"))) {
            var r = h.call("POST", "/v1/uploads", "edith", body);
            assertThat(r.status()).as(body + " → " + r.raw().body()).isEqualTo(400);
            assertThat(r.json().path("code").asText()).isEqualTo("empty_image");
        }
        assertThat(h.call("GET", "/v1/files", "edith", null).json().path("items")).isEmpty();
        assertThat(h.call("GET", "/v1/usage", "edith", null).json().path("reservedBytes").asLong()).isZero();
    }

    @Test
    void aJpegDeclaredAsHeicIsReadyAsJpeg() throws Exception {
        byte[] jpeg = Files.readAllBytes(TestServers.fixture("images/special/1x1.jpg"));
        String id = h.upload("erwin", "IMG_0001.heic", "image/heic", jpeg);
        JsonNode f = settle("erwin", id);
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(f.path("contentType").asText()).isEqualTo("image/jpeg");
        var download = Harness.getBytes(content("erwin", id).raw().headers().firstValue("Location").orElseThrow());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("image/jpeg");
    }

    @Test
    void anSvgDeclaredAsAnImageStaysRejected() {
        byte[] svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".getBytes(StandardCharsets.UTF_8);
        String id = h.upload("esme", "logo.png", "image/png", svg);
        JsonNode f = settle("esme", id);
        assertThat(f.path("status").asText()).isEqualTo("rejected");
        assertThat(f.at("/reason/code").asText()).isEqualTo("type_not_allowed");
    }

    @Test
    void nfcAndNfdResumeAreListedAndServedUnderTheSameNfcName() throws Exception {
        byte[] pdf = Files.readAllBytes(TestServers.fixture("docs/libtasn1.pdf"));
        String nfd = "Re\u0301sume\u0301.pdf";
        String nfc = "R\u00e9sum\u00e9.pdf";
        List<String> ids = new ArrayList<>();
        for (String name : List.of(nfd, nfc)) ids.add(h.upload("elise", name, "application/pdf", pdf));
        for (String id : ids) assertThat(settle("elise", id).path("status").asText()).isEqualTo("ready");

        List<String> listed = new ArrayList<>();
        h.call("GET", "/v1/files", "elise", null).json().path("items").forEach(i -> listed.add(i.path("name").asText()));
        assertThat(listed).containsExactly(nfc, nfc);
        for (String id : ids) {
            var download = Harness.getBytes(content("elise", id).raw().headers().firstValue("Location").orElseThrow());
            assertThat(download.statusCode()).isEqualTo(200);
            assertThat(download.headers().firstValue("Content-Disposition").orElseThrow())
                    .isEqualTo("inline; filename=\"Resume.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf");
        }
        // the exact name given is kept: its bytes in the row (only where the stored name does not spell them) and the metadata
        byte[] nfdBytes = h.stowage.db().jdbi().withHandle(x -> x.createQuery("select original_name_bytes from files where id = cast(:id as uuid)")
                .bind("id", ids.get(0)).mapTo(byte[].class).one());
        assertThat(nfdBytes).isEqualTo(nfd.getBytes(StandardCharsets.UTF_8));
        byte[] nfcBytes = h.stowage.db().jdbi().withHandle(x -> x.createQuery("select original_name_bytes from files where id = cast(:id as uuid)")
                .bind("id", ids.get(1)).mapTo(byte[].class).findOne().orElse(null));
        assertThat(nfcBytes).isNull();
        var row = h.stowage.files().find(java.util.UUID.fromString(ids.get(0))).orElseThrow();
        var head = h.stowage.s3().client().headObject(r -> r.bucket(row.bucket()).key(row.objectKey()));
        assertThat(head.metadata()).containsEntry("original-filename", FilenameSanitizer.metadataValue(nfd));
    }

    @Test
    void controlCharactersInANameNeverReachTheListingOrContentDisposition() {
        String id = h.upload("ezra", "report\r\nSet-Cookie: a=b\u2028.txt", "text/plain", "hello".getBytes(StandardCharsets.UTF_8));
        JsonNode f = settle("ezra", id);
        assertThat(f.path("status").asText()).isEqualTo("ready");
        assertThat(f.path("name").asText()).isEqualTo("reportSet-Cookie: a=b.txt");
        String cd = Harness.getBytes(content("ezra", id).raw().headers().firstValue("Location").orElseThrow())
                .headers().firstValue("Content-Disposition").orElseThrow();
        assertThat(cd).isEqualTo("inline; filename=\"reportSet-Cookie: a=b.txt\"; filename*=UTF-8''reportSet-Cookie%3A%20a%3Db.txt");
    }
}

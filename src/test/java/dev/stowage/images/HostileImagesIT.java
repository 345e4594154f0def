package dev.stowage.images;

import static dev.stowage.images.DamagedImageStripTest.hasGpsOrArtist;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Fixtures;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * No image is served with its metadata or as a bomb (docs/architecture.md §6), on both stores the tests have
 * (embedded S3Proxy and Ceph RGW): decompression bombs are rejected at verification ({@code image_too_large},
 * object deleted, bytes released, nothing served); a truncated JPEG carrying GPS and an Artist is served, as
 * content and as every variant that exists, without either (read back with metadata-extractor); an image with no
 * stripped copy is only ever an attachment, and its file view says why.
 */
class HostileImagesIT {

    private static Harness embedded() {
        return new Harness();
    }

    private static Harness rgw() {
        return Harness.onCephRgw();
    }

    @Test
    void bombsAreRejectedAndATruncatedJpegIsServedWithoutGpsOrArtist() throws Exception {
        try (var h = embedded()) {
            bombsAreRejectedAtVerificationAndNothingOfThemIsServed(h);
            aTruncatedJpegIsServedWithoutItsGpsAndArtist(h);
            aPngThatLiesAboutAChunkLengthIsOnlyAnAttachment(h);
        }
    }

    @Test
    void bombsAreRejectedAndATruncatedJpegIsServedWithoutGpsOrArtistOnCephRgw() throws Exception {
        try (var h = rgw()) {
            bombsAreRejectedAtVerificationAndNothingOfThemIsServed(h);
            aTruncatedJpegIsServedWithoutItsGpsAndArtist(h);
        }
    }

    @Test
    void aHeicWithTheJavaEngineIsAnAttachmentThatSaysWhy() throws Exception {
        StowageConfig c = TestServers.embeddedConfig(Map.of("STOWAGE_IMAGE_ENGINE", "java"));
        try (var h = new Harness(c, TestServers.embeddedCredentials())) {
            byte[] heic = Files.readAllBytes(TestServers.fixture("images/special/heic_Wood.heic"));
            JsonNode f = settled(h, "hana", h.upload("hana", "Wood.heic", "image/heic", heic));
            assertThat(f.path("status").asText()).isEqualTo("ready");
            assertThat(f.at("/variantsReason/code").asText()).isEqualTo("unsupported_image");
            assertThat(f.path("delivery").toString()).isEqualTo("{\"servedAs\":\"attachment\",\"disposition\":\"attachment\",\"reason\":\"unsupported_image\"}");
            String url = location(h.call("GET", "/v1/files/" + f.path("id").asText() + "/content", "hana", null));
            assertThat(URLDecoder.decode(url, StandardCharsets.UTF_8)).contains("response-content-disposition=attachment");
            assertThat(Harness.getBytes(url).headers().firstValue("Content-Disposition").orElse("")).startsWith("attachment");
        }
    }

    // ---- the cases, on a given store ------------------------------------------------------------------

    private static void bombsAreRejectedAtVerificationAndNothingOfThemIsServed(Harness h) throws Exception {
        for (String bomb : List.of(Fixtures.BOMB_TALL, Fixtures.BOMB_HEADER_ONLY)) {
            byte[] bytes = Files.readAllBytes(Fixtures.path(bomb));
            String id = h.upload("bea", bomb.substring(bomb.lastIndexOf('/') + 1), "image/png", bytes);
            JsonNode f = h.awaitSettled("bea", id, Duration.ofSeconds(60));
            assertThat(f.path("status").asText()).as(bomb + ": " + f).isEqualTo("rejected");
            assertThat(f.at("/reason/code").asText()).isEqualTo("image_too_large");
            assertThat(f.at("/reason/message").asText()).containsPattern("\\d+x\\d+");
            assertThat(f.path("scan").path("result").isNull()).as("rejected before the scan").isTrue();
            // nothing served: no content, no variant of any name
            var content = h.call("GET", "/v1/files/" + id + "/content", "bea", null);
            assertThat(content.status()).isEqualTo(409);
            assertThat(content.json().path("code").asText()).isEqualTo("file_not_ready");
            for (String v : VariantService.NAMES) assertThat(h.call("GET", "/v1/files/" + id + "/variants/" + v, "bea", null).status()).as(v).isEqualTo(404);
            // the object is deleted and no variant was ever written
            var row = h.stowage.files().find(UUID.fromString(id)).orElseThrow();
            // the status moves before the object goes (§4): wait for the removal rather than race it
            assertThat(h.awaitNoObjects(row.bucket(), row.objectKey(), Duration.ofSeconds(20))).as("raw object").isEmpty();
            assertThat(h.stowage.store().head(row.bucket(), row.objectKey())).as("raw object").isEmpty();
            assertThat(h.stowage.variants().list(UUID.fromString(id))).isEmpty();
        }
        JsonNode usage = h.call("GET", "/v1/usage", "bea", null).json();
        assertThat(usage.path("reservedBytes").asLong()).as("bytes released").isZero();
        assertThat(usage.path("usedBytes").asLong()).isZero();
    }

    private static void aTruncatedJpegIsServedWithoutItsGpsAndArtist(Harness h) throws Exception {
        byte[] bytes = Files.readAllBytes(Fixtures.path(Fixtures.TRUNCATED_GPS_ARTIST));
        assertThat(hasGpsOrArtist(bytes)).as("the upload carries GPS and Artist").isTrue();
        JsonNode f = settled(h, "gus", h.upload("gus", "holiday.jpg", "image/jpeg", bytes));
        String id = f.path("id").asText();
        assertThat(f.path("status").asText()).isEqualTo("ready");
        assertThat(f.path("variantsStatus").asText()).as(f.toString()).isEqualTo("failed");
        assertThat(f.at("/variantsReason/code").asText()).isEqualTo("corrupt_image");
        assertThat(f.path("delivery").toString()).isEqualTo("{\"servedAs\":\"stripped\",\"disposition\":\"inline\"}");

        // the download: the stripped original from the processed bucket, inline, no GPS, no Artist
        String url = location(h.call("GET", "/v1/files/" + id + "/content", "gus", null));
        assertThat(url).contains(h.config.storage().buckets().processed());
        byte[] content = Harness.getBytes(url).body();
        assertThat(content).isNotEqualTo(bytes);
        assertThat(hasGpsOrArtist(content)).as("GPS or Artist in the download").isFalse();
        assertThat(ImageProbe.probe(content).width()).isEqualTo(1920);

        // every variant that can be fetched carries neither; the previews that failed are not served at all
        int served = 0;
        for (String v : VariantService.NAMES) {
            var r = h.call("GET", "/v1/files/" + id + "/variants/" + v, "gus", null);
            if (r.status() == 302) {
                assertThat(hasGpsOrArtist(Harness.getBytes(location(r)).body())).as(v).isFalse();
                served++;
            } else {
                assertThat(r.status()).as(v).isEqualTo(409);
                assertThat(r.json().path("code").asText()).isEqualTo("variants_failed");
            }
        }
        assertThat(served).as("the original variant is served").isEqualTo(1);
        for (var v : h.stowage.variants().list(UUID.fromString(id))) {
            assertThat(hasGpsOrArtist(h.stowage.store().getBytes(v.bucket(), v.key()))).as("stored " + v.name()).isFalse();
        }
    }

    private static void aPngThatLiesAboutAChunkLengthIsOnlyAnAttachment(Harness h) throws Exception {
        byte[] bytes = Files.readAllBytes(Fixtures.path(Fixtures.LYING_TEXT_LENGTH));
        JsonNode f = settled(h, "lia", h.upload("lia", "lying.png", "image/png", bytes));
        assertThat(f.path("status").asText()).isEqualTo("ready");
        assertThat(f.at("/variantsReason/code").asText()).isEqualTo("corrupt_image");
        assertThat(f.path("variants")).isEmpty();
        assertThat(f.path("delivery").toString()).isEqualTo("{\"servedAs\":\"attachment\",\"disposition\":\"attachment\",\"reason\":\"corrupt_image\"}");
        String url = location(h.call("GET", "/v1/files/" + f.path("id").asText() + "/content", "lia", null));
        assertThat(URLDecoder.decode(url, StandardCharsets.UTF_8)).contains("response-content-disposition=attachment");
    }

    // ---- helpers -------------------------------------------------------------------------------------

    /** Waits for the file to leave the upload states and, for an image, for its variants to settle; returns its view. */
    static JsonNode settled(Harness h, String user, String id) throws InterruptedException {
        h.awaitSettled(user, id, Duration.ofSeconds(60));
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode f = null;
        while (System.nanoTime() < end) {
            f = h.call("GET", "/v1/files/" + id, user, null).json();
            if (!f.path("variantsStatus").asText().equals("pending")) return f;
            Thread.sleep(100);
        }
        throw new AssertionError("variants did not settle: " + f);
    }

    static String location(Harness.Resp r) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(302);
        return r.raw().headers().firstValue("Location").orElseThrow();
    }
}

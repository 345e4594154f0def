package dev.stowage.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Variants made by the worker after upload, stored content-addressed and immutable, plus the on-demand fallback. */
class ImagePipelineIT {
    static Harness h;

    @BeforeAll
    static void start() {
        // single PUTs up to 50 MB so every fixture goes up the same way
        h = new Harness(Map.of(), c -> c.withUploads(new StowageConfig.Uploads(c.uploads().maxSizeBytes(), 50_000_000L,
                c.uploads().partSizeBytes(), c.uploads().urlTtl(), c.uploads().sessionTtl(), c.uploads().downloadUrlTtl(),
                List.of(), Map.of("free", 2_000_000_000L), c.uploads().reconcileInterval())));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static String type(String name) {
        String n = name.toLowerCase();
        if (n.endsWith(".jpg")) return "image/jpeg";
        if (n.endsWith(".png")) return "image/png";
        if (n.endsWith(".gif")) return "image/gif";
        if (n.endsWith(".webp")) return "image/webp";
        if (n.endsWith(".heic")) return "image/heic";
        if (n.endsWith(".avif")) return "image/avif";
        throw new IllegalArgumentException(name);
    }

    /** Uploads, waits for ready, then for the variants to settle. */
    static JsonNode uploadImage(String user, Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", file.getFileName().toString(), "size", bytes.length,
                "contentType", type(file.getFileName().toString())));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        String id = init.json().path("fileId").asText();
        h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        JsonNode f = h.awaitSettled(user, id, Duration.ofSeconds(60));
        if (!f.path("status").asText().equals("ready")) return f; // e.g. a decompression bomb, rejected at verification
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            String vs = variantsStatus(id);
            if (vs.equals("ready") || vs.equals("failed")) return h.call("GET", "/v1/files/" + id, user, null).json();
            Thread.sleep(100);
        }
        throw new AssertionError("variants of " + file + " did not settle: " + f);
    }

    static String variantsStatus(String id) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select variants_status from files where id = cast(:id as uuid)")
                .bind("id", id).mapTo(String.class).one());
    }

    static String variantsReason(String id) {
        return h.stowage.files().jdbi().withHandle(x -> x.createQuery("select variants_reason_code from files where id = cast(:id as uuid)")
                .bind("id", id).mapTo(String.class).one());
    }

    static JsonNode variant(JsonNode file, String name) {
        for (JsonNode v : file.path("variants")) if (v.path("name").asText().equals(name)) return v;
        throw new AssertionError("no variant " + name + " in " + file);
    }

    @Test
    void aPhonePhotoGetsUprightVariantsAndAnOriginalWithoutGps() throws Exception {
        JsonNode f = uploadImage("pia", TestServers.fixture("images/photos/derived_phone_o6_gps.jpg"));
        String id = f.path("id").asText();
        assertThat(variantsStatus(id)).isEqualTo("ready");
        JsonNode thumb = variant(f, "thumb"), medium = variant(f, "medium"), original = variant(f, "original");
        assertThat(thumb.path("width").asInt()).isEqualTo(150);
        assertThat(thumb.path("height").asInt()).isEqualTo(150);
        assertThat(thumb.path("contentType").asText()).isEqualTo("image/webp");
        // stored 1920×2560 with orientation 6: displays 2560×1920, so medium is 800×600 (landscape)
        assertThat(medium.path("width").asInt()).isEqualTo(800);
        assertThat(medium.path("height").asInt()).isBetween(599, 601);
        assertThat(original.path("contentType").asText()).isEqualTo("image/jpeg");

        // stored under content-addressed keys with immutable cache headers
        var rows = h.stowage.variants().list(java.util.UUID.fromString(id));
        assertThat(rows).hasSize(3);
        for (var v : rows) {
            assertThat(v.key()).matches("pia/" + id + "/" + v.name() + "-[0-9a-f]{12}\\.(webp|jpg)");
            var head = h.stowage.s3().client().headObject(r -> r.bucket(v.bucket()).key(v.key()));
            assertThat(head.cacheControl()).isEqualTo("public, max-age=31536000, immutable");
            assertThat(head.contentType()).isEqualTo(v.contentType());
        }
        // the variant link redirects to the stored object
        var link = h.call("GET", "/v1/files/" + id + "/variants/thumb", "pia", null);
        assertThat(link.status()).isEqualTo(302);
        byte[] thumbBytes = Harness.getBytes(link.raw().headers().firstValue("Location").orElseThrow()).body();
        assertThat(new String(thumbBytes, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");

        // the download is the stripped original: no GPS, no XMP, no maker notes — only the orientation tag
        var content = h.call("GET", "/v1/files/" + id + "/content", "pia", null);
        byte[] downloaded = Harness.getBytes(content.raw().headers().firstValue("Location").orElseThrow()).body();
        String text = new String(downloaded, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain("GPS", "http://ns.adobe.com/xap", "Photoshop 3.0");
        assertThat(ImageProbe.probe(downloaded).orientation()).isEqualTo(6);
        assertThat(downloaded.length).isLessThan((int) Files.size(TestServers.fixture("images/photos/derived_phone_o6_gps.jpg")));
        assertThat(ImageIO.read(new ByteArrayInputStream(downloaded))).isNotNull();
    }

    @Test
    void everySpecialFixtureEndsWithVariantsOrAReasonAndNothingCrashes() throws Exception {
        Map<String, String> outcome = new HashMap<>();
        try (var files = Files.list(TestServers.fixture("images/special"))) {
            for (Path p : files.sorted().toList()) {
                JsonNode f = uploadImage("sam", p);
                String id = f.path("id").asText();
                if (f.path("status").asText().equals("rejected")) {
                    outcome.put(p.getFileName().toString(), "rejected:" + f.at("/reason/code").asText());
                    assertThat(h.call("GET", "/v1/files/" + id + "/content", "sam", null).status()).isEqualTo(409);
                    continue;
                }
                String st = variantsStatus(id);
                outcome.put(p.getFileName().toString(), st.equals("ready") ? "ready" : "failed:" + variantsReason(id));
                // the file itself stays downloadable either way: stripped, or as an attachment when it cannot be
                var content = h.call("GET", "/v1/files/" + id + "/content", "sam", null);
                assertThat(content.status()).isEqualTo(302);
                String servedAs = h.call("GET", "/v1/files/" + id, "sam", null).json().at("/delivery/servedAs").asText();
                assertThat(servedAs).as(p.getFileName().toString()).isIn("stripped", "attachment");
                if (servedAs.equals("attachment")) {
                    assertThat(java.net.URLDecoder.decode(content.raw().headers().firstValue("Location").orElseThrow(), StandardCharsets.UTF_8))
                            .contains("response-content-disposition=attachment");
                }
            }
        }
        // decompression bombs never become ready; a truncated JPEG is served as its stripped original
        assertThat(outcome).containsEntry("bomb_header_only_50000x50000.png", "rejected:image_too_large")
                .containsEntry("bomb_50000x50000_1bit.png", "rejected:image_too_large")
                .containsEntry("truncated_Storm.jpg", "failed:corrupt_image")
                .containsEntry("1x1.jpg", "ready").containsEntry("1x1.png", "ready")
                .containsEntry("cmyk_Garden.jpg", "ready").containsEntry("adobergb_LadyBird.jpg", "ready")
                .containsEntry("alpha_YellowFlower.png", "ready").containsEntry("palette_trns_YellowFlower.png", "ready")
                .containsEntry("png16_Storm.png", "ready").containsEntry("animated_LadyBird.gif", "ready")
                .containsEntry("progressive_Kleiber.jpg", "ready").containsEntry("huge_8000x6000.jpg", "ready");
        for (int i = 1; i <= 8; i++) assertThat(outcome).containsEntry("orient_" + i + ".jpg", "ready");
        // HEIC and AVIF: variants with the libvips engine (images.engine = auto picks it when it loads), a
        // stated reason with the pure-Java one
        boolean libvips = Engines.select(StowageConfig.Images.DEFAULT) instanceof VipsImageEngine;
        String heif = libvips ? "ready" : "failed:unsupported_image";
        assertThat(outcome).containsEntry("heic_Wood.heic", heif).containsEntry("avif_Garden.avif", heif);
        assertThat(outcome.values()).allMatch(v -> v.equals("ready") || v.startsWith("failed:") || v.equals("rejected:image_too_large"));
    }

    @Test
    void aVariantOfAFileStillUploadingIsNotReadyRatherThanMissing() {
        var init = h.call("POST", "/v1/uploads", "pia", Map.of("filename", "p.jpg", "size", 1000, "contentType", "image/jpeg"));
        assertThat(init.status()).isEqualTo(201);
        String id = init.json().path("fileId").asText();
        var r = h.call("GET", "/v1/files/" + id + "/variants/thumb", "pia", null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(409);
        assertThat(r.json().path("code").asText()).isEqualTo("file_not_ready");
        assertThat(h.call("GET", "/v1/files/" + id + "/variants/thumb", "mallory", null).status()).isEqualTo(404);
        assertThat(h.call("DELETE", "/v1/uploads/" + id, "pia", null).status()).isEqualTo(204);
    }

    @Test
    void concurrentRequestsForAMissingVariantGenerateItOnce() throws Exception {
        JsonNode f = uploadImage("uma", TestServers.fixture("images/photos/mate_GreenMeadow.jpg"));
        String id = f.path("id").asText();
        var thumb = h.stowage.variants().list(java.util.UUID.fromString(id)).stream().filter(v -> v.name().equals("thumb")).findFirst().orElseThrow();
        // lose the thumb: row and object
        h.stowage.files().jdbi().useHandle(x -> x.execute("delete from variants where file_id = cast(? as uuid) and name = 'thumb'", id));
        h.stowage.s3().client().deleteObject(r -> r.bucket(thumb.bucket()).key(thumb.key()));
        long before = h.stowage.variants().generated();
        long readsBefore = h.stowage.variants().sourceReads();

        List<Future<Harness.Resp>> calls = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 20; i++) calls.add(pool.submit(() -> h.call("GET", "/v1/files/" + id + "/variants/thumb", "uma", null)));
        }
        for (var c : calls) {
            var r = c.get();
            assertThat(r.status()).isIn(200, 302);
            if (r.status() == 200) {
                assertThat(r.raw().headers().firstValue("Cache-Control")).contains("public, max-age=31536000, immutable");
                assertThat(r.raw().headers().firstValue("Content-Type")).contains("image/webp");
            }
        }
        assertThat(h.stowage.variants().generated() - before).as("generations").isEqualTo(1);
        assertThat(h.stowage.variants().sourceReads() - readsBefore).as("raw object downloads (the waiting requests read none)").isEqualTo(1);
        var objects = h.stowage.s3().client().listObjectsV2(r -> r.bucket(thumb.bucket()).prefix("uma/" + id + "/thumb-")).contents();
        assertThat(objects).hasSize(1);
        assertThat(h.call("GET", "/v1/files/" + id + "/variants/thumb", "uma", null).status()).as("the 21st").isEqualTo(302);
        assertThat(h.call("GET", "/v1/files/" + id + "/variants/thumb", "mallory", null).status()).isEqualTo(404);
        assertThat(h.call("GET", "/v1/files/" + id + "/variants/huge", "uma", null).status()).isEqualTo(404);
    }

    @Test
    void reprocessingAfterARecipeChangeMovesVariantsToNewKeysAndRemovesTheOldObjects() throws Exception {
        JsonNode f = uploadImage("wes", TestServers.fixture("images/photos/mate_FreshFlower.jpg"));
        var id = java.util.UUID.fromString(f.path("id").asText());
        String processed = h.config.storage().buckets().processed();
        // variants made by an older recipe: other digests, other keys
        var current = h.stowage.variants().list(id);
        for (var v : current) {
            String oldKey = v.key().replace("-" + v.digest() + ".", "-0123456789ab.");
            h.stowage.s3().client().copyObject(r -> r.sourceBucket(processed).sourceKey(v.key()).destinationBucket(processed).destinationKey(oldKey));
            h.stowage.s3().client().deleteObject(r -> r.bucket(processed).key(v.key()));
            h.stowage.files().jdbi().useHandle(x -> x.execute(
                    "update variants set recipe_digest = '0123456789ab', object_key = ? where file_id = ? and name = ?", oldKey, id, v.name()));
        }
        List<java.util.UUID> candidates = new java.util.ArrayList<>();
        h.stowage.variants().forEachCandidate("wes", 1, candidates::add);
        assertThat(candidates).contains(id);
        var made = h.stowage.variants().generateAll(id); // what `stowage images reprocess --user wes` runs per file
        assertThat(made).hasSize(3).allSatisfy(v -> assertThat(v.digest()).isNotEqualTo("0123456789ab"));
        var keys = h.stowage.s3().client().listObjectsV2(r -> r.bucket(processed).prefix("wes/" + id + "/")).contents().stream().map(o -> o.key()).toList();
        assertThat(keys).hasSize(3).noneMatch(k -> k.contains("-0123456789ab."));
        assertThat(keys).containsExactlyInAnyOrderElementsOf(made.stream().map(VariantService.Variant::key).toList());
    }

    @Test
    void aJobInterruptedHalfWayEndsWithOneSetOfVariants() throws Exception {
        JsonNode f = uploadImage("vic", TestServers.fixture("images/photos/mate_Storm.jpg"));
        var id = java.util.UUID.fromString(f.path("id").asText());
        // as if a worker died after storing only the thumb: drop medium and original, keep the thumb
        h.stowage.files().jdbi().useHandle(x -> x.execute("delete from variants where file_id = ? and name <> 'thumb'", id));
        for (var o : h.stowage.s3().client().listObjectsV2(r -> r.bucket(h.config.storage().buckets().processed()).prefix("vic/" + id + "/")).contents()) {
            if (!o.key().contains("/thumb-")) h.stowage.s3().client().deleteObject(r -> r.bucket(h.config.storage().buckets().processed()).key(o.key()));
        }
        long before = h.stowage.variants().generated();
        var again = h.stowage.variants().generateAll(id);
        assertThat(again).extracting(VariantService.Variant::name).containsExactly("thumb", "medium", "original");
        assertThat(h.stowage.variants().generated() - before).as("only the missing two are made").isEqualTo(2);
        assertThat(h.stowage.s3().client().listObjectsV2(r -> r.bucket(h.config.storage().buckets().processed()).prefix("vic/" + id + "/")).contents())
                .hasSize(3);
    }
}

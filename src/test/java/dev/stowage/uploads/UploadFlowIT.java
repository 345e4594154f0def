package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Presigned single and multipart uploads end to end over real S3 and PostgreSQL (no scanner configured). */
class UploadFlowIT {
    static Harness h;

    @BeforeAll
    static void start() {
        h = new Harness();
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void aRealPhotoGoesUpThroughAPresignedPutAndComesBackWithItsName() throws Exception {
        byte[] photo = Files.readAllBytes(TestServers.fixture("images/photos/mate_Aqua.jpg"));
        String name = "Été à la plage \"2024\".jpg";
        var init = h.call("POST", "/v1/uploads", "alice", Map.of("filename", name, "size", photo.length,
                "contentType", "image/jpeg", "sha256", sha256(photo)));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        JsonNode up = init.json();
        assertThat(up.path("kind").asText()).isEqualTo("single");
        assertThat(up.at("/upload/method").asText()).isEqualTo("PUT");
        assertThat(up.at("/upload/headers/content-type").asText()).isEqualTo("image/jpeg");
        assertThat(up.at("/upload/headers").toString()).contains("x-amz-meta-original-filename", "x-amz-meta-uploader-id", "x-amz-checksum-sha256");
        String id = up.path("fileId").asText();

        var usage = h.call("GET", "/v1/usage", "alice", null).json();
        assertThat(usage.path("reservedBytes").asLong()).isEqualTo(photo.length);

        assertThat(Harness.put(up.at("/upload/url").asText(), up.at("/upload/headers"), photo).statusCode()).isEqualTo(200);
        var done = h.call("POST", "/v1/uploads/" + id + "/complete", "alice", null);
        assertThat(done.status()).isEqualTo(202);
        JsonNode f = h.awaitSettled("alice", id, Duration.ofSeconds(30));
        assertThat(f.path("status").asText()).isEqualTo("ready");
        assertThat(f.path("contentType").asText()).isEqualTo("image/jpeg");
        assertThat(f.path("sha256").asText()).isEqualTo(sha256(photo));
        assertThat(f.at("/scan/result").asText()).isEqualTo("unscanned");
        assertThat(f.path("name").asText()).isEqualTo(name);

        usage = h.call("GET", "/v1/usage", "alice", null).json();
        assertThat(usage.path("usedBytes").asLong()).isEqualTo(photo.length);
        assertThat(usage.path("reservedBytes").asLong()).isZero();

        var content = h.call("GET", "/v1/files/" + id + "/content", "alice", null);
        assertThat(content.status()).isEqualTo(302);
        String location = content.raw().headers().firstValue("Location").orElseThrow();
        var download = Harness.getBytes(location);
        assertThat(download.statusCode()).isEqualTo(200);
        // an image is served as its stripped original (made on demand if the worker has not yet): same pixels, no metadata
        assertThat(download.body()).isEqualTo(dev.stowage.images.MetadataStripper.strip(photo));
        assertThat(download.headers().firstValue("Content-Disposition").orElseThrow())
                .isEqualTo("inline; filename=\"Ete a la plage _2024_.jpg\"; filename*=UTF-8''%C3%89t%C3%A9%20%C3%A0%20la%20plage%20%222024%22.jpg");
        // the stored object (at the final key, promoted from the staging key the client wrote) carries the metadata of
        // docs/architecture.md §3, and the staging object is gone
        String finalKey = h.stowage.files().find(java.util.UUID.fromString(id)).orElseThrow().objectKey();
        assertThat(up.path("key").asText()).isEqualTo(dev.stowage.storage.ObjectKeys.stagingKey(finalKey));
        assertThat(h.stowage.store().exists(h.config.storage().buckets().raw(), up.path("key").asText())).isFalse();
        var head = h.stowage.s3().client().headObject(r -> r.bucket(h.config.storage().buckets().raw()).key(finalKey));
        assertThat(head.metadata()).containsEntry("uploader-id", "alice").containsEntry("sha256", sha256(photo))
                .containsKey("uploaded-at").containsEntry("original-filename", dev.stowage.storage.FilenameSanitizer.metadataValue(name));

        // another user sees nothing of it
        assertThat(h.call("GET", "/v1/files/" + id, "mallory", null).status()).isEqualTo(404);
        assertThat(h.call("GET", "/v1/files/" + id + "/content", "mallory", null).status()).isEqualTo(404);
        assertThat(h.call("DELETE", "/v1/files/" + id, "mallory", null).status()).isEqualTo(404);
        assertThat(h.call("GET", "/v1/files", "mallory", null).json().path("items")).isEmpty();
    }

    @Test
    void aThirtyMegabyteFileGoesUpInPartsSignedOnRequest() throws Exception {
        StringBuilder sb = new StringBuilder("id,name,amount\n");
        for (int i = 0; sb.length() < 30_000_000; i++) sb.append(i).append(",row ").append(i).append(',').append(i * 7 % 1000).append('\n');
        byte[] csv = sb.toString().getBytes(StandardCharsets.UTF_8);
        var init = h.call("POST", "/v1/uploads", "bob", Map.of("filename", "export.csv", "size", csv.length, "contentType", "text/csv"));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        String id = init.json().path("fileId").asText();
        assertThat(init.json().path("kind").asText()).isEqualTo("multipart");
        int parts = init.json().path("partCount").asInt();
        long partSize = init.json().path("partSize").asLong();
        assertThat(parts).isEqualTo((int) Math.ceil(csv.length / (double) partSize));

        // complete before anything arrived: refused, nothing changes
        var early = h.call("POST", "/v1/uploads/" + id + "/complete", "bob", null);
        assertThat(early.status()).isEqualTo(409);
        assertThat(early.json().path("code").asText()).isEqualTo("parts_missing");

        var signed = h.call("POST", "/v1/uploads/" + id + "/parts", "bob", Harness.parts(csv, partSize, 1, 2, 3, 4, 5, 6));
        assertThat(signed.status()).as(signed.raw().body()).isEqualTo(200);
        for (JsonNode p : signed.json().path("parts")) {
            int n = p.path("partNumber").asInt();
            int from = (int) ((n - 1) * partSize);
            int to = (int) Math.min(csv.length, from + partSize);
            assertThat(p.path("size").asLong()).isEqualTo(to - from);
            if (n == parts) continue; // leave the last part out: a resumable state
            var put = Harness.put(p.path("url").asText(), p.path("headers"), java.util.Arrays.copyOfRange(csv, from, to));
            assertThat(put.statusCode()).isEqualTo(200);
        }
        var state = h.call("GET", "/v1/uploads/" + id, "bob", null).json();
        assertThat(state.path("parts")).hasSize(parts - 1);
        var missing = h.call("POST", "/v1/uploads/" + id + "/complete", "bob", null);
        assertThat(missing.json().path("detail").asText()).contains("part " + parts + " missing");

        var last = h.call("POST", "/v1/uploads/" + id + "/parts", "bob", Harness.parts(csv, partSize, parts)).json().path("parts").get(0);
        int from = (int) ((parts - 1) * partSize);
        assertThat(Harness.put(last.path("url").asText(), last.path("headers"), java.util.Arrays.copyOfRange(csv, from, csv.length)).statusCode()).isEqualTo(200);
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", "bob", null).status()).isEqualTo(202);
        JsonNode f = h.awaitSettled("bob", id, Duration.ofSeconds(60));
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("ready");
        assertThat(f.path("size").asLong()).isEqualTo(csv.length);
        assertThat(f.path("sha256").asText()).isEqualTo(sha256(csv));
        // complete again: idempotent
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", "bob", null).status()).isEqualTo(202);
    }

    @Test
    void completingAgainAfterTheStoreCompletedButTheDatabaseDidNotStillFinishes() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 11_000_000; i++) sb.append("line ").append(i).append('\n');
        byte[] txt = sb.toString().getBytes(StandardCharsets.UTF_8);
        var init = h.call("POST", "/v1/uploads", "zoe", Map.of("filename", "log.txt", "size", txt.length, "contentType", "text/plain")).json();
        String id = init.path("fileId").asText();
        long partSize = init.path("partSize").asLong();
        var parts = h.call("POST", "/v1/uploads/" + id + "/parts", "zoe", Harness.parts(txt, partSize, 1, 2, 3)).json().path("parts");
        var completed = new java.util.ArrayList<software.amazon.awssdk.services.s3.model.CompletedPart>();
        for (JsonNode p : parts) {
            int n = p.path("partNumber").asInt();
            int from = (int) ((n - 1) * partSize), to = (int) Math.min(txt.length, from + partSize);
            var put = Harness.put(p.path("url").asText(), p.path("headers"), java.util.Arrays.copyOfRange(txt, from, to));
            completed.add(software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(n)
                    .eTag(put.headers().firstValue("ETag").orElseThrow()).build());
        }
        // the store completes the upload, as if Stowage crashed right after its CompleteMultipartUpload call
        String key = init.path("key").asText();
        String uploadId = h.stowage.files().jdbi().withHandle(x -> x.createQuery("select s3_upload_id from upload_sessions where file_id = cast(:id as uuid)")
                .bind("id", id).mapTo(String.class).one());
        h.stowage.s3().client().completeMultipartUpload(r -> r.bucket(h.config.storage().buckets().raw()).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(completed)));
        assertThat(h.call("POST", "/v1/uploads/" + id + "/complete", "zoe", null).status()).isEqualTo(202);
        assertThat(h.awaitSettled("zoe", id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("ready");
    }

    @Test
    void softDeleteReleasesQuotaAndRestoreTakesItBack() throws Exception {
        byte[] pdf = Files.readAllBytes(TestServers.fixture("docs/libtasn1.pdf"));
        var init = h.call("POST", "/v1/uploads", "carol", Map.of("filename", "manual.pdf", "size", pdf.length, "contentType", "application/pdf")).json();
        Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), pdf);
        String id = init.path("fileId").asText();
        h.call("POST", "/v1/uploads/" + id + "/complete", "carol", null);
        assertThat(h.awaitSettled("carol", id, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("ready");

        var del = h.call("DELETE", "/v1/files/" + id, "carol", null);
        assertThat(del.json().path("status").asText()).isEqualTo("deleted");
        assertThat(h.call("GET", "/v1/usage", "carol", null).json().path("usedBytes").asLong()).isZero();
        assertThat(h.call("GET", "/v1/files", "carol", null).json().path("items")).isEmpty();
        assertThat(h.call("GET", "/v1/files/" + id + "/content", "carol", null).json().path("code").asText()).isEqualTo("file_not_ready");
        var restored = h.call("POST", "/v1/files/" + id + "/restore", "carol", null);
        assertThat(restored.json().path("status").asText()).isEqualTo("ready");
        assertThat(h.call("GET", "/v1/usage", "carol", null).json().path("usedBytes").asLong()).isEqualTo(pdf.length);
        assertThat(h.call("POST", "/v1/files/" + id + "/restore", "carol", null).json().path("code").asText()).isEqualTo("not_deleted");
    }

    @Test
    void listingIsNewestFirstWithCursorPaging() {
        for (int i = 0; i < 5; i++) {
            h.call("POST", "/v1/uploads", "dave", Map.of("filename", "n" + i + ".txt", "size", 10, "contentType", "text/plain"));
        }
        var first = h.call("GET", "/v1/files?limit=2", "dave", null).json();
        assertThat(first.path("items")).hasSize(2);
        assertThat(first.path("items").get(0).path("name").asText()).isEqualTo("n4.txt");
        var second = h.call("GET", "/v1/files?limit=2&cursor=" + first.path("nextCursor").asText(), "dave", null).json();
        assertThat(second.path("items").get(0).path("name").asText()).isEqualTo("n2.txt");
        var third = h.call("GET", "/v1/files?limit=2&cursor=" + second.path("nextCursor").asText(), "dave", null).json();
        assertThat(third.path("items")).hasSize(1);
        assertThat(third.path("nextCursor").asText()).isEmpty();
        assertThat(h.call("GET", "/v1/files?cursor=garbage", "dave", null).json().path("code").asText()).isEqualTo("invalid_cursor");
        assertThat(h.call("GET", "/v1/files?limit=1000", "dave", null).json().path("code").asText()).isEqualTo("invalid_limit");
    }
}

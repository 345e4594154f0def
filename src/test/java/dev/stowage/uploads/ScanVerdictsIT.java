package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestClamd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real clamd with the limits of {@code scripts/clamd.sh} (MaxFileSize 20M, MaxFiles 1000, MaxRecursion 10,
 * AlertExceedsMax yes): a file over a limit is not fully scanned, so it is rejected {@code too_large_to_scan}
 * with the limit in its view, never quarantined as malware and never ready; malware is still quarantined.
 */
class ScanVerdictsIT {
    static Harness h;
    static final String EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    @BeforeAll
    static void start() {
        var clamd = TestClamd.clamd();
        h = new Harness(Map.of(), c -> {
            var u = c.uploads();
            // single PUTs up to 40 MB: the over-limit file goes up in one request
            return c.withUploads(new StowageConfig.Uploads(u.maxSizeBytes(), 40_000_000L, u.partSizeBytes(), u.urlTtl(), u.sessionTtl(),
                            u.downloadUrlTtl(), u.allowedTypes(), u.quotas(), u.reconcileInterval(), u.stagingTtl(), u.limits(), u.reconcile()))
                    .withScanner(new StowageConfig.Scanner(clamd.host(), clamd.port(), TestClamd.STREAM_MAX_BYTES, Duration.ofSeconds(60)));
        });
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private JsonNode upload(String user, String name, String type, byte[] bytes) {
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", name, "size", bytes.length, "contentType", type));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(Harness.put(init.json().at("/upload/url").asText(), init.json().at("/upload/headers"), bytes).statusCode()).isEqualTo(200);
        String id = init.json().path("fileId").asText();
        h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        return h.awaitSettled(user, id, Duration.ofSeconds(90));
    }

    /** Rejected as not fully scanned at {@code limit}: the reason and the limit in the view, nothing kept, nothing reserved. */
    private void notFullyScanned(String user, JsonNode f, String limit) {
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("rejected");
        assertThat(f.at("/reason/code").asText()).isEqualTo("too_large_to_scan");
        assertThat(f.at("/reason/message").asText()).contains(limit).contains("not fully scanned");
        assertThat(f.at("/scan/result").asText()).isEqualTo("limits_exceeded");
        assertThat(f.at("/scan/limit").asText()).isEqualTo(limit);
        assertThat(f.at("/scan/signature").isMissingNode()).as("no signature: it is not malware").isTrue();
        assertThat(h.call("GET", "/v1/files/" + f.path("id").asText() + "/content", user, null).status()).isEqualTo(409);
        var raw = h.config.storage().buckets().raw();
        assertThat(h.awaitNoObjects(raw, user + "/", Duration.ofSeconds(10))).isEmpty();
        var usage = h.call("GET", "/v1/usage", user, null).json();
        assertThat(usage.path("usedBytes").asLong()).isZero();
        assertThat(usage.path("reservedBytes").asLong()).isZero();
    }

    @Test
    void aCleanFileOverMaxFileSizeIsRejectedTooLargeToScanNotQuarantined() {
        // 25 MB of plain text, over clamd's MaxFileSize of 20 MiB and far under StreamMaxLength
        byte[] text = new byte[25_000_000];
        byte[] line = "quarterly numbers, nothing to see here\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < text.length; i++) text[i] = line[i % line.length];
        assertThat((long) text.length).isGreaterThan(TestClamd.MAX_FILE_BYTES);
        notFullyScanned("big1", upload("big1", "numbers.txt", "text/plain", text), "MaxFileSize");
    }

    @Test
    void aDocxOverMaxFilesIsRejectedTooLargeToScan() throws IOException {
        List<TypeDetectorTest.Entry> extra = new ArrayList<>();
        for (int i = 0; i <= TestClamd.MAX_FILES; i++) extra.add(new TypeDetectorTest.Entry("word/media/note" + i + ".txt", "note " + i + "\n"));
        byte[] docx = TypeDetectorTest.zip(TypeDetectorTest.docxEntries(DOCX + ".main+xml", true, extra.toArray(TypeDetectorTest.Entry[]::new)));
        assertThat(docx.length).as("a cheap file").isLessThan(300_000);
        notFullyScanned("many1", upload("many1", "report.docx", DOCX, docx), "MaxFiles");
    }

    @Test
    void aDocxWithZipsNestedPastMaxRecursionIsRejectedTooLargeToScan() throws IOException {
        byte[] inner = "hello\n".getBytes(StandardCharsets.US_ASCII);
        String name = "a.txt";
        for (int depth = 0; depth < TestClamd.MAX_RECURSION + 8; depth++) {
            inner = zip(name, inner);
            name = "level" + depth + ".zip";
        }
        byte[] docx = TypeDetectorTest.zip(TypeDetectorTest.docxEntries(DOCX + ".main+xml", true,
                new TypeDetectorTest.Entry("word/embeddings/" + name, inner, false)));
        notFullyScanned("deep1", upload("deep1", "nested.docx", DOCX, docx), "MaxRecursion");
    }

    @Test
    void eicarIsStillQuarantinedAndASmallCleanFileStillReady() {
        JsonNode bad = upload("eic1", "notes.txt", "text/plain", EICAR.getBytes(StandardCharsets.US_ASCII));
        assertThat(bad.path("status").asText()).as(bad.toString()).isEqualTo("quarantined");
        assertThat(bad.at("/scan/result").asText()).isEqualTo("infected");
        assertThat(bad.at("/scan/signature").asText()).isEqualTo(TestClamd.EICAR_SIGNATURE);
        assertThat(bad.at("/reason/code").asText()).isEqualTo("malware");
        JsonNode ok = upload("eic1", "fine.txt", "text/plain", "nothing to see\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(ok.path("status").asText()).isEqualTo("ready");
        assertThat(ok.at("/scan/result").asText()).isEqualTo("clean");
        assertThat(ok.at("/scan/limit").isMissingNode()).isTrue();
    }

    private static byte[] zip(String name, byte[] data) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry(name));
            z.write(data);
            z.closeEntry();
        }
        return Arrays.copyOf(out.toByteArray(), out.size());
    }
}

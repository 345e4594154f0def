package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import dev.stowage.testing.Harness;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A complete that cannot succeed ends the upload (docs/architecture.md §4, {@code pending → rejected}): a part
 * larger than its share of the declared size, or a part beyond the part count, holds bytes nothing reserved. Such a
 * part can only come from outside Stowage's part URLs (each is signed with its exact length and number), so the
 * test puts it with the store's own credentials. Complete answers 409 with the reason, the file ends
 * {@code rejected} with it, the multipart upload is aborted (none left for the key), the reservation is released
 * (usage as before, and equal to the sum of the rows), and the client can start a new upload. Run on the embedded
 * store here, on Ceph RGW by {@link MultipartRefusalOnCephRgwIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultipartRefusalIT {
    /** 12,582,912 bytes: parts 5,242,880 / 5,242,880 / 2,097,152. */
    private static final int SIZE = 12_582_912;
    private static final int PART = 5_242_880;

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

    private static byte[] text(int size, String salt) {
        var sb = new StringBuilder(size + 64);
        for (int i = 0; sb.length() < size; i++) sb.append(salt).append(" line ").append(i).append('\n');
        return Arrays.copyOf(sb.toString().getBytes(StandardCharsets.US_ASCII), size);
    }

    private static byte[] slice(byte[] b, int n) {
        return Arrays.copyOfRange(b, (n - 1) * PART, Math.min(b.length, n * PART));
    }

    private JsonNode usage(String user) {
        return h.call("GET", "/v1/usage", user, null).json();
    }

    /** Reserved and used bytes of the account, checked against the sum of its rows. */
    private long[] bytes(String user) {
        var rows = h.stowage.files().jdbi().withHandle(x -> x.createQuery("""
                        select coalesce(sum(case when status in ('pending', 'uploaded', 'verifying', 'scanning') then declared_size else 0 end), 0),
                               coalesce(sum(case when status = 'ready' then size_bytes else 0 end), 0)
                          from files where owner_id = :u""").bind("u", user)
                .map((rs, c) -> new long[] {rs.getLong(1), rs.getLong(2)}).one());
        JsonNode u = usage(user);
        long[] account = {u.path("reservedBytes").asLong(), u.path("usedBytes").asLong()};
        assertThat(account).as("the account's reserved and used bytes are the sums of its rows").containsExactly(rows);
        return account;
    }

    /** Initiates the upload and sends parts 1..3 through their URLs, leaving out {@code skip} (0: none). */
    private String[] initiateAndSend(String user, byte[] src, int skip) {
        var init = h.call("POST", "/v1/uploads", user, Map.of("filename", "report.txt", "size", SIZE, "contentType", "text/plain"));
        assertThat(init.status()).as(init.raw().body()).isEqualTo(201);
        assertThat(init.json().path("partCount").asInt()).isEqualTo(3);
        String id = init.json().path("fileId").asText();
        var signed = h.call("POST", "/v1/uploads/" + id + "/parts", user, Harness.parts(src, PART, 1, 2, 3));
        assertThat(signed.status()).as(signed.raw().body()).isEqualTo(200);
        for (JsonNode p : signed.json().path("parts")) {
            int n = p.path("partNumber").asInt();
            if (n == skip) continue;
            assertThat(Harness.put(p.path("url").asText(), p.path("headers"), slice(src, n)).statusCode()).isEqualTo(200);
        }
        String uploadId = h.stowage.files().session(UUID.fromString(id)).orElseThrow().uploadId();
        String key = "staging/" + h.stowage.files().find(UUID.fromString(id)).orElseThrow().objectKey();
        return new String[] {id, uploadId, key};
    }

    /** Puts a part with the store's own credentials, as no Stowage URL allows. */
    private void putDirectly(String key, String uploadId, int n, byte[] bytes) {
        ObjectStore store = h.stowage.store();
        String sha = store.profile().has(Capability.STORED_CHECKSUMS) ? Harness.sha256(bytes) : null;
        store.uploadPart(h.config.storage().buckets().raw(), key, uploadId, n, new ObjectStore.Body.Bytes(bytes), sha);
    }

    private void assertEnded(String user, String id, String key, String code, String names, long[] before) {
        var done = h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        assertThat(done.status()).as(done.raw().body()).isEqualTo(409);
        assertThat(done.json().path("code").asText()).isEqualTo(code);
        assertThat(done.json().path("detail").asText()).contains(names, "start a new upload");

        JsonNode f = h.call("GET", "/v1/files/" + id, user, null).json();
        assertThat(f.path("status").asText()).as(f.toString()).isEqualTo("rejected");
        assertThat(f.at("/reason/code").asText()).isEqualTo(code);
        assertThat(f.at("/reason/message").asText()).contains(names);
        assertThat(h.stowage.store().multipartUploads(h.config.storage().buckets().raw(), key))
                .as("the multipart upload is aborted").isEmpty();
        assertThat(bytes(user)).as("reservation released: usage as before").containsExactly(before);
        assertThat(h.stowage.files().session(UUID.fromString(id))).as("session ended").isEmpty();

        // a later complete gives the same answer; the client starts a new upload
        var again = h.call("POST", "/v1/uploads/" + id + "/complete", user, null);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().path("code").asText()).isEqualTo(code);
        var fresh = h.call("POST", "/v1/uploads", user, Map.of("filename", "report.txt", "size", SIZE, "contentType", "text/plain"));
        assertThat(fresh.status()).as(fresh.raw().body()).isEqualTo(201);
        h.call("DELETE", "/v1/uploads/" + fresh.json().path("fileId").asText(), user, null);
        assertThat(bytes(user)).containsExactly(before);
    }

    @Test
    void anOversizePart2EndsTheUploadRejected() {
        String user = "olga";
        long[] before = bytes(user);
        byte[] src = text(SIZE, "o");
        String[] u = initiateAndSend(user, src, 2);
        assertThat(bytes(user)[0]).isEqualTo(before[0] + SIZE);
        putDirectly(u[2], u[1], 2, text(PART + 4096, "big"));
        assertEnded(user, u[0], u[2], "part_too_large", "part 2 has 5246976 bytes, 4096 more than its 5242880", before);
    }

    @Test
    void anExtraPart4EndsTheUploadRejected() {
        String user = "xavier";
        long[] before = bytes(user);
        byte[] src = text(SIZE, "x");
        String[] u = initiateAndSend(user, src, 0);
        putDirectly(u[2], u[1], 4, text(1024, "extra"));
        assertEnded(user, u[0], u[2], "part_not_issued", "part 4 (1024 bytes) was never signed: the upload has 3 parts", before);
    }

    @Test
    void aMissingPartIsStillRepairable() {
        String user = "mona";
        byte[] src = text(SIZE, "m");
        String[] u = initiateAndSend(user, src, 2);
        var done = h.call("POST", "/v1/uploads/" + u[0] + "/complete", user, null);
        assertThat(done.status()).isEqualTo(409);
        assertThat(done.json().path("code").asText()).isEqualTo("parts_missing");
        assertThat(h.call("GET", "/v1/files/" + u[0], user, null).json().path("status").asText()).isEqualTo("pending");
        assertThat(bytes(user)[0]).isEqualTo(SIZE);
        h.call("DELETE", "/v1/uploads/" + u[0], user, null);
    }
}

package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Presigned URLs over the embedded store: with static credentials they carry the configured lifetime and work
 * (nothing changes); with temporary credentials (an STS session that ends in ten minutes) every kind of
 * presigned URL ends with them, less the skew margin, and its {@code expiresAt} says so.
 */
class PresignCredentialsIT {
    static S3Clients staticClients;
    static String bucket;

    @BeforeAll
    static void start() {
        var storage = TestServers.embeddedConfig(Map.of()).storage();
        staticClients = S3Clients.create(storage, TestServers.embeddedCredentials());
        bucket = storage.buckets().raw();
        staticClients.client().createBucket(b -> b.bucket(bucket));
        staticClients.client().putObject(p -> p.bucket(bucket).key("alice/notes.txt"), RequestBody.fromString("short-lived link\n"));
    }

    @AfterAll
    static void stop() {
        staticClients.close();
    }

    static Map<String, String> query(URI url) {
        Map<String, String> q = new LinkedHashMap<>();
        for (String kv : url.getRawQuery().split("&")) {
            int eq = kv.indexOf('=');
            q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    @Test
    void staticCredentialsSignForTheConfiguredLifetimeAndTheLinkWorks() {
        var store = new S3ObjectStore(staticClients);
        Instant before = Instant.now();
        var get = store.presignGet(bucket, "alice/notes.txt", Duration.ofMinutes(15), "text/plain", null);
        assertThat(query(get.url())).containsEntry("X-Amz-Expires", "900").doesNotContainKey("X-Amz-Security-Token");
        assertThat(get.expiresAt()).isBetween(before.plusSeconds(899), Instant.now().plusSeconds(901));
        var fetched = Harness.getBytes(get.url().toString());
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("short-lived link\n");
        var put = store.presignPut(ObjectStore.Put.of(bucket, "alice/new.txt").contentType("text/plain").contentLength(3), Duration.ofDays(7));
        assertThat(query(put.url())).containsEntry("X-Amz-Expires", "604800");
    }

    @Test
    void temporaryCredentialsCapEveryPresignedUrlAtTheirExpiryLessTheMargin() {
        Instant credentialsExpire = Instant.now().plus(Duration.ofMinutes(10));
        var session = AwsSessionCredentials.builder().accessKeyId(TestServers.S3_KEY).secretAccessKey(TestServers.S3_SECRET)
                .sessionToken("session-token-1").expirationTime(credentialsExpire).build();
        var storage = TestServers.embeddedConfig(Map.of()).storage();
        try (S3Clients temporary = S3Clients.create(storage, StaticCredentialsProvider.create(session))) {
            var store = new S3ObjectStore(temporary);
            var get = store.presignGet(bucket, "alice/notes.txt", Duration.ofDays(7), "text/plain", null);
            var put = store.presignPut(ObjectStore.Put.of(bucket, "alice/new.txt").contentType("text/plain").contentLength(3), Duration.ofHours(1));
            var part = store.presignUploadPart(bucket, "alice/big.bin", "upload-1", 1, 5L << 20, null, Duration.ofHours(1));
            for (var p : new ObjectStore.Presigned[] {get, put, part}) {
                var q = query(p.url());
                long expires = Long.parseLong(q.get("X-Amz-Expires"));
                // 600 s of credentials less the 30 s margin, less the few seconds this test took
                assertThat(expires).as(p.method() + " " + p.url()).isBetween(560L, 570L);
                assertThat(q).containsEntry("X-Amz-Security-Token", "session-token-1");
                assertThat(p.expiresAt()).as("expiresAt is the true expiry").isBeforeOrEqualTo(credentialsExpire.minus(PresignLifetime.MARGIN))
                        .isAfter(credentialsExpire.minus(Duration.ofSeconds(45)));
            }
            // the download link's own Cache-Control says the capped lifetime too
            assertThat(query(get.url()).get("response-cache-control")).isEqualTo("private, max-age=" + query(get.url()).get("X-Amz-Expires"));
        }
    }
}

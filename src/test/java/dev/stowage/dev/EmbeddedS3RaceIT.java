package dev.stowage.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The embedded S3 server under the load of promotions: deletes that empty folders ({@code staging/a/…}) race
 * writes that make new ones beside them. Every write must succeed ({@link DirectoryRaceRetry}); before it, about one in 400
 * such PUTs answered 500 (it did in a full test run too) (a NoSuchFileException of a folder a delete had just removed).
 */
class EmbeddedS3RaceIT {

    @Test
    void writesBesideDeletesThatEmptyFoldersAllSucceed(@TempDir Path dir) throws Exception {
        try (var s3 = EmbeddedS3.start(dir, 0, "race-key", "race-secret-race-secret", List.of());
             var client = S3Client.builder().endpointOverride(URI.create(s3.endpoint().toString())).region(Region.US_EAST_1)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("race-key", "race-secret-race-secret")))
                     .forcePathStyle(true)
                     // as a browser's PUT: no retry by the client, so a 500 is a failure
                     .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1))).build()) {
            client.createBucket(b -> b.bucket("raw"));
            var failures = new ConcurrentLinkedQueue<String>();
            int rounds = 400;
            try (var pool = Executors.newFixedThreadPool(8)) {
                for (int w = 0; w < 8; w++) {
                    int writer = w;
                    pool.submit(() -> {
                        for (int round = 0; round < rounds; round++) {
                            int i = round;
                            String key = "staging/u" + writer + "/" + i + "/file.txt";
                            try {
                                client.putObject(p -> p.bucket("raw").key(key), RequestBody.fromString("round " + i));
                                client.deleteObject(d -> d.bucket("raw").key(key)); // empties and removes its folders
                            } catch (RuntimeException e) {
                                failures.add(key + ": " + e.getMessage());
                            }
                        }
                    });
                }
            }
            assertThat(failures).as("writes that failed beside deletes").isEmpty();
        }
    }
}

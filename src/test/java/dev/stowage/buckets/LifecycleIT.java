package dev.stowage.buckets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.storage.S3Clients;
import dev.stowage.testing.TestServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The lifecycle rules {@code buckets apply} writes really act, on Ceph RGW started with
 * {@code rgw_lc_debug_interval = 10} (one lifecycle "day" lasts 10 s): with every raw-bucket rule set to
 * one day, an object still tagged as a temporary upload expires while a verified one stays, a noncurrent
 * version expires, an incomplete multipart upload is aborted, and an object moves to STANDARD_IA.
 */
class LifecycleIT {
    /** RGW's lifecycle workers walk every bucket with rules each lifecycle "day", about 0.6 s per bucket: 22-75 s here in the whole suite. */
    static final Duration LIMIT = Duration.ofSeconds(360);

    @Test
    void rawBucketRulesActOnTheGateway() throws Exception {
        var rgw = TestServers.rgw();
        var storage = rgw.storage();
        String raw = storage.buckets().raw();
        var oneDay = new StowageConfig.BucketRules(true, 1, "STANDARD_IA", 0, 1, 1, 1, true);
        var settings = StowageConfig.BucketSettings.DEFAULT.withRaw(oneDay);
        try (S3Clients s3 = S3Clients.create(storage, rgw.credentials())) {
            int quieted = quietOtherBuckets(s3, storage.buckets());
            System.out.println("lifecycle rules removed from " + quieted + " buckets of earlier test classes");
            var planner = new BucketPlanner(new dev.stowage.storage.S3ObjectStore(s3), storage, settings, Optional.empty());
            planner.apply();
            assertThat(planner.plan().stream().filter(BucketChange::isChange)).isEmpty();
            var c = s3.client();
            c.putObject(r -> r.bucket(raw).key("u/temp.txt").tagging("stowage-state=pending"), RequestBody.fromString("never verified"));
            c.putObject(r -> r.bucket(raw).key("u/ready.txt").tagging("stowage-state=ready"), RequestBody.fromString("verified"));
            c.putObject(r -> r.bucket(raw).key("u/doc.txt"), RequestBody.fromString("version 1"));
            Thread.sleep(1100); // versions of one key a second apart, as a user's edits are (RGW orders them by time)
            c.putObject(r -> r.bucket(raw).key("u/doc.txt"), RequestBody.fromString("version 2"));
            String uploadId = c.createMultipartUpload(r -> r.bucket(raw).key("u/abandoned.bin")).uploadId();
            c.uploadPart(r -> r.bucket(raw).key("u/abandoned.bin").uploadId(uploadId).partNumber(1), RequestBody.fromBytes(new byte[1024]));
            assertThat(c.listObjectVersions(r -> r.bucket(raw).prefix("u/doc.txt")).versions()).hasSize(2);

            long start = System.nanoTime();
            List<String> happened = new ArrayList<>();
            await("the temporary upload expires", () -> status(s3, raw, "u/temp.txt") == 404, happened, start);
            await("the noncurrent version expires", () -> c.listObjectVersions(r -> r.bucket(raw).prefix("u/doc.txt")).versions().size() == 1, happened, start);
            await("the incomplete multipart upload is aborted", () -> c.listMultipartUploads(r -> r.bucket(raw)).uploads().isEmpty(), happened, start);
            await("the verified object moves to STANDARD_IA",
                    () -> "STANDARD_IA".equals(c.headObject(r -> r.bucket(raw).key("u/ready.txt")).storageClassAsString()), happened, start);
            System.out.println(String.join("\n", happened));

            // what must stay did: the verified object and the current version
            assertThat(status(s3, raw, "u/ready.txt")).isEqualTo(200);
            var left = c.listObjectVersions(r -> r.bucket(raw).prefix("u/doc.txt"));
            assertThat(status(s3, raw, "u/doc.txt")).as("the current version stays; versions %s, delete markers %s", left.versions(),
                    left.deleteMarkers()).isEqualTo(200);
            assertThat(c.getObjectAsBytes(r -> r.bucket(raw).key("u/doc.txt")).asUtf8String()).isEqualTo("version 2");
            assertThat(c.getObjectAsBytes(r -> r.bucket(raw).key("u/ready.txt")).asUtf8String()).isEqualTo("verified");
        }
    }

    /** Test buckets' names ({@link TestServers#freshBuckets()}). */
    private static final java.util.regex.Pattern TEST_BUCKET = java.util.regex.Pattern.compile("(raw|processed|backups|logs)-[0-9a-f]{8}");

    /**
     * Removes the lifecycle rules of the test buckets earlier classes left on the gateway (the classes run one
     * after another, so none is in use). RGW's lifecycle workers walk every bucket with rules in turn, and retry
     * each object whose action fails every "day"; with a few hundred such buckets, this class's own bucket was
     * once not reached within {@link #LIMIT}.
     *
     * @return how many buckets lost their rules
     */
    private static int quietOtherBuckets(S3Clients s3, StowageConfig.Buckets own) {
        var mine = java.util.Set.of(own.raw(), own.processed(), own.backups(), own.logs());
        int n = 0;
        for (var b : s3.client().listBuckets().buckets()) {
            if (mine.contains(b.name()) || !TEST_BUCKET.matcher(b.name()).matches()) continue;
            try {
                s3.client().deleteBucketLifecycle(r -> r.bucket(b.name()));
                n++;
            } catch (S3Exception e) {
                if (e.statusCode() != 404) throw e;
            }
        }
        return n;
    }

    private static int status(S3Clients s3, String bucket, String key) {
        try {
            s3.client().headObject(r -> r.bucket(bucket).key(key));
            return 200;
        } catch (S3Exception e) {
            return e.statusCode();
        }
    }

    private static void await(String what, BooleanSupplier done, List<String> log, long start) throws InterruptedException {
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - start > LIMIT.toNanos()) throw new AssertionError(what + ": not within " + LIMIT.toSeconds() + " s");
            Thread.sleep(1000);
        }
        log.add(String.format(java.util.Locale.ROOT, "%s after %.0f s", what, (System.nanoTime() - start) / 1e9));
    }
}

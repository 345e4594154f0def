package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectTags;
import dev.stowage.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * A file above the multipart threshold is read once: the bytes its copy thread read (Linux's per-thread
 * {@code rchar}, every {@code read}/{@code pread} of any file or socket) are its size plus the type
 * detector's head and a few small responses, not twice its size. Its SHA-256 from that one pass is in the
 * journal and the {@code files} row, and on the object as the tag {@code sha256} where the provider has
 * tagging (Ceph RGW: {@link MigrationReadOnceOnCephRgwIT}, where the whole process's {@code rchar} is
 * counted too, the store being another process), and {@code verify --deep} is clean. A large file changed
 * in place during its copy, size kept and modification time restored, is still copied again.
 */
class MigrationReadOnceIT {
    static final int PART = 5 << 20;

    @TempDir
    Path dir;

    StowageConfig config() {
        return TestServers.embeddedConfig(Map.of());
    }

    AwsCredentialsProvider credentials() {
        return TestServers.embeddedCredentials();
    }

    /** Whether the S3 server runs in another process, so this process's reads are the copier's alone. */
    boolean storeElsewhere() {
        return false;
    }

    StowageConfig migrationConfig() {
        return config().withMigration(new StowageConfig.Migration(List.of(".DS_Store"), 2, PART, PART, 3));
    }

    /** Bytes read by this process ({@code self}) or this thread ({@code thread-self}) so far, from {@code /proc}. */
    static long rchar(String who) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", who, "io"))) {
            if (line.startsWith("rchar:")) return Long.parseLong(line.substring(6).trim());
        }
        throw new AssertionError("no rchar in /proc/" + who + "/io");
    }

    static Path tree(Path dir, String name, Map<String, byte[]> files) throws Exception {
        Path tree = dir.resolve(name);
        for (var e : files.entrySet()) {
            Path f = tree.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.write(f, e.getValue());
        }
        return tree;
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    Map<String, Object> row(Stowage s, String display) {
        return s.db().jdbi().withHandle(h -> h.createQuery("""
                        select i.attempts, i.state, i.sha256, f.size_bytes, f.sha256 as fsha, f.bucket, f.object_key
                        from migration_items i join files f on f.id = i.file_id where i.display_path = :p""")
                .bind("p", display).mapToMap().one());
    }

    /** The row, the journal and the object (bytes, and tag or metadata) all carry {@code now}'s SHA-256. */
    void assertRecorded(Stowage s, Map<String, Object> row, byte[] now) throws Exception {
        String sha = MigrationExactResumeIT.sha256(now);
        assertThat(row.get("fsha")).as("the files row").isEqualTo(sha);
        assertThat(row.get("sha256")).as("the journal").isEqualTo(sha);
        String bucket = (String) row.get("bucket"), key = (String) row.get("object_key");
        var head = s.store().head(bucket, key).orElseThrow();
        assertThat(head.size()).isEqualTo(now.length);
        assertThat(head.metadata()).as("metadata is fixed before the digest is known").doesNotContainKey("sha256")
                .containsKeys("original-filename", "uploader-id", "uploaded-at");
        assertThat(MigrationVerifier.multipart(head.etag())).as("a multipart ETag: " + head.etag()).isTrue();
        if (s.store().profile().has(Capability.OBJECT_TAGGING)) {
            assertThat(s.store().tags(bucket, key)).as("the SHA-256 as a tag").containsEntry(ObjectTags.SHA256_KEY, sha);
            assertThat(FileCopier.recordedSha256(s.store(), bucket, key, head)).isEqualTo(sha);
        } else {
            assertThat(FileCopier.recordedSha256(s.store(), bucket, key, head)).as("no tags: only the row has it").isNull();
        }
        byte[] stored = s.s3().client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
        assertThat(MigrationExactResumeIT.sha256(stored)).as("the object is the file").isEqualTo(sha);
    }

    @Test
    void aLargeFileIsReadOnceAndItsSha256IsRecordedFromThatRead() throws Exception {
        StowageConfig config = migrationConfig();
        int size = 24 << 20; // 5 parts
        byte[] large = random(size, 1);
        Path warm = tree(dir, "warm", Map.of("1/warm.bin", random(PART + 1, 2), "1/small.txt", "hello\n".getBytes()));
        Path tree = tree(dir, "uploads", Map.of("42/large.bin", large));
        try (Stowage s = new Stowage(config, credentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            // classes and connections first, so what the measured run reads is the copy's
            s.migration().run(new MigrationService.Options(warm, 2, null, false), Progress.none());

            AtomicLong threadRead = new AtomicLong(-1);
            s.migration().hook((item, file, attempt) -> {
                try {
                    // the copy thread, after every byte of the file was read and stored (it started with this run)
                    if (item.display().equals("42/large.bin")) threadRead.set(rchar("thread-self"));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            long before = rchar("self");
            var summary = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            long processRead = rchar("self") - before;
            assertThat(summary.copiedFiles()).isEqualTo(1);
            assertThat(summary.failed()).isZero();

            System.out.printf("%s: file %d bytes; read by the copy thread %d, by the process %d%n", getClass().getSimpleName(), size,
                    threadRead.get(), processRead);
            assertThat(threadRead.get()).as("the copy thread read the file").isGreaterThanOrEqualTo(size);
            assertThat(threadRead.get()).as("the copy thread read it once (a second pass would be %d bytes more)", size)
                    .isLessThan(size + (2L << 20));
            if (storeElsewhere()) {
                assertThat(processRead).as("the whole process, every thread, read the file once").isBetween((long) size, size + (4L << 20));
            }

            var row = row(s, "42/large.bin");
            assertThat(((Number) row.get("attempts")).intValue()).isEqualTo(1);
            assertRecorded(s, row, large);

            var verifier = new MigrationVerifier(s.store(), s.migration().journal(), config);
            var run = summary.run();
            var plain = verifier.verify(run, false, 2);
            assertThat(plain.findings()).isEmpty();
            assertThat(plain.matched()).isEqualTo(1);
            var deep = verifier.verify(run, true, 2);
            assertThat(deep.findings()).isEmpty();
            assertThat(deep.clean()).isTrue();
            assertThat(deep.matchedBytes()).isEqualTo(size);

            if (s.store().profile().has(Capability.OBJECT_TAGGING)) {
                // verify reads the tag: a wrong one is reported (and the file marked to be copied again)
                String bucket = (String) row.get("bucket"), key = (String) row.get("object_key");
                s.store().putTags(bucket, key, Map.of(ObjectTags.SHA256_KEY, "0".repeat(64)));
                var wrong = verifier.verify(run, false, 2);
                assertThat(wrong.differ()).isEqualTo(1);
                assertThat(wrong.findings()).singleElement().satisfies(f -> assertThat(f.reason()).contains("says SHA-256 " + "0".repeat(64)));
                s.store().putTags(bucket, key, Map.of());
                assertThat(verifier.verify(run, false, 2).findings()).singleElement()
                        .satisfies(f -> assertThat(f.reason()).contains("records no SHA-256"));
                var again = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
                assertThat(again.copiedFiles()).as("what verify reported is copied again").isEqualTo(1);
                assertRecorded(s, row(s, "42/large.bin"), large);
                assertThat(verifier.verify(run, false, 2).clean()).isTrue();
            }
        }
    }

    @Test
    void aLargeFileChangedInPlaceDuringItsCopyIsCopiedAgain() throws Exception {
        StowageConfig config = migrationConfig();
        Path tree = tree(dir, "uploads", Map.of("42/inplace.bin", random(12 << 20, 3)));
        Path file = tree.resolve("42/inplace.bin");
        try (Stowage s = new Stowage(config, credentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            s.migration().hook((item, f, attempt) -> {
                // after its bytes went up: same size, modification time put back; only the change time tells
                if (attempt == 1) {
                    try {
                        MigrationExactResumeIT.changeInPlace(f, (byte) 0x5a);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
            });
            var summary = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            assertThat(summary.copiedFiles()).isEqualTo(1);
            byte[] now = Files.readAllBytes(file);
            var row = row(s, "42/inplace.bin");
            assertThat(row.get("state")).isEqualTo("done");
            assertThat(((Number) row.get("attempts")).intValue()).as("copied again after the change").isEqualTo(2);
            assertRecorded(s, row, now);
            var deep = new MigrationVerifier(s.store(), s.migration().journal(), config).verify(summary.run(), true, 2);
            assertThat(deep.findings()).isEmpty();
            assertThat(deep.matched()).isEqualTo(1);
        }
    }
}

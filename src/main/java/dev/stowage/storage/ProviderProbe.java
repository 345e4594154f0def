package dev.stowage.storage;

import dev.stowage.config.StowageConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Asks the configured store, once, whether it does what Stowage uses (docs/architecture.md §9), instead of
 * trusting the provider's {@link ProviderProfile} alone: a presigned PUT with the headers Stowage signs, a
 * multipart upload with the checksums Stowage sends, object tagging, DeleteObjects, and reads (never writes)
 * of the bucket settings the profile says the provider holds. Objects are written under {@link #PREFIX} in
 * the raw bucket and deleted again. About ten requests, each bounded by {@code storage.timeouts}.
 *
 * <p>What answered decides the profile Stowage runs with ({@link Report#profile()}): a setting read the store
 * answers {@code 501 NotImplemented} or {@code 405} to is taken out; where PutObjectTagging or DeleteObjects
 * with the SDK's CRC32 checksum alone is refused and the same request with {@code Content-MD5} is accepted
 * (older MinIO releases), {@link ProviderProfile#contentMd5()} is set. A capability that is {@link
 * Capability#required()} and refused is a {@link Report#problems() problem}: serve, worker and dev do not start.
 */
public final class ProviderProbe {
    /** Key prefix, in the raw bucket, of the objects the probe writes and deletes. */
    public static final String PREFIX = "stowage-probe/";

    /** How one check came out. */
    public enum Result {
        /** The store did it. */
        OK,
        /** The store does not do it (it said so, or the profile records it); Stowage does without. */
        NO,
        /** The store refused it and Stowage cannot do without: a problem. */
        FAILED,
        /** Not tried (the bucket is missing, or an earlier step failed). */
        SKIPPED
    }

    /**
     * One check.
     *
     * @param name       what was tried, e.g. {@code presigned PUT}
     * @param capability the capability it tells about
     * @param result     what came of it
     * @param detail     the store's answer, or what Stowage does instead
     */
    public record Check(String name, Capability capability, Result result, String detail) {}

    /**
     * What the probe found.
     *
     * @param storage  the storage section probed
     * @param profile  the profile to run with: the provider's, less what the store refused, with the checksum
     *                 behaviour that answered
     * @param checks   every check, in order
     * @param problems one line per required capability the store refused (empty: Stowage can run)
     * @param probed   whether the store was asked ({@code false}: unreachable or bucket missing, the provider's
     *                 profile is used as it is)
     */
    public record Report(StowageConfig.Storage storage, ProviderProfile profile, List<Check> checks, List<String> problems,
                         boolean probed) {

        /** The checks as a table (one row per check, then the checksum choice). */
        public String table() {
            var sb = new StringBuilder();
            sb.append("Provider ").append(storage.provider().id())
                    .append(storage.endpoint() == null ? "" : " at " + storage.endpoint())
                    .append(", bucket ").append(storage.buckets().raw()).append(" (probe objects under ").append(PREFIX).append(")\n");
            int w = Math.max(5, checks.stream().mapToInt(c -> c.name().length()).max().orElse(5));
            int cw = Math.max(10, checks.stream().mapToInt(c -> c.capability() == null ? 1 : c.capability().id().length()).max().orElse(10));
            String fmt = "%-" + w + "s  %-" + cw + "s  %-7s  %s%n";
            sb.append(String.format(Locale.ROOT, fmt, "CHECK", "CAPABILITY", "RESULT", "DETAIL"));
            for (Check c : checks) {
                sb.append(String.format(Locale.ROOT, fmt, c.name(), c.capability() == null ? "-" : c.capability().id(),
                        c.result().name().toLowerCase(Locale.ROOT), c.detail()));
            }
            sb.append("Checksums: ").append(profile.sdkChecksums() ? "the SDK's defaults (CRC32 where supported)"
                    : profile.contentMd5() ? "Content-MD5 on requests that require a checksum (CRC32 alone refused)"
                    : "only where required (CRC32)").append('\n');
            return sb.toString();
        }
    }

    private final StowageConfig.Storage storage;
    private final AwsCredentialsProvider credentials;
    private final List<Check> checks = new ArrayList<>() {
        private long last = System.nanoTime();

        @Override
        public boolean add(Check c) {
            long now = System.nanoTime();
            Check timed = new Check(c.name(), c.capability(), c.result(), c.detail() + " [" + (now - last) / 1_000_000 + " ms]");
            last = now;
            return super.add(timed);
        }
    };
    private final List<String> problems = new ArrayList<>();
    private ProviderProfile profile;

    private ProviderProbe(StowageConfig.Storage storage, AwsCredentialsProvider credentials) {
        this.storage = storage;
        this.credentials = credentials;
        this.profile = ProviderProfile.of(storage.provider());
    }

    /**
     * Probes the store.
     *
     * @param storage     the validated storage section
     * @param credentials S3 credentials; {@code null} = the SDK's default chain
     * @return what answered; never throws for a store refusal (those are checks and problems)
     */
    public static Report run(StowageConfig.Storage storage, AwsCredentialsProvider credentials) {
        return new ProviderProbe(storage, credentials).run();
    }

    private Report run() {
        String bucket = storage.buckets().raw();
        try (S3Clients crc = S3Clients.create(storage, credentials, true, profile);
             S3Clients md5 = S3Clients.create(storage, credentials, true, profile.withContentMd5(true))) {
            S3ObjectStore plain = new S3ObjectStore(crc);
            S3ObjectStore withMd5 = new S3ObjectStore(md5);
            boolean exists;
            try {
                exists = plain.buckets().exists(bucket); // not the short-call client: a cold JVM's first call is slow
            } catch (StoreException e) {
                checks.add(new Check("bucket " + bucket, null, Result.SKIPPED, "store not reached: " + e.reason()));
                return report(false);
            }
            if (!exists) {
                checks.add(new Check("bucket " + bucket, null, Result.SKIPPED, "the bucket does not exist (run 'stowage buckets apply'); nothing else probed"));
                return report(false);
            }
            String run = PREFIX + UUID.randomUUID() + "/";
            String putKey = run + "put";
            String mpKey = run + "multipart";
            boolean put = presignedPut(plain, bucket, putKey);
            multipart(plain, bucket, mpKey);
            if (profile.has(Capability.OBJECT_TAGGING)) {
                if (put) tagging(plain, withMd5, bucket, putKey);
                else checks.add(new Check("PutObjectTagging", Capability.OBJECT_TAGGING, Result.SKIPPED, "no probe object"));
            } else {
                checks.add(new Check("PutObjectTagging", Capability.OBJECT_TAGGING, Result.NO, profile.insteadOf(Capability.OBJECT_TAGGING)));
            }
            deleteObjects(plain, withMd5, bucket, List.of(putKey, mpKey));
            if (profile.has(Capability.VERSIONING)) {
                // a versioned bucket keeps what was deleted: remove the probe's versions and delete markers too
                quietly(() -> plain.versions(bucket, run).forEach(v -> quietly(() -> plain.deleteVersion(bucket, v.key(), v.versionId()))));
            }
            settingReads(plain.buckets(), bucket);
        }
        return report(true);
    }

    private Report report(boolean probed) {
        return new Report(storage, profile, List.copyOf(checks), List.copyOf(problems), probed);
    }

    private Duration timeout() {
        return storage.timeouts().smallBody();
    }

    private void required(Capability c, String name, StoreException e) {
        profile = profile.without(c, name + " refused: " + e.reason());
        checks.add(new Check(name, c, Result.FAILED, e.reason()));
        problems.add("storage: the " + storage.provider().id() + " store" + (storage.endpoint() == null ? "" : " at " + storage.endpoint())
                + " refuses " + name + " on bucket " + storage.buckets().raw() + " (" + e.reason() + "): Stowage needs it ("
                + c.id() + "); check storage.provider and the store's version");
    }

    private boolean presignedPut(S3ObjectStore store, String bucket, String key) {
        byte[] body = "stowage provider probe\n".getBytes(StandardCharsets.UTF_8);
        var put = ObjectStore.Put.of(bucket, key).contentType("text/plain").contentLength(body.length)
                .metadata(Map.of("stowage-probe", "1"));
        if (profile.has(Capability.STORED_CHECKSUMS)) put = put.sha256(sha256(body));
        if (profile.has(Capability.OBJECT_TAGGING)) put = put.tagging(ObjectTags.STATE_KEY + "=" + ObjectTags.PENDING);
        try {
            ObjectStore.Presigned p = store.presignPut(put, Duration.ofMinutes(5));
            HttpRequest.Builder req = HttpRequest.newBuilder(p.url()).timeout(timeout())
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
            List<String> signed = new ArrayList<>();
            p.signedHeaders().forEach((name, values) -> {
                if (Set.of("host", "content-length").contains(name.toLowerCase(Locale.ROOT))) return;
                signed.add(name.toLowerCase(Locale.ROOT));
                for (String v : values) req.header(name, v);
            });
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(storage.timeouts().connect()).build()) {
                HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 == 2) {
                    checks.add(new Check("presigned PUT", Capability.PRESIGNED_UPLOADS, Result.OK,
                            r.statusCode() + ", signed headers " + signed.stream().sorted().toList()));
                    return true;
                }
                String code = between(r.body(), "<Code>", "</Code>");
                required(Capability.PRESIGNED_UPLOADS, "presigned PUT", new StoreException(r.statusCode(), code,
                        between(r.body(), "<Message>", "</Message>"), null));
                return false;
            }
        } catch (StoreException e) {
            required(Capability.PRESIGNED_UPLOADS, "presigned PUT", e);
        } catch (java.io.IOException e) {
            required(Capability.PRESIGNED_UPLOADS, "presigned PUT", new StoreException(0, null, e.toString(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            required(Capability.PRESIGNED_UPLOADS, "presigned PUT", new StoreException(0, null, "interrupted", e));
        }
        return false;
    }

    private boolean multipart(S3ObjectStore store, String bucket, String key) {
        boolean sha = profile.has(Capability.STORED_CHECKSUMS);
        byte[] part = "stowage multipart probe\n".getBytes(StandardCharsets.UTF_8);
        String uploadId = null;
        try {
            uploadId = store.createMultipart(ObjectStore.Put.of(bucket, key).contentType("text/plain"), sha);
            var p = store.uploadPart(bucket, key, uploadId, 1, ObjectStore.Body.of(part), sha ? sha256(part) : null);
            store.completeMultipart(bucket, key, uploadId, List.of(p));
            checks.add(new Check("multipart upload", Capability.MULTIPART_UPLOADS, Result.OK,
                    "create, part, complete" + (sha ? " with SHA-256 part checksums" : " (no part checksums: " + profile.insteadOf(Capability.STORED_CHECKSUMS) + ")")));
            return true;
        } catch (StoreException e) {
            required(Capability.MULTIPART_UPLOADS, "multipart upload" + (sha ? " with SHA-256 checksums" : ""), e);
            if (uploadId != null) {
                String id = uploadId;
                quietly(() -> store.abortMultipart(bucket, key, id));
            }
            return false;
        }
    }

    /** Whether a refusal may be the server wanting Content-MD5 (a 4xx other than denied or missing). */
    private static boolean checksumRefusal(StoreException e) {
        return e.status() >= 400 && e.status() < 500 && e.status() != 403 && e.status() != 404;
    }

    private void tagging(S3ObjectStore plain, S3ObjectStore withMd5, String bucket, String key) {
        Map<String, String> tags = Map.of(ObjectTags.STATE_KEY, ObjectTags.PENDING);
        try {
            (profile.contentMd5() ? withMd5 : plain).putTags(bucket, key, tags);
            checks.add(new Check("PutObjectTagging", Capability.OBJECT_TAGGING, Result.OK,
                    profile.contentMd5() ? "with Content-MD5" : "accepted with the SDK's checksum alone"));
            return;
        } catch (StoreException e) {
            if (!profile.contentMd5() && checksumRefusal(e)) {
                try {
                    withMd5.putTags(bucket, key, tags);
                    profile = profile.withContentMd5(true);
                    checks.add(new Check("PutObjectTagging", Capability.OBJECT_TAGGING, Result.OK,
                            "refused without Content-MD5 (" + e.reason() + "); accepted with it: Content-MD5 is sent"));
                    return;
                } catch (StoreException again) {
                    e = again;
                }
            }
            if (e.notImplemented() || checksumRefusal(e)) {
                profile = profile.without(Capability.OBJECT_TAGGING, "the store refused PutObjectTagging (" + e.reason()
                        + "): upload state lives in PostgreSQL only");
                checks.add(new Check("PutObjectTagging", Capability.OBJECT_TAGGING, Result.NO, e.reason() + "; Stowage does without tags"));
            } else {
                checks.add(new Check("PutObjectTagging", Capability.OBJECT_TAGGING, Result.FAILED, e.reason()));
                problems.add("storage: PutObjectTagging on bucket " + bucket + " (provider " + storage.provider().id() + "): " + e.reason());
            }
        }
    }

    private void deleteObjects(S3ObjectStore plain, S3ObjectStore withMd5, String bucket, List<String> keys) {
        try {
            (profile.contentMd5() ? withMd5 : plain).deleteMany(bucket, keys);
            checks.add(new Check("DeleteObjects", Capability.BATCH_DELETE, Result.OK,
                    profile.contentMd5() ? "with Content-MD5" : "accepted with the SDK's checksum alone"));
            return;
        } catch (StoreException e) {
            if (!profile.contentMd5() && checksumRefusal(e)) {
                try {
                    withMd5.deleteMany(bucket, keys);
                    profile = profile.withContentMd5(true);
                    checks.add(new Check("DeleteObjects", Capability.BATCH_DELETE, Result.OK,
                            "refused without Content-MD5 (" + e.reason() + "); accepted with it: Content-MD5 is sent"));
                    return;
                } catch (StoreException again) {
                    e = again;
                }
            }
            required(Capability.BATCH_DELETE, "DeleteObjects", e);
            for (String k : keys) quietly(() -> plain.delete(bucket, k));
        }
    }

    /** Reads the settings the profile says the provider holds; a 501 or 405 takes the capability out. */
    private void settingReads(BucketAdmin admin, String bucket) {
        read(admin, bucket, Capability.VERSIONING, "GetBucketVersioning", () -> admin.versioning(bucket));
        read(admin, bucket, Capability.LIFECYCLE, "GetBucketLifecycleConfiguration", () -> admin.lifecycle(bucket));
        read(admin, bucket, Capability.BUCKET_POLICY, "GetBucketPolicy", () -> admin.policy(bucket));
        read(admin, bucket, Capability.DEFAULT_ENCRYPTION, "GetBucketEncryption", () -> admin.encryption(bucket));
        read(admin, bucket, Capability.BLOCK_PUBLIC_ACCESS, "GetPublicAccessBlock", () -> admin.publicAccessBlock(bucket));
        read(admin, bucket, Capability.ACCESS_LOGGING, "GetBucketLogging", () -> admin.logging(bucket));
        read(admin, bucket, Capability.PER_BUCKET_CORS, "GetBucketCors", () -> admin.cors(bucket));
    }

    private void read(BucketAdmin admin, String bucket, Capability c, String op, Supplier<Object> call) {
        if (!profile.has(c)) {
            checks.add(new Check(op, c, Result.NO, "not asked: " + profile.insteadOf(c)));
            return;
        }
        try {
            call.get();
            checks.add(new Check(op, c, Result.OK, "answered"));
        } catch (StoreException e) {
            if (e.notImplemented() || e.status() == 405) {
                profile = profile.without(c, op + " answered " + e.reason() + ": Stowage does without " + c.id());
                checks.add(new Check(op, c, Result.NO, e.reason() + ": taken out of the profile"));
            } else {
                // denied or unavailable: the profile stays as recorded, the reason is shown
                checks.add(new Check(op, c, Result.SKIPPED, "could not read " + c.id() + " on bucket " + bucket + ": " + e.reason()));
            }
        }
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException ignored) {
            // best effort clean-up of a probe object
        }
    }

    private static String between(String s, String a, String b) {
        if (s == null) return null;
        int i = s.indexOf(a);
        int j = i < 0 ? -1 : s.indexOf(b, i + a.length());
        return i < 0 || j < 0 ? null : s.substring(i + a.length(), j);
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For a one-line log message: {@code presigned-uploads ok, object-tagging no, …}. */
    public static String summary(Report r) {
        List<String> parts = new ArrayList<>();
        for (Check c : r.checks()) parts.add((c.capability() == null ? c.name() : c.capability().id()) + " " + c.result().name().toLowerCase(Locale.ROOT));
        return String.join(", ", parts) + (r.profile().contentMd5() ? "; Content-MD5 on" : "");
    }
}

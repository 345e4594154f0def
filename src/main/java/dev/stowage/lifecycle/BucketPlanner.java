package dev.stowage.lifecycle;

import dev.stowage.config.StowageConfig;
import dev.stowage.lifecycle.BucketChange.Action;
import dev.stowage.storage.BrowserCors;
import dev.stowage.storage.Capability;
import dev.stowage.storage.S3Clients;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CORSConfiguration;
import software.amazon.awssdk.services.s3.model.CORSRule;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Buckets as code: compares the bucket settings that configuration asks for with the live ones
 * ({@link #plan()}) and makes them so ({@link #apply()}). Idempotent: after {@code apply}, {@code plan}
 * reports no change. Settings a provider cannot hold are reported as {@link Action#UNSUPPORTED} with
 * what Stowage does instead, never as errors.
 *
 * <p>Managed now: existence of the four buckets and their CORS rules (explicit origins, the methods
 * and headers a browser upload needs, {@code ETag} exposed).
 */
public final class BucketPlanner {
    private final S3Clients s3;
    private final StowageConfig.Storage storage;

    /**
     * @param s3      clients for the configured provider
     * @param storage the validated storage section (bucket names, CORS origins, region)
     */
    public BucketPlanner(S3Clients s3, StowageConfig.Storage storage) {
        this.s3 = s3;
        this.storage = storage;
    }

    /** The CORS rule a bucket should have, or {@code null} for none. */
    CORSRule desiredCors(String bucket) {
        var b = storage.buckets();
        List<String> methods;
        if (bucket.equals(b.raw())) methods = BrowserCors.RAW_METHODS;
        else if (bucket.equals(b.processed())) methods = BrowserCors.PROCESSED_METHODS;
        else return null;
        return CORSRule.builder()
                .id("stowage-browser")
                .allowedOrigins(sorted(storage.cors().allowedOrigins()))
                .allowedMethods(sorted(methods))
                .allowedHeaders(sorted(BrowserCors.ALLOWED_HEADERS))
                .exposeHeaders(sorted(BrowserCors.EXPOSED_HEADERS))
                .maxAgeSeconds((int) storage.cors().maxAge().toSeconds())
                .build();
    }

    /**
     * Reads the live settings and lists, per bucket and setting, what {@link #apply()} would do.
     *
     * @return one line per bucket and setting, in configuration order
     * @throws S3Exception when the store refuses a read for another reason than a missing setting
     */
    public List<BucketChange> plan() {
        List<BucketChange> out = new ArrayList<>();
        for (String bucket : storage.buckets().all()) {
            boolean exists = exists(bucket);
            out.add(new BucketChange(bucket, "bucket", exists ? Action.UNCHANGED : Action.CREATE,
                    exists ? "exists" : "create in " + storage.region()));
            CORSRule want = desiredCors(bucket);
            if (!s3.profile().has(Capability.PER_BUCKET_CORS)) {
                if (want != null) {
                    out.add(new BucketChange(bucket, "cors", Action.UNSUPPORTED,
                            "unsupported by " + storage.provider().id() + ": " + s3.profile().insteadOf(Capability.PER_BUCKET_CORS)));
                }
                continue;
            }
            List<CORSRule> have = exists ? liveCors(bucket) : List.of();
            if (want == null) {
                if (!have.isEmpty()) out.add(new BucketChange(bucket, "cors", Action.DELETE, "no CORS wanted"));
            } else if (have.isEmpty()) {
                out.add(new BucketChange(bucket, "cors", Action.CREATE, describe(want)));
            } else if (have.size() == 1 && same(have.getFirst(), want)) {
                out.add(new BucketChange(bucket, "cors", Action.UNCHANGED, describe(want)));
            } else {
                out.add(new BucketChange(bucket, "cors", Action.UPDATE, describe(want)));
            }
        }
        return out;
    }

    /**
     * Makes the live settings match configuration.
     *
     * @return the lines of the plan that were carried out (empty when nothing had to change)
     * @throws S3Exception when the store refuses a change
     */
    public List<BucketChange> apply() {
        List<BucketChange> done = new ArrayList<>();
        for (BucketChange c : plan()) {
            if (!c.isChange()) continue;
            switch (c.setting()) {
                case "bucket" -> createBucket(c.bucket());
                case "cors" -> {
                    if (c.action() == Action.DELETE) {
                        s3.client().deleteBucketCors(r -> r.bucket(c.bucket()));
                    } else {
                        CORSRule rule = desiredCors(c.bucket());
                        s3.client().putBucketCors(r -> r.bucket(c.bucket())
                                .corsConfiguration(CORSConfiguration.builder().corsRules(rule).build()));
                    }
                }
                default -> throw new IllegalStateException("no way to apply " + c.setting());
            }
            done.add(c);
        }
        return done;
    }

    private void createBucket(String bucket) {
        var req = CreateBucketRequest.builder().bucket(bucket);
        String region = storage.region();
        if (!region.equals("us-east-1") && !region.equals("auto")) {
            req.createBucketConfiguration(c -> c.locationConstraint(region));
        }
        try {
            s3.client().createBucket(req.build());
        } catch (BucketAlreadyOwnedByYouException e) {
            // created concurrently by another apply: fine
        }
    }

    private boolean exists(String bucket) {
        try {
            s3.client().headBucket(r -> r.bucket(bucket));
            return true;
        } catch (NoSuchBucketException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return false;
            throw e;
        }
    }

    private List<CORSRule> liveCors(String bucket) {
        try {
            return s3.client().getBucketCors(r -> r.bucket(bucket)).corsRules();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return List.of(); // NoSuchCORSConfiguration
            throw e;
        }
    }

    private static boolean same(CORSRule a, CORSRule b) {
        return lower(a.allowedOrigins()).equals(lower(b.allowedOrigins()))
                && sorted(a.allowedMethods()).equals(sorted(b.allowedMethods()))
                && lower(a.allowedHeaders()).equals(lower(b.allowedHeaders()))
                && lower(a.exposeHeaders()).equals(lower(b.exposeHeaders()))
                && java.util.Objects.equals(a.maxAgeSeconds(), b.maxAgeSeconds());
    }

    private static List<String> sorted(List<String> l) {
        return l == null ? List.of() : l.stream().sorted().toList();
    }

    private static List<String> lower(List<String> l) {
        return l == null ? List.of() : l.stream().map(s -> s.toLowerCase(java.util.Locale.ROOT)).sorted().toList();
    }

    private static String describe(CORSRule r) {
        return "origins " + r.allowedOrigins() + ", methods " + r.allowedMethods() + ", expose " + r.exposeHeaders()
                + ", max-age " + r.maxAgeSeconds() + "s";
    }

    /**
     * Renders a plan as text, one line per setting ({@code +} create, {@code ~} update, {@code -} delete,
     * {@code =} unchanged, {@code !} unsupported), then a summary line.
     *
     * @param changes the plan
     * @param applied whether these lines were applied (wording of the summary)
     * @return the text, ending with a newline
     */
    public static String render(List<BucketChange> changes, boolean applied) {
        var sb = new StringBuilder();
        var byBucket = changes.stream().collect(Collectors.groupingBy(BucketChange::bucket,
                java.util.LinkedHashMap::new, Collectors.toList()));
        byBucket.forEach((bucket, lines) -> {
            sb.append(bucket).append('\n');
            lines.stream().sorted(Comparator.comparing(c -> !c.setting().equals("bucket")))
                    .forEach(c -> sb.append("  ").append(c.action().symbol()).append(' ')
                            .append(c.setting()).append(": ").append(c.detail()).append('\n'));
        });
        long n = changes.stream().filter(BucketChange::isChange).count();
        if (applied) sb.append(n == 0 ? "Nothing to change.\n" : "Applied " + n + " change(s).\n");
        else sb.append(n == 0 ? "No changes.\n" : n + " change(s) to apply.\n");
        return sb.toString();
    }
}

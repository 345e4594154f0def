package dev.stowage.buckets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketChange.Action;
import dev.stowage.storage.BrowserCors;
import dev.stowage.storage.BucketAdmin.AccessLogging;
import dev.stowage.storage.BucketAdmin.CorsRule;
import dev.stowage.storage.BucketAdmin.LifecycleRule;
import dev.stowage.storage.BucketAdmin.PublicAccessBlock;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Buckets as code (docs/architecture.md §7, §8): compares the bucket settings that configuration asks for with the
 * live ones ({@link #plan()}) and makes them so ({@link #apply()}). Idempotent: after {@code apply},
 * {@code plan} reports no change. Settings a provider cannot hold are reported as
 * {@link Action#UNSUPPORTED} ({@code unsupported by <provider>: <what Stowage does instead>}), never as
 * errors.
 *
 * <p>Managed per bucket: existence, versioning, lifecycle rules, default encryption (SSE-S3), block
 * public access, server access logging into the logs bucket, the bucket policy (deny non-TLS requests;
 * read by the CDN's origin identity on the processed bucket when a distribution is given; log delivery
 * on the logs bucket) and CORS (explicit origins, the methods and headers a browser upload needs,
 * {@code ETag} exposed).
 */
public final class BucketPlanner {
    /** Plan setting names, in the order they are shown and applied. */
    public static final List<String> SETTINGS = List.of("bucket", "versioning", "encryption", "public-access-block",
            "lifecycle", "cors", "policy", "logging");

    private final ObjectStore s3;
    private final StowageConfig.Storage storage;
    private final StowageConfig.BucketSettings settings;
    private final Optional<String> cdnDistributionArn;
    private final BucketInspector inspect;

    /** The product default settings, no CDN. */
    public BucketPlanner(ObjectStore s3, StowageConfig.Storage storage) {
        this(s3, storage, StowageConfig.BucketSettings.DEFAULT, Optional.empty());
    }

    /** The configured settings, no CDN. */
    public BucketPlanner(ObjectStore s3, StowageConfig config) {
        this(s3, config.storage(), config.bucketSettings(), Optional.empty());
    }

    /**
     * @param s3                 the object store of the configured provider
     * @param storage            the validated storage section (bucket names, CORS origins, region, endpoint)
     * @param settings           bucket settings as code
     * @param cdnDistributionArn the CloudFront distribution whose Origin Access Control reads the processed
     *                           bucket, e.g. {@code arn:aws:cloudfront::123456789012:distribution/E…}; empty
     *                           when no CDN is configured
     */
    public BucketPlanner(ObjectStore s3, StowageConfig.Storage storage, StowageConfig.BucketSettings settings,
                         Optional<String> cdnDistributionArn) {
        this.s3 = s3;
        this.storage = storage;
        this.settings = settings;
        this.cdnDistributionArn = cdnDistributionArn;
        this.inspect = new BucketInspector(s3);
    }

    private String provider() {
        return storage.provider().id();
    }

    private String unsupported(Capability c) {
        return "unsupported by " + provider() + ": " + s3.profile().insteadOf(c);
    }

    /** Whether the endpoint is plain HTTP (a TLS-only policy would then refuse Stowage itself). */
    private boolean plainHttp() {
        return storage.endpoint() != null && "http".equalsIgnoreCase(storage.endpoint().getScheme());
    }

    /** The CORS rule a bucket should have, or {@code null} for none. */
    CorsRule desiredCors(String bucket) {
        var b = storage.buckets();
        List<String> methods;
        if (bucket.equals(b.raw())) methods = BrowserCors.RAW_METHODS;
        else if (bucket.equals(b.processed())) methods = BrowserCors.PROCESSED_METHODS;
        else return null;
        return new CorsRule("stowage-browser", sorted(storage.cors().allowedOrigins()), sorted(methods),
                sorted(BrowserCors.ALLOWED_HEADERS), sorted(BrowserCors.EXPOSED_HEADERS), (int) storage.cors().maxAge().toSeconds());
    }

    /** The policy a bucket should have: the document ({@code null} = none), its description, and statements it cannot have. */
    record PolicyWant(String document, String description, Map<String, String> unsupported) {}

    PolicyWant desiredPolicy(BucketKind kind) {
        String bucket = kind.name(storage.buckets());
        List<ObjectNode> statements = new ArrayList<>();
        List<String> what = new ArrayList<>();
        Map<String, String> gaps = new LinkedHashMap<>();
        boolean policies = s3.profile().has(Capability.BUCKET_POLICY);
        Provider p = storage.provider();
        if (settings.requireTls()) {
            if (!policies) {
                gaps.put("policy", unsupported(Capability.BUCKET_POLICY));
            } else if (plainHttp()) {
                gaps.put("policy", "unsupported by " + provider() + " over plain HTTP (" + storage.endpoint() + "): a deny-non-TLS policy would refuse "
                        + "Stowage's own requests; serve the store over HTTPS and use an https endpoint"
                        + (p == Provider.CEPH ? " (RGW sees TLS only when it terminates it, or with rgw_trust_forwarded_https)" : ""));
            } else {
                statements.add(BucketPolicies.denyInsecureTransport(bucket, p));
                what.add("deny non-TLS requests (" + BucketPolicies.secureTransportOperator(p) + " aws:SecureTransport=false)");
            }
        }
        if (kind == BucketKind.PROCESSED && cdnDistributionArn.isPresent()) {
            if (p == Provider.AWS) {
                statements.add(BucketPolicies.cdnOriginRead(bucket, cdnDistributionArn.get()));
                what.add("GetObject only for the CDN origin identity (" + cdnDistributionArn.get() + ")");
            } else {
                gaps.put("policy cdn-origin", "unsupported by " + provider() + ": CloudFront Origin Access Control needs AWS S3; "
                        + "Stowage serves variants through short presigned URLs instead");
            }
        }
        if (kind == BucketKind.LOGS && settings.accessLogging() && s3.profile().has(Capability.ACCESS_LOGGING) && policies) {
            var b = storage.buckets();
            statements.add(BucketPolicies.logDelivery(bucket, List.of(b.raw(), b.processed(), b.backups())));
            what.add("log delivery from " + List.of(b.raw(), b.processed(), b.backups()));
        }
        return new PolicyWant(BucketPolicies.document(statements), String.join("; ", what), gaps);
    }

    /** The lifecycle rules a bucket should have. */
    LifecycleRules.Desired desiredLifecycle(BucketKind kind) {
        return LifecycleRules.desired(kind.rules(settings), s3.profile());
    }

    /** The access-log target of a bucket, or {@code null} for none. */
    AccessLogging desiredLogging(BucketKind kind) {
        if (!settings.accessLogging() || kind == BucketKind.LOGS) return null;
        String bucket = kind.name(storage.buckets());
        return new AccessLogging(storage.buckets().logs(), bucket + "/");
    }

    /**
     * Reads the live settings and lists, per bucket and setting, what {@link #apply()} would do.
     *
     * @return one line per bucket and setting, in configuration order
     * @throws StoreException when the store refuses a read for another reason than a missing setting
     */
    public List<BucketChange> plan() {
        List<BucketChange> out = new ArrayList<>();
        var profile = s3.profile();
        for (BucketKind kind : BucketKind.values()) {
            String bucket = kind.name(storage.buckets());
            var rules = kind.rules(settings);
            boolean exists;
            try {
                exists = inspect.exists(bucket);
            } catch (StoreException e) {
                if (e.unavailable()) throw e; // nothing else can be read either
                out.add(new BucketChange(bucket, "bucket", Action.FAILED, couldNot("read", "bucket", bucket, e), true));
                continue;
            }
            out.add(new BucketChange(bucket, "bucket", exists ? Action.UNCHANGED : Action.CREATE,
                    exists ? "exists" : "create in " + storage.region(), true));

            guard(out, bucket, "versioning", () -> {
                if (!profile.has(Capability.VERSIONING)) {
                    if (rules.versioning()) out.add(new BucketChange(bucket, "versioning", Action.UNSUPPORTED, unsupported(Capability.VERSIONING)));
                } else {
                    String live = exists ? inspect.versioning(bucket) : null;
                    if (rules.versioning()) {
                        out.add(new BucketChange(bucket, "versioning", "Enabled".equals(live) ? Action.UNCHANGED : live == null ? Action.CREATE : Action.UPDATE, "Enabled"));
                    } else if ("Enabled".equals(live)) {
                        out.add(new BucketChange(bucket, "versioning", Action.UPDATE, "Suspended (versioning cannot be removed once enabled)"));
                    }
                }
            });

            if (settings.encrypt()) guard(out, bucket, "encryption", () -> {
                if (!profile.has(Capability.DEFAULT_ENCRYPTION)) {
                    out.add(new BucketChange(bucket, "encryption", Action.UNSUPPORTED, unsupported(Capability.DEFAULT_ENCRYPTION)));
                } else {
                    String live = exists ? inspect.encryption(bucket) : null;
                    out.add(new BucketChange(bucket, "encryption", "AES256".equals(live) ? Action.UNCHANGED : live == null ? Action.CREATE : Action.UPDATE,
                            "SSE-S3 (AES256) by default"));
                }
            });

            if (settings.blockPublicAccess()) guard(out, bucket, "public-access-block", () -> {
                if (!profile.has(Capability.BLOCK_PUBLIC_ACCESS)) {
                    out.add(new BucketChange(bucket, "public-access-block", Action.UNSUPPORTED, unsupported(Capability.BLOCK_PUBLIC_ACCESS)));
                } else {
                    var live = exists ? inspect.publicAccessBlock(bucket) : null;
                    out.add(new BucketChange(bucket, "public-access-block", allBlocked(live) ? Action.UNCHANGED : live == null ? Action.CREATE : Action.UPDATE,
                            "block public ACLs and policies, ignore public ACLs, restrict public buckets"));
                }
            });

            guard(out, bucket, "lifecycle", () -> {
                var lc = desiredLifecycle(kind);
                if (!profile.has(Capability.LIFECYCLE)) {
                    if (!lc.unsupported().isEmpty()) {
                        out.add(new BucketChange(bucket, "lifecycle", Action.UNSUPPORTED, unsupported(Capability.LIFECYCLE)
                                + " (rules not held: " + String.join(", ", lc.unsupported().keySet()) + ")"));
                    }
                } else {
                    lc.unsupported().forEach((id, note) ->
                            out.add(new BucketChange(bucket, "lifecycle " + id, Action.UNSUPPORTED, "unsupported by " + provider() + ": " + note)));
                    List<LifecycleRule> live = exists ? inspect.lifecycle(bucket) : List.of();
                    if (lc.rules().isEmpty()) {
                        if (!live.isEmpty()) out.add(new BucketChange(bucket, "lifecycle", Action.DELETE, "no rules wanted"));
                    } else {
                        out.add(new BucketChange(bucket, "lifecycle", LifecycleRules.same(live, lc.rules()) ? Action.UNCHANGED
                                : live.isEmpty() ? Action.CREATE : Action.UPDATE, LifecycleRules.describe(lc.rules())));
                    }
                }
            });

            guard(out, bucket, "cors", () -> {
                CorsRule want = desiredCors(bucket);
                if (!profile.has(Capability.PER_BUCKET_CORS)) {
                    if (want != null) out.add(new BucketChange(bucket, "cors", Action.UNSUPPORTED, unsupported(Capability.PER_BUCKET_CORS)));
                } else {
                    List<CorsRule> have = exists ? inspect.cors(bucket) : List.of();
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
            });

            guard(out, bucket, "policy", () -> {
                PolicyWant pw = desiredPolicy(kind);
                pw.unsupported().forEach((setting, note) -> out.add(new BucketChange(bucket, setting, Action.UNSUPPORTED, note)));
                if (profile.has(Capability.BUCKET_POLICY)) {
                    String live = exists ? inspect.policy(bucket) : null;
                    if (pw.document() == null) {
                        if (live != null) out.add(new BucketChange(bucket, "policy", Action.DELETE, "no policy wanted"));
                    } else {
                        out.add(new BucketChange(bucket, "policy", BucketPolicies.same(live, pw.document()) ? Action.UNCHANGED
                                : live == null ? Action.CREATE : Action.UPDATE, pw.description()));
                    }
                }
            });

            guard(out, bucket, "logging", () -> {
                AccessLogging wantLog = desiredLogging(kind);
                if (!profile.has(Capability.ACCESS_LOGGING)) {
                    if (wantLog != null) out.add(new BucketChange(bucket, "logging", Action.UNSUPPORTED, unsupported(Capability.ACCESS_LOGGING)));
                } else {
                    AccessLogging live = exists ? inspect.logging(bucket) : null;
                    if (wantLog == null) {
                        if (live != null) out.add(new BucketChange(bucket, "logging", Action.DELETE, "no access logging wanted"));
                    } else {
                        boolean same = live != null && wantLog.targetBucket().equals(live.targetBucket())
                                && wantLog.targetPrefix().equals(Objects.requireNonNullElse(live.targetPrefix(), ""));
                        out.add(new BucketChange(bucket, "logging", same ? Action.UNCHANGED : live == null ? Action.CREATE : Action.UPDATE,
                                "to " + wantLog.targetBucket() + "/" + wantLog.targetPrefix()));
                    }
                }
            });
        }
        return out.stream().map(c -> c.setting().equals("bucket") ? c : c.withRequired(settings.requires(c.setting()))).toList();
    }

    /** Runs one setting's part of the plan; a store refusal becomes a {@link Action#FAILED} line naming it. */
    private void guard(List<BucketChange> out, String bucket, String setting, Runnable part) {
        int mark = out.size();
        try {
            part.run();
        } catch (StoreException e) {
            if (e.unavailable()) throw e; // nothing else can be read either
            while (out.size() > mark) out.removeLast();
            out.add(new BucketChange(bucket, setting, Action.FAILED, couldNot("read", setting, bucket, e)));
        }
    }

    /** {@code could not read encryption on bucket b (provider ceph): 501 NotImplemented: …}. */
    private String couldNot(String verb, String setting, String bucket, StoreException e) {
        return "could not " + verb + " " + setting + " on bucket " + bucket + " (provider " + provider() + "): " + e.reason();
    }

    private static boolean allBlocked(PublicAccessBlock c) {
        return c != null && c.all();
    }

    private static int phase(BucketChange c) {
        return switch (c.setting()) {
            case "bucket" -> 0;
            case "logging" -> 2; // after the logs bucket exists and its policy lets the logging service write
            default -> 1;
        };
    }

    /**
     * What {@link #applyAll()} did.
     *
     * @param done    lines carried out
     * @param failed  lines the store refused (to read or to change), as {@link Action#FAILED} lines naming bucket,
     *                setting, provider and the store's answer
     * @param notHeld required lines the provider cannot hold ({@link Action#UNSUPPORTED})
     * @param gaps    best-effort lines the provider cannot hold (Stowage does without them, as noted)
     */
    public record Outcome(List<BucketChange> done, List<BucketChange> failed, List<BucketChange> notHeld, List<BucketChange> gaps) {
        /** Required settings that are not as configured: failed or not held. */
        public List<BucketChange> requiredMissing() {
            List<BucketChange> out = new ArrayList<>(notHeld);
            failed.stream().filter(BucketChange::required).forEach(out::add);
            return out;
        }

        /** Every line to show: done, then failed, then not held, then best-effort gaps. */
        public List<BucketChange> lines() {
            List<BucketChange> out = new ArrayList<>(done);
            out.addAll(failed);
            out.addAll(notHeld);
            out.addAll(gaps);
            return out;
        }
    }

    /**
     * Makes the live settings match configuration: buckets first, then their settings, access logging last. A
     * setting the store refuses does not stop the others.
     *
     * @return what was done, what failed and which required settings the provider cannot hold
     */
    public Outcome applyAll() {
        List<BucketChange> plan = plan();
        List<BucketChange> failed = new ArrayList<>(plan.stream().filter(c -> c.action() == Action.FAILED).toList());
        List<BucketChange> notHeld = plan.stream().filter(c -> c.action() == Action.UNSUPPORTED && c.required()).toList();
        List<BucketChange> gaps = plan.stream().filter(c -> c.action() == Action.UNSUPPORTED && !c.required()).toList();
        java.util.Set<String> missingBuckets = new java.util.HashSet<>();
        List<BucketChange> todo = plan.stream().filter(BucketChange::isChange)
                .sorted(Comparator.comparingInt(BucketPlanner::phase)).toList();
        List<BucketChange> done = new ArrayList<>();
        for (BucketChange c : todo) {
            String bucket = c.bucket();
            if (missingBuckets.contains(bucket)) {
                failed.add(c.failed("not applied: bucket " + bucket + " could not be created"));
                continue;
            }
            try {
                applyOne(c);
                done.add(c);
            } catch (StoreException e) {
                if (e.unavailable()) throw e; // nothing else can be changed either
                if (c.setting().equals("bucket")) missingBuckets.add(bucket);
                failed.add(c.failed(couldNot("apply", c.setting(), bucket, e)));
            }
        }
        return new Outcome(done, failed, notHeld, gaps);
    }

    /**
     * {@link #applyAll()} for callers that need every change made (the dev stack).
     *
     * @return the lines of the plan that were carried out (empty when nothing had to change)
     * @throws StoreException when the store refused a change; its message names bucket, setting and provider
     */
    public List<BucketChange> apply() {
        Outcome o = applyAll();
        if (!o.failed().isEmpty()) {
            BucketChange f = o.failed().getFirst();
            throw new StoreException(0, null, f.detail(), null);
        }
        return o.done();
    }

    private void applyOne(BucketChange c) {
        String bucket = c.bucket();
        BucketKind kind = BucketKind.of(storage.buckets(), bucket);
        var admin = s3.buckets();
        switch (c.setting()) {
            case "bucket" -> admin.create(bucket, storage.region());
            case "versioning" -> admin.setVersioning(bucket, kind.rules(settings).versioning());
            case "encryption" -> admin.setEncryption(bucket, "AES256");
            case "public-access-block" -> admin.blockPublicAccess(bucket);
            case "lifecycle" -> {
                if (c.action() == Action.DELETE) admin.deleteLifecycle(bucket);
                else admin.setLifecycle(bucket, desiredLifecycle(kind).rules());
            }
            case "cors" -> {
                if (c.action() == Action.DELETE) admin.deleteCors(bucket);
                else admin.setCors(bucket, List.of(desiredCors(bucket)));
            }
            case "policy" -> {
                if (c.action() == Action.DELETE) admin.deletePolicy(bucket);
                else admin.setPolicy(bucket, desiredPolicy(kind).document());
            }
            case "logging" -> admin.setLogging(bucket, desiredLogging(kind));
            default -> throw new IllegalStateException("no way to apply " + c.setting());
        }
    }

    static boolean same(CorsRule a, CorsRule b) {
        return lower(a.allowedOrigins()).equals(lower(b.allowedOrigins()))
                && sorted(a.allowedMethods()).equals(sorted(b.allowedMethods()))
                && lower(a.allowedHeaders()).equals(lower(b.allowedHeaders()))
                && lower(a.exposeHeaders()).equals(lower(b.exposeHeaders()))
                && Objects.equals(a.maxAgeSeconds(), b.maxAgeSeconds());
    }

    private static List<String> sorted(List<String> l) {
        return l == null ? List.of() : l.stream().sorted().toList();
    }

    private static List<String> lower(List<String> l) {
        return l == null ? List.of() : l.stream().map(s -> s.toLowerCase(java.util.Locale.ROOT)).sorted().toList();
    }

    private static String describe(CorsRule r) {
        return "origins " + r.allowedOrigins() + ", methods " + r.allowedMethods() + ", headers " + r.allowedHeaders() + ", expose " + r.exposeHeaders()
                + ", max-age " + r.maxAgeSeconds() + "s";
    }

    /**
     * Renders a plan as text, one line per setting ({@code +} create, {@code ~} update, {@code -} delete,
     * {@code =} unchanged, {@code !} unsupported, {@code x} refused by the store), each but the bucket's marked
     * {@code [required]} or {@code [best-effort]}, then summary lines.
     *
     * @param changes the plan
     * @param applied whether these lines were applied (wording of the summary)
     * @return the text, ending with a newline
     */
    public static String render(List<BucketChange> changes, boolean applied) {
        var sb = new StringBuilder();
        var byBucket = changes.stream().collect(Collectors.groupingBy(BucketChange::bucket,
                LinkedHashMap::new, Collectors.toList()));
        byBucket.forEach((bucket, lines) -> {
            sb.append(bucket).append('\n');
            lines.stream().sorted(Comparator.comparing(c -> !c.setting().equals("bucket")))
                    .forEach(c -> sb.append("  ").append(c.action().symbol()).append(' ')
                            .append(c.setting()).append(": ").append(c.detail())
                            .append(c.setting().equals("bucket") ? "" : c.required() ? "  [required]" : "  [best-effort]").append('\n'));
        });
        long n = changes.stream().filter(BucketChange::isChange).count();
        long gaps = changes.stream().filter(c -> c.action() == Action.UNSUPPORTED && !c.required()).count();
        if (gaps > 0) sb.append(gaps).append(" best-effort setting(s) the provider cannot hold (!): Stowage covers them as noted.\n");
        List<BucketChange> req = changes.stream().filter(c -> c.action() == Action.UNSUPPORTED && c.required()).toList();
        if (!req.isEmpty()) {
            sb.append(req.size()).append(" required setting(s) the provider cannot hold: ")
                    .append(String.join(", ", req.stream().map(c -> c.setting() + " on " + c.bucket()).toList()))
                    .append(" (set them to none/false, or drop them from bucket_settings.required).\n");
        }
        long failed = changes.stream().filter(c -> c.action() == Action.FAILED).count();
        if (failed > 0) sb.append(failed).append(" setting(s) the store refused (x).\n");
        if (applied) sb.append(n == 0 ? "Nothing to change.\n" : "Applied " + n + " change(s).\n");
        else sb.append(n == 0 ? "No changes.\n" : n + " change(s) to apply.\n");
        return sb.toString();
    }
}

package dev.stowage.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketInspector;
import dev.stowage.buckets.BucketKind;
import dev.stowage.buckets.BucketPolicies;
import dev.stowage.buckets.LifecycleRules;
import dev.stowage.storage.BucketAdmin.Grant;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code stowage audit}: reads the live settings of every configured bucket and the configuration, and
 * evaluates the controls of {@link Control} (modelled on the AWS Security Hub S3 controls). What the
 * provider cannot hold is reported as a gap ({@link Finding.Status#UNSUPPORTED}), never as a pass.
 */
public final class Auditor {
    private static final Set<String> READ_ACTIONS = Set.of("*", "s3:*", "s3:get*", "s3:getobject", "s3:getobject*", "s3:list*", "s3:listbucket");
    private static final Set<String> WRITE_ACTIONS = Set.of("*", "s3:*", "s3:put*", "s3:putobject", "s3:delete*", "s3:deleteobject", "s3:putbucketpolicy", "s3:putbucketacl");
    private static final Set<String> RESTRICTING_KEYS = Set.of("aws:sourcearn", "aws:sourceaccount", "aws:sourcevpce", "aws:sourcevpc",
            "aws:principalorgid", "aws:principalaccount", "aws:principalarn", "aws:sourceip");
    private static final String ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
    private static final String AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

    private final ObjectStore s3;
    private final StowageConfig config;
    private final boolean dev;
    private final BucketInspector inspect;
    private final dev.stowage.buckets.Leftovers leftovers;

    /**
     * @param s3     the object store of the configured provider
     * @param config the configuration (bucket names and settings, URL lifetimes, scanner)
     * @param dev    whether this is the {@code stowage dev} stack (an unset scanner is fine there)
     */
    public Auditor(ObjectStore s3, StowageConfig config, boolean dev) {
        this(s3, config, dev, java.time.Clock.systemUTC());
    }

    /**
     * @param clock the clock the leftovers' ages are measured with ({@code STOWAGE.4})
     * @see #Auditor(ObjectStore, StowageConfig, boolean)
     */
    public Auditor(ObjectStore s3, StowageConfig config, boolean dev, java.time.Clock clock) {
        this.s3 = s3;
        this.config = config;
        this.dev = dev;
        this.inspect = new BucketInspector(s3);
        this.leftovers = new dev.stowage.buckets.Leftovers(s3, config, clock);
    }

    private String gapNote(Capability c) {
        return "unsupported by " + config.storage().provider().id() + ": " + s3.profile().insteadOf(c);
    }

    /**
     * Evaluates every control.
     *
     * @return the findings: per bucket in configuration order, then the configuration's
     *         (a store refusing one read gives an {@link Finding.Status#ERROR} finding naming bucket, setting
     *         and provider; the other controls are still evaluated)
     */
    public AuditReport run() {
        List<Finding> out = new ArrayList<>();
        var st = config.storage();
        var p = s3.profile();
        for (BucketKind kind : BucketKind.values()) {
            String b = kind.name(st.buckets());
            boolean exists;
            try {
                exists = inspect.exists(b);
            } catch (StoreException e) {
                if (e.unavailable()) throw e; // nothing else can be read either
                out.add(Control.EXISTS.error(b, couldNot("the bucket", b, e)));
                continue;
            }
            if (!exists) {
                out.add(Control.EXISTS.fail(b, "the bucket does not exist (run 'stowage buckets apply')"));
                continue;
            }
            out.add(Control.EXISTS.pass(b, "exists"));

            // S3.8 block public access (bucket level)
            check(out, Control.S3_8, "block public access", b, () -> {
            if (!p.has(Capability.BLOCK_PUBLIC_ACCESS)) {
                out.add(Control.S3_8.gap(b, gapNote(Capability.BLOCK_PUBLIC_ACCESS)));
            } else {
                var pab = inspect.publicAccessBlock(b);
                boolean all = pab != null && Boolean.TRUE.equals(pab.blockPublicAcls()) && Boolean.TRUE.equals(pab.ignorePublicAcls())
                        && Boolean.TRUE.equals(pab.blockPublicPolicy()) && Boolean.TRUE.equals(pab.restrictPublicBuckets());
                out.add(all ? Control.S3_8.pass(b, "all four settings on")
                        : Control.S3_8.fail(b, pab == null ? "no block public access settings" : "not all four settings on: " + pab));
            }
            });

            // S3.2 / S3.3 public read and write through the policy or the ACL; S3.5 TLS only
            check(out, Control.S3_2, "the bucket policy and ACL", b, () -> {
            if (!p.has(Capability.BUCKET_POLICY)) {
                out.add(Control.S3_2.gap(b, gapNote(Capability.BUCKET_POLICY)));
                out.add(Control.S3_3.gap(b, gapNote(Capability.BUCKET_POLICY)));
                out.add(Control.S3_5.gap(b, gapNote(Capability.BUCKET_POLICY)));
            } else {
                String policy = inspect.policy(b);
                List<String> read = new ArrayList<>();
                List<String> write = new ArrayList<>();
                for (JsonNode s : BucketPolicies.statements(policy)) {
                    if (!"Allow".equals(s.path("Effect").asText()) || !publicPrincipal(s.path("Principal")) || restricted(s.path("Condition"))) continue;
                    String sid = s.path("Sid").asText("(no Sid)");
                    List<String> actions = strings(s.path("Action"));
                    if (actions.stream().anyMatch(a -> READ_ACTIONS.contains(a.toLowerCase(Locale.ROOT)))) read.add("policy statement " + sid + " allows " + actions + " to everyone");
                    if (actions.stream().anyMatch(a -> WRITE_ACTIONS.contains(a.toLowerCase(Locale.ROOT)))) write.add("policy statement " + sid + " allows " + actions + " to everyone");
                }
                for (Grant g : inspect.aclGrants(b)) {
                    String uri = g.granteeUri();
                    if (!ALL_USERS.equals(uri) && !AUTH_USERS.equals(uri)) continue;
                    String who = uri.substring(uri.lastIndexOf('/') + 1);
                    String perm = g.permission();
                    if (Set.of("READ", "FULL_CONTROL").contains(perm)) read.add("ACL grants " + perm + " to " + who);
                    if (Set.of("WRITE", "WRITE_ACP", "FULL_CONTROL").contains(perm)) write.add("ACL grants " + perm + " to " + who);
                }
                out.add(read.isEmpty() ? Control.S3_2.pass(b, "no public read grant") : Control.S3_2.fail(b, String.join("; ", read)));
                out.add(write.isEmpty() ? Control.S3_3.pass(b, "no public write grant") : Control.S3_3.fail(b, String.join("; ", write)));
                out.add(tlsOnly(b, policy));
            }
            });

            // S3.4 default encryption
            check(out, Control.S3_4, "default encryption", b, () -> {
            if (!p.has(Capability.DEFAULT_ENCRYPTION)) {
                out.add(Control.S3_4.gap(b, gapNote(Capability.DEFAULT_ENCRYPTION)));
            } else {
                String alg = inspect.encryption(b);
                out.add(alg == null ? Control.S3_4.fail(b, "no default encryption") : Control.S3_4.pass(b, alg));
            }
            });

            // S3.9 access logging (the logs bucket itself is the target)
            if (kind != BucketKind.LOGS) check(out, Control.S3_9, "access logging", b, () -> {
                if (!p.has(Capability.ACCESS_LOGGING)) {
                    out.add(Control.S3_9.gap(b, gapNote(Capability.ACCESS_LOGGING)));
                } else {
                    var l = inspect.logging(b);
                    out.add(l == null ? Control.S3_9.fail(b, "server access logging is off")
                            : Control.S3_9.pass(b, "logs to " + l.targetBucket() + "/" + l.targetPrefix()));
                }
            });

            // S3.14 versioning where Stowage relies on it; S3.10 / S3.13 lifecycle
            String[] versioningBox = {null};
            check(out, Control.S3_14, "versioning", b, () -> {
            String versioning = null;
            if (kind == BucketKind.RAW || kind == BucketKind.BACKUPS) {
                if (!p.has(Capability.VERSIONING)) {
                    out.add(Control.S3_14.gap(b, gapNote(Capability.VERSIONING)));
                } else {
                    versioning = inspect.versioning(b);
                    out.add("Enabled".equals(versioning) ? Control.S3_14.pass(b, "Enabled")
                            : Control.S3_14.fail(b, "versioning is " + (versioning == null ? "off" : versioning)
                                    + (kind == BucketKind.RAW ? ": deleted files cannot be restored from the store" : ": overwritten backups are lost")));
                }
            } else if (p.has(Capability.VERSIONING)) {
                versioning = inspect.versioning(b);
            }
            versioningBox[0] = versioning;
            });
            String versioning = versioningBox[0];
            check(out, Control.S3_13, "lifecycle", b, () -> {
            if (!p.has(Capability.LIFECYCLE)) {
                out.add(Control.S3_13.gap(b, gapNote(Capability.LIFECYCLE)));
            } else {
                var views = LifecycleRules.views(inspect.lifecycle(b)).values();
                boolean abort = views.stream().anyMatch(v -> v.enabled() && v.abortDays() > 0);
                out.add(abort ? Control.S3_13.pass(b, "incomplete multipart uploads are aborted")
                        : Control.S3_13.fail(b, views.isEmpty() ? "no lifecycle rules" : "no rule aborts incomplete multipart uploads"));
                if ("Enabled".equals(versioning)) {
                    boolean nc = views.stream().anyMatch(v -> v.enabled() && v.noncurrentDays() > 0);
                    out.add(nc ? Control.S3_10.pass(b, "noncurrent versions expire")
                            : Control.S3_10.fail(b, "versioned, but no rule expires noncurrent versions: they are kept (and paid for) forever"));
                }
            }
            });

            // STOWAGE.1 CORS
            if (kind == BucketKind.RAW || kind == BucketKind.PROCESSED || p.has(Capability.PER_BUCKET_CORS)) {
                check(out, Control.CORS, "CORS", b, () -> out.add(cors(b, kind)));
            }
        }

        // STOWAGE.4 what the lifecycle rules should have removed (one bounded pass; kinds without a rule are not looked at)
        check(out, Control.LEFTOVERS, "leftovers", "every bucket", () -> {
            for (var r : leftovers.scan().results()) {
                out.add(r.count() > 0 ? Control.LEFTOVERS.fail(r.bucket(), r.describe()) : Control.LEFTOVERS.pass(r.bucket(), r.describe()));
            }
        });

        // configuration: presigned URL lifetimes and the scanner
        var up = config.uploads();
        var audit = config.audit();
        List<String> long_ = new ArrayList<>();
        if (up.urlTtl().compareTo(audit.maxUploadUrlTtl()) > 0) {
            long_.add("uploads.url_ttl_seconds " + up.urlTtl().toSeconds() + " > " + audit.maxUploadUrlTtl().toSeconds());
        }
        if (up.downloadUrlTtl().compareTo(audit.maxDownloadUrlTtl()) > 0) {
            long_.add("uploads.download_url_ttl_seconds " + up.downloadUrlTtl().toSeconds() + " > " + audit.maxDownloadUrlTtl().toSeconds());
        }
        out.add(long_.isEmpty() ? Control.URL_TTL.pass("configuration", "upload URLs " + up.urlTtl().toSeconds() + " s, downloads "
                + up.downloadUrlTtl().toSeconds() + " s") : Control.URL_TTL.fail("configuration", String.join("; ", long_)));
        if (config.scanner().enabled()) {
            out.add(Control.SCANNER.pass("configuration", "clamd at " + config.scanner().clamdHost() + ":" + config.scanner().clamdPort()));
        } else if (dev) {
            out.add(Control.SCANNER.pass("configuration", "dev stack: files without a scan are marked unscanned"));
        } else {
            out.add(Control.SCANNER.fail("configuration", "no scanner (scanner.clamd_host): uploads are served without a malware scan"));
        }
        return new AuditReport(config.storage().provider().id(), out);
    }

    /**
     * Evaluates one control; when the store refuses a read, its findings so far are dropped and one
     * {@link Finding.Status#ERROR} finding says what could not be checked, and the audit goes on.
     */
    private void check(List<Finding> out, Control control, String what, String bucket, Runnable part) {
        int mark = out.size();
        try {
            part.run();
        } catch (StoreException e) {
            if (e.unavailable()) throw e; // nothing else can be read either
            while (out.size() > mark) out.removeLast();
            out.add(control.error(bucket, couldNot(what, bucket, e)));
        }
    }

    /** {@code could not check default encryption on bucket b (provider ceph): 501 NotImplemented: …}. */
    private String couldNot(String what, String bucket, StoreException e) {
        return "could not check " + what + " on bucket " + bucket + " (provider " + config.storage().provider().id() + "): " + e.reason();
    }

    private Finding tlsOnly(String b, String policy) {
        Provider prov = config.storage().provider();
        boolean http = config.storage().endpoint() != null && "http".equalsIgnoreCase(config.storage().endpoint().getScheme());
        for (JsonNode s : BucketPolicies.statements(policy)) {
            if (!"Deny".equals(s.path("Effect").asText()) || !publicPrincipal(s.path("Principal"))) continue;
            JsonNode cond = s.path("Condition");
            for (String op : prov == Provider.CEPH ? List.of("BoolIfExists") : List.of("Bool", "BoolIfExists")) {
                JsonNode v = cond.path(op).path("aws:SecureTransport");
                if (!v.isMissingNode() && strings(v).contains("false")) {
                    return Control.S3_5.pass(b, "statement " + s.path("Sid").asText("(no Sid)") + " denies requests without TLS");
                }
            }
        }
        if (http) {
            return Control.S3_5.gap(b, "unsupported by " + prov.id() + " over plain HTTP (" + config.storage().endpoint()
                    + "): a deny-non-TLS policy would refuse Stowage's own requests; serve the store over HTTPS");
        }
        return Control.S3_5.fail(b, policy == null ? "no bucket policy denies requests without TLS"
                : "the bucket policy has no statement denying requests without TLS" + (prov == Provider.CEPH
                        ? " (on Ceph RGW only BoolIfExists aws:SecureTransport=false matches)" : ""));
    }

    private Finding cors(String b, BucketKind kind) {
        if (!s3.profile().has(Capability.PER_BUCKET_CORS)) {
            // server-wide CORS from storage.cors
            boolean wildcard = config.storage().cors().allowedOrigins().contains("*");
            return wildcard ? Control.CORS.fail(b, "storage.cors.allowed_origins has '*' (applied server-wide)")
                    : Control.CORS.pass(b, "server-wide origins " + config.storage().cors().allowedOrigins());
        }
        for (var rule : inspect.cors(b)) {
            if (rule.allowedOrigins().contains("*")) {
                boolean writes = rule.allowedMethods().stream().anyMatch(m -> !m.equals("GET") && !m.equals("HEAD"));
                return (writes ? Control.CORS_WRITE : Control.CORS).fail(b, "a CORS rule allows origin '*' for " + rule.allowedMethods());
            }
        }
        return Control.CORS.pass(b, "explicit origins only");
    }

    private static boolean publicPrincipal(JsonNode p) {
        if (p.isTextual()) return p.asText().equals("*");
        JsonNode aws = p.path("AWS");
        return !aws.isMissingNode() && strings(aws).contains("*");
    }

    private static boolean restricted(JsonNode condition) {
        if (!condition.isObject()) return false;
        for (var op : condition.properties()) {
            for (var key : op.getValue().properties()) {
                if (RESTRICTING_KEYS.contains(key.getKey().toLowerCase(Locale.ROOT))) return true;
            }
        }
        return false;
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) n.forEach(x -> out.add(x.asText()));
        else if (!n.isMissingNode() && !n.isNull()) out.add(n.asText());
        return out;
    }
}

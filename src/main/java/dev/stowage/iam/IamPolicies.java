package dev.stowage.iam;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketKind;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ProviderProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Least-privilege IAM policies per {@link Role} (docs/architecture.md §8): exactly the S3 actions that role's code
 * performs, on exactly the configured buckets. {@link #forOperation} maps an S3 API operation to the IAM
 * actions it needs (Amazon S3 User Guide, "Actions, resources, and condition keys for Amazon S3"); a test
 * records the operations each role's code really calls and checks the policy grants exactly those.
 */
public final class IamPolicies {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private IamPolicies() {}

    /**
     * One permission: an IAM action on a bucket ({@code arn:aws:s3:::bucket}) or its objects
     * ({@code arn:aws:s3:::bucket/*}).
     *
     * @param action  e.g. {@code s3:PutObject}
     * @param bucket  which bucket
     * @param objects whether the resource is the bucket's objects rather than the bucket
     */
    public record Grant(String action, BucketKind bucket, boolean objects) implements Comparable<Grant> {
        @Override
        public int compareTo(Grant o) {
            return toString().compareTo(o.toString());
        }

        @Override
        public String toString() {
            return action + " " + bucket.name().toLowerCase(java.util.Locale.ROOT) + (objects ? "/*" : "");
        }
    }

    private static Grant obj(String action, BucketKind b) {
        return new Grant(action, b, true);
    }

    private static Grant bucket(String action, BucketKind b) {
        return new Grant(action, b, false);
    }

    /**
     * The IAM actions one S3 operation needs.
     *
     * @param operation    the S3 API operation name, e.g. {@code PutObject}, {@code HeadBucket}
     * @param bucket       the bucket it addresses (the destination for {@code CopyObject})
     * @param source       the source bucket of {@code CopyObject}, else {@code null}
     * @param versioned    whether the request names a version ({@code versionId})
     * @param tagging      whether the request sets tags ({@code x-amz-tagging}) or copies them ({@code CopyObject})
     * @return the grants, empty for an operation Stowage has no mapping for
     */
    public static Set<Grant> forOperation(String operation, BucketKind bucket, BucketKind source, boolean versioned, boolean tagging) {
        Set<Grant> g = new TreeSet<>();
        switch (operation) {
            case "GetObject", "HeadObject" -> g.add(obj(versioned ? "s3:GetObjectVersion" : "s3:GetObject", bucket));
            case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload" -> {
                g.add(obj("s3:PutObject", bucket));
                if (tagging) g.add(obj("s3:PutObjectTagging", bucket));
            }
            case "CopyObject" -> {
                g.add(obj("s3:GetObject", source));
                g.add(obj("s3:PutObject", bucket));
                if (tagging) {
                    g.add(obj("s3:GetObjectTagging", source));
                    g.add(obj("s3:PutObjectTagging", bucket));
                }
            }
            case "UploadPartCopy" -> {
                g.add(obj("s3:GetObject", source));
                g.add(obj("s3:PutObject", bucket));
            }
            case "DeleteObject", "DeleteObjects" -> g.add(obj(versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject", bucket));
            case "AbortMultipartUpload" -> g.add(obj("s3:AbortMultipartUpload", bucket));
            case "ListParts" -> g.add(obj("s3:ListMultipartUploadParts", bucket));
            case "GetObjectTagging" -> g.add(obj("s3:GetObjectTagging", bucket));
            case "PutObjectTagging" -> g.add(obj("s3:PutObjectTagging", bucket));
            case "HeadBucket", "ListObjects", "ListObjectsV2" -> g.add(bucket("s3:ListBucket", bucket));
            case "ListObjectVersions" -> g.add(bucket("s3:ListBucketVersions", bucket));
            case "ListMultipartUploads" -> g.add(bucket("s3:ListBucketMultipartUploads", bucket));
            case "GetBucketVersioning" -> g.add(bucket("s3:GetBucketVersioning", bucket));
            case "GetBucketLifecycleConfiguration" -> g.add(bucket("s3:GetLifecycleConfiguration", bucket));
            case "GetBucketEncryption" -> g.add(bucket("s3:GetEncryptionConfiguration", bucket));
            case "GetPublicAccessBlock" -> g.add(bucket("s3:GetBucketPublicAccessBlock", bucket));
            case "GetBucketLogging" -> g.add(bucket("s3:GetBucketLogging", bucket));
            case "GetBucketPolicy" -> g.add(bucket("s3:GetBucketPolicy", bucket));
            case "GetBucketCors" -> g.add(bucket("s3:GetBucketCORS", bucket));
            case "GetBucketAcl" -> g.add(bucket("s3:GetBucketAcl", bucket));
            default -> { }
        }
        return g;
    }

    /**
     * What a role's code does to the buckets, on a provider.
     *
     * @param role    the role
     * @param config  configuration (which features are on: versioned raw bucket, scheduled backups)
     * @param profile the provider (tagging, versioning, bucket settings it can read)
     */
    public static Set<Grant> grants(Role role, StowageConfig config, ProviderProfile profile) {
        boolean tags = profile.has(Capability.OBJECT_TAGGING);
        boolean versions = profile.has(Capability.VERSIONING) && config.bucketSettings().raw().versioning();
        var raw = BucketKind.RAW;
        var processed = BucketKind.PROCESSED;
        Set<Grant> g = new TreeSet<>();
        switch (role) {
            case API -> {
                // presigned single and multipart uploads (the pending tag signed in), complete, cancel, downloads
                g.add(obj("s3:PutObject", raw));
                if (tags) g.add(obj("s3:PutObjectTagging", raw));
                g.add(obj("s3:GetObject", raw));
                g.add(obj("s3:AbortMultipartUpload", raw));
                g.add(obj("s3:ListMultipartUploadParts", raw));
                // cancel removes the staging object: every version of it where the raw bucket versions (restore
                // removes a delete marker the same way), else a plain delete
                if (versions) {
                    g.add(obj("s3:DeleteObjectVersion", raw));
                    g.add(bucket("s3:ListBucketVersions", raw));
                } else {
                    g.add(obj("s3:DeleteObject", raw));
                }
                // readiness check; an admin's cost snapshot (POST /v1/admin/costs/snapshot) lists every bucket
                for (BucketKind k : BucketKind.values()) g.add(bucket("s3:ListBucket", k));
                // variant links and the on-demand fallback (a replaced variant's old object is removed)
                g.add(obj("s3:GetObject", processed));
                g.add(obj("s3:PutObject", processed));
                g.add(obj("s3:DeleteObject", processed));
            }
            case WORKER -> {
                // verification: promotion (copy staging → final key with the ready tag, staging deleted), size,
                // bytes; rejection; quarantine copy; reconciler expiry and staging sweep (lists uploads under staging/)
                g.add(obj("s3:GetObject", raw));
                g.add(obj("s3:PutObject", raw));
                g.add(obj("s3:DeleteObject", raw));
                g.add(obj("s3:AbortMultipartUpload", raw));
                g.add(bucket("s3:ListBucketMultipartUploads", raw));
                if (tags) {
                    g.add(obj("s3:GetObjectTagging", raw));
                    g.add(obj("s3:PutObjectTagging", raw));
                }
                // retention purge, promotion, staging sweep: every version of an object
                if (versions) {
                    g.add(bucket("s3:ListBucketVersions", raw));
                    g.add(obj("s3:DeleteObjectVersion", raw));
                }
                // variants: stored, replaced, purged
                g.add(obj("s3:PutObject", processed));
                g.add(obj("s3:DeleteObject", processed));
                // cost snapshots: every bucket is listed with its storage classes
                for (BucketKind k : BucketKind.values()) g.add(bucket("s3:ListBucket", k));
                // the leftovers monitor: uploads and versions its rules should have removed, in every bucket with such a rule
                if (!config.costs().leftovers().interval().isZero()) {
                    for (BucketKind k : BucketKind.values()) {
                        var r = k.rules(config.bucketSettings());
                        if (r.abortIncompleteMultipartDays() > 0) g.add(bucket("s3:ListBucketMultipartUploads", k));
                        if (profile.has(Capability.VERSIONING) && r.versioning() && (r.noncurrentExpireDays() > 0 || r.removeExpiredDeleteMarkers())) {
                            g.add(bucket("s3:ListBucketVersions", k));
                        }
                    }
                }
                if (!config.backup().interval().isZero()) g.addAll(grants(Role.BACKUP, config, profile));
            }
            case MIGRATOR -> {
                // the legacy tree is uploaded with checksums, resumed, and verified against the bucket
                g.add(obj("s3:PutObject", raw));
                g.add(obj("s3:GetObject", raw));
                g.add(obj("s3:AbortMultipartUpload", raw));
                // what a failed copy may have stored, and an infected file's copy under its normal key, are removed
                g.add(obj("s3:DeleteObject", raw));
                g.add(bucket("s3:ListBucket", raw));
                // a file copied in parts gets its SHA-256 as a tag, read back by the copy's check and by verify
                if (tags) {
                    g.add(obj("s3:PutObjectTagging", raw));
                    g.add(obj("s3:GetObjectTagging", raw));
                }
            }
            case BACKUP -> {
                var b = BucketKind.BACKUPS;
                // the archive (single or multipart PUT) and its checksum; list; restore. A failed run's partial
                // multipart upload is left to the bucket's abort-incomplete-multipart lifecycle rule.
                g.add(obj("s3:PutObject", b));
                g.add(obj("s3:GetObject", b));
                g.add(bucket("s3:ListBucket", b));
                // the bucket settings snapshot reads what the provider holds of every bucket
                for (BucketKind k : BucketKind.values()) {
                    g.add(bucket("s3:ListBucket", k));
                    if (profile.has(Capability.VERSIONING)) g.add(bucket("s3:GetBucketVersioning", k));
                    if (profile.has(Capability.LIFECYCLE)) g.add(bucket("s3:GetLifecycleConfiguration", k));
                    if (profile.has(Capability.DEFAULT_ENCRYPTION)) g.add(bucket("s3:GetEncryptionConfiguration", k));
                    if (profile.has(Capability.BLOCK_PUBLIC_ACCESS)) g.add(bucket("s3:GetBucketPublicAccessBlock", k));
                    if (profile.has(Capability.ACCESS_LOGGING)) g.add(bucket("s3:GetBucketLogging", k));
                    if (profile.has(Capability.BUCKET_POLICY)) g.add(bucket("s3:GetBucketPolicy", k));
                    if (profile.has(Capability.PER_BUCKET_CORS)) g.add(bucket("s3:GetBucketCORS", k));
                }
            }
        }
        return g;
    }

    /**
     * The IAM policy document of a role: one statement per resource, actions sorted; plus SQS receive and
     * delete on the events queue for the worker when {@code events.sqs_queue_url} is set.
     *
     * @return the policy, pretty-printed JSON
     */
    public static String policy(Role role, StowageConfig config, ProviderProfile profile) {
        Map<String, Set<String>> byResource = new TreeMap<>();
        for (Grant g : grants(role, config, profile)) {
            String arn = "arn:aws:s3:::" + g.bucket().name(config.storage().buckets()) + (g.objects() ? "/*" : "");
            byResource.computeIfAbsent(arn, k -> new TreeSet<>()).add(g.action());
        }
        ObjectNode doc = JSON.createObjectNode();
        doc.put("Version", "2012-10-17");
        ArrayNode st = doc.putArray("Statement");
        byResource.forEach((arn, actions) -> {
            ObjectNode s = st.addObject();
            s.put("Sid", "Stowage" + capitalized(role.id()) + sid(arn));
            s.put("Effect", "Allow");
            ArrayNode a = s.putArray("Action");
            actions.forEach(a::add);
            s.put("Resource", arn);
        });
        var sqs = config.events().sqsQueueUrl();
        if (role == Role.WORKER && sqs != null) {
            ObjectNode s = st.addObject();
            s.put("Sid", "StowageWorkerEventsQueue");
            s.put("Effect", "Allow");
            ArrayNode a = s.putArray("Action");
            a.add("sqs:DeleteMessage");
            a.add("sqs:ReceiveMessage");
            s.put("Resource", sqsArn(sqs.toString()));
        }
        try {
            return JSON.writeValueAsString(doc) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sid(String arn) {
        String name = arn.substring("arn:aws:s3:::".length());
        List<String> parts = new ArrayList<>();
        for (String p : name.replace("/*", " objects").split("[^A-Za-z0-9]+")) if (!p.isEmpty()) parts.add(capitalized(p));
        return String.join("", parts);
    }

    private static String capitalized(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** {@code https://sqs.REGION.amazonaws.com/ACCOUNT/NAME} → {@code arn:aws:sqs:REGION:ACCOUNT:NAME}. */
    static String sqsArn(String url) {
        var m = java.util.regex.Pattern.compile("^https://sqs\\.([a-z0-9-]+)\\.amazonaws\\.com/(\\d+)/([^/]+)$").matcher(url);
        return m.matches() ? "arn:aws:sqs:" + m.group(1) + ":" + m.group(2) + ":" + m.group(3) : "*";
    }
}

package dev.stowage.iam;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.signer.AwsSignerExecutionAttribute;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.interceptor.SdkInternalExecutionAttribute;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * A global SDK interceptor for the tests (registered in
 * {@code software/amazon/awssdk/global/handlers/execution.interceptors}, so every client and presigner
 * runs it): records each S3 operation made with {@link RoleCredentials}, presigned ones included, under
 * that role. Requests with any other credentials pass untouched.
 */
public final class RecordingInterceptor implements ExecutionInterceptor {
    /** One recorded operation. */
    public record Call(String role, String operation, String bucket, String sourceBucket, boolean versioned, boolean tagging,
                       boolean presigned) {}

    /** Everything recorded since the JVM started. */
    public static final ConcurrentLinkedQueue<Call> CALLS = new ConcurrentLinkedQueue<>();

    /** Credentials that mark requests as made by a role. */
    public record RoleCredentials(String role, AwsCredentialsProvider delegate) implements AwsCredentialsProvider {
        @Override
        public AwsCredentials resolveCredentials() {
            return delegate.resolveCredentials();
        }
    }

    @Override
    public void beforeExecution(Context.BeforeExecution ctx, ExecutionAttributes attrs) {
        var providers = attrs.getAttribute(SdkInternalExecutionAttribute.IDENTITY_PROVIDERS);
        if (providers == null || !(providers.identityProvider(AwsCredentialsIdentity.class) instanceof RoleCredentials rc)) return;
        var req = ctx.request();
        String op = attrs.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        String bucket = req.getValueForField("Bucket", String.class).orElse(null);
        String source = null;
        if (req instanceof software.amazon.awssdk.services.s3.model.CopyObjectRequest copy) {
            if (copy.destinationBucket() != null) bucket = copy.destinationBucket();
            source = copy.sourceBucket();
            if (source == null && copy.copySource() != null) {
                String cs = java.net.URLDecoder.decode(copy.copySource(), java.nio.charset.StandardCharsets.UTF_8);
                source = cs.replaceFirst("^/", "").split("/", 2)[0];
            }
        }
        boolean versioned = req.getValueForField("VersionId", String.class).filter(v -> !v.isEmpty()).isPresent();
        boolean tagging = req.getValueForField("Tagging", Object.class).isPresent() || op.equals("CopyObject");
        CALLS.add(new Call(rc.role(), op, bucket, source, versioned, tagging,
                attrs.getAttribute(AwsSignerExecutionAttribute.PRESIGNER_EXPIRATION) != null));
    }

    /** The calls of one role. */
    public static List<Call> of(String role) {
        return CALLS.stream().filter(c -> c.role().equals(role)).toList();
    }
}

package dev.stowage.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import software.amazon.awssdk.services.cloudfront.CloudFrontUtilities;
import software.amazon.awssdk.services.cloudfront.cookie.CookiesForCustomPolicy;
import software.amazon.awssdk.services.cloudfront.model.CustomSignerRequest;

/**
 * CloudFront signed URLs and signed cookies with a custom policy, through the AWS SDK's
 * {@link CloudFrontUtilities} (RSA-SHA1 over the policy JSON, base64 with CloudFront's
 * {@code + = /} → {@code - _ ~} substitutions; see "Create a signed URL using a custom policy" in the
 * CloudFront Developer Guide).
 *
 * <p>Every policy's resource is a user's prefix with a wildcard ({@code https://cdn.example.com/alice/*}),
 * so one signature covers all of that user's variants and nothing else; the expiry is
 * {@code DateLessThan.AWS:EpochTime} in whole epoch seconds.
 */
public final class CloudFrontSigner {
    private final CloudFrontUtilities utilities = CloudFrontUtilities.create();
    private final URI cdnBase;
    private final String keyPairId;
    private final PrivateKey key;

    /** One cookie: its name and value (attributes are the caller's). */
    public record Cookie(String name, String value) {}

    /**
     * @param cdnBase   the distribution's base URL, e.g. {@code https://d111111abcdef8.cloudfront.net}
     * @param keyPairId the public key id in the distribution's trusted key group
     * @param key       the matching RSA private key
     */
    public CloudFrontSigner(URI cdnBase, String keyPairId, PrivateKey key) {
        String b = cdnBase.toString();
        this.cdnBase = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        this.keyPairId = keyPairId;
        this.key = key;
    }

    /** The policy resource of a user's prefix: {@code <cdn base>/<userId>/*}. */
    public String resourceFor(String userId) {
        return cdnBase + "/" + userId + "/*";
    }

    /** The CDN URL of an object key (each path segment percent-encoded as S3 keys need). */
    public String urlOf(String objectKey) {
        return cdnBase + "/" + CdnUrls.encodePath(objectKey);
    }

    /**
     * A signed URL of one object of a user.
     *
     * @param userId    the owner (the policy covers the owner's whole prefix)
     * @param objectKey the object's key in the processed bucket
     * @param expires   expiry, truncated to whole seconds by the policy
     * @return the URL with {@code Policy}, {@code Signature} and {@code Key-Pair-Id} query parameters
     */
    public String signedUrl(String userId, String objectKey, Instant expires) {
        return utilities.getSignedUrlWithCustomPolicy(request(urlOf(objectKey), resourceFor(userId), expires)).url();
    }

    /**
     * The three signed cookies of a user's prefix: {@code CloudFront-Policy}, {@code CloudFront-Signature},
     * {@code CloudFront-Key-Pair-Id}.
     */
    public List<Cookie> cookies(String userId, Instant expires) {
        String resource = resourceFor(userId);
        CookiesForCustomPolicy c = utilities.getCookiesForCustomPolicy(request(resource, resource, expires));
        List<Cookie> out = new ArrayList<>();
        for (String header : List.of(c.policyHeaderValue(), c.signatureHeaderValue(), c.keyPairIdHeaderValue())) {
            int eq = header.indexOf('=');
            out.add(new Cookie(header.substring(0, eq), header.substring(eq + 1)));
        }
        return out;
    }

    private CustomSignerRequest request(String url, String pattern, Instant expires) {
        return CustomSignerRequest.builder().resourceUrl(url).resourceUrlPattern(pattern).privateKey(key).keyPairId(keyPairId)
                .expirationDate(expires).build();
    }

    /** Decodes CloudFront's URL-safe base64 ({@code - _ ~} for {@code + = /}). */
    public static byte[] decode(String cloudFrontBase64) {
        return Base64.getDecoder().decode(cloudFrontBase64.replace('-', '+').replace('_', '=').replace('~', '/'));
    }

    /** The policy JSON carried by a {@code Policy} parameter or cookie. */
    public static String policyJson(String cloudFrontBase64) {
        return new String(decode(cloudFrontBase64), StandardCharsets.UTF_8);
    }
}

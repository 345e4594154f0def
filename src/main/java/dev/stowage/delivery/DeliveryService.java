package dev.stowage.delivery;

import dev.stowage.config.StowageConfig;
import dev.stowage.config.StowageConfig.DeliveryMode;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where browsers fetch image variants from, by {@code delivery.mode} (docs/architecture.md §2): the store's presigned
 * GET ({@code presigned}), the CDN base URL ({@code cdn}: variant keys are content-addressed and stored with
 * {@code Cache-Control: public, max-age=31536000, immutable}, so the CDN may keep them for a year), or a
 * CloudFront signed URL ({@code cloudfront}). Raw uploads are never behind the CDN: they are only ever
 * served by short presigned GETs of the raw bucket, whatever the mode.
 *
 * <p>In {@code cloudfront} mode, {@link #session} issues the three CloudFront signed cookies for the caller's
 * prefix to plans listed in {@code delivery.premium_plans}.
 */
public final class DeliveryService {
    private final StowageConfig.Delivery config;
    private final CloudFrontSigner signer;
    private final Clock clock;

    /** A CDN session: the cookies to set and what they cover. */
    public record Session(String resource, Instant expiresAt, List<String> setCookieHeaders) {}

    /**
     * @param config the validated delivery section
     * @throws IllegalArgumentException when the CloudFront private key cannot be read
     */
    public DeliveryService(StowageConfig.Delivery config) {
        this(config, Clock.systemUTC());
    }

    /** As {@link #DeliveryService(StowageConfig.Delivery)} with a clock (tests). */
    public DeliveryService(StowageConfig.Delivery config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.signer = config.mode() == DeliveryMode.CLOUDFRONT
                ? new CloudFrontSigner(config.cdnBaseUrl(), config.cloudFront().keyPairId(), PemKeys.rsaPrivateKey(config.cloudFront().privateKeyPem()))
                : null;
    }

    /** The mode in force. */
    public DeliveryMode mode() {
        return config.mode();
    }

    /**
     * The URL a variant link redirects to.
     *
     * @param ownerId   the file's owner (the user prefix of the key)
     * @param objectKey the variant's key in the processed bucket
     * @param presigned the presigned GET of the store, used in {@code presigned} mode
     * @return the URL
     */
    public String variantUrl(String ownerId, String objectKey, String presigned) {
        return switch (config.mode()) {
            case PRESIGNED -> presigned;
            case CDN -> cdnUrl(objectKey);
            case CLOUDFRONT -> signer.signedUrl(ownerId, objectKey, expiry(config.cloudFront().urlTtl()));
        };
    }

    /** The unsigned CDN URL of a processed object ({@code cdn} and {@code cloudfront} modes). */
    public String cdnUrl(String objectKey) {
        String b = config.cdnBaseUrl().toString();
        return (b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/" + CdnUrls.encodePath(objectKey);
    }

    /**
     * Signed cookies for the caller's prefix, as {@code Set-Cookie} header values with {@code Domain}
     * (the configured cookie domain), {@code Path=/}, {@code Max-Age}, {@code Expires}, {@code Secure},
     * {@code HttpOnly} and {@code SameSite}.
     *
     * @throws Problem {@code cdn_cookies_unavailable} (409) unless the mode is {@code cloudfront};
     *                 {@code plan_not_premium} (403) when the caller's plan does not grant premium content
     */
    public Session session(Principal who) {
        if (config.mode() != DeliveryMode.CLOUDFRONT) {
            throw new Problem(ProblemCode.CDN_COOKIES_UNAVAILABLE, "signed cookies need delivery.mode cloudfront (this Stowage runs " + config.mode().id() + ")");
        }
        if (!config.premiumPlans().contains(who.plan())) {
            throw new Problem(ProblemCode.PLAN_NOT_PREMIUM, "plan '" + who.plan() + "' does not grant premium content (plans that do: "
                    + String.join(", ", config.premiumPlans()) + ")");
        }
        var cf = config.cloudFront();
        Instant expires = expiry(cf.cookieTtl());
        long maxAge = expires.getEpochSecond() - clock.instant().getEpochSecond();
        String expiresHttp = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(expires.atZone(java.time.ZoneOffset.UTC));
        List<String> headers = new ArrayList<>();
        for (CloudFrontSigner.Cookie c : signer.cookies(who.userId(), expires)) {
            headers.add(c.name() + "=" + c.value() + "; Domain=" + cf.cookieDomain() + "; Path=/; Max-Age=" + maxAge
                    + "; Expires=" + expiresHttp + "; Secure; HttpOnly; SameSite=" + cf.cookieSameSite());
        }
        return new Session(signer.resourceFor(who.userId()), expires, headers);
    }

    /** Now plus a lifetime, in whole seconds (CloudFront policies carry epoch seconds). */
    private Instant expiry(java.time.Duration ttl) {
        return Instant.ofEpochSecond(clock.instant().getEpochSecond() + ttl.toSeconds());
    }

    /** The CDN base URL, or {@code null} in {@code presigned} mode. */
    public URI cdnBaseUrl() {
        return config.cdnBaseUrl();
    }
}

package dev.stowage.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import dev.stowage.config.StowageConfig;
import java.net.MalformedURLException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verifies the bearer tokens of API callers (docs/architecture.md §8): a JWT (RFC 7519) signed by the host
 * application with HS256 and a shared secret, or with RS256/ES256 and a key from its JWKS URL
 * (RFC 7517). Requires {@code sub} and {@code exp}; checks {@code iss} and {@code aud} when configured;
 * allows {@value #SKEW_SECONDS} s of clock skew on {@code exp} and {@code nbf}. Only the compact JWS form
 * (three non-empty base64url parts, at most {@value #MAX_TOKEN_CHARS} characters) is parsed at all: no
 * {@code alg: none}, no JWE, no trailing bytes. Keys come from the configuration alone: {@code kid},
 * {@code jku}, {@code x5u}, {@code x5c} and {@code jwk} headers never name a key, and a {@code crit}
 * header this code does not know is refused. {@code TokenAttacksIT} is the suite of refused forms.
 * Thread-safe.
 */
public final class JwtAuthenticator {
    /** The longest token read, in characters; a longer one is refused before it is parsed. */
    public static final int MAX_TOKEN_CHARS = 6144;
    /** Allowed clock skew on {@code exp} and {@code nbf}, seconds. */
    public static final int SKEW_SECONDS = 60;
    private static final Pattern USER_ID = Pattern.compile("^[A-Za-z0-9._-]{1,128}$");
    private static final Pattern COMPACT_JWS = Pattern.compile("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$");
    private final DefaultJWTProcessor<SecurityContext> processor;

    /**
     * @param auth the validated auth section; at least one of secret and JWKS URL is set
     * @throws IllegalArgumentException when neither is set or the JWKS URL is malformed
     */
    public JwtAuthenticator(StowageConfig.Auth auth) {
        processor = new DefaultJWTProcessor<>();
        if (auth.jwtSecret() != null) {
            JWKSource<SecurityContext> src = new ImmutableSecret<>(auth.jwtSecret().getBytes(StandardCharsets.UTF_8));
            processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, src));
        } else if (auth.jwksUrl() != null) {
            try {
                JWKSource<SecurityContext> src = JWKSourceBuilder.create(auth.jwksUrl().toURL()).retrying(true).build();
                processor.setJWSKeySelector(new JWSVerificationKeySelector<>(
                        Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), src));
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("auth.jwks_url: " + e.getMessage(), e);
            }
        } else {
            throw new IllegalArgumentException("auth: neither jwt_secret nor jwks_url is set");
        }
        var exact = new JWTClaimsSet.Builder();
        if (auth.issuer() != null) exact.issuer(auth.issuer());
        var claims = new DefaultJWTClaimsVerifier<SecurityContext>(auth.audience(), exact.build(), Set.of("sub", "exp"));
        claims.setMaxClockSkew(SKEW_SECONDS);
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** Whether the payload's {@code sub} is a JSON string (the token is verified already). */
    private static boolean subjectIsString(String token) {
        try {
            return com.nimbusds.jose.JWSObject.parse(token).getPayload().toJSONObject().get("sub") instanceof String;
        } catch (ParseException e) {
            return false;
        }
    }

    /**
     * Verifies an {@code Authorization} header value.
     *
     * @param authorizationHeader the header, {@code Bearer <jwt>}; may be {@code null}
     * @return the caller
     * @throws AuthenticationException when the header is missing or the token is not acceptable
     */
    public Principal authenticate(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            throw new AuthenticationException("missing bearer token (Authorization: Bearer <jwt>)");
        }
        if (!authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new AuthenticationException("Authorization header is not a bearer token");
        }
        String token = authorizationHeader.substring(7).trim();
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new AuthenticationException("token is longer than " + MAX_TOKEN_CHARS + " characters");
        }
        if (!COMPACT_JWS.matcher(token).matches()) {
            throw new AuthenticationException("token is not a signed JWT (three base64url parts: header.payload.signature)");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new AuthenticationException("token is not a JWT");
        } catch (BadJOSEException e) {
            throw new AuthenticationException("token refused: " + e.getMessage());
        } catch (JOSEException e) {
            throw new AuthenticationException("token cannot be verified");
        }
        String sub = claims.getSubject();
        if (!subjectIsString(token)) sub = null; // nimbus reads a number as its decimal text
        if (sub == null || !USER_ID.matcher(sub).matches() || sub.equals(".") || sub.equals("..")) {
            throw new AuthenticationException("token subject must be 1-128 characters of A-Z a-z 0-9 . _ -");
        }
        String plan;
        Set<String> roles = new HashSet<>();
        try {
            plan = claims.getStringClaim("plan");
            List<String> r = claims.getStringListClaim("roles");
            if (r != null) {
                if (r.stream().anyMatch(java.util.Objects::isNull)) throw new ParseException("null role", 0);
                roles.addAll(r);
            }
        } catch (ParseException e) {
            throw new AuthenticationException("token claims 'plan' (string) or 'roles' (list of strings) have the wrong type");
        }
        return new Principal(sub, plan == null || plan.isBlank() ? "free" : plan, Set.copyOf(roles));
    }
}

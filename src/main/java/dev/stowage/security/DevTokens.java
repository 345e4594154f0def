package dev.stowage.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;

/**
 * Issues HS256 tokens with the dev stack's generated secret, so a developer can call the API
 * without a host application. Only {@code stowage dev} creates one; no other mode issues tokens.
 */
public final class DevTokens {
    private final byte[] secret;

    /** @param secret the HS256 secret (at least 32 bytes) */
    public DevTokens(String secret) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Signs a token.
     *
     * @param userId the {@code sub} claim
     * @param plan   the {@code plan} claim
     * @param roles  the {@code roles} claim (e.g. {@code admin})
     * @param ttl    lifetime
     * @return the compact JWT
     */
    public String issue(String userId, String plan, Collection<String> roles, Duration ttl) {
        Instant now = Instant.now();
        var claims = new JWTClaimsSet.Builder()
                .subject(userId)
                .claim("plan", plan)
                .claim("roles", List.copyOf(roles))
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .build();
        var jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(secret));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign dev token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}

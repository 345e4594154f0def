package dev.stowage.costs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signatures of alert webhooks: {@code Stowage-Signature: v1=<hex>} where {@code <hex>} is
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the shared secret over
 * {@code <Stowage-Timestamp> + "." + <raw request body>}, and {@code Stowage-Timestamp} is the sending time
 * in epoch seconds. A receiver recomputes the HMAC over the exact bytes it received, compares in constant
 * time, and refuses timestamps too far from its clock (replays).
 */
public final class AlertSignature {
    /** Header carrying the epoch-second timestamp. */
    public static final String TIMESTAMP_HEADER = "Stowage-Timestamp";
    /** Header carrying {@code v1=<hex HMAC-SHA256>}. */
    public static final String SIGNATURE_HEADER = "Stowage-Signature";

    private AlertSignature() {}

    /**
     * The signature header value.
     *
     * @param secret       the shared secret (UTF-8)
     * @param epochSeconds the {@code Stowage-Timestamp} value
     * @param body         the exact request body bytes
     * @return {@code v1=} and 64 lower-case hex digits
     */
    public static String sign(String secret, long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /**
     * What a receiver does: checks the signature and the timestamp's age.
     *
     * @param tolerance how far the timestamp may be from {@code now}
     * @return whether the request is authentic and fresh
     */
    public static boolean verify(String secret, String timestampHeader, String signatureHeader, byte[] body, Instant now, Duration tolerance) {
        if (timestampHeader == null || signatureHeader == null) return false;
        long ts;
        try {
            ts = Long.parseLong(timestampHeader.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(now.getEpochSecond() - ts) > tolerance.toSeconds()) return false;
        byte[] want = sign(secret, ts, body).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(want, signatureHeader.trim().getBytes(StandardCharsets.US_ASCII));
    }
}

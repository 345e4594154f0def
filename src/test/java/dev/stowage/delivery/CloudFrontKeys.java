package dev.stowage.delivery;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;

/** An RSA key pair made for a test, as CloudFront would hold its public half, and signature checks. */
public final class CloudFrontKeys {
    public final KeyPair pair;

    public CloudFrontKeys() {
        try {
            var g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            pair = g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The private key as PKCS#8 PEM. */
    public String pkcs8Pem() {
        return pem("PRIVATE KEY", pair.getPrivate().getEncoded());
    }

    /** The private key as PKCS#1 PEM (the octet string inside the PKCS#8 structure of a 2048-bit key). */
    public String pkcs1Pem() {
        byte[] p8 = pair.getPrivate().getEncoded();
        // 30 82 LL LL | 02 01 00 | 30 0d <rsaEncryption, NULL> | 04 82 LL LL <PKCS#1>
        return pem("RSA PRIVATE KEY", Arrays.copyOfRange(p8, 26, p8.length));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Whether a CloudFront signature (URL-safe base64) is RSA-SHA1 over the policy's bytes with this pair's public key. */
    public static boolean verifies(PublicKey key, String policyJson, String cloudFrontSignature) {
        try {
            Signature s = Signature.getInstance("SHA1withRSA");
            s.initVerify(key);
            s.update(policyJson.getBytes(StandardCharsets.UTF_8));
            return s.verify(CloudFrontSigner.decode(cloudFrontSignature));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}

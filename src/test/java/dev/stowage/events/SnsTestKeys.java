package dev.stowage.events;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A test RSA key with a self-signed certificate that signs SNS messages the way
 * SNS does; and a fetcher that serves its certificate at any {@code .pem} URL it is asked for and records every URL.
 */
final class SnsTestKeys {
    final PrivateKey key;
    final X509Certificate certificate;

    private SnsTestKeys(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /**
     * A fresh 2048-bit RSA key and a self-signed X.509 (v1) certificate for {@code CN=sns.amazonaws.com}, made in
     * this JVM (the JDK has no public certificate builder, so the DER is written here).
     *
     * @param notBefore start of validity
     * @param notAfter  end of validity
     */
    static SnsTestKeys generate(Instant notBefore, Instant notAfter) {
        try {
            var gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            return certify(gen.generateKeyPair(), notBefore, notAfter);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Another certificate, with other dates, for the same key. */
    SnsTestKeys recertified(Instant notBefore, Instant notAfter) {
        return certify(new KeyPair(certificate.getPublicKey(), key), notBefore, notAfter);
    }

    private static SnsTestKeys certify(KeyPair pair, Instant notBefore, Instant notAfter) {
        try {
            byte[] sha256WithRsa = der(0x30, concat(HexFormat.of().parseHex("06092a864886f70d01010b"), new byte[] {0x05, 0x00}));
            byte[] name = der(0x30, der(0x31, der(0x30, concat(HexFormat.of().parseHex("0603550403"),
                    der(0x0c, "sns.amazonaws.com".getBytes(StandardCharsets.UTF_8))))));
            byte[] validity = der(0x30, concat(validityTime(notBefore), validityTime(notAfter)));
            byte[] serial = der(0x02, BigInteger.valueOf(System.nanoTime()).abs().toByteArray());
            byte[] tbs = der(0x30, concat(serial, sha256WithRsa, name, validity, name, pair.getPublic().getEncoded()));
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(pair.getPrivate());
            s.update(tbs);
            byte[] cert = der(0x30, concat(tbs, sha256WithRsa, der(0x03, concat(new byte[] {0}, s.sign()))));
            var x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(cert));
            return new SnsTestKeys(pair.getPrivate(), x509);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static SnsTestKeys first;
    private static SnsTestKeys second;

    /**
     * Start of the test keys' validity: before any fixed clock a test runs on (a start relative to the real
     * time would leave such a clock behind it as the days pass).
     */
    static final Instant VALID_FROM = Instant.parse("2020-01-01T00:00:00Z");

    /** A key valid from {@link #VALID_FROM} to ten years from now, the same for every test in this JVM (RSA keys take a while to make). */
    static synchronized SnsTestKeys first() {
        if (first == null) first = generate(VALID_FROM, Instant.now().plus(Duration.ofDays(3650)));
        return first;
    }

    /** Another such key. */
    static synchronized SnsTestKeys second() {
        if (second == null) second = generate(VALID_FROM, Instant.now().plus(Duration.ofDays(3650)));
        return second;
    }

    /**
     * A validity date as RFC 5280 §4.1.2.5 writes it: UTCTime (two-digit year, read as 1950–2049) through 2049,
     * GeneralizedTime from 2050 (a two-digit year would read an end of validity ten years on as 1950-something).
     */
    private static byte[] validityTime(Instant t) {
        boolean utc = t.atZone(ZoneOffset.UTC).getYear() < 2050;
        String text = DateTimeFormatter.ofPattern(utc ? "yyMMddHHmmss'Z'" : "yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t);
        return der(utc ? 0x17 : 0x18, text.getBytes(StandardCharsets.US_ASCII));
    }

    /** One DER tag-length-value. */
    private static byte[] der(int tag, byte[] value) {
        var out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            byte[] len = BigInteger.valueOf(n).toByteArray();
            int skip = len[0] == 0 ? 1 : 0;
            out.write(0x80 | (len.length - skip));
            out.write(len, skip, len.length - skip);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        var out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** The certificate as a PEM file. */
    byte[] pem() {
        try {
            return ("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Signs an SNS message's fields as SNS does (written here independently of {@link SnsVerifier#stringToSign}) and
     * returns them with {@code SignatureVersion} and {@code Signature} added.
     *
     * @param fields  the message's fields (Type, MessageId, TopicArn, Message, Timestamp, …, SigningCertURL)
     * @param version "1" (SHA1withRSA) or "2" (SHA256withRSA)
     */
    Map<String, String> sign(Map<String, String> fields, String version) {
        List<String> keys = "Notification".equals(fields.get("Type"))
                ? List.of("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
                : List.of("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type");
        StringBuilder text = new StringBuilder();
        for (String k : keys) {
            if (fields.get(k) != null) text.append(k).append('\n').append(fields.get(k)).append('\n');
        }
        try {
            Signature s = Signature.getInstance(version.equals("1") ? "SHA1withRSA" : "SHA256withRSA");
            s.initSign(key);
            s.update(text.toString().getBytes(StandardCharsets.UTF_8));
            var out = new LinkedHashMap<>(fields);
            out.put("SignatureVersion", version);
            out.put("Signature", Base64.getEncoder().encodeToString(s.sign()));
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serves {@code cert} for every {@code .pem} URL and a small XML answer for others; records each URL asked for. */
    static final class Fetcher implements SnsFetcher {
        final Queue<URI> fetched = new ConcurrentLinkedQueue<>();
        private final byte[] cert;

        Fetcher(SnsTestKeys keys) {
            this.cert = keys.pem();
        }

        @Override
        public byte[] get(URI url, int maxBytes) {
            fetched.add(url);
            return url.getPath().endsWith(".pem") ? cert : "<ConfirmSubscriptionResponse/>".getBytes(StandardCharsets.UTF_8);
        }

        /** The URLs asked for so far, as text. */
        List<String> urls() {
            List<String> out = new ArrayList<>();
            fetched.forEach(u -> out.add(u.toString()));
            return out;
        }
    }
}

package dev.stowage.events;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A test RSA key with a self-signed certificate, made by the JDK's {@code keytool}, that signs SNS messages the way
 * SNS does; and a fetcher that serves its certificate at any {@code .pem} URL it is asked for and records every URL.
 */
final class SnsTestKeys {
    static final String PASSWORD = "changeit";

    final PrivateKey key;
    final X509Certificate certificate;

    private SnsTestKeys(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /**
     * A fresh 2048-bit key and certificate for {@code CN=sns.amazonaws.com}.
     *
     * @param startDate keytool's {@code -startdate}, e.g. {@code -1d}, {@code -400d}
     * @param days      validity from the start date
     */
    static SnsTestKeys generate(String startDate, int days) {
        try {
            Path dir = Files.createTempDirectory("sns-keys");
            Path store = dir.resolve("k.p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            var p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "sns", "-keyalg", "RSA", "-keysize", "2048",
                    "-sigalg", "SHA256withRSA", "-dname", "CN=sns.amazonaws.com", "-startdate", startDate, "-validity", Integer.toString(days),
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IllegalStateException("keytool failed: " + out);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, PASSWORD.toCharArray());
            }
            var keys = new SnsTestKeys((PrivateKey) ks.getKey("sns", PASSWORD.toCharArray()), (X509Certificate) ks.getCertificate("sns"));
            Files.delete(store);
            Files.delete(dir);
            return keys;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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

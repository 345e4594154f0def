package dev.stowage.events;

import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks that an Amazon SNS message is genuine, as AWS documents it ("Verifying the signatures of Amazon SNS
 * messages", https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html), before Stowage
 * acts on it:
 * <ol>
 *   <li>its {@code TopicArn} is one of {@code events.sns.topic_arns};
 *   <li>its {@code Timestamp} is at most {@link #MAX_AGE} old and at most {@link #MAX_AHEAD} ahead;
 *   <li>its {@code SigningCertURL} is an https URL of a {@code .pem} file on {@code sns.<region>.amazonaws.com}
 *       or {@code sns.<region>.amazonaws.com.cn}, without user info, port 443 ({@link #trustedCertUrl});
 *   <li>the certificate there (fetched over TLS, cached, at most {@link #CACHED_CERTIFICATES}) is within its
 *       validity dates, and its key verifies {@code Signature} over the string to sign
 *       ({@link #stringToSign}) with SHA1withRSA ({@code SignatureVersion} 1) or SHA256withRSA (2).
 * </ol>
 * The AWS SDK's {@code sns-message-manager} is not used: it accepts certificates of one configured region's
 * host only and signs the {@code Timestamp} re-formatted from a parsed instant, which differs from the text
 * SNS signed when the milliseconds are {@code 000}.
 *
 * <p>Thread-safe.
 */
public final class SnsVerifier {
    /** Oldest message accepted, by its {@code Timestamp}. */
    public static final Duration MAX_AGE = Duration.ofHours(1);
    /** Furthest a {@code Timestamp} may be ahead of this clock (clock skew). */
    public static final Duration MAX_AHEAD = Duration.ofMinutes(5);
    /** Certificates kept, least recently used dropped first. */
    static final int CACHED_CERTIFICATES = 32;
    /** Longest certificate file read (bytes); SNS's are about 2 KB. */
    static final int MAX_CERT_BYTES = 16 * 1024;

    /** SNS hosts: {@code sns.<region>.amazonaws.com}, and {@code .com.cn} for China (GovCloud is {@code sns.us-gov-…}). */
    private static final Pattern SNS_HOST = Pattern.compile("^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$");

    private final Set<String> topicArns;
    private final Clock clock;
    private volatile SnsFetcher fetcher;
    private final Map<URI, X509Certificate> certificates = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<URI, X509Certificate> eldest) {
            return size() > CACHED_CERTIFICATES;
        }
    };

    /**
     * @param topicArns the accepted topics (not empty)
     * @param fetcher   fetches certificates and subscribe URLs ({@link SnsFetcher#https()})
     * @param clock     the clock the timestamps and certificate dates are checked against
     * @throws IllegalArgumentException if {@code topicArns} is empty
     */
    public SnsVerifier(Collection<String> topicArns, SnsFetcher fetcher, Clock clock) {
        if (topicArns.isEmpty()) throw new IllegalArgumentException("no SNS topic is accepted");
        this.topicArns = Set.copyOf(topicArns);
        this.fetcher = fetcher;
        this.clock = clock;
    }

    /** The fetcher, also used to visit a verified message's {@code SubscribeURL}. */
    SnsFetcher fetcher() {
        return fetcher;
    }

    /** Replaces the fetcher and empties the certificate cache (tests serve their own certificate). */
    void fetcher(SnsFetcher f) {
        this.fetcher = f;
        synchronized (certificates) {
            certificates.clear();
        }
    }

    /**
     * Verifies a message; returns only when it is genuine and wanted.
     *
     * @param m the message's fields
     * @throws Problem {@code sns_signature_invalid} (403) for a missing field, an unknown {@code SignatureVersion},
     *                 a certificate that cannot be read or is outside its dates, or a signature its key did not make;
     *                 {@code sns_topic_not_allowed} (403); {@code sns_timestamp_out_of_range} (403);
     *                 {@code untrusted_signing_cert_url} (403); {@code malformed_event} (400) for an unreadable
     *                 {@code Timestamp}; {@code sns_certificate_unavailable} (503) when the certificate cannot be fetched
     */
    public void verify(SnsEnvelope m) {
        require(m.messageId(), "MessageId");
        require(m.topicArn(), "TopicArn");
        require(m.message(), "Message");
        require(m.timestamp(), "Timestamp");
        require(m.signatureVersion(), "SignatureVersion");
        require(m.signature(), "Signature");
        require(m.signingCertUrl(), "SigningCertURL");
        if (m.isConfirmation()) {
            require(m.subscribeUrl(), "SubscribeURL");
            require(m.token(), "Token");
        }
        if (!topicArns.contains(m.topicArn())) {
            throw new Problem(ProblemCode.SNS_TOPIC_NOT_ALLOWED, "TopicArn " + EventService.printable(m.topicArn()) + " is not in events.sns.topic_arns");
        }
        checkTimestamp(m.timestamp());
        String algorithm = switch (m.signatureVersion()) {
            case "1" -> "SHA1withRSA";
            case "2" -> "SHA256withRSA";
            default -> throw new Problem(ProblemCode.SNS_SIGNATURE_INVALID, "SignatureVersion must be 1 or 2");
        };
        URI certUrl = trustedCertUrl(m.signingCertUrl());
        if (certUrl == null) {
            throw new Problem(ProblemCode.UNTRUSTED_SIGNING_CERT_URL,
                    "SigningCertURL must be an https URL of a .pem file on sns.<region>.amazonaws.com, got " + EventService.printable(m.signingCertUrl()));
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(m.signature());
        } catch (IllegalArgumentException e) {
            throw new Problem(ProblemCode.SNS_SIGNATURE_INVALID, "Signature is not base64");
        }
        X509Certificate cert = certificate(certUrl);
        boolean ok;
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initVerify(cert.getPublicKey());
            s.update(stringToSign(m).getBytes(StandardCharsets.UTF_8));
            ok = s.verify(signature);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new Problem(ProblemCode.SNS_SIGNATURE_INVALID, "the Signature was not made with the key of " + certUrl);
        }
    }

    /**
     * The string SNS signs: for a {@code Notification} the keys {@code Message}, {@code MessageId},
     * {@code Subject} (only when present), {@code Timestamp}, {@code TopicArn}, {@code Type}; for a
     * {@code SubscriptionConfirmation} or {@code UnsubscribeConfirmation} {@code Message}, {@code MessageId},
     * {@code SubscribeURL}, {@code Timestamp}, {@code Token}, {@code TopicArn}, {@code Type}; each as
     * {@code "Key\nValue\n"}, values exactly as sent.
     *
     * @param m the message (the fields named above not null, but {@code Subject})
     * @return the text whose UTF-8 bytes are signed
     * @throws Problem {@code sns_signature_invalid} for a {@code Type} SNS does not sign
     */
    static String stringToSign(SnsEnvelope m) {
        StringBuilder b = new StringBuilder(256 + m.message().length());
        switch (m.type()) {
            case "Notification" -> {
                add(b, "Message", m.message());
                add(b, "MessageId", m.messageId());
                if (m.subject() != null) add(b, "Subject", m.subject());
                add(b, "Timestamp", m.timestamp());
                add(b, "TopicArn", m.topicArn());
                add(b, "Type", m.type());
            }
            case "SubscriptionConfirmation", "UnsubscribeConfirmation" -> {
                add(b, "Message", m.message());
                add(b, "MessageId", m.messageId());
                add(b, "SubscribeURL", m.subscribeUrl());
                add(b, "Timestamp", m.timestamp());
                add(b, "Token", m.token());
                add(b, "TopicArn", m.topicArn());
                add(b, "Type", m.type());
            }
            default -> throw new Problem(ProblemCode.SNS_SIGNATURE_INVALID, "SNS does not sign messages of Type " + EventService.printable(m.type()));
        }
        return b.toString();
    }

    private static void add(StringBuilder b, String key, String value) {
        b.append(key).append('\n').append(value).append('\n');
    }

    /**
     * The signing-certificate URL rule: {@code https}, host {@code sns.<region>.amazonaws.com} or
     * {@code sns.<region>.amazonaws.com.cn} (lower case, nothing before or after), no user info, no port but
     * 443, a path ending in {@code .pem}, no query or fragment.
     *
     * @param url the {@code SigningCertURL} as sent
     * @return the URL, or {@code null} when it breaks the rule
     */
    static URI trustedCertUrl(String url) {
        URI u = snsUrl(url);
        if (u == null) return null;
        String path = u.getRawPath();
        if (path == null || !path.startsWith("/") || !path.endsWith(".pem") || u.getRawQuery() != null) return null;
        return u;
    }

    /**
     * The rule for any URL of an SNS message Stowage visits ({@code SigningCertURL}, {@code SubscribeURL}):
     * {@code https}, an SNS host ({@code sns.<region>.amazonaws.com[.cn]}), no user info, no port but 443,
     * no fragment.
     *
     * @param url the URL as sent
     * @return the URL, or {@code null} when it breaks the rule
     */
    static URI snsUrl(String url) {
        if (url == null) return null;
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            return null;
        }
        if (!u.isAbsolute() || u.isOpaque() || !"https".equals(u.getScheme())) return null;
        String host = u.getHost();
        if (host == null || !SNS_HOST.matcher(host).matches()) return null;
        if (u.getRawUserInfo() != null || u.getRawFragment() != null) return null;
        if (u.getPort() != -1 && u.getPort() != 443) return null;
        String authority = u.getRawAuthority();
        if (!host.equals(authority) && !(host + ":443").equals(authority)) return null;
        return u;
    }

    private void checkTimestamp(String timestamp) {
        Instant at;
        try {
            at = Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            throw new Problem(ProblemCode.MALFORMED_EVENT, "Timestamp is not an ISO-8601 time");
        }
        Instant now = clock.instant();
        if (at.isBefore(now.minus(MAX_AGE))) {
            throw new Problem(ProblemCode.SNS_TIMESTAMP_OUT_OF_RANGE, "Timestamp " + timestamp + " is more than an hour old");
        }
        if (at.isAfter(now.plus(MAX_AHEAD))) {
            throw new Problem(ProblemCode.SNS_TIMESTAMP_OUT_OF_RANGE, "Timestamp " + timestamp + " is more than five minutes ahead");
        }
    }

    /** The certificate at a trusted URL: from the cache, or fetched; within its dates either way. */
    private X509Certificate certificate(URI url) {
        X509Certificate cert;
        synchronized (certificates) {
            cert = certificates.get(url);
        }
        if (cert == null) {
            byte[] pem;
            try {
                pem = fetcher.get(url, MAX_CERT_BYTES);
            } catch (IOException e) {
                throw new Problem(ProblemCode.SNS_CERTIFICATE_UNAVAILABLE, "could not fetch " + url + ": " + e.getMessage());
            }
            try {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem));
            } catch (CertificateException | ClassCastException e) {
                throw new Problem(ProblemCode.SNS_SIGNATURE_INVALID, "the certificate at " + url + " cannot be read");
            }
            synchronized (certificates) {
                certificates.put(url, cert);
            }
        }
        try {
            cert.checkValidity(Date.from(clock.instant()));
        } catch (CertificateException e) {
            synchronized (certificates) {
                certificates.remove(url);
            }
            throw new Problem(ProblemCode.SNS_SIGNATURE_INVALID, "the certificate at " + url + " is outside its validity dates");
        }
        return cert;
    }

    private static void require(String value, String field) {
        if (value == null) {
            throw new Problem(ProblemCode.SNS_SIGNATURE_INVALID, field + " is missing: SNS messages are accepted signed only");
        }
    }
}

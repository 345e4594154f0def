package dev.stowage.events;

import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.storage.ObjectStore;
import dev.stowage.uploads.UploadService;
import java.io.IOException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on S3 event notifications (docs/architecture.md §5). Events are hints: an {@code ObjectCreated} event for a
 * pending upload's staging object ({@code staging/{raw key}}, the only key clients write) marks it uploaded and queues verification, but only once a HEAD shows the object
 * (an event can arrive before the bytes, or be forged by whoever holds the webhook secret); the HEAD, not the
 * event's size or ETag, is what is believed. An event never rejects a file. Everything else — duplicates,
 * reordering, test events, objects Stowage wrote itself (final keys, variants, quarantine copies), other buckets, unknown
 * keys, objects not there (yet) — is logged, counted and ignored, so no event can loop or fail. SNS messages are
 * verified first ({@link SnsVerifier}: signature, certificate URL, topic, age); an {@code UnsubscribeConfirmation}
 * raises the alert {@value #UNSUBSCRIBED_ALERT}.
 */
public final class EventService {
    private static final Logger log = LoggerFactory.getLogger(EventService.class);
    /** The alert kind raised when SNS unsubscribes the webhook. */
    public static final String UNSUBSCRIBED_ALERT = "sns_unsubscribed";
    /** Longest SubscribeURL answer read (bytes). */
    private static final int MAX_CONFIRMATION_BYTES = 64 * 1024;

    /** Longest key text written to one log line, per form (raw, decoded). */
    static final int MAX_LOGGED_KEY_CHARS = 256;

    private final FileRepository files;
    private final UploadService uploads;
    private final ObjectStore store;
    private final String rawBucket;
    private final SnsVerifier sns;
    private final Alerts alerts;

    /** What a delivery led to. */
    public record Outcome(int accepted, int ignored, String note) {}

    /** Where a delivery came from. */
    public enum Source {
        /** {@code POST /v1/events/s3}: anyone holding the events secret; every SNS message must be signed. */
        WEBHOOK,
        /**
         * The SQS queue: its access policy decides who writes. SNS notifications in it are taken as they are (they
         * may wait there longer than a signature's hour); SNS confirmations must still be signed.
         */
        QUEUE
    }

    /** Where alerts go (the cost alerts' channel: recorded, logged, counted, sent to the alert webhook). */
    @FunctionalInterface
    public interface Alerts {
        /**
         * Raises an alert; returns at once (the alert is recorded and sent in the background).
         *
         * @param kind    e.g. {@value #UNSUBSCRIBED_ALERT}
         * @param subject what it is about, e.g. a topic ARN
         * @param message one line for people
         */
        void raise(String kind, String subject, String message);
    }

    /**
     * @param files     repository
     * @param uploads   upload service (marks arrivals)
     * @param store     the object store, asked (HEAD) whether an announced object is really there
     * @param rawBucket the raw bucket; events for other buckets are ignored
     * @param sns       verifies SNS messages; {@code null} when {@code events.sns.enabled} is not true (SNS messages refused)
     * @param alerts    where an unsubscription is reported
     */
    public EventService(FileRepository files, UploadService uploads, ObjectStore store, String rawBucket, SnsVerifier sns, Alerts alerts) {
        this.files = files;
        this.uploads = uploads;
        this.store = store;
        this.rawBucket = rawBucket;
        this.sns = sns;
        this.alerts = alerts;
    }

    /** For tests: serves SNS certificate and subscribe URLs from {@code f} instead of the network. */
    void snsFetcher(SnsFetcher f) {
        if (sns == null) throw new IllegalStateException("SNS delivery is not enabled");
        sns.fetcher(f);
    }

    /**
     * Handles one delivery. An SNS message from the webhook, and an SNS confirmation from anywhere, is acted on
     * only once {@link SnsVerifier} found it genuine; a refused message changes nothing.
     *
     * @param body   the request body (S3 event JSON, SNS envelope, test event)
     * @param source where it came from
     * @throws Problem {@code malformed_event} (400); {@code sns_not_enabled}, {@code sns_topic_not_allowed},
     *                 {@code sns_timestamp_out_of_range}, {@code untrusted_signing_cert_url}, {@code sns_signature_invalid}
     *                 (403) and {@code sns_certificate_unavailable} (503) for an SNS message that is not accepted (see
     *                 {@link SnsVerifier#verify}); {@code untrusted_subscribe_url} (400) for a signed confirmation whose
     *                 URL is not an AWS SNS https URL; {@code confirmation_failed} (503)
     */
    public Outcome handle(String body, Source source) {
        SnsEnvelope envelope;
        try {
            envelope = S3EventParser.snsEnvelope(body);
        } catch (MalformedEventException e) {
            throw new Problem(ProblemCode.MALFORMED_EVENT, e.getMessage());
        }
        if (envelope != null && (source == Source.WEBHOOK || envelope.isConfirmation())) {
            try {
                if (sns == null) {
                    throw new Problem(ProblemCode.SNS_NOT_ENABLED, "SNS messages are refused: events.sns.enabled is not true");
                }
                sns.verify(envelope);
            } catch (Problem p) {
                log.warn("SNS {} {} of topic {} refused: {} ({})", printable(envelope.type()), printable(envelope.messageId()),
                        printable(envelope.topicArn()), p.code(), printable(p.getMessage()));
                throw p;
            }
        }
        S3Notification n;
        try {
            n = S3EventParser.parse(body);
        } catch (MalformedEventException e) {
            throw new Problem(ProblemCode.MALFORMED_EVENT, e.getMessage());
        }
        return switch (n) {
            case S3Notification.Empty e -> {
                log.debug("empty S3 notification ignored");
                yield new Outcome(0, 0, "empty");
            }
            case S3Notification.TestEvent t -> {
                log.info("S3 test event received");
                yield new Outcome(0, 0, "test event");
            }
            case S3Notification.SubscriptionConfirmation c -> confirm(c);
            case S3Notification.UnsubscribeConfirmation u -> {
                String message = "SNS topic " + printable(u.topicArn()) + " unsubscribed POST /v1/events/s3: its S3 events no longer"
                        + " arrive (the reconciler still finishes uploads, later); subscribe the endpoint again";
                log.warn(message);
                alerts.raise(UNSUBSCRIBED_ALERT, u.topicArn(), message);
                yield new Outcome(0, 0, "unsubscribed");
            }
            case S3Notification.Objects o -> {
                int accepted = 0, ignored = 0;
                for (ObjectEvent ev : o.events()) {
                    if (apply(ev)) accepted++;
                    else ignored++;
                }
                yield new Outcome(accepted, ignored, null);
            }
        };
    }

    private boolean apply(ObjectEvent ev) {
        if (!ev.isCreated()) {
            log.debug("S3 event {} for {} ignored: not an ObjectCreated event", ev.eventName(), describe(ev));
            return false;
        }
        if (!ev.bucket().equals(rawBucket)) {
            log.debug("S3 event {} for {} ignored: not the raw bucket", ev.eventName(), describe(ev));
            return false;
        }
        var staged = ObjectKeys.parseStagingKey(ev.key());
        if (staged.isEmpty()) {
            // clients write only staging keys: an object at a final key is Stowage's own promotion copy
            if (files.findByKey(ev.bucket(), ev.key()).isPresent()) {
                log.debug("S3 event {} for {} ignored: written by Stowage itself", ev.eventName(), describe(ev));
            } else {
                log.info("S3 event {} for an unknown key ignored: {}", ev.eventName(), describe(ev));
            }
            return false;
        }
        FileRecord f = files.findByKey(ev.bucket(), staged.get().key()).orElse(null);
        if (f == null) {
            log.info("S3 event {} for an unknown key ignored: {}", ev.eventName(), describe(ev));
            return false;
        }
        if (f.status() != FileStatus.PENDING) {
            log.debug("S3 event {} for file {} ignored: it is {}", ev.eventName(), f.id(), f.status().id());
            return false;
        }
        ObjectStore.Head head = store.head(f.bucket(), ev.key()).orElse(null);
        if (head == null) {
            log.info("S3 event {} for file {} ignored: no object there (yet); the upload stays pending", ev.eventName(), f.id());
            return false;
        }
        String headEtag = unquote(head.etag());
        if ((ev.sizeBytes() != null && ev.sizeBytes() != head.size()) || (ev.eTag() != null && headEtag != null && !ev.eTag().equals(headEtag))) {
            log.info("S3 event for file {} says {} bytes, ETag {}; HEAD says {} bytes, ETag {}: HEAD trusted",
                    f.id(), ev.sizeBytes(), printable(ev.eTag()), head.size(), printable(headEtag));
        }
        if (head.size() != f.declaredSize()) {
            log.info("object of file {} has {} bytes, declared {}: verification decides", f.id(), head.size(), f.declaredSize());
        }
        uploads.markUploaded(f.id());
        return true;
    }

    /** Bucket and key of an event for a log line: the key raw (as sent) and decoded, each bounded and escaped. */
    static String describe(ObjectEvent ev) {
        return "bucket=" + printable(ev.bucket()) + " key(raw)=\"" + printable(ev.rawKey()) + "\" key(decoded)=\"" + printable(ev.key())
                + "\" source=" + ev.source();
    }

    /** {@code s} cut to {@link #MAX_LOGGED_KEY_CHARS} with control characters, quotes and backslashes escaped, so one event is one line. */
    static String printable(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_LOGGED_KEY_CHARS) + 8);
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (n >= MAX_LOGGED_KEY_CHARS) {
                b.append("…(").append(s.length()).append(" chars)");
                break;
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) {
                b.append(String.format("\\u%04x", (int) c));
            } else if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else {
                b.append(c);
            }
            n++;
        }
        return b.toString();
    }

    private static String unquote(String etag) {
        if (etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) return etag.substring(1, etag.length() - 1);
        return etag;
    }

    private Outcome confirm(S3Notification.SubscriptionConfirmation c) {
        URI u = SnsVerifier.snsUrl(c.subscribeUrl());
        if (u == null) {
            throw new Problem(ProblemCode.UNTRUSTED_SUBSCRIBE_URL, "SubscribeURL must be an https URL of an AWS SNS endpoint, got "
                    + printable(c.subscribeUrl()));
        }
        try {
            sns.fetcher().get(u, MAX_CONFIRMATION_BYTES);
            log.info("SNS subscription to {} confirmed", printable(c.topicArn()));
            return new Outcome(0, 0, "subscription confirmed");
        } catch (IOException e) {
            throw new Problem(ProblemCode.CONFIRMATION_FAILED, "could not confirm the subscription: " + e.getMessage());
        }
    }
}

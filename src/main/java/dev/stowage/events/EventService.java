package dev.stowage.events;

import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.uploads.UploadService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on S3 event notifications (docs/architecture.md §5). Events are hints: an {@code ObjectCreated} event for a
 * pending upload's raw object marks it uploaded and queues verification; everything else — duplicates,
 * reordering, test events, objects Stowage wrote itself (variants, quarantine copies), unknown keys — is
 * counted and ignored, so no event can loop or fail.
 */
public final class EventService {
    private static final Logger log = LoggerFactory.getLogger(EventService.class);
    /** SNS subscription URLs Stowage will visit: https on an AWS SNS regional host only. */
    private static final Pattern SNS_HOST = Pattern.compile("^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$");

    private final FileRepository files;
    private final UploadService uploads;
    private final String rawBucket;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What a delivery led to. */
    public record Outcome(int accepted, int ignored, String note) {}

    /**
     * @param files     repository
     * @param uploads   upload service (marks arrivals)
     * @param rawBucket the raw bucket; events for other buckets are ignored
     */
    public EventService(FileRepository files, UploadService uploads, String rawBucket) {
        this.files = files;
        this.uploads = uploads;
        this.rawBucket = rawBucket;
    }

    /**
     * Handles one delivery.
     *
     * @param body the request body (S3 event JSON, SNS envelope, test event)
     * @throws Problem {@code malformed_event} (400); {@code untrusted_subscribe_url} (400) for an SNS
     *                 confirmation whose URL is not an AWS SNS https URL
     */
    public Outcome handle(String body) {
        S3Notification n;
        try {
            n = S3EventParser.parse(body);
        } catch (MalformedEventException e) {
            throw new Problem(ProblemCode.MALFORMED_EVENT, e.getMessage());
        }
        return switch (n) {
            case S3Notification.Empty e -> new Outcome(0, 0, "empty");
            case S3Notification.TestEvent t -> new Outcome(0, 0, "test event");
            case S3Notification.SubscriptionConfirmation c -> confirm(c);
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
        if (!ev.isCreated() || !ev.bucket().equals(rawBucket)) return false;
        FileRecord f = files.findByKey(ev.bucket(), ev.key()).orElse(null);
        if (f == null || f.status() != FileStatus.PENDING) return false;
        if (ev.sizeBytes() != null && ev.sizeBytes() != f.declaredSize()) {
            log.info("event for {} reports {} bytes, declared {}: verification decides", f.id(), ev.sizeBytes(), f.declaredSize());
        }
        uploads.markUploaded(f.id());
        return true;
    }

    private Outcome confirm(S3Notification.SubscriptionConfirmation c) {
        URI u;
        try {
            u = URI.create(c.subscribeUrl());
        } catch (IllegalArgumentException e) {
            throw new Problem(ProblemCode.UNTRUSTED_SUBSCRIBE_URL, "SubscribeURL is not a URL");
        }
        if (!"https".equals(u.getScheme()) || u.getHost() == null || !SNS_HOST.matcher(u.getHost()).matches()) {
            throw new Problem(ProblemCode.UNTRUSTED_SUBSCRIBE_URL, "SubscribeURL must be an https URL of an AWS SNS endpoint, got host " + u.getHost());
        }
        try {
            var r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.discarding());
            log.info("SNS subscription to {} confirmed ({})", c.topicArn(), r.statusCode());
            return new Outcome(0, 0, "subscription confirmed");
        } catch (Exception e) {
            throw new Problem(ProblemCode.CONFIRMATION_FAILED, "could not confirm the subscription: " + e.getMessage());
        }
    }
}

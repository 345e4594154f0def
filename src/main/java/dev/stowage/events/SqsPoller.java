package dev.stowage.events;

import dev.stowage.problems.Problem;
import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Reads AWS S3 event notifications from an SQS queue (the S3 bucket notifies the queue directly or
 * through SNS) and hands each message to {@link EventService}. Long polling (20 s); a message is deleted
 * once handled or when it is malformed or refused (it would never become valid); a message whose handling failed
 * for another reason stays and reappears after the queue's visibility timeout. Runs in worker processes
 * when {@code events.sqs_queue_url} is set; several pollers may share one queue.
 */
public final class SqsPoller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqsPoller.class);
    private final SqsClient sqs;
    private final String queueUrl;
    private final EventService events;
    private final AtomicBoolean running = new AtomicBoolean();
    private Thread thread;

    /**
     * @param sqs      an SQS client (region and credentials from the SDK's default chains)
     * @param queueUrl the queue URL
     * @param events   where messages go
     */
    public SqsPoller(SqsClient sqs, URI queueUrl, EventService events) {
        this.sqs = sqs;
        this.queueUrl = queueUrl.toString();
        this.events = events;
    }

    /**
     * Handles one message.
     *
     * @return whether the message should be deleted from the queue
     */
    boolean handle(Message m) {
        try {
            var outcome = events.handle(m.body(), EventService.Source.QUEUE);
            log.debug("SQS message {}: {} accepted, {} ignored", m.messageId(), outcome.accepted(), outcome.ignored());
            return true;
        } catch (Problem p) {
            if (p.status() >= 400 && p.status() < 500) { // the message itself is wrong or refused: retrying cannot help
                log.warn("SQS message {} dropped: {} ({})", m.messageId(), p.code(), p.getMessage());
                return true;
            }
            log.warn("SQS message {} left for retry: {}", m.messageId(), p.getMessage());
            return false;
        } catch (RuntimeException e) {
            log.warn("SQS message {} left for retry: {}", m.messageId(), e.toString());
            return false;
        }
    }

    /** Starts polling on a virtual thread. */
    public void start() {
        if (!running.compareAndSet(false, true)) return;
        thread = Thread.ofVirtual().name("sqs-poller").start(() -> {
            while (running.get()) {
                try {
                    var resp = sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(20));
                    for (Message m : resp.messages()) {
                        if (handle(m)) sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                    }
                } catch (RuntimeException e) {
                    if (!running.get()) return;
                    log.warn("SQS poll failed, retrying in 5 s: {}", e.toString());
                    try {
                        Thread.sleep(5_000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        });
        log.info("polling SQS queue {} for S3 events", queueUrl);
    }

    @Override
    public void close() {
        running.set(false);
        if (thread != null) thread.interrupt();
        sqs.close();
    }
}

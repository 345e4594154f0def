package dev.stowage.events;

import java.util.List;

/**
 * What an S3 notification body means, as decided by {@link S3EventParser#parse(String)}: object
 * events, an SNS subscription confirmation, a test message, or nothing.
 *
 * <p>Shapes follow the AWS "Event message structure"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html), the
 * Ceph "Bucket Notifications" event record (https://docs.ceph.com/en/latest/radosgw/notifications/)
 * and the SNS HTTP/HTTPS message formats
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html).
 */
public sealed interface S3Notification {
    // The record named Objects shadows java.util.Objects in this file: that one is spelled out.

    /**
     * One or more object events (never empty: a body without records is {@link Empty}).
     *
     * @param events the records, in body order
     */
    record Objects(List<ObjectEvent> events) implements S3Notification {

        /**
         * Copies the list.
         *
         * @throws NullPointerException     if the list or an element is null
         * @throws IllegalArgumentException if the list is empty
         */
        public Objects {
            events = List.copyOf(events);
            if (events.isEmpty()) {
                throw new IllegalArgumentException("events must not be empty");
            }
        }
    }

    /**
     * An Amazon SNS {@code SubscriptionConfirmation} message (SNS "HTTP/HTTPS subscription
     * confirmation JSON format",
     * https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html).
     *
     * <p>The envelope's signature is not checked here ({@link SnsVerifier} does). Before visiting
     * {@code subscribeUrl}, check that it points at the expected SNS endpoint: the body comes from the network.
     *
     * @param topicArn     the topic the endpoint is being subscribed to
     * @param subscribeUrl the https URL that confirms the subscription when fetched
     * @param token        the token for the ConfirmSubscription API, an alternative to the URL
     */
    record SubscriptionConfirmation(String topicArn, String subscribeUrl, String token) implements S3Notification {

        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is null
         */
        public SubscriptionConfirmation {
            java.util.Objects.requireNonNull(topicArn, "topicArn");
            java.util.Objects.requireNonNull(subscribeUrl, "subscribeUrl");
            java.util.Objects.requireNonNull(token, "token");
        }
    }

    /**
     * An Amazon SNS {@code UnsubscribeConfirmation} message: the endpoint was unsubscribed from the topic
     * (SNS "HTTP/HTTPS unsubscribe confirmation JSON format",
     * https://docs.aws.amazon.com/sns/latest/dg/http-unsubscribe-confirmation-json.html).
     *
     * @param topicArn the topic the endpoint no longer receives
     */
    record UnsubscribeConfirmation(String topicArn) implements S3Notification {

        /**
         * Validates the component.
         *
         * @throws NullPointerException if {@code topicArn} is null
         */
        public UnsubscribeConfirmation {
            java.util.Objects.requireNonNull(topicArn, "topicArn");
        }
    }

    /**
     * A test message with no object in it: the {@code s3:TestEvent} that Amazon S3 sends when a
     * notification configuration is saved (AWS "Event message structure").
     */
    record TestEvent() implements S3Notification {
    }

    /** A body that carries nothing: empty, {@code {}} or {@code {"Records":[]}}. */
    record Empty() implements S3Notification {
    }
}

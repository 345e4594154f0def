package dev.stowage.events;

/**
 * The fields of an Amazon SNS HTTP/HTTPS message that its signature covers or locates (SNS "Parsing message
 * formats", https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html), exactly as sent:
 * each is the JSON string, or {@code null} when the field is absent or JSON {@code null}. Read by
 * {@link S3EventParser#snsEnvelope(String)}, checked by {@link SnsVerifier}.
 *
 * @param type             {@code Notification}, {@code SubscriptionConfirmation} or {@code UnsubscribeConfirmation}
 * @param messageId        {@code MessageId}
 * @param topicArn         {@code TopicArn}
 * @param message          {@code Message}
 * @param subject          {@code Subject} (notifications only, optional)
 * @param timestamp        {@code Timestamp}, ISO-8601 as sent (signed as text, never re-formatted)
 * @param subscribeUrl     {@code SubscribeURL} (confirmations)
 * @param token            {@code Token} (confirmations)
 * @param signatureVersion {@code SignatureVersion}: {@code 1} (SHA1withRSA) or {@code 2} (SHA256withRSA)
 * @param signature        {@code Signature}, base64
 * @param signingCertUrl   {@code SigningCertURL}
 */
public record SnsEnvelope(String type, String messageId, String topicArn, String message, String subject, String timestamp,
                          String subscribeUrl, String token, String signatureVersion, String signature, String signingCertUrl) {

    /** Whether this is a {@code SubscriptionConfirmation} or an {@code UnsubscribeConfirmation}. */
    public boolean isConfirmation() {
        return "SubscriptionConfirmation".equals(type) || "UnsubscribeConfirmation".equals(type);
    }
}

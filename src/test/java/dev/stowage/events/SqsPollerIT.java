package dev.stowage.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.testing.Harness;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The SQS poller's per-message decisions over a real Stowage: a valid AWS event (here in an SNS envelope,
 * as S3 → SNS → SQS delivers it) finishes an upload and is deleted; a malformed one is deleted too (it
 * never becomes valid). Receiving from a real queue needs AWS and is not exercised here.
 */
class SqsPollerIT {

    @Test
    void messagesAreHandledAndDeletedOrKept() throws Exception {
        try (var h = new Harness()) {
            byte[] text = "via the queue\n".getBytes(StandardCharsets.UTF_8);
            var init = h.call("POST", "/v1/uploads", "quinn", Map.of("filename", "a b.txt", "size", text.length, "contentType", "text/plain")).json();
            assertThat(Harness.put(init.at("/upload/url").asText(), init.at("/upload/headers"), text).statusCode()).isEqualTo(200);
            String awsKey = java.net.URLEncoder.encode(init.path("key").asText(), StandardCharsets.UTF_8); // AWS form-encodes keys
            String event = """
                    {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-11-29T10:00:00.000Z",
                      "eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"%s","arn":"arn:aws:s3:::%s"},
                      "object":{"key":"%s","size":%d,"eTag":"x","sequencer":"0A"}}}]}""".formatted(
                    h.config.storage().buckets().raw(), h.config.storage().buckets().raw(), awsKey, text.length);
            String sns = Harness.JSON.writeValueAsString(Map.of("Type", "Notification", "MessageId", "1",
                    "TopicArn", "arn:aws:sns:us-east-1:1:t", "Message", event, "Timestamp", "2026-11-29T10:00:00.000Z"));
            var poller = new SqsPoller(SqsClient.builder().region(software.amazon.awssdk.regions.Region.US_EAST_1)
                    .credentialsProvider(software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create()).build(),
                    URI.create("https://sqs.us-east-1.amazonaws.com/1/unused"), h.stowage.events());
            assertThat(poller.handle(Message.builder().messageId("m1").body(sns).build())).isTrue();
            assertThat(h.awaitSettled("quinn", init.path("fileId").asText(), Duration.ofSeconds(30)).path("status").asText()).isEqualTo("ready");
            assertThat(poller.handle(Message.builder().messageId("m2").body("{\"Records\":\"nope\"}").build())).isTrue();
            assertThat(poller.handle(Message.builder().messageId("m3").body(sns).build())).as("a duplicate is handled and deleted").isTrue();
            poller.close();
        }
    }
}

package dev.stowage.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.eventnotifications.s3.model.S3EventNotification;

class S3EventParserTest {

    private static final String SPACE_AND_PLUS = "docs/with space & plus+.txt";

    private static String fixture(String name) {
        try (InputStream in = S3EventParserTest.class.getResourceAsStream("/events/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<ObjectEvent> events(String body) {
        S3Notification n = S3EventParser.parse(body);
        assertThat(n).isInstanceOf(S3Notification.Objects.class);
        return ((S3Notification.Objects) n).events();
    }

    private static ObjectEvent single(String body) {
        List<ObjectEvent> events = events(body);
        assertThat(events).hasSize(1);
        return events.getFirst();
    }

    private static void assertMalformed(String body, String messagePart) {
        assertThatThrownBy(() -> S3EventParser.parse(body))
                .isInstanceOf(MalformedEventException.class)
                .hasMessageContaining(messagePart)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r"));
    }

    /** A minimal record of the given source with the key exactly as it appears in JSON. */
    private static String record(String eventSource, String jsonKey, String objectExtra) {
        return """
                {"eventSource":"%s","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},\
                "object":{"key":%s%s}}}""".formatted(eventSource, jsonKey, objectExtra);
    }

    private static String body(String... records) {
        return "{\"Records\":[" + String.join(",", records) + "]}";
    }

    // --- Ceph ---------------------------------------------------------------------------------

    @Test
    void cephSampleKeepsTheRawKey() {
        ObjectEvent e = single(fixture("ceph-put.json"));
        assertThat(e).isEqualTo(new ObjectEvent("ceph", "ObjectCreated:Put", "notify-bkt", SPACE_AND_PLUS,
                9L, "2b44e6539bbe75558fd5bed8de20011b", null, "C0DF0B6B1CDDC202",
                Instant.parse("2026-11-29T08:18:08.045150Z")));
        assertThat(e.isCreated()).isTrue();
        assertThat(e.isRemoved()).isFalse();
    }

    @Test
    void cephKeyWithPercentEscapesIsNotDecoded() {
        String body = fixture("ceph-put.json").replace(SPACE_AND_PLUS, "docs/100%2B more+%26.txt");
        assertThat(single(body).key()).isEqualTo("docs/100%2B more+%26.txt");
    }

    @Test
    void cephKeyWithAStrayPercentIsFine() {
        // Raw keys are not percent-decoded, so a lone % is just a character of the name.
        String body = fixture("ceph-put.json").replace(SPACE_AND_PLUS, "50% off.txt");
        assertThat(single(body).key()).isEqualTo("50% off.txt");
    }

    @Test
    void theSdkDecoderWouldCorruptCephKeys() {
        // Why the source decides: the SDK's getUrlDecodedKey() form-decodes every key.
        var sdk = S3EventNotification.fromJson(fixture("ceph-put.json"));
        var object = sdk.getRecords().getFirst().getS3().getObject();
        assertThat(object.getKey()).isEqualTo(SPACE_AND_PLUS);
        assertThat(object.getUrlDecodedKey()).isEqualTo("docs/with space & plus .txt");
        assertThat(single(fixture("ceph-put.json")).key()).isEqualTo(SPACE_AND_PLUS);
    }

    @Test
    void cephSizeAsDigitStringIsAccepted() {
        String body = fixture("ceph-put.json").replace("\"size\": 9,", "\"size\": \"1024\",");
        assertThat(single(body).sizeBytes()).isEqualTo(1024L);
    }

    /** The record of the Ceph sample on its own, without the {@code Records} wrapper. */
    static String bareCephRecord() {
        String body = fixture("ceph-put.json").strip();
        String inner = body.substring(body.indexOf('[') + 1, body.lastIndexOf(']')).strip();
        assertThat(inner).startsWith("{").endsWith("}");
        return inner;
    }

    @Test
    void aBareSingleRecordBodyIsAccepted() {
        assertThat(single(bareCephRecord())).isEqualTo(single(fixture("ceph-put.json")));
        // AWS and MinIO records on their own are decoded as in a Records list
        assertThat(single(record("aws:s3", "\"a+b%2Bc\"", "")).key()).isEqualTo("a b+c");
        assertThat(single(record("aws:s3", "\"a+b%2Bc\"", "")).rawKey()).isEqualTo("a+b%2Bc");
        assertThat(single(record("minio:s3", "\"x%2Fy\"", "")).key()).isEqualTo("x/y");
    }

    @Test
    void aBareSingleRecordInsideAnSnsMessageIsAccepted() {
        String sns = "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"TopicArn\":\"arn:aws:sns:us-east-1:1:t\",\"Message\":"
                + com.fasterxml.jackson.databind.node.TextNode.valueOf(bareCephRecord()) + "}";
        assertThat(single(sns)).isEqualTo(single(fixture("ceph-put.json")));
    }

    @Test
    void aBareRecordIsCheckedLikeAListedOne() {
        assertMalformed("{\"eventSource\":\"gcs\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{}}",
                "body.eventSource is not aws:s3, minio:s3 or ceph:s3");
        assertMalformed("{\"eventSource\":\"ceph:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"}}}",
                "body.s3.object is missing");
        assertMalformed("{\"eventSource\":\"ceph:s3\",\"Records\":[]}", "mixes the fields");
    }

    @Test
    void theRawKeyIsKeptBesideTheDecodedOne() {
        ObjectEvent aws = single(fixture("aws-put.json"));
        assertThat(aws.rawKey()).isEqualTo("docs/with+space+%26+plus%2B.txt");
        assertThat(aws.key()).isEqualTo(SPACE_AND_PLUS);
        assertThat(single(fixture("ceph-put.json")).rawKey()).isEqualTo(SPACE_AND_PLUS);
    }

    // --- AWS ----------------------------------------------------------------------------------

    @Test
    void awsKeyIsFormDecoded() {
        ObjectEvent e = single(fixture("aws-put.json"));
        assertThat(e).isEqualTo(new ObjectEvent("aws", "ObjectCreated:Put", "stowage-raw", SPACE_AND_PLUS,
                9L, "2b44e6539bbe75558fd5bed8de20011b", "096fKKXTRTtl3on89fVO.nfljtsv6qko", "0055AED6DCD90281E5",
                Instant.parse("2026-03-14T09:26:53.589Z"), "docs/with+space+%26+plus%2B.txt"));
    }

    @Test
    void awsUnicodeKeyIsDecodedAsUtf8() {
        ObjectEvent e = single(fixture("aws-unicode-key.json"));
        assertThat(e.key()).isEqualTo("fotos/caf\u00e9.jpg");
        assertThat(e.eventName()).isEqualTo("ObjectCreated:Post");
        assertThat(e.versionId()).isNull();
    }

    @Test
    void awsKeysAgreeWithTheSdkDecoder() {
        for (String name : List.of("aws-put.json", "aws-unicode-key.json", "aws-multi.json")) {
            List<String> sdkKeys = S3EventNotification.fromJson(fixture(name)).getRecords().stream()
                    .map(r -> r.getS3().getObject().getUrlDecodedKey())
                    .toList();
            assertThat(events(fixture(name)).stream().map(ObjectEvent::key).toList())
                    .as(name).isEqualTo(sdkKeys);
        }
    }

    @Test
    void awsDeleteHasNoSizeOrETag() {
        ObjectEvent e = single(fixture("aws-delete.json"));
        assertThat(e).isEqualTo(new ObjectEvent("aws", "ObjectRemoved:Delete", "stowage-raw", SPACE_AND_PLUS,
                null, null, null, "0055AED6DCD9028A11", Instant.parse("2026-03-14T10:02:17.220Z"),
                "docs/with+space+%26+plus%2B.txt"));
        assertThat(e.isRemoved()).isTrue();
        assertThat(e.isCreated()).isFalse();
    }

    @Test
    void multiRecordEventKeepsOrderAndFields() {
        List<ObjectEvent> events = events(fixture("aws-multi.json"));
        assertThat(events).extracting(ObjectEvent::eventName).containsExactly(
                "ObjectCreated:CompleteMultipartUpload", "ObjectCreated:Copy", "ObjectRemoved:DeleteMarkerCreated");
        assertThat(events).extracting(ObjectEvent::key).containsExactly(
                "videos/2026/launch day.mp4", "videos/2026/launch day (copy).mp4", "videos/2026/old.mp4");
        // 5 GiB does not fit an int; the quoted ETag of the first record loses its quotes.
        assertThat(events.get(0).sizeBytes()).isEqualTo(5_368_709_120L);
        assertThat(events.get(0).eTag()).isEqualTo("c4ca4238a0b923820dcc509a6f75849b-640");
        assertThat(events.get(1).eTag()).isEqualTo("c4ca4238a0b923820dcc509a6f75849b-640");
        assertThat(events.get(2).sizeBytes()).isNull();
        assertThat(events.get(2).versionId()).isEqualTo("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
        assertThat(events).extracting(ObjectEvent::isRemoved).containsExactly(false, false, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"a%\"", "\"a%2\"", "\"a%zz\"", "\"a%\uff10\uff10\""})
    void awsKeyWithABrokenPercentEscapeIsMalformed(String jsonKey) {
        assertMalformed(body(record("aws:s3", jsonKey, "")), "Records[0].s3.object.key has an invalid percent escape");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"caf%C3.jpg\"", "\"%FF\"", "\"%C3%28\"", "\"%ED%A0%80\""})
    void awsKeyThatIsNotUtf8IsMalformed(String jsonKey) {
        assertMalformed(body(record("aws:s3", jsonKey, "")), "Records[0].s3.object.key is not percent-encoded UTF-8");
    }

    @Test
    void multiByteCharacterSplitAcrossEscapesDecodes() {
        // U+1F600 as four escaped bytes, next to a plain character on both sides.
        assertThat(single(body(record("aws:s3", "\"a%F0%9F%98%80b\"", ""))).key()).isEqualTo("a\uD83D\uDE00b");
    }

    // --- MinIO --------------------------------------------------------------------------------

    @Test
    void minioWebhookIsParsedAndDecodedLikeAws() {
        ObjectEvent e = single(fixture("minio-webhook-put.json"));
        assertThat(e).isEqualTo(new ObjectEvent("minio", "ObjectCreated:Put", "media",
                "uploads/2024/r\u00e9sum\u00e9 final+v2.pdf", 183_204L, "9b2cf535f27731c974343645a3985328",
                null, "17BC6F1A2B3C4D5F", Instant.parse("2026-03-14T12:30:45.123Z"),
                "uploads%2F2024%2Fr%C3%A9sum%C3%A9+final%2Bv2.pdf"));
    }

    @Test
    void minioWrapperKeyMustMatchTheDecodedRecord() {
        String body = fixture("minio-webhook-put.json")
                .replace("\"Key\": \"media/uploads/2024/résumé final+v2.pdf\"",
                        "\"Key\": \"media/uploads%2F2024%2Fr%C3%A9sum%C3%A9+final%2Bv2.pdf\"");
        assertMalformed(body, "Key does not match the bucket and decoded key of Records[0]");
    }

    @Test
    void minioWrapperWithEmptyKeyIsAccepted() {
        String body = fixture("minio-webhook-put.json")
                .replace("\"Key\": \"media/uploads/2024/résumé final+v2.pdf\"", "\"Key\": \"\"");
        assertThat(single(body).key()).isEqualTo("uploads/2024/r\u00e9sum\u00e9 final+v2.pdf");
    }

    // --- SNS and test events ------------------------------------------------------------------

    @Test
    void snsNotificationUnwrapsTheS3Event() {
        assertThat(S3EventParser.parse(fixture("sns-notification.json")))
                .isEqualTo(S3EventParser.parse(fixture("aws-put.json")));
        assertThat(single(fixture("sns-notification.json")).key()).isEqualTo(SPACE_AND_PLUS);
    }

    @Test
    void snsSubscriptionConfirmation() {
        assertThat(S3EventParser.parse(fixture("sns-subscription-confirmation.json")))
                .isEqualTo(new S3Notification.SubscriptionConfirmation(
                        "arn:aws:sns:eu-west-1:123456789012:stowage-events",
                        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
                                + "&TopicArn=arn:aws:sns:eu-west-1:123456789012:stowage-events"
                                + "&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
                        "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736"));
    }

    @Test
    void subscriptionConfirmationNeedsAnHttpsUrl() {
        String body = fixture("sns-subscription-confirmation.json")
                .replace("\"SubscribeURL\": \"https://", "\"SubscribeURL\": \"http://");
        assertMalformed(body, "SubscribeURL is not an https URL");
        assertMalformed(fixture("sns-subscription-confirmation.json").replace("\"Token\":", "\"NotToken\":"),
                "Token is missing");
    }

    @Test
    void s3TestEvent() {
        assertThat(S3EventParser.parse(fixture("s3-test-event.json"))).isEqualTo(new S3Notification.TestEvent());
    }

    @Test
    void s3TestEventInsideSns() {
        String body = """
                {"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:eu-west-1:1:t",
                 "Message":"{\\"Service\\":\\"Amazon S3\\",\\"Event\\":\\"s3:TestEvent\\",\\"Bucket\\":\\"b\\"}"}""";
        assertThat(S3EventParser.parse(body)).isEqualTo(new S3Notification.TestEvent());
    }

    @Test
    void otherTestEventsAreMalformed() {
        assertMalformed("{\"Service\":\"Amazon S3\",\"Event\":\"s3:Other\"}", "Event is not s3:TestEvent");
        assertMalformed("{\"Service\":\"Elsewhere\",\"Event\":\"s3:TestEvent\"}", "Service is not Amazon S3");
    }

    @Test
    void snsUnsubscribeConfirmation() {
        assertThat(S3EventParser.parse("{\"Type\":\"UnsubscribeConfirmation\",\"TopicArn\":\"arn:aws:sns:eu-west-1:123456789012:t\",\"Message\":\"bye\"}"))
                .isEqualTo(new S3Notification.UnsubscribeConfirmation("arn:aws:sns:eu-west-1:123456789012:t"));
        assertMalformed("{\"Type\":\"UnsubscribeConfirmation\",\"Message\":\"bye\"}", "TopicArn is missing");
        assertMalformed("{\"Type\":\"Goodbye\",\"Message\":\"bye\"}",
                "SNS Type must be Notification, SubscriptionConfirmation or UnsubscribeConfirmation");
    }

    @Test
    void snsMessageThatIsNotJsonIsMalformed() {
        assertMalformed("{\"Type\":\"Notification\",\"Message\":\"hello\"}", "SNS Message is not valid JSON");
        assertMalformed("{\"Type\":\"Notification\",\"Message\":{\"Records\":[]}}", "Message is not a string");
    }

    @Test
    void snsInsideSnsIsMalformed() {
        String inner = "{\\\"Type\\\":\\\"Notification\\\",\\\"Message\\\":\\\"{}\\\"}";
        assertMalformed("{\"Type\":\"Notification\",\"Message\":\"" + inner + "\"}", "SNS Message is itself an SNS message");
    }

    // --- empty --------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"", "  \n", "{}", " { } ", "{\"Records\":[]}",
            "{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"\",\"Records\":[]}",
            "{\"Type\":\"Notification\",\"Message\":\"{\\\"Records\\\":[]}\"}"})
    void emptyBodies(String body) {
        assertThat(S3EventParser.parse(body)).isEqualTo(new S3Notification.Empty());
    }

    // --- malformed ----------------------------------------------------------------------------

    @Test
    void notJson() {
        assertMalformed(fixture("malformed-not-json.txt"), "body is not valid JSON");
    }

    @Test
    void jsonArray() {
        assertMalformed(fixture("malformed-array.json"), "body is not a JSON object");
    }

    @Test
    void recordsNotAList() {
        assertMalformed(fixture("malformed-records-not-list.json"), "Records is not a list");
    }

    @Test
    void recordWithoutKey() {
        assertMalformed(fixture("malformed-record-without-key.json"), "Records[0].s3.object.key is missing");
    }

    @Test
    void moreThanAThousandRecords() {
        String one = record("aws:s3", "\"k\"", "");
        String thousand = body(java.util.Collections.nCopies(1_000, one).toArray(String[]::new));
        assertThat(events(thousand)).hasSize(1_000);
        String tooMany = body(java.util.Collections.nCopies(1_001, one).toArray(String[]::new));
        assertMalformed(tooMany, "Records has more than 1000 entries");
    }

    @Test
    void recordThatIsNotAnObject() {
        assertMalformed(body(record("aws:s3", "\"k\"", ""), "\"k\""), "Records[1] is not an object");
        assertMalformed(body("null"), "Records[0] is not an object");
    }

    @Test
    void missingOrEmptyBucket() {
        assertMalformed(body("{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"object\":{\"key\":\"k\"}}}"),
                "Records[0].s3.bucket is missing");
        assertMalformed(body("{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"\"},\"object\":{\"key\":\"k\"}}}"),
                "Records[0].s3.bucket.name is empty");
    }

    @Test
    void emptyKeyIsMalformed() {
        assertMalformed(body(record("ceph:s3", "\"\"", "")), "Records[0].s3.object.key is empty");
    }

    @Test
    void sizeBounds() {
        assertThat(single(body(record("aws:s3", "\"k\"", ",\"size\":9223372036854775807"))).sizeBytes())
                .isEqualTo(Long.MAX_VALUE);
        assertMalformed(body(record("aws:s3", "\"k\"", ",\"size\":9223372036854775808")),
                "Records[0].s3.object.size is out of range");
        assertMalformed(body(record("ceph:s3", "\"k\"", ",\"size\":\"9223372036854775808\"")),
                "Records[0].s3.object.size is out of range");
        assertMalformed(body(record("aws:s3", "\"k\"", ",\"size\":-1")), "Records[0].s3.object.size is negative");
        assertMalformed(body(record("aws:s3", "\"k\"", ",\"size\":1.5")), "Records[0].s3.object.size is not a whole number");
        assertMalformed(body(record("aws:s3", "\"k\"", ",\"size\":\"12 bytes\"")),
                "Records[0].s3.object.size is not a whole number");
    }

    @Test
    void unknownEventSourceIsMalformed() {
        assertMalformed(body(record("gcs:storage", "\"k\"", "")),
                "Records[0].eventSource is not aws:s3, minio:s3 or ceph:s3");
        assertMalformed(body("{\"eventName\":\"ObjectCreated:Put\",\"s3\":{}}"), "Records[0].eventSource is missing");
    }

    @Test
    void badEventTimeIsMalformedButEmptyIsNull() {
        assertMalformed(body("{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"eventTime\":\"yesterday\","
                + "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\"}}}"), "Records[0].eventTime is not an ISO-8601 time");
        assertThat(single(body("{\"eventSource\":\"minio:s3\",\"eventName\":\"s3:ObjectRemoved:Delete\",\"eventTime\":\"\","
                + "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\",\"eTag\":\"\",\"versionId\":\"\"}}}")))
                .isEqualTo(new ObjectEvent("minio", "ObjectRemoved:Delete", "b", "k", null, null, null, null, null));
    }

    @Test
    void wrongFieldTypesAreMalformed() {
        assertMalformed(body(record("aws:s3", "42", "")), "Records[0].s3.object.key is not a string");
        assertMalformed(body(record("aws:s3", "\"k\"", ",\"eTag\":7")), "Records[0].s3.object.eTag is not a string");
        assertMalformed(body("{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":[]}"),
                "Records[0].s3 is not an object");
    }

    @Test
    void keyLongerThanS3AllowsIsMalformed() {
        String ok = "k".repeat(1_024);
        assertThat(single(body(record("ceph:s3", "\"" + ok + "\"", ""))).key()).isEqualTo(ok);
        assertMalformed(body(record("ceph:s3", "\"" + ok + "k\"", "")), "Records[0].s3.object.key is longer than 1024 bytes");
        assertMalformed(body(record("ceph:s3", "\"a\\ud800b\"", "")), "Records[0].s3.object.key is not well-formed Unicode");
    }

    @Test
    void mixedShapesAreMalformed() {
        assertMalformed("{\"Records\":[],\"Type\":\"Notification\"}",
                "body mixes the fields of S3 events, SNS messages and test events");
        assertMalformed("{\"hello\":\"world\"}", "body is not an S3 event, an S3 event record, an SNS message or an S3 test event");
        assertMalformed("null", "body is not a JSON object");
        assertMalformed("\"Records\"", "body is not a JSON object");
    }

    @Test
    void strictJson() {
        assertMalformed("{\"Records\":[]} {}", "body is not valid JSON");
        assertMalformed("{\"Records\":[],\"Records\":[]}", "body is not valid JSON");
        assertMalformed("[".repeat(100) + "]".repeat(100), "body is not valid JSON");
    }

    @Test
    void duplicateKeyFieldCannotSmuggleASecondKey() {
        String body = body("{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
                + "\"object\":{\"key\":\"a\",\"key\":\"b\"}}}");
        assertMalformed(body, "body is not valid JSON");
    }

    @Test
    void oversizedBodyIsRefusedBeforeParsing() {
        String body = "{\"Records\":[]}" + " ".repeat(S3EventParser.MAX_BODY_CHARS);
        assertMalformed(body, "body is larger than 1 MiB");
    }

    @Test
    void messagesDoNotEchoTheBody() {
        String secret = "s3cr3t-value";
        assertThatThrownBy(() -> S3EventParser.parse("{\"Records\":[{\"eventSource\":\"" + secret + "\"}]}"))
                .isInstanceOf(MalformedEventException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
        assertThatThrownBy(() -> S3EventParser.parse("{\"" + secret + "\": nope}"))
                .isInstanceOf(MalformedEventException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret).doesNotContain("nope"));
    }
}

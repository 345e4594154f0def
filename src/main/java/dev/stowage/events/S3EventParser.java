package dev.stowage.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Parses the body of an S3 event notification as sent by Amazon S3, MinIO or the Ceph RADOS
 * Gateway, directly or inside an Amazon SNS envelope.
 *
 * <p>Accepted bodies:
 * <ul>
 *   <li>the S3 event JSON {@code {"Records":[…]}} (AWS "Event message structure",
 *       https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html;
 *       Ceph "Bucket Notifications", https://docs.ceph.com/en/latest/radosgw/notifications/);
 *   <li>MinIO's webhook and queue wrapper {@code {"EventName":…,"Key":"bucket/key","Records":[…]}}
 *       (MinIO {@code internal/event/target/webhook.go}); when {@code Key} is present it must equal
 *       the bucket, a slash and the decoded key of the single record, which checks the decoding;
 *   <li>a single record without the {@code Records} wrapper ({@code {"eventSource":…,"s3":…}}),
 *       as some Ceph RGW push endpoints and relays send it: read as a body of that one record;
 *   <li>an SNS {@code Notification} whose {@code Message} string is one of the above or the test
 *       event, and an SNS {@code SubscriptionConfirmation} or {@code UnsubscribeConfirmation} (SNS "Parsing message formats",
 *       https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html);
 *   <li>the AWS test message {@code {"Service":"Amazon S3","Event":"s3:TestEvent",…}};
 *   <li>an empty body, {@code {}} and {@code {"Records":[]}}, as {@link S3Notification.Empty}.
 * </ul>
 * MinIO sends no test body: its webhook target checks the endpoint with a TCP connection only.
 *
 * <p><b>Object keys.</b> Amazon S3 URL-encodes the key with form rules ("red flower.jpg" becomes
 * "red+flower.jpg", per the AWS document above); MinIO does the same (Go's
 * {@code url.QueryEscape} in {@code cmd/event-notification.go}, which also encodes {@code /} as
 * {@code %2F}). Records from {@code aws:s3} and {@code minio:s3} are therefore form-decoded:
 * {@code +} is a space, {@code %XX} are bytes of UTF-8. Ceph sends the key raw, so {@code ceph:s3}
 * keys are used exactly as sent: a {@code +} or {@code %2B} in them is part of the name. The
 * decoding is strict: a stray {@code %} or bytes that are not UTF-8 make the body malformed
 * rather than producing a key that does not exist. The AWS SDK's
 * {@code S3Object.getUrlDecodedKey()} ({@code s3-event-notifications}) uses
 * {@link java.net.URLDecoder}, which silently turns invalid UTF-8 into U+FFFD and would corrupt
 * Ceph keys, so it is not used here.
 *
 * <p><b>Bounds.</b> Bodies longer than {@value #MAX_BODY_CHARS} characters, more than
 * {@value #MAX_RECORDS} records, JSON nested deeper than {@value #MAX_DEPTH} levels, duplicate
 * object keys in the JSON and trailing content are refused. A decoded object key must be 1 to
 * {@value #MAX_KEY_BYTES} UTF-8 bytes (S3's limit) and well-formed Unicode.
 *
 * <p>Instances are not needed: the class is stateless and thread-safe.
 */
public final class S3EventParser {

    /** Most records accepted in one body. */
    public static final int MAX_RECORDS = 1_000;

    /** Longest body accepted, in UTF-16 characters (1 MiB; a 1 MiB UTF-8 body never has more). */
    public static final int MAX_BODY_CHARS = 1 << 20;

    /** Longest object key accepted after decoding, in UTF-8 bytes (S3's key length limit). */
    public static final int MAX_KEY_BYTES = 1_024;

    /** Deepest JSON nesting accepted; S3 events nest about six levels. */
    static final int MAX_DEPTH = 32;

    private static final int MAX_NAME_CHARS = 255;

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .maxNumberLength(64)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private S3EventParser() {
    }

    /**
     * Parses a notification body.
     *
     * @param body the request body as text (the caller refuses bodies over 1 MiB first)
     * @return what the body means; never null
     * @throws MalformedEventException if the body is not one of the accepted shapes, with a
     *                                 one-line message that is safe to return to the sender
     * @throws NullPointerException    if {@code body} is null
     */
    public static S3Notification parse(String body) {
        Objects.requireNonNull(body, "body");
        if (body.length() > MAX_BODY_CHARS) {
            throw new MalformedEventException("body is larger than 1 MiB");
        }
        if (body.isBlank()) {
            return new S3Notification.Empty();
        }
        return topLevel(readJson(body, "body"), "body", true);
    }

    /**
     * Reads the SNS fields of a body that is an SNS message (a JSON object with a {@code Type}).
     *
     * @param body the request body as text
     * @return the fields, or {@code null} when the body is not an SNS message (blank, or no {@code Type})
     * @throws MalformedEventException if the body is over 1 MiB, not JSON, or an SNS field is not a string
     * @throws NullPointerException    if {@code body} is null
     */
    public static SnsEnvelope snsEnvelope(String body) {
        Objects.requireNonNull(body, "body");
        if (body.length() > MAX_BODY_CHARS) {
            throw new MalformedEventException("body is larger than 1 MiB");
        }
        if (body.isBlank()) {
            return null;
        }
        JsonNode root = readJson(body, "body");
        if (!root.isObject() || !root.has("Type")) {
            return null;
        }
        return new SnsEnvelope(
                requiredString(root, "Type", "Type"),
                optionalString(root, "MessageId", "MessageId"),
                optionalString(root, "TopicArn", "TopicArn"),
                optionalString(root, "Message", "Message"),
                optionalString(root, "Subject", "Subject"),
                optionalString(root, "Timestamp", "Timestamp"),
                optionalString(root, "SubscribeURL", "SubscribeURL"),
                optionalString(root, "Token", "Token"),
                optionalString(root, "SignatureVersion", "SignatureVersion"),
                optionalString(root, "Signature", "Signature"),
                optionalString(root, "SigningCertURL", "SigningCertURL"));
    }

    private static JsonNode readJson(String text, String what) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new MalformedEventException(what + " is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
            throw new MalformedEventException(what + " is not valid JSON" + where);
        }
    }

    private static S3Notification topLevel(JsonNode root, String what, boolean snsAllowed) {
        if (!root.isObject()) {
            throw new MalformedEventException(what + " is not a JSON object");
        }
        if (root.isEmpty()) {
            return new S3Notification.Empty();
        }
        boolean records = root.has("Records");
        boolean sns = root.has("Type");
        boolean test = root.has("Event");
        boolean bare = root.has("eventSource") || root.has("s3");
        if ((records ? 1 : 0) + (sns ? 1 : 0) + (test ? 1 : 0) + (bare ? 1 : 0) > 1) {
            throw new MalformedEventException(what + " mixes the fields of S3 events, SNS messages and test events");
        }
        if (records) {
            return records(root);
        }
        if (bare) {
            return new S3Notification.Objects(List.of(record(root, what)));
        }
        if (sns) {
            if (!snsAllowed) {
                throw new MalformedEventException("SNS Message is itself an SNS message");
            }
            return sns(root);
        }
        if (test) {
            return testEvent(root, what);
        }
        throw new MalformedEventException(what + " is not an S3 event, an S3 event record, an SNS message or an S3 test event");
    }

    private static S3Notification sns(JsonNode root) {
        String type = requiredString(root, "Type", "Type");
        return switch (type) {
            case "Notification" -> {
                String message = requiredString(root, "Message", "Message");
                if (message.isBlank()) {
                    yield new S3Notification.Empty();
                }
                yield topLevel(readJson(message, "SNS Message"), "SNS Message", false);
            }
            case "SubscriptionConfirmation" -> {
                String topicArn = requiredNonEmpty(root, "TopicArn", "TopicArn");
                String url = requiredNonEmpty(root, "SubscribeURL", "SubscribeURL");
                String token = requiredNonEmpty(root, "Token", "Token");
                requireHttpsUrl(url);
                yield new S3Notification.SubscriptionConfirmation(topicArn, url, token);
            }
            case "UnsubscribeConfirmation" -> new S3Notification.UnsubscribeConfirmation(requiredNonEmpty(root, "TopicArn", "TopicArn"));
            default -> throw new MalformedEventException(
                    "SNS Type must be Notification, SubscriptionConfirmation or UnsubscribeConfirmation");
        };
    }

    private static void requireHttpsUrl(String url) {
        try {
            URI uri = new URI(url);
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new MalformedEventException("SubscribeURL is not an https URL");
            }
        } catch (URISyntaxException e) {
            throw new MalformedEventException("SubscribeURL is not an https URL");
        }
    }

    private static S3Notification testEvent(JsonNode root, String what) {
        String event = requiredString(root, "Event", "Event");
        if (!event.equals("s3:TestEvent")) {
            throw new MalformedEventException(what + " Event is not s3:TestEvent");
        }
        String service = requiredString(root, "Service", "Service");
        if (!service.equals("Amazon S3")) {
            throw new MalformedEventException(what + " Service is not Amazon S3");
        }
        return new S3Notification.TestEvent();
    }

    private static S3Notification records(JsonNode root) {
        JsonNode records = root.get("Records");
        if (!records.isArray()) {
            throw new MalformedEventException("Records is not a list");
        }
        if (records.size() > MAX_RECORDS) {
            throw new MalformedEventException("Records has more than " + MAX_RECORDS + " entries");
        }
        String wrapperKey = optionalString(root, "Key", "Key");
        optionalString(root, "EventName", "EventName");
        if (records.isEmpty()) {
            return new S3Notification.Empty();
        }
        List<ObjectEvent> events = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            events.add(record(records.get(i), "Records[" + i + "]"));
        }
        if (wrapperKey != null && !wrapperKey.isEmpty()) {
            if (events.size() != 1) {
                throw new MalformedEventException("Key is set but Records does not have exactly one entry");
            }
            ObjectEvent only = events.getFirst();
            if (!wrapperKey.equals(only.bucket() + "/" + only.key())) {
                throw new MalformedEventException("Key does not match the bucket and decoded key of Records[0]");
            }
        }
        return new S3Notification.Objects(events);
    }

    private static ObjectEvent record(JsonNode record, String path) {
        if (!record.isObject()) {
            throw new MalformedEventException(path + " is not an object");
        }
        String source = switch (requiredString(record, "eventSource", path + ".eventSource")) {
            case "aws:s3" -> "aws";
            case "minio:s3" -> "minio";
            case "ceph:s3" -> "ceph";
            default -> throw new MalformedEventException(path + ".eventSource is not aws:s3, minio:s3 or ceph:s3");
        };
        String eventName = requiredNonEmpty(record, "eventName", path + ".eventName");
        if (eventName.startsWith("s3:")) {
            eventName = eventName.substring(3);
        }
        if (eventName.isEmpty() || eventName.length() > MAX_NAME_CHARS) {
            throw new MalformedEventException(path + ".eventName is empty or too long");
        }
        Instant eventTime = instant(record, "eventTime", path + ".eventTime");

        JsonNode s3 = requiredObject(record, "s3", path + ".s3");
        JsonNode bucketNode = requiredObject(s3, "bucket", path + ".s3.bucket");
        String bucket = requiredNonEmpty(bucketNode, "name", path + ".s3.bucket.name");
        if (bucket.length() > MAX_NAME_CHARS) {
            throw new MalformedEventException(path + ".s3.bucket.name is too long");
        }
        JsonNode object = requiredObject(s3, "object", path + ".s3.object");
        String keyPath = path + ".s3.object.key";
        String sentKey = requiredNonEmpty(object, "key", keyPath);
        String key = source.equals("ceph") ? sentKey : formDecode(sentKey, keyPath);
        checkKey(key, keyPath);

        return new ObjectEvent(
                source,
                eventName,
                bucket,
                key,
                size(object.get("size"), path + ".s3.object.size"),
                unquote(emptyToNull(optionalString(object, "eTag", path + ".s3.object.eTag"))),
                emptyToNull(optionalString(object, "versionId", path + ".s3.object.versionId")),
                emptyToNull(optionalString(object, "sequencer", path + ".s3.object.sequencer")),
                eventTime,
                sentKey);
    }

    /**
     * Decodes {@code application/x-www-form-urlencoded} text strictly: {@code +} is a space,
     * {@code %XX} a byte, and the bytes must be UTF-8.
     */
    static String formDecode(String s, String path) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? hex(s.charAt(i + 1)) : -1;
                int lo = hi >= 0 ? hex(s.charAt(i + 2)) : -1;
                if (hi < 0 || lo < 0) {
                    throw new MalformedEventException(path + " has an invalid percent escape");
                }
                pending.write(hi << 4 | lo);
                i += 2;
            } else {
                flushUtf8(pending, out, path);
                out.append(c == '+' ? ' ' : c);
            }
        }
        flushUtf8(pending, out, path);
        return out.toString();
    }

    /** The value of an ASCII hex digit, or -1 (Character.digit would also accept non-ASCII digits). */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static void flushUtf8(ByteArrayOutputStream pending, StringBuilder out, String path) {
        if (pending.size() == 0) {
            return;
        }
        try {
            out.append(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(pending.toByteArray())));
        } catch (CharacterCodingException e) {
            throw new MalformedEventException(path + " is not percent-encoded UTF-8");
        }
        pending.reset();
    }

    private static void checkKey(String key, String path) {
        int bytes;
        try {
            bytes = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(key))
                    .remaining();
        } catch (CharacterCodingException e) {
            throw new MalformedEventException(path + " is not well-formed Unicode");
        }
        if (bytes > MAX_KEY_BYTES) {
            throw new MalformedEventException(path + " is longer than " + MAX_KEY_BYTES + " bytes");
        }
    }

    private static Long size(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        long size;
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw new MalformedEventException(path + " is out of range");
            }
            size = node.longValue();
        } else if (node.isTextual() && node.textValue().matches("[0-9]{1,19}")) {
            // Ceph's documentation shows the size as a string ("size":"1024").
            try {
                size = Long.parseLong(node.textValue());
            } catch (NumberFormatException e) {
                throw new MalformedEventException(path + " is out of range");
            }
        } else {
            throw new MalformedEventException(path + " is not a whole number");
        }
        if (size < 0) {
            throw new MalformedEventException(path + " is negative");
        }
        return size;
    }

    private static Instant instant(JsonNode parent, String field, String path) {
        String text = emptyToNull(optionalString(parent, field, path));
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new MalformedEventException(path + " is not an ISO-8601 time");
        }
    }

    private static JsonNode requiredObject(JsonNode parent, String field, String path) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw new MalformedEventException(path + " is missing");
        }
        if (!node.isObject()) {
            throw new MalformedEventException(path + " is not an object");
        }
        return node;
    }

    private static String requiredString(JsonNode parent, String field, String path) {
        String s = optionalString(parent, field, path);
        if (s == null) {
            throw new MalformedEventException(path + " is missing");
        }
        return s;
    }

    private static String requiredNonEmpty(JsonNode parent, String field, String path) {
        String s = requiredString(parent, field, path);
        if (s.isEmpty()) {
            throw new MalformedEventException(path + " is empty");
        }
        return s;
    }

    private static String optionalString(JsonNode parent, String field, String path) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new MalformedEventException(path + " is not a string");
        }
        return node.textValue();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String unquote(String eTag) {
        if (eTag != null && eTag.length() >= 2 && eTag.startsWith("\"") && eTag.endsWith("\"")) {
            return emptyToNull(eTag.substring(1, eTag.length() - 1));
        }
        return eTag;
    }
}

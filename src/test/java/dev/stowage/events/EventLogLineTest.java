package dev.stowage.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EventLogLineTest {

    private static ObjectEvent single(String body) {
        return ((S3Notification.Objects) S3EventParser.parse(body)).events().getFirst();
    }

    @Test
    void unknownKeysAreLoggedRawAndDecodedOnOneBoundedLine() {
        String line = EventService.describe(single(
                "{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
                        + "\"object\":{\"key\":\"a%0Ab+%22c%22\"}}}"));
        assertThat(line).isEqualTo("bucket=b key(raw)=\"a%0Ab+%22c%22\" key(decoded)=\"a\\u000ab \\\"c\\\"\" source=aws");

        String longKey = "k".repeat(1_000);
        String bounded = EventService.describe(new ObjectEvent("ceph", "ObjectCreated:Put", "b", longKey, null, null, null, null, null));
        assertThat(bounded).doesNotContain("\n").contains("…(1000 chars)");
        assertThat(bounded.length()).isLessThan(2 * EventService.MAX_LOGGED_KEY_CHARS + 100);
    }
}

package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Which store errors are outages (503 with Retry-After to a client; a bucket plan or audit stops) and which are refusals. */
class StoreExceptionTest {

    @Test
    void serverErrorsAndNetworkFailuresAreOutages() {
        assertThat(new StoreException(503, "SlowDown", "slow down", null).unavailable()).isTrue();
        assertThat(new StoreException(500, "InternalError", "oops", null).unavailable()).isTrue();
        assertThat(new StoreException(0, null, "reset", new RuntimeException(new IOException("Connection reset"))).unavailable()).isTrue();
    }

    @Test
    void aFeatureTheStoreLacksOrARefusalIsNoOutage() {
        assertThat(new StoreException(501, "NotImplemented", "no lifecycle", null).unavailable()).isFalse();
        assertThat(new StoreException(403, "AccessDenied", "denied", null).unavailable()).isFalse();
        assertThat(new StoreException(0, null, "refused by Stowage", new IllegalStateException("x")).unavailable()).isFalse();
        assertThat(new StoreException("refused by Stowage").unavailable()).isFalse();
    }
}

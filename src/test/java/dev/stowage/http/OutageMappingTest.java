package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.problems.ProblemCode;
import dev.stowage.storage.StoreException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Which errors mean a dependency is down (503 with Retry-After) and which stay what they are: the one mapping
 * of {@link ProblemErrorHandler#unavailable}, on the exceptions HikariCP, pgjdbc, Jdbi and the store seam throw.
 */
class OutageMappingTest {
    @Test
    void databaseOutagesAreDatabaseUnavailableEvenWhenWrapped() {
        var poolTimeout = new SQLTransientConnectionException("stowage - Connection is not available, request timed out after 1500ms");
        assertThat(ProblemErrorHandler.unavailable(poolTimeout)).isEqualTo(ProblemCode.DATABASE_UNAVAILABLE);
        // Jdbi wraps the driver's exception; services may wrap again
        var jdbi = new org.jdbi.v3.core.ConnectionException(poolTimeout);
        assertThat(ProblemErrorHandler.unavailable(new IllegalStateException("listing failed", jdbi))).isEqualTo(ProblemCode.DATABASE_UNAVAILABLE);
        assertThat(ProblemErrorHandler.unavailable(new SQLException("An I/O error occurred while sending to the backend.", "08006")))
                .isEqualTo(ProblemCode.DATABASE_UNAVAILABLE);
        assertThat(ProblemErrorHandler.unavailable(new SQLException("canceling statement due to statement timeout", "57014")))
                .isEqualTo(ProblemCode.DATABASE_UNAVAILABLE);
        assertThat(ProblemErrorHandler.unavailable(new SQLException("the database system is starting up", "57P03")))
                .isEqualTo(ProblemCode.DATABASE_UNAVAILABLE);
    }

    @Test
    void storeOutagesAreStoreUnavailable() {
        var refused = SdkClientException.create("Unable to execute HTTP request: Connection refused", new ConnectException("Connection refused"));
        assertThat(ProblemErrorHandler.unavailable(new StoreException(0, null, refused.getMessage(), refused))).isEqualTo(ProblemCode.STORE_UNAVAILABLE);
        var slow = ApiCallTimeoutException.create(1500);
        assertThat(ProblemErrorHandler.unavailable(new StoreException(0, null, slow.getMessage(), slow))).isEqualTo(ProblemCode.STORE_UNAVAILABLE);
        assertThat(ProblemErrorHandler.unavailable(new StoreException(503, "SlowDown", "Please reduce your request rate", null)))
                .isEqualTo(ProblemCode.STORE_UNAVAILABLE);
    }

    @Test
    void faultsOfTheRequestOrOfStowageStayWhatTheyAre() {
        // a constraint violation, a refusal by the store, a check Stowage raises itself, a plain bug: no 503
        assertThat(ProblemErrorHandler.unavailable(new SQLException("duplicate key value violates unique constraint", "23505"))).isNull();
        assertThat(ProblemErrorHandler.unavailable(new StoreException(403, "AccessDenied", "Access Denied", null))).isNull();
        assertThat(ProblemErrorHandler.unavailable(new StoreException("the copy has another size"))).isNull();
        assertThat(ProblemErrorHandler.unavailable(new NullPointerException())).isNull();
        // a store refusal wrapping an I/O failure of Stowage's own (a temporary file) is not a store outage either
        assertThat(ProblemErrorHandler.unavailable(new StoreException(404, "NoSuchKey", "gone", new java.io.IOException("disk full")))).isNull();
    }
}

package dev.stowage.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stowage.config.StowageConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;

/**
 * The PostgreSQL connection pool (HikariCP), schema migrations (Flyway, scripts under
 * {@code db/migration}) and the Jdbi handle every service uses.
 *
 * <p>Every wait is bounded (docs/architecture.md §14): a caller waits at most
 * {@code database.connection_timeout_ms} for a connection (pooled connections idle for a moment are checked
 * within a third of that first), the driver gives up opening one after a few seconds and on a silent
 * connection after {@code database.socket_timeout_seconds}, and PostgreSQL cancels a statement of a pooled
 * connection after {@code database.statement_timeout_seconds}. Schema migrations run on their own
 * connections without these limits; a backup lifts the statement timeout inside its transaction.
 */
public final class Database implements AutoCloseable {
    private final StowageConfig.Database settings;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(StowageConfig.Database settings, HikariDataSource ds) {
        this.settings = settings;
        this.dataSource = ds;
        this.jdbi = Jdbi.create(ds).installPlugin(new PostgresPlugin());
    }

    /**
     * Opens a pool to the configured database. Does not migrate; call {@link #migrate()}. Does not wait for
     * PostgreSQL: the pool connects as it can, and readiness reports a database that is down.
     *
     * @param db the validated database section; its URL must be set
     * @return the open database
     * @throws IllegalStateException when the URL is missing
     */
    public static Database open(StowageConfig.Database db) {
        if (db.url() == null) throw new IllegalStateException("database.url is not set");
        var hc = new HikariConfig();
        hc.setJdbcUrl(db.url());
        if (db.user() != null) hc.setUsername(db.user());
        if (db.password() != null) hc.setPassword(db.password());
        hc.setMaximumPoolSize(db.maxPoolSize());
        hc.setPoolName("stowage");
        long waitMs = db.connectionTimeout().toMillis();
        hc.setConnectionTimeout(waitMs);
        // a connection idle for over 500 ms is checked before it is handed out: with a query and a network timeout
        // (isValid would take at least 1 s), so a dead one costs a third of the wait, not all of it
        hc.setValidationTimeout(Math.max(250, waitMs / 3));
        hc.setConnectionTestQuery("SELECT 1");
        hc.setInitializationFailTimeout(-1); // start even when PostgreSQL is down; readiness reports it
        hc.addDataSourceProperty("ApplicationName", "stowage");
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        // pgjdbc counts these in whole seconds: opening a connection (TCP, then the startup exchange) is bounded
        int connectSeconds = (int) Math.max(1, (waitMs + 999) / 1000);
        hc.addDataSourceProperty("connectTimeout", Integer.toString(connectSeconds));
        hc.addDataSourceProperty("loginTimeout", Integer.toString(connectSeconds + 2));
        if (!db.socketTimeout().isZero()) hc.addDataSourceProperty("socketTimeout", Long.toString(db.socketTimeout().toSeconds()));
        if (!db.statementTimeout().isZero()) {
            hc.addDataSourceProperty("options", "-c statement_timeout=" + db.statementTimeout().toMillis());
        }
        return new Database(db, new HikariDataSource(hc));
    }

    /**
     * Applies pending migrations, on connections of their own without the pool's statement and socket
     * timeouts (an index on a large table may take minutes). Safe to run from several processes at once
     * (Flyway takes a PostgreSQL advisory lock).
     *
     * @return the number of migrations applied
     */
    public int migrate() {
        return Flyway.configure()
                .dataSource(settings.url(), settings.user(), settings.password())
                .locations("classpath:db/migration")
                .load()
                .migrate()
                .migrationsExecuted;
    }

    /**
     * Checks the database answers within a timeout, for readiness probes.
     *
     * @param timeout how long to wait for a connection and the query
     * @return {@code null} when healthy, otherwise a one-line reason
     */
    public String check(Duration timeout) {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid((int) Math.max(1, timeout.toSeconds())) ? null : "connection not valid";
        } catch (SQLException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        }
    }

    /** The Jdbi handle factory (thread-safe). */
    public Jdbi jdbi() {
        return jdbi;
    }

    /** The pooled data source (for libraries that want one, such as the job scheduler). */
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}

package dev.stowage.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stowage.config.StowageConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
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
        // behind a transaction pooler start-up options do not reach every server session: set the timeout on the role
        if (!db.statementTimeout().isZero() && db.pooler() == StowageConfig.Pooler.NONE) {
            hc.addDataSourceProperty("options", "-c statement_timeout=" + db.statementTimeout().toMillis());
        }
        connectionProperties(db.pooler()).forEach(hc::addDataSourceProperty);
        return new Database(db, new HikariDataSource(hc));
    }

    /**
     * The pgjdbc properties a pooler mode needs. Behind a transaction pooler each transaction may run on
     * another server session, so nothing may outlive a transaction on the server:
     * <ul>
     *   <li>{@code prepareThreshold=0}: no named server-side prepared statements (pgjdbc names one after a
     *       statement's fifth run; the next session answers {@code prepared statement "S_1" does not exist});
     *   <li>{@code assumeMinServerVersion}: {@code application_name} and {@code extra_float_digits} go in the
     *       start-up packet instead of {@code SET} statements run outside any transaction.
     * </ul>
     * Stowage's own code keeps no session state in either mode: advisory locks are transaction-scoped,
     * settings are {@code SET LOCAL}, and the migration journal claims files as rows with a lease.
     *
     * @param pooler the configured mode
     * @return property name → value, empty for {@link StowageConfig.Pooler#NONE}
     */
    public static Map<String, String> connectionProperties(StowageConfig.Pooler pooler) {
        return switch (pooler) {
            case NONE -> Map.of();
            case TRANSACTION -> Map.of("prepareThreshold", "0", "assumeMinServerVersion", "12");
        };
    }

    /**
     * Flyway over a data source, with Stowage's scripts. Its PostgreSQL lock is the transaction-scoped
     * advisory lock ({@code postgresql.transactional.lock}, Flyway's default, set here so nothing turns it
     * off): a session lock would stay on a pooled server session after the process ends.
     *
     * @param dataSource the database, or {@code null} to set one on the result
     * @return the configuration, to {@code load()}
     */
    public static FluentConfiguration flyway(DataSource dataSource) {
        var f = Flyway.configure();
        if (dataSource != null) f = f.dataSource(dataSource);
        return f
                .locations("classpath:db/migration")
                .configuration(Map.of("flyway.postgresql.transactional.lock", "true"));
    }

    /**
     * Applies pending migrations, on connections of their own without the pool's statement and socket
     * timeouts (an index on a large table may take minutes). Safe to run from several processes at once
     * (Flyway takes a transaction-scoped PostgreSQL advisory lock), also behind a transaction pooler.
     *
     * @return the number of migrations applied
     */
    public int migrate() {
        String url = settings.url();
        var props = connectionProperties(settings.pooler());
        if (!props.isEmpty()) {
            url += (url.contains("?") ? "&" : "?") + props.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .sorted().collect(java.util.stream.Collectors.joining("&"));
        }
        return flyway(null).dataSource(url, settings.user(), settings.password()).load().migrate().migrationsExecuted;
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

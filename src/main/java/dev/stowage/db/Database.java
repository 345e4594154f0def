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
 */
public final class Database implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(HikariDataSource ds) {
        this.dataSource = ds;
        this.jdbi = Jdbi.create(ds).installPlugin(new PostgresPlugin());
    }

    /**
     * Opens a pool to the configured database. Does not migrate; call {@link #migrate()}.
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
        hc.setConnectionTimeout(Duration.ofSeconds(30).toMillis()); // a burst queues for a connection rather than failing
        hc.setInitializationFailTimeout(-1); // start even when PostgreSQL is down; readiness reports it
        hc.addDataSourceProperty("ApplicationName", "stowage");
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        return new Database(new HikariDataSource(hc));
    }

    /**
     * Applies pending migrations. Safe to run from several processes at once (Flyway takes a
     * PostgreSQL advisory lock).
     *
     * @return the number of migrations applied
     */
    public int migrate() {
        return Flyway.configure()
                .dataSource(dataSource)
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

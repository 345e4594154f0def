package dev.stowage.cli;

import dev.stowage.config.StowageConfig;
import dev.stowage.dev.DevSecrets;
import dev.stowage.dev.DevStack;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A running {@code stowage dev}, found through its data directory: its S3 endpoint, keys and
 * PostgreSQL port, so admin commands ({@code buckets}, {@code images}) can work on it.
 *
 * @param s3Endpoint   the embedded S3 endpoint
 * @param credentials  its keys
 * @param databaseUrl  JDBC URL of its database (user {@code postgres}, no password, loopback only)
 * @param jwtSecret    its token secret
 */
record RunningDev(URI s3Endpoint, StaticCredentialsProvider credentials, String databaseUrl, String jwtSecret) {

    /**
     * @throws UserError when no dev stack runs on that data directory
     */
    static RunningDev find(Path dataDir) throws IOException {
        Path run = dataDir.resolve(DevStack.RUN_FILE);
        if (!Files.exists(run)) {
            throw new UserError("no running 'stowage dev' found in " + dataDir.toAbsolutePath()
                    + " (start it, pass --data-dir, or set STORAGE_PROVIDER and S3_ENDPOINT)");
        }
        var p = new Properties();
        try (Reader r = Files.newBufferedReader(run, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        DevSecrets secrets = DevSecrets.loadOrCreate(dataDir);
        return new RunningDev(URI.create(p.getProperty("s3.endpoint")),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(secrets.s3AccessKey(), secrets.s3SecretKey())),
                "jdbc:postgresql://127.0.0.1:" + p.getProperty("postgres.port") + "/stowage?user=postgres",
                secrets.jwtSecret());
    }

    /** The configuration pointed at this stack. */
    StowageConfig apply(StowageConfig c) {
        var st = c.storage();
        return c.withStorage(new StowageConfig.Storage(st.provider(), s3Endpoint, st.region(), true, st.buckets(), st.cors(), st.timeouts()))
                .withDatabase(new StowageConfig.Database(databaseUrl, null, null, 4))
                .withAuth(new StowageConfig.Auth(jwtSecret, null, null, null));
    }
}

package dev.stowage.cli;

import dev.stowage.config.StowageConfig;
import dev.stowage.dev.DevStack;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code stowage dev}: the whole system embedded, nothing to install but a JDK. */
@Command(name = "dev",
        description = "Run everything in one process for local development (embedded PostgreSQL and S3 server, API, web UI, worker). Data lives under --data-dir and survives restarts.")
public final class DevCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--data-dir", defaultValue = "stowage-data", paramLabel = "DIR", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: http.port of the configuration, 8080).")
    Integer port;

    @Option(names = "--s3-port", defaultValue = "9000", paramLabel = "PORT", description = "Embedded S3 port (default: ${DEFAULT-VALUE}).")
    int s3Port;

    @Option(names = "--pg-port", defaultValue = "54329", paramLabel = "PORT", description = "Embedded PostgreSQL port (default: ${DEFAULT-VALUE}).")
    int pgPort;

    @Override
    public Integer call() throws Exception {
        if (dataDir.toString().isBlank()) throw new ParameterException(spec.commandLine(), "--data-dir must not be empty");
        for (int p : new int[] {port == null ? 0 : port, s3Port, pgPort}) {
            if (p < 0 || p > 65535) throw new ParameterException(spec.commandLine(), "ports must be 0 to 65535, got " + p);
        }
        // --port wins over the file and moves the default public URL and dev CORS origin with it
        StowageConfig cfg = config.load(StowageConfig.Mode.DEV,
                port == null ? java.util.Map.of() : java.util.Map.of("STOWAGE_HTTP_PORT", Integer.toString(port)));
        long t0 = System.nanoTime();
        DevStack stack = DevStack.start(cfg, dataDir, new DevStack.Ports(cfg.http().port(), s3Port, pgPort));
        int httpPort = stack.stowage().api().port();
        String token = stack.devToken("dev-user");
        System.out.printf("""

                Stowage dev is running (ready in %.1f s)
                  web UI and API  http://localhost:%d/
                  health          http://localhost:%d/health/ready
                  S3 endpoint     %s   (keys in %s)
                  data directory  %s
                  dev user token  %s
                  try:            curl -H "Authorization: Bearer $TOKEN" http://localhost:%d/v1/me
                Stop with Ctrl+C.
                %n""", (System.nanoTime() - t0) / 1e9, httpPort, httpPort, stack.s3Endpoint(),
                stack.dataDir().resolve("secrets.properties"), stack.dataDir(), token, httpPort);
        System.out.flush();
        Shutdown.await(stack);
        return 0;
    }
}

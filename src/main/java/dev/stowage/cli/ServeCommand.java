package dev.stowage.cli;

import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code stowage serve}: the HTTP API, web UI and an in-process worker. */
@Command(name = "serve",
        description = "Run the HTTP API, the web UI and an in-process worker against the configured object store and PostgreSQL.")
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--worker-threads", defaultValue = "2", paramLabel = "N",
            description = "Jobs run in parallel by the in-process worker; 0 = no worker in this process (default: ${DEFAULT-VALUE}).")
    int workerThreads;

    @Override
    public Integer call() throws Exception {
        if (workerThreads < 0) throw new ParameterException(spec.commandLine(), "--worker-threads must be 0 or more, got " + workerThreads);
        StowageConfig cfg = config.load(StowageConfig.Mode.PRODUCTION);
        Stowage s = new Stowage(cfg, null);
        if (workerThreads > 0) s.startWorker(workerThreads);
        s.startApi(null);
        Shutdown.await(s);
        return 0;
    }
}

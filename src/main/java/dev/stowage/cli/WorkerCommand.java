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

/** {@code stowage worker}: background jobs only; run as many as needed. */
@Command(name = "worker",
        description = "Run background workers only (no HTTP API). Any number of workers on any number of machines share the job table.")
public final class WorkerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--threads", defaultValue = "4", paramLabel = "N", description = "Jobs run in parallel (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
        if (threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        StowageConfig cfg = config.load(StowageConfig.Mode.PRODUCTION);
        Stowage s = new Stowage(cfg, null);
        s.startWorker(threads);
        Shutdown.await(s);
        return 0;
    }
}

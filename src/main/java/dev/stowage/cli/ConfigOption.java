package dev.stowage.cli;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config} option every command shares. */
public final class ConfigOption {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file (default: $STOWAGE_CONFIG, else ./stowage.yaml when it exists).")
    Path file;

    /** The file to read, or {@code null} for defaults plus environment only. */
    Path resolve() {
        if (file != null) return file;
        String env = System.getenv("STOWAGE_CONFIG");
        if (env != null && !env.isBlank()) return Path.of(env);
        Path local = Path.of("stowage.yaml");
        return Files.exists(local) ? local : null;
    }

    /**
     * Loads and validates the configuration.
     *
     * @throws dev.stowage.config.ConfigException one line per problem
     */
    StowageConfig load(StowageConfig.Mode mode) {
        return ConfigLoader.load(resolve(), System.getenv(), mode);
    }

    /** Loads only what the object store needs (see {@link ConfigLoader#load(Path, java.util.Map, StowageConfig.Mode, boolean)}). */
    StowageConfig loadStorageOnly() {
        return ConfigLoader.load(resolve(), System.getenv(), StowageConfig.Mode.PRODUCTION, true);
    }
}

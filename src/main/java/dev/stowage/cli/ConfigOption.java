package dev.stowage.cli;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config} option every command shares. */
public final class ConfigOption {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file. Default: the file named by STOWAGE_CONFIG, else stowage.yaml in the working directory when it exists.")
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
        return load(mode, java.util.Map.of());
    }

    /**
     * Loads with overrides from command-line flags, which win over the environment and the file (an
     * explicit flag is the most specific setting).
     *
     * @param flags environment-style overrides, e.g. {@code STOWAGE_HTTP_PORT} from {@code --port}
     */
    StowageConfig load(StowageConfig.Mode mode, java.util.Map<String, String> flags) {
        var env = new java.util.HashMap<>(System.getenv());
        env.putAll(flags);
        return ConfigLoader.load(resolve(), env, mode);
    }

    /** Loads only what the object store needs (see {@link ConfigLoader#load(Path, java.util.Map, StowageConfig.Mode, boolean)}). */
    StowageConfig loadStorageOnly() {
        return ConfigLoader.load(resolve(), System.getenv(), StowageConfig.Mode.PRODUCTION, true);
    }

    /**
     * What a maintenance command works against.
     *
     * @param config      the validated configuration
     * @param credentials S3 credentials of the running dev stack, or {@code null} for the default chain
     * @param dev         whether it is the {@code stowage dev} running on the data directory
     */
    record Target(StowageConfig config, software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials, boolean dev) {}

    /**
     * The configuration of a maintenance command: with provider {@code embedded} and no endpoint, that of
     * the {@code stowage dev} running on {@code dataDir} (its ports, database and credentials); otherwise
     * from the configuration, validated as for {@code serve} unless {@code storageOnly}.
     *
     * @param storageOnly only the object store is needed (no database, no authentication)
     * @throws UserError when provider is {@code embedded} and no dev stack runs on {@code dataDir}
     * @throws dev.stowage.config.ConfigException one line per configuration problem
     */
    Target target(Path dataDir, boolean storageOnly) throws java.io.IOException {
        StowageConfig cfg = loadStorageOnly();
        if (cfg.storage().provider() == dev.stowage.config.Provider.EMBEDDED && cfg.storage().endpoint() == null) {
            RunningDev dev = RunningDev.find(dataDir);
            return new Target(dev.apply(cfg), dev.credentials(), true);
        }
        return new Target(storageOnly ? cfg : load(StowageConfig.Mode.PRODUCTION), null, false);
    }

    /**
     * A {@link dev.stowage.Stowage} for a maintenance command (no API, no worker, no store probe: the provider's
     * recorded profile) over {@link #target}.
     * Close it after use.
     *
     * @throws UserError when provider is {@code embedded} and no dev stack runs on {@code dataDir}
     * @throws dev.stowage.config.ConfigException one line per configuration problem
     */
    dev.stowage.Stowage open(Path dataDir) throws java.io.IOException {
        Target t = target(dataDir, false);
        return new dev.stowage.Stowage(t.config(), t.credentials(), false);
    }
}

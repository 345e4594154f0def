package dev.stowage.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --data-dir} option of maintenance commands: where they find a running {@code stowage dev}
 * when the provider is {@code embedded} without an endpoint (see {@link ConfigOption#target}).
 */
final class DevDataDir {
    @Option(names = "--data-dir", defaultValue = "stowage-data", paramLabel = "DIR",
            description = "For provider 'embedded' without an endpoint: the data directory of a running 'stowage dev' (default: ${DEFAULT-VALUE}).")
    Path dir;
}

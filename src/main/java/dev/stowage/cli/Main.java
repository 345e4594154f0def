package dev.stowage.cli;

import dev.stowage.config.ConfigException;
import dev.stowage.dev.DevStack;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code stowage} command line. Exit codes: 0 success, 1 runtime failure (one line on stderr),
 * 2 invalid configuration or usage (one line per problem on stderr).
 */
@Command(name = "stowage", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "Self-hosted file storage on any S3-compatible object store.",
        subcommands = {ServeCommand.class, WorkerCommand.class, DevCommand.class, BucketsCommand.class, ImagesCommand.class,
                JobsCommand.class, FilesCommand.class, CostsCommand.class,
                AuditCommand.class, DoctorCommand.class, RetentionCommand.class, IamPolicyCommand.class, BackupCommand.class,
                MigrateCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    /** Exit code for an invalid configuration or command line. */
    public static final int EXIT_CONFIG = 2;

    /**
     * Runs the CLI and exits the JVM with its exit code (long-running commands return when stopped).
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI without exiting.
     *
     * @param args command-line arguments
     * @return the exit code
     */
    public static int run(String... args) {
        var cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            switch (ex) {
                case ConfigException ce -> {
                    err.println("stowage: invalid configuration:");
                    ce.problems().forEach(p -> err.println("  " + p));
                    err.flush();
                    return EXIT_CONFIG;
                }
                case UserError ue -> err.println("stowage: " + ue.getMessage());
                case io.javalin.util.JavalinBindException be ->
                        err.println("stowage: the HTTP port is taken (" + firstLine(be.getMessage()) + "): set http.port or STOWAGE_HTTP_PORT, or --port for dev");
                case DevStack.DevStackException de -> err.println("stowage dev: " + de.getMessage());
                case dev.stowage.storage.StoreException se ->
                        err.println("stowage: object store error: " + firstLine(se.getMessage()));
                case software.amazon.awssdk.core.exception.SdkException se ->
                        err.println("stowage: object store error: " + firstLine(se.getMessage()));
                default -> {
                    LoggerFactory.getLogger(Main.class).debug("command failed", ex);
                    Throwable root = ex;
                    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
                    String line = "stowage: " + ex.getClass().getSimpleName() + ": " + firstLine(ex.getMessage());
                    if (root != ex && root.getMessage() != null) line += " (cause: " + firstLine(root.getMessage()) + ")";
                    err.println(line);
                }
            }
            err.flush();
            return 1;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("stowage: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return EXIT_CONFIG;
        });
        return cl.execute(args);
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}

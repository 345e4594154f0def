package dev.stowage.cli;

import dev.stowage.Stowage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stowage retention run [--dry-run]}: one premium-aware retention pass now. */
@Command(name = "retention", description = "Premium-aware retention of raw uploads.", subcommands = RetentionCommand.Run.class)
public final class RetentionCommand {

    /** {@code stowage retention run}. */
    @Command(name = "run", description = {"Delete raw uploads older than retention.raw_max_age_days of users not on a premium plan "
            + "(plan read at the moment of deletion), purge files deleted longer than retention.restore_window_days ago, print the report."})
    static final class Run implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--dry-run", description = "Report what would be deleted and purged; change nothing.")
        boolean dryRun;

        @Mixin
        DevDataDir dataDir;

        @Override
        public Integer call() throws Exception {
            try (Stowage s = config.open(dataDir.dir)) {
                System.out.print(s.retention().run(dryRun).text());
                return 0;
            }
        }
    }
}

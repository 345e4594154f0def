package dev.stowage.cli;

import dev.stowage.Stowage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code stowage images …}: image variant maintenance. */
@Command(name = "images", description = "Image variant maintenance.", subcommands = ImagesCommand.Reprocess.class)
public final class ImagesCommand {

    /** {@code stowage images reprocess}. */
    @Command(name = "reprocess", description = "Regenerate image variants with the current recipe (new keys; old objects are removed once the new ones are stored).")
    static final class Reprocess implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOption config;

        @Option(names = "--user", paramLabel = "ID", description = "Only this user's images.")
        String user;

        @Option(names = "--all", description = "Every user's images.")
        boolean all;

        @Mixin
        DevDataDir dataDir;

        @Override
        public Integer call() throws Exception {
            if ((user == null) == !all) throw new ParameterException(spec.commandLine(), "give exactly one of --user ID and --all");
            if (user != null && !user.matches("[A-Za-z0-9._-]{1,128}")) throw new ParameterException(spec.commandLine(), "--user must be a user id (A-Z a-z 0-9 . _ -)");
            try (Stowage s = config.open(dataDir.dir)) {
                int[] done = {0}, failed = {0};
                int seen = s.variants().forEachCandidate(user, 500, id -> {
                    if (s.variants().generateAll(id).isEmpty()) failed[0]++;
                    else done[0]++;
                });
                System.out.printf("reprocessed %d image(s): %d with variants, %d without (see variants_status)%n", seen, done[0], failed[0]);
                return 0;
            }
        }
    }
}

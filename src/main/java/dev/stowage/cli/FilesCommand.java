package dev.stowage.cli;

import dev.stowage.Stowage;
import dev.stowage.files.FileLifecycle;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code stowage files rescan ID}: an operator's hand on one file's scan (docs/architecture.md §4, "Scanning"). */
@Command(name = "files", description = "Operator actions on single files.", subcommands = FilesCommand.Rescan.class)
public final class FilesCommand {

    /** {@code stowage files rescan ID}. */
    @Command(name = "rescan", description = {"Scan a file again: one rejected scan_failed (its scans kept failing) moves back to "
            + "scanning with its bytes reserved again; one held for an operator (not fully scanned, scanner.on_limits: hold) is verified "
            + "again, e.g. after clamd's limits were raised. A worker does the scan."})
    static final class Rescan implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "ID", description = "The file id (a UUID).")
        String id;

        @Mixin
        DevDataDir dataDir;

        @Override
        public Integer call() throws Exception {
            UUID fileId;
            try {
                fileId = UUID.fromString(id);
            } catch (IllegalArgumentException e) {
                throw new UserError("'" + id + "' is not a file id (a UUID)");
            }
            try (Stowage s = config.open(dataDir.dir)) {
                FileLifecycle.Rescan r = s.lifecycle().rescan(fileId);
                switch (r) {
                    case RESUMED -> System.out.println("file " + fileId + ": back in scanning, queued for verification");
                    case RELEASED -> System.out.println("file " + fileId + ": hold released, queued for verification");
                    case NOT_FOUND -> throw new UserError("no file " + fileId);
                    case NOT_RESCANNABLE -> {
                        var f = s.files().find(fileId).orElseThrow();
                        throw new UserError("file " + fileId + " is " + f.status().id()
                                + (f.reasonCode() == null ? "" : " (" + f.reasonCode() + ")")
                                + ": only a file rejected scan_failed or held as not fully scanned can be re-scanned");
                    }
                }
                return 0;
            }
        }
    }
}

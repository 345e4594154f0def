package dev.stowage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stowage.Stowage;
import dev.stowage.config.StowageConfig;
import dev.stowage.migration.Entry;
import dev.stowage.migration.MigrationJournal;
import dev.stowage.migration.MigrationService;
import dev.stowage.migration.MigrationVerifier;
import dev.stowage.migration.Progress;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code stowage migrate run|status|verify}: move a legacy {@code /uploads/{userId}/{filename}} tree into the store. */
@Command(name = "migrate",
        description = "Move a legacy /uploads/{userId}/{filename} tree into the raw bucket: resumable, verified, several processes at once.",
        subcommands = {MigrateCommand.Run.class, MigrateCommand.Status.class, MigrateCommand.Verify.class})
public final class MigrateCommand {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /** Configuration shared by the subcommands. */
    static final class Target {
        @Mixin
        ConfigOption config;

        @Mixin
        DevDataDir dataDir;

        Stowage open() throws Exception {
            return open(null);
        }

        /**
         * @param concurrency the copy threads the command runs ({@code null}: migration.concurrency); the
         *                    database pool gets one connection per thread and a few more
         */
        Stowage open(Integer concurrency) throws Exception {
            ConfigOption.Target t = config.target(dataDir.dir, false);
            StowageConfig cfg = t.config();
            var db = cfg.database();
            int connections = (concurrency != null ? concurrency : cfg.migration().concurrency()) + 4;
            if (db.maxPoolSize() < connections) {
                cfg = cfg.withDatabase(db.withMaxPoolSize(connections));
            }
            return new Stowage(cfg, t.credentials());
        }
    }

    /** {@code stowage migrate run}. */
    @Command(name = "run", description = {
            "Copy every file of SOURCE/{userId}/… to the raw bucket as a file of that user (source 'migration'), journalled in PostgreSQL.",
            "Run it again after any stop (even kill -9) to finish; run it on several machines at once to share the work.",
            "Exit 0 when every file is migrated or skipped by rule, 1 when some could not be (see the report)."})
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Option(names = "--source", required = true, paramLabel = "DIR", description = "The legacy tree: DIR/{userId}/{filename}.")
        Path source;

        @Option(names = "--dry-run", description = "Walk the tree and report what would happen; write nothing (no journal, rows or objects).")
        boolean dryRun;

        @Option(names = "--concurrency", paramLabel = "N", description = "Files copied in parallel (default: migration.concurrency, 8).")
        Integer concurrency;

        @Option(names = "--users", paramLabel = "ID,…", split = ",", description = "Only these users' folders.")
        List<String> users;

        @Option(names = "--scan", description = "Scan every file with ClamAV first (scanner.clamd_host); infected files end quarantined.")
        boolean scan;

        @Option(names = "--checksum", description = "Hash every file already copied again and copy those whose SHA-256 differs "
                + "from the journal's (a file changed in place with its modification time restored).")
        boolean checksum;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            checkConcurrency(spec, concurrency);
            if (source.toString().isBlank()) {
                // Path.of("") is the working folder: an empty value (an unset shell variable) must not migrate it
                throw new ParameterException(spec.commandLine(), "--source: empty (expected the legacy tree: DIR/{userId}/{filename})");
            }
            if (!java.nio.file.Files.isDirectory(source)) {
                throw new ParameterException(spec.commandLine(), "--source: " + source + (java.nio.file.Files.exists(source)
                        ? " is not a folder (expected the legacy tree: DIR/{userId}/{filename})" : " does not exist"));
            }
            try (var list = java.nio.file.Files.newDirectoryStream(source)) {
                if (!list.iterator().hasNext()) {
                    // nothing to migrate: refused before a run is created, so status and verify never see an empty run
                    throw new ParameterException(spec.commandLine(), "--source: " + source
                            + " is empty (expected the legacy tree: DIR/{userId}/{filename})");
                }
            } catch (java.io.IOException e) {
                throw new ParameterException(spec.commandLine(), "--source: " + source + " cannot be read: "
                        + dev.stowage.migration.TreeWalker.reason(e));
            }
            Set<String> only = userIds(spec, users);
            if (only != null) {
                for (String u : only) {
                    if (!java.nio.file.Files.isDirectory(source.resolve(u), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        throw new ParameterException(spec.commandLine(), "--users: there is no folder " + source.resolve(u) + " for user '" + u + "'");
                    }
                }
            }
            PrintStream out = System.out;
            if (dryRun) {
                // no database, no store: a dry run only reads the tree
                StowageConfig cfg = target.config.loadStorageOnly();
                var d = MigrationService.dryRun(new MigrationService.Options(source, 1, only, scan), cfg.migration().ignore());
                if (json) {
                    out.println(JSON.writeValueAsString(Map.of("dryRun", true, "source", d.root().toString(), "filesToCopy", d.files(),
                            "bytesToCopy", d.bytes(), "outcomes", d.outcomes(), "notCopied", d.reported().stream().map(MigrateCommand::entry).toList())));
                } else {
                    out.printf("dry run of %s: nothing was written%n", d.root());
                    out.printf("  would copy   %d file(s), %s%n", d.files(), Progress.size(d.bytes()));
                    d.outcomes().forEach((k, v) -> { if (!k.equals("to_copy")) out.printf("  %-16s %d%n", k, v); });
                    for (Entry e : d.reported()) out.printf("  %-8s %-16s %s  (%s)%n", e.state(), e.outcome(), e.display(), e.note());
                }
                return d.reported().stream().anyMatch(e -> e.state().equals("failed")) ? 1 : 0;
            }
            try (Stowage s = target.open(concurrency)) {
                if (scan && s.scanner() == null) throw new UserError("--scan needs a scanner: set scanner.clamd_host (STOWAGE_CLAMD_HOST)");
                int n = concurrency != null ? concurrency : s.config().migration().concurrency();
                MigrationService.Summary sum;
                try (Progress progress = json ? Progress.none() : Progress.forConsole(System.err)) {
                    sum = s.migration().run(new MigrationService.Options(source, n, only, scan, checksum), progress);
                }
                var c = sum.counts();
                var reported = s.migration().journal().reported(sum.run().id(), 200);
                long failed = c.files().getOrDefault("failed", 0L);
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("run", sum.run().id().toString());
                    m.put("source", sum.run().source());
                    m.put("thisProcess", Map.of("copiedFiles", sum.copiedFiles(), "copiedBytes", sum.copiedBytes(), "seconds", sum.seconds()));
                    m.put("files", c.files());
                    m.put("bytes", c.bytes());
                    m.put("outcomes", c.outcomes());
                    m.put("reported", reported);
                    out.println(JSON.writeValueAsString(m));
                } else {
                    out.printf("migrate run %s of %s%n", sum.run().id(), sum.run().source());
                    out.printf("  this process copied %d file(s), %s in %.1f s (%.1f files/s, %s/s)%n", sum.copiedFiles(),
                            Progress.size(sum.copiedBytes()), sum.seconds(), sum.copiedFiles() / Math.max(0.001, sum.seconds()),
                            Progress.size((long) (sum.copiedBytes() / Math.max(0.001, sum.seconds()))));
                    printCounts(out, c);
                    for (var r : reported) out.printf("  %-11s %-19s %s  (%s)%n", r.state(), r.outcome(), r.path(), r.detail());
                    if (failed > 0) out.printf("%d file(s) could not be migrated: fix the cause and run again (they are retried)%n", failed);
                }
                return failed > 0 ? 1 : 0;
            }
        }
    }

    static Map<String, Object> entry(Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", e.display());
        m.put("kind", e.kind());
        m.put("state", e.state());
        m.put("outcome", e.outcome());
        m.put("detail", e.note());
        return m;
    }

    static void printCounts(PrintStream out, MigrationJournal.Counts c) {
        long done = c.files().getOrDefault("done", 0L);
        out.printf("  run: %d migrated (%s), %d quarantined, %d skipped, %d failed, %d pending, %d in progress%n", done,
                Progress.size(c.bytes().getOrDefault("done", 0L)), c.files().getOrDefault("quarantined", 0L),
                c.files().getOrDefault("skipped", 0L), c.files().getOrDefault("failed", 0L), c.files().getOrDefault("pending", 0L),
                c.files().getOrDefault("copying", 0L));
        if (!c.outcomes().isEmpty()) {
            var sb = new StringBuilder("  outcomes:");
            c.outcomes().forEach((k, v) -> sb.append(' ').append(k).append(' ').append(v).append(','));
            out.println(sb.substring(0, sb.length() - 1));
        }
    }

    /** {@code stowage migrate status}. */
    @Command(name = "status", description = "Per run: files and bytes done, skipped, failed, the rate of the last minute and an ETA.")
    static final class Status implements Callable<Integer> {
        @Mixin
        Target target;

        @Option(names = "--json", description = "Print as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (Stowage s = target.open()) {
                var journal = s.migration().journal();
                List<Map<String, Object>> runs = new java.util.ArrayList<>();
                for (var run : journal.runs()) {
                    var c = journal.counts(run.id());
                    long[] recent = journal.recent(run.id(), 60);
                    long left = c.bytes().getOrDefault("pending", 0L) + c.bytes().getOrDefault("copying", 0L);
                    double bps = recent[1] / 60.0;
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("run", run.id().toString());
                    m.put("source", run.source());
                    m.put("createdAt", run.createdAt().toString());
                    m.put("walkedAt", run.walkedAt() == null ? null : run.walkedAt().toString());
                    m.put("files", c.files());
                    m.put("bytes", c.bytes());
                    m.put("outcomes", c.outcomes());
                    m.put("lastMinute", Map.of("files", recent[0], "bytes", recent[1]));
                    m.put("etaSeconds", left == 0 ? 0 : bps > 0 ? (long) (left / bps) : null);
                    runs.add(m);
                    if (!json) {
                        System.out.printf("run %s of %s (started %s%s)%n", run.id(), run.source(), run.createdAt(),
                                run.walkedAt() == null ? ", walk not finished" : ", walked " + run.walkedAt());
                        printCounts(System.out, c);
                        System.out.printf("  rate (last minute): %.1f files/s, %s/s; left %s, ETA %s%n", recent[0] / 60.0, Progress.size((long) bps),
                                Progress.size(left), left == 0 ? "done" : bps > 0 ? Progress.format(Duration.ofSeconds((long) (left / bps))) : "unknown (nothing copied in the last minute)");
                    }
                }
                if (json) System.out.println(JSON.writeValueAsString(Map.of("runs", runs)));
                else if (runs.isEmpty()) System.out.println("no migration runs yet: stowage migrate run --source DIR");
                return 0;
            }
        }
    }

    /** {@code stowage migrate verify}. */
    @Command(name = "verify", description = {
            "Compare the tree with the store: per file, size and SHA-256 of the tree against its row and object: matched, differ, missing, extra.",
            "Exit 0 when nothing differs, is missing or is extra, else 1."})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Option(names = "--source", paramLabel = "DIR", description = "The tree whose run to verify (default: the latest run).")
        Path source;

        @Option(names = "--deep", description = "Also read every object back from the store and hash it.")
        boolean deep;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Option(names = "--concurrency", paramLabel = "N", description = "Files checked in parallel (default: migration.concurrency).")
        Integer concurrency;

        @Option(names = "--users", paramLabel = "ID,…", split = ",",
                description = "Only these users' folders, files and objects (after a run with --users).")
        List<String> users;

        @Override
        public Integer call() throws Exception {
            checkConcurrency(spec, concurrency);
            Set<String> only = userIds(spec, users);
            try (Stowage s = target.open()) {
                var journal = s.migration().journal();
                MigrationJournal.Run run;
                if (source != null) {
                    run = journal.findRun(MigrationService.root(source))
                            .orElseThrow(() -> new UserError("no migration run for " + source + ": stowage migrate run --source " + source));
                } else {
                    run = journal.runs().stream().findFirst().orElseThrow(() -> new UserError("no migration runs yet: stowage migrate run --source DIR"));
                }
                int n = concurrency != null ? concurrency : s.config().migration().concurrency();
                var report = new MigrationVerifier(s.store(), journal, s.config()).verify(run, deep, n, only);
                if (json) {
                    System.out.println(JSON.writeValueAsString(report));
                } else {
                    var out = System.out;
                    out.printf("verify run %s of %s%s%n", report.run(), report.source(), report.deep() ? " (deep: objects read back)" : "");
                    out.printf("  matched       %d file(s), %s%n", report.matched(), Progress.size(report.matchedBytes()));
                    out.printf("  differ        %d%n  missing       %d%n  extra         %d%n  quarantined   %d%n", report.differ(),
                            report.missing(), report.extra(), report.quarantined());
                    long nm = report.notMigrated().values().stream().mapToLong(Long::longValue).sum();
                    out.printf("  not migrated  %d%s%n", nm, nm == 0 ? "" : " " + report.notMigrated());
                    for (var f : report.findings()) out.printf("  %-8s %s: %s%n", f.result(), f.path(), f.reason());
                    for (var x : report.skipped()) out.printf("  %-8s %-16s %s  (%s)%n", x.state(), x.outcome(), x.path(), x.detail());
                    out.println(report.clean() ? "clean: every migrated file matches" : "NOT clean");
                }
                return report.clean() ? 0 : 1;
            }
        }
    }

    /** Refuses a {@code --concurrency} outside 1 to 256 (exit 2); {@code null} (not given) passes. */
    static void checkConcurrency(CommandSpec spec, Integer concurrency) {
        if (concurrency != null && (concurrency < 1 || concurrency > 256)) {
            throw new ParameterException(spec.commandLine(), "--concurrency must be 1 to 256, got " + concurrency);
        }
    }

    /** The user ids of {@code --users}, checked, or {@code null} when the option is not given. */
    static Set<String> userIds(CommandSpec spec, List<String> users) {
        if (users == null) return null;
        Set<String> only = new LinkedHashSet<>();
        for (String u : users) {
            if (!dev.stowage.migration.TreeWalker.isUserId(u.trim())) {
                throw new ParameterException(spec.commandLine(), "--users: '" + u + "' is not a user id (A-Z a-z 0-9 . _ -)");
            }
            only.add(u.trim());
        }
        return only;
    }

    private MigrateCommand() {}
}

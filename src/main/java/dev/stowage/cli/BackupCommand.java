package dev.stowage.cli;

import dev.stowage.Stowage;
import dev.stowage.backup.BackupService;
import dev.stowage.config.StowageConfig;
import dev.stowage.db.Database;
import dev.stowage.storage.S3Clients;
import dev.stowage.storage.S3ObjectStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/** {@code stowage backup run|list|restore}: database, configuration and bucket settings into the backups bucket. */
@Command(name = "backup", description = "Backups into the backups bucket (ZIP with a SHA-256 checksum beside it).",
        subcommands = {BackupCommand.Run.class, BackupCommand.ListBackups.class, BackupCommand.Restore.class})
public final class BackupCommand {

    /** Shared options. */
    static final class Target {
        @Mixin
        ConfigOption config;

        @Mixin
        DevDataDir dataDir;

        AwsCredentialsProvider creds;

        StowageConfig load() throws java.io.IOException {
            ConfigOption.Target t = config.target(dataDir.dir, false);
            creds = t.credentials();
            return t.config();
        }
    }

    /** {@code stowage backup run}. */
    @Command(name = "run", description = "Dump the database (COPY per table, one consistent snapshot), the configuration (secrets redacted) and the bucket settings now.")
    static final class Run implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            StowageConfig cfg = target.load();
            try (Stowage s = new Stowage(cfg, target.creds)) {
                var r = s.backup().run();
                System.out.printf("backup %s/%s: %d bytes, sha256 %s%n", cfg.storage().buckets().backups(), r.key(), r.sizeBytes(), r.sha256());
                r.rows().forEach((t, n) -> System.out.printf("  %-24s %d rows%n", t, n));
                return 0;
            }
        }
    }

    /** {@code stowage backup list}. */
    @Command(name = "list", description = "List the backups, newest first.")
    static final class ListBackups implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            StowageConfig cfg = target.load();
            try (S3Clients s3 = S3Clients.create(cfg.storage(), target.creds)) {
                for (var b : new BackupService(new S3ObjectStore(s3), null, cfg).list()) {
                    System.out.printf("%s  %10d bytes  %s  sha256 %s%n", b.name(), b.sizeBytes(), b.lastModified(), b.sha256() == null ? "(missing)" : b.sha256());
                }
                return 0;
            }
        }
    }

    /** {@code stowage backup restore}. */
    @Command(name = "restore", description = "Restore a backup into the configured database, which must be empty (checksum checked first; one transaction).")
    static final class Restore implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(paramLabel = "NAME", defaultValue = "latest", description = "A name from 'stowage backup list', or latest (default).")
        String name;

        @Override
        public Integer call() throws Exception {
            StowageConfig cfg = target.load();
            try (S3Clients s3 = S3Clients.create(cfg.storage(), target.creds); Database db = Database.open(cfg.database())) {
                try {
                    var rows = new BackupService(new S3ObjectStore(s3), null, cfg).restore(name, db.dataSource());
                    rows.forEach((t, n) -> System.out.printf("  %-24s %d rows%n", t, n));
                    System.out.println("restored " + name);
                    return 0;
                } catch (IllegalStateException e) {
                    throw new UserError(e.getMessage());
                }
            }
        }
    }
}

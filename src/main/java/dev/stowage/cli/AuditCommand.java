package dev.stowage.cli;

import dev.stowage.audit.AuditReport;
import dev.stowage.audit.Auditor;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.S3Clients;
import dev.stowage.storage.S3ObjectStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stowage audit}: security findings on the live bucket settings and the configuration. */
@Command(name = "audit",
        description = {"Read the live settings of every bucket and report findings by severity, modelled on the AWS Security Hub S3 controls.",
                "Exit 0; 3 when a HIGH or CRITICAL control fails. Settings the provider cannot hold are gaps, not passes."})
public final class AuditCommand implements Callable<Integer> {
    /** Output formats. */
    enum Format { text, json, sarif }

    @Mixin
    ConfigOption config;

    @Option(names = "--format", defaultValue = "text", paramLabel = "FORMAT",
            description = "text, json or sarif (SARIF 2.1.0). Default: ${DEFAULT-VALUE}.")
    Format format;

    @Mixin
    DevDataDir dataDir;

    @Override
    public Integer call() throws Exception {
        ConfigOption.Target t = config.target(dataDir.dir, true);
        StowageConfig cfg = t.config();
        boolean dev = t.dev();
        try (S3Clients s3 = S3Clients.create(cfg.storage(), t.credentials())) {
            AuditReport report = new Auditor(new S3ObjectStore(s3), cfg, dev).run();
            System.out.print(switch (format) {
                case text -> report.text();
                case json -> report.json();
                case sarif -> report.sarif();
            });
            return report.blocking() ? AuditReport.EXIT_HIGH : 0;
        }
    }
}

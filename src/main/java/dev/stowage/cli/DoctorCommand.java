package dev.stowage.cli;

import dev.stowage.buckets.RequiredSettings;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.ProviderProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code stowage doctor}: probes the configured store for what Stowage uses ({@link ProviderProbe}) and prints
 * what answered as a table, then whether the required bucket settings can be held.
 */
@Command(name = "doctor",
        description = {"Probe the configured object store for what Stowage uses (presigned PUT, multipart with checksums, tagging,",
                "DeleteObjects, and reads of the bucket settings) and print what answered. Writes and deletes objects under",
                "stowage-probe/ in the raw bucket; never changes bucket settings.",
                "Exit 0; 1 when the store refuses something Stowage needs, a bucket is missing, or a required setting cannot be held."})
public final class DoctorCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Mixin
    DevDataDir dataDir;

    @Override
    public Integer call() throws Exception {
        ConfigOption.Target t = config.target(dataDir.dir, true);
        return doctor(t.config(), t.credentials(), System.out);
    }

    /**
     * Probes the store of a configuration and prints the table, the required settings and the problems.
     *
     * @param cfg         the configuration (its storage section and bucket settings are used)
     * @param credentials S3 credentials; {@code null} = the SDK's default chain
     * @param out         where the report goes
     * @return the exit code: 0 when Stowage can run on the store, 1 otherwise
     */
    public static int doctor(StowageConfig cfg, software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials,
                             java.io.PrintStream out) {
        ProviderProbe.Report report = ProviderProbe.run(cfg.storage(), credentials);
        out.print(report.table());
        List<String> problems = new ArrayList<>(report.problems());
        if (!report.probed()) problems.add("storage: not probed: " + report.checks().getLast().detail());
        problems.addAll(RequiredSettings.notHeld(cfg.storage(), cfg.bucketSettings(), report.profile()));
        var required = cfg.bucketSettings().required();
        out.println("Required bucket settings: " + (required.isEmpty() ? "none (every setting best-effort)" : String.join(", ", required.stream().sorted().toList())));
        if (problems.isEmpty()) {
            out.println("OK: Stowage can run on this store.");
            return 0;
        }
        out.println(problems.size() + " problem(s):");
        problems.forEach(p -> out.println("  " + p));
        return 1;
    }
}

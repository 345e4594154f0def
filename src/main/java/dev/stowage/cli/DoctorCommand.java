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
        StowageConfig cfg = t.config();
        ProviderProbe.Report report = ProviderProbe.run(cfg.storage(), t.credentials());
        System.out.print(report.table());
        List<String> problems = new ArrayList<>(report.problems());
        if (!report.probed()) problems.add("storage: not probed: " + report.checks().getLast().detail());
        problems.addAll(RequiredSettings.notHeld(cfg.storage(), cfg.bucketSettings(), report.profile()));
        var required = cfg.bucketSettings().required();
        System.out.println("Required bucket settings: " + (required.isEmpty() ? "none (every setting best-effort)" : String.join(", ", required.stream().sorted().toList())));
        if (problems.isEmpty()) {
            System.out.println("OK: Stowage can run on this store.");
            return 0;
        }
        System.out.println(problems.size() + " problem(s):");
        problems.forEach(p -> System.out.println("  " + p));
        return 1;
    }
}

package dev.stowage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.stowage.Stowage;
import dev.stowage.costs.CostReport;
import dev.stowage.costs.CostText;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stowage costs}: usage per bucket and storage class, prices, projection, top users, lifecycle savings, alerts. */
@Command(name = "costs", description = "List the buckets now and print usage per bucket and storage class, the monthly cost and its projection, "
        + "top users, lifecycle savings and recent alerts (thresholds crossed now raise alerts as the worker would).")
public final class CostsCommand implements Callable<Integer> {
    /** Output formats. */
    enum Format { text, json }

    @Mixin
    ConfigOption config;

    @Option(names = "--format", defaultValue = "text", paramLabel = "FORMAT", description = "text or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--cached", description = "Print the newest recorded snapshot instead of listing the store now.")
    boolean cached;

    @Mixin
    DevDataDir dataDir;

    @Override
    public Integer call() throws Exception {
        try (Stowage s = config.open(dataDir.dir)) {
            CostReport report = cached ? s.costs().latestOrSnapshot() : s.costs().snapshot();
            if (format == Format.json) {
                System.out.println(new ObjectMapper().registerModule(new JavaTimeModule())
                        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(report));
            } else {
                System.out.print(CostText.render(report));
            }
            return 0;
        }
    }
}

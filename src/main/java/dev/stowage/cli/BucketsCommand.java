package dev.stowage.cli;

import dev.stowage.config.StowageConfig;
import dev.stowage.buckets.BucketChange;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.storage.S3Clients;
import dev.stowage.storage.S3ObjectStore;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stowage buckets plan|apply}: bucket settings as code. */
@Command(name = "buckets",
        description = "Compare (plan) or make (apply) the bucket settings that configuration asks for.",
        subcommands = {BucketsCommand.Plan.class, BucketsCommand.Apply.class})
public final class BucketsCommand {

    /** Shared options of plan and apply. */
    static final class Target {
        @Mixin
        ConfigOption config;

        @Mixin
        DevDataDir dataDir;

        /** The configuration {@link #planner} loaded. */
        StowageConfig loaded;

        BucketPlanner planner(S3ClientsHolder holder) throws IOException {
            ConfigOption.Target t = config.target(dataDir.dir, true);
            StowageConfig cfg = t.config();
            loaded = cfg;
            holder.clients = S3Clients.create(cfg.storage(), t.credentials());
            return new BucketPlanner(new S3ObjectStore(holder.clients), cfg.storage(), cfg.bucketSettings(), cdnDistributionArn(cfg));
        }
    }

    /** The CloudFront distribution that alone may read the processed bucket, under {@code delivery.mode: cloudfront}. */
    static java.util.Optional<String> cdnDistributionArn(StowageConfig cfg) {
        var d = cfg.delivery();
        if (d.mode() != StowageConfig.DeliveryMode.CLOUDFRONT || d.cloudFront() == null) return java.util.Optional.empty();
        return java.util.Optional.ofNullable(d.cloudFront().distributionArn());
    }

    /** Holds clients so the command can close them. */
    static final class S3ClientsHolder implements AutoCloseable {
        S3Clients clients;

        @Override
        public void close() {
            if (clients != null) clients.close();
        }
    }

    /** {@code stowage buckets plan}. */
    @Command(name = "plan",
            description = "Read the live bucket settings and print what 'apply' would change. Exit 0; with --detailed-exitcode, 2 when changes are pending.")
    static final class Plan implements Callable<Integer> {
        @Mixin
        Target target;

        @Option(names = "--detailed-exitcode", description = "Exit 2 when there are changes to apply.")
        boolean detailed;

        @Override
        public Integer call() throws Exception {
            try (var h = new S3ClientsHolder()) {
                List<BucketChange> plan = target.planner(h).plan();
                System.out.print(BucketPlanner.render(plan, false));
                if (target.loaded.delivery().mode() == StowageConfig.DeliveryMode.CLOUDFRONT) {
                    // what the processed bucket's policy expects on the CloudFront side
                    System.out.print("\n" + dev.stowage.delivery.CloudFrontOrigin.distributionSettings(target.loaded));
                }
                return detailed && plan.stream().anyMatch(BucketChange::isChange) ? 2 : 0;
            }
        }
    }

    /** {@code stowage buckets apply}. */
    @Command(name = "apply",
            description = {"Make the live bucket settings match configuration. Idempotent.",
                    "Exit 0; 1 when a required setting (bucket_settings.required) was not applied, each named on stderr."})
    static final class Apply implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            try (var h = new S3ClientsHolder()) {
                BucketPlanner planner = target.planner(h);
                BucketPlanner.Outcome o = planner.applyAll();
                System.out.print(BucketPlanner.render(o.lines(), true));
                for (BucketChange f : o.failed()) {
                    if (!f.required()) System.err.println("stowage: warning: best-effort setting not applied: " + f.detail());
                }
                List<BucketChange> missing = o.requiredMissing();
                if (missing.isEmpty()) return 0;
                for (BucketChange m : missing) {
                    System.err.println("stowage: required setting not applied: " + m.setting() + " on bucket " + m.bucket()
                            + " (provider " + target.loaded.storage().provider().id() + "): " + m.detail());
                }
                return 1;
            }
        }
    }
}

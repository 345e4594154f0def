package dev.stowage.cli;

import dev.stowage.config.StowageConfig;
import dev.stowage.iam.IamPolicies;
import dev.stowage.iam.Role;
import dev.stowage.storage.ProviderProfile;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stowage iam-policy --role api|worker|migrator|backup}: a least-privilege IAM policy for the configured buckets. */
@Command(name = "iam-policy",
        description = "Print the IAM policy (JSON) a role needs on the configured buckets: only the S3 actions that role's code performs.")
public final class IamPolicyCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
            description = "api, worker, migrator or backup.", converter = RoleConverter.class)
    Role role;

    /** Parses a role name case-insensitively. */
    static final class RoleConverter implements picocli.CommandLine.ITypeConverter<Role> {
        @Override
        public Role convert(String value) {
            for (Role r : Role.values()) if (r.id().equalsIgnoreCase(value)) return r;
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a role (expected api | worker | migrator | backup)");
        }
    }

    @Override
    public Integer call() {
        StowageConfig cfg = config.loadStorageOnly();
        System.out.print(IamPolicies.policy(role, cfg, ProviderProfile.of(cfg.storage().provider())));
        return 0;
    }
}

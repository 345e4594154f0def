package dev.stowage.migration;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/** {@link MigrationReadOnceIT}'s cases against Ceph RGW: tagging, so the SHA-256 of a multipart copy is on the object. */
class MigrationReadOnceOnCephRgwIT extends MigrationReadOnceIT {
    @Override
    StowageConfig config() {
        return TestServers.rgwConfig(Map.of());
    }

    @Override
    AwsCredentialsProvider credentials() {
        return TestServers.rgw().credentials();
    }

    @Override
    boolean storeElsewhere() {
        return true;
    }
}

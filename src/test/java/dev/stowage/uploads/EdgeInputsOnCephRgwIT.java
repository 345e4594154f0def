package dev.stowage.uploads;

import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.util.Map;

/** {@link EdgeInputsIT}'s cases against Ceph RGW. */
class EdgeInputsOnCephRgwIT extends EdgeInputsIT {
    @Override
    Harness harness() {
        var rgw = TestServers.rgw();
        return new Harness(TestServers.embeddedConfig(Map.of("STORAGE_PROVIDER", "ceph", "S3_ENDPOINT", rgw.endpoint().toString())),
                rgw.credentials());
    }
}

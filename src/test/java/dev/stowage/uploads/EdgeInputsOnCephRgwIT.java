package dev.stowage.uploads;

import dev.stowage.testing.Harness;

/** {@link EdgeInputsIT}'s cases against Ceph RGW. */
class EdgeInputsOnCephRgwIT extends EdgeInputsIT {
    @Override
    Harness harness() {
        return Harness.onCephRgw();
    }
}

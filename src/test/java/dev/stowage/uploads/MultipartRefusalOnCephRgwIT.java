package dev.stowage.uploads;

import dev.stowage.testing.Harness;

/** {@link MultipartRefusalIT}'s cases against Ceph RGW. */
class MultipartRefusalOnCephRgwIT extends MultipartRefusalIT {
    @Override
    Harness harness() {
        return Harness.onCephRgw();
    }
}

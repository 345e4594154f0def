package dev.stowage.storage;

import static dev.stowage.storage.Capability.*;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.util.Set;

/** The object store conformance suite against the Ceph RADOS Gateway tier (provider {@code ceph}). */
class RgwObjectStoreConformanceIT extends ObjectStoreConformance {
    private final TestServers.Rgw rgw = TestServers.rgw();

    @Override
    protected StowageConfig.Storage storage() {
        return rgw.storage();
    }

    @Override
    protected S3Clients clients(StowageConfig.Storage storage) {
        return S3Clients.create(storage, rgw.credentials());
    }

    @Override
    protected Set<Capability> measured() {
        return Set.of(PRESIGNED_UPLOADS, MULTIPART_UPLOADS, BATCH_DELETE, VERSIONING, LIFECYCLE, TAG_FILTERED_LIFECYCLE, OBJECT_TAGGING, EVENT_NOTIFICATIONS, PER_BUCKET_CORS, BUCKET_POLICY, OBJECT_ACLS);
    }

    @Override
    protected boolean countsUsage() {
        return true;
    }
}

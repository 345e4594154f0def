package dev.stowage.storage;

import static dev.stowage.storage.Capability.BATCH_DELETE;
import static dev.stowage.storage.Capability.MULTIPART_UPLOADS;
import static dev.stowage.storage.Capability.PRESIGNED_UPLOADS;
import static dev.stowage.storage.Capability.OBJECT_ACLS;
import static dev.stowage.storage.Capability.STORED_CHECKSUMS;

import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** The object store conformance suite against the embedded S3Proxy (provider {@code embedded}). */
class EmbeddedObjectStoreConformanceIT extends ObjectStoreConformance {
    @Override
    protected StowageConfig.Storage storage() {
        return new StowageConfig.Storage(Provider.EMBEDDED, TestServers.embeddedS3(), "us-east-1", true, TestServers.freshBuckets(),
                new StowageConfig.Cors(List.of("http://localhost:8080"), Duration.ofHours(1)), TestServers.TIMEOUTS);
    }

    @Override
    protected S3Clients clients(StowageConfig.Storage storage) {
        return TestServers.embeddedClients(storage);
    }

    @Override
    protected Set<Capability> measured() {
        return Set.of(PRESIGNED_UPLOADS, MULTIPART_UPLOADS, BATCH_DELETE, STORED_CHECKSUMS, OBJECT_ACLS);
    }

    @Override
    protected boolean countsUsage() {
        return false;
    }
}

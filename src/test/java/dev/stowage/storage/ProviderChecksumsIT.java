package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.junit.jupiter.api.Test;

/**
 * The client factory's checksum setting is what makes uploads to Ceph work: the SDK's default CRC32
 * request checksums make RGW 16 answer 400 XAmzContentSHA256Mismatch.
 */
class ProviderChecksumsIT {

    @Test
    void factoryClientsUploadToCephWhereSdkDefaultsFail() {
        var rgw = TestServers.rgw();
        StowageConfig.Storage storage = rgw.storage();
        String bucket = storage.buckets().raw();
        try (S3Clients s3 = S3Clients.create(storage, rgw.credentials())) {
            s3.client().createBucket(r -> r.bucket(bucket));
            s3.client().putObject(r -> r.bucket(bucket).key("u/a.txt"), RequestBody.fromString("hello ceph"));
            assertThat(s3.client().getObjectAsBytes(r -> r.bucket(bucket).key("u/a.txt")).asUtf8String()).isEqualTo("hello ceph");

            // control: the same client with the SDK's default checksum behaviour is refused by RGW
            try (S3Client defaults = S3Client.builder().region(Region.US_EAST_1).endpointOverride(rgw.endpoint())
                    .forcePathStyle(true).credentialsProvider(rgw.credentials())
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_SUPPORTED).build()) {
                assertThatThrownBy(() -> defaults.putObject(r -> r.bucket(bucket).key("u/b.txt"), RequestBody.fromString("x")))
                        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
            }
        }
    }
}

package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

class ProviderProfileTest {

    @ParameterizedTest
    @EnumSource(Provider.class)
    void onlyAwsGetsTheSdkDefaultChecksums(Provider p) {
        assertThat(ProviderProfile.of(p).sdkChecksums()).isEqualTo(p == Provider.AWS);
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void everyMissingCapabilityHasANoteSayingWhatStowageDoesInstead(Provider p) {
        ProviderProfile profile = ProviderProfile.of(p);
        for (Capability c : Capability.values()) {
            if (!profile.has(c)) assertThat(profile.notes()).as("%s lacks %s", p, c).containsKey(c);
        }
    }

    @Test
    void capabilitiesRecordWhatWasMeasured() {
        var embedded = ProviderProfile.of(Provider.EMBEDDED);
        assertThat(embedded.has(Capability.STORED_CHECKSUMS)).isTrue();
        assertThat(embedded.has(Capability.VERSIONING)).isFalse();
        assertThat(embedded.has(Capability.PER_BUCKET_CORS)).isFalse();
        var ceph = ProviderProfile.of(Provider.CEPH);
        assertThat(ceph.has(Capability.VERSIONING)).isTrue();
        assertThat(ceph.has(Capability.EVENT_NOTIFICATIONS)).isTrue();
        assertThat(ceph.has(Capability.DEFAULT_ENCRYPTION)).isFalse();
        assertThat(ceph.has(Capability.ACCESS_LOGGING)).isFalse();
        assertThat(ceph.has(Capability.STORED_CHECKSUMS)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void factoryAppliesEndpointRegionAndAddressingStyle(Provider p) {
        URI endpoint = p == Provider.AWS ? null : URI.create("http://store.internal:9000");
        String region = p == Provider.R2 ? "auto" : "eu-central-1";
        var storage = new StowageConfig.Storage(p, endpoint, region, p != Provider.AWS,
                new StowageConfig.Buckets("a-raw", "a-processed", "a-backups", "a-logs"),
                new StowageConfig.Cors(List.of("http://localhost:8080"), Duration.ofHours(1)));
        try (S3Clients c = S3Clients.create(storage, StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))) {
            var cfg = c.client().serviceClientConfiguration();
            assertThat(cfg.region().id()).isEqualTo(region);
            assertThat(cfg.endpointOverride()).isEqualTo(java.util.Optional.ofNullable(endpoint));
            assertThat(c.profile().provider()).isEqualTo(p);
            // the presigner addresses objects the same way the client does
            var url = c.presigner().presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(1))
                    .getObjectRequest(g -> g.bucket("a-raw").key("u/k.txt"))).url().toString();
            if (p == Provider.AWS) assertThat(url).startsWith("https://a-raw.s3.eu-central-1.amazonaws.com/u/k.txt");
            else assertThat(url).startsWith("http://store.internal:9000/a-raw/u/k.txt");
        }
    }
}

package dev.stowage.buckets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.Provider;
import dev.stowage.config.StowageConfig;
import dev.stowage.storage.BucketAdmin.LifecycleRule;
import dev.stowage.storage.BucketAdmin.Transition;
import dev.stowage.storage.ProviderProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lifecycle rules never name a storage class the provider lacks. */
class LifecycleRulesTest {

    private static List<String> classes(LifecycleRules.Desired d) {
        return d.rules().stream().map(LifecycleRule::transitions).flatMap(List::stream).map(Transition::storageClass).toList();
    }

    @Test
    void theR2PlanHasNoGlacierTransitionAndSaysWhy() {
        var r2 = ProviderProfile.of(Provider.R2);
        var backups = LifecycleRules.desired(StowageConfig.BucketRules.BACKUPS, r2);
        assertThat(StowageConfig.BucketRules.BACKUPS.transitionStorageClass()).isEqualTo("GLACIER");
        assertThat(classes(backups)).isEmpty();
        assertThat(backups.rules()).extracting(LifecycleRule::id).doesNotContain(LifecycleRules.TRANSITION)
                .contains(LifecycleRules.EXPIRE, LifecycleRules.ABORT_MULTIPART); // the rest of the bucket's rules stay
        assertThat(backups.unsupported().get(LifecycleRules.TRANSITION)).startsWith("r2 has no storage class GLACIER (it has STANDARD_IA)");
        // DEEP_ARCHIVE neither; Infrequent Access (STANDARD_IA) is R2's and stays
        var deep = new StowageConfig.BucketRules(true, 90, "DEEP_ARCHIVE", 0, 0, 7, 0, false);
        assertThat(classes(LifecycleRules.desired(deep, r2))).isEmpty();
        assertThat(classes(LifecycleRules.desired(StowageConfig.BucketRules.RAW, r2))).containsExactly("STANDARD_IA");
    }

    @Test
    void everyDefaultPlanOnR2NamesOnlyClassesR2Has() {
        var r2 = ProviderProfile.of(Provider.R2);
        var s = StowageConfig.BucketSettings.DEFAULT;
        for (var rules : List.of(s.raw(), s.processed(), s.backups(), s.logs())) {
            assertThat(classes(LifecycleRules.desired(rules, r2))).allMatch(r2::hasStorageClass).doesNotContain("GLACIER", "DEEP_ARCHIVE");
        }
    }

    @Test
    void awsKeepsTheGlacierTransition() {
        var backups = LifecycleRules.desired(StowageConfig.BucketRules.BACKUPS, ProviderProfile.of(Provider.AWS));
        assertThat(classes(backups)).containsExactly("GLACIER");
        assertThat(backups.unsupported()).doesNotContainKey(LifecycleRules.TRANSITION);
    }
}

package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.Usage;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The usage view tells a client (Uppy) how the server cuts uploads, from the configuration in force. */
class FileViewsTest {
    @Test
    void usageCarriesTheUploadRulesOfTheConfiguration() {
        var rules = StowageConfig.Uploads.DEFAULT;
        var m = FileViews.usage(new Usage("alice", "pro", 1000, 300, 200), rules);
        assertThat(m).containsEntry("availableBytes", 500L).containsEntry("quotaBytes", 1000L);
        assertThat(m.get("uploads")).isEqualTo(Map.of(
                "maxSizeBytes", rules.maxSizeBytes(),
                "multipartThresholdBytes", rules.multipartThresholdBytes(),
                "partSizeBytes", rules.partSizeBytes()));
        assertThat(rules.multipartThresholdBytes()).as("the two sizes differ, so a swap would show").isNotEqualTo(rules.partSizeBytes());
    }
}

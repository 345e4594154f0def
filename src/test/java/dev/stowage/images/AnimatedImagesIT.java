package dev.stowage.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stowage.testing.Harness;
import dev.stowage.testing.TestServers;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * An animated GIF uploaded through the API (docs/api.md, variants): the file's view says {@code animated} and the
 * source's frame count; each variant its own {@code frames}. On the libvips engine the previews are animated WebP
 * with the GIF's delays (read back from the stored thumb's ANMF chunks); on the Java engine they are still and
 * {@code animationNote} says why.
 */
class AnimatedImagesIT {

    @Test
    void anAnimatedGifGivesAnimatedPreviewsAndTheViewSaysAnimatedWithItsFrames() throws Exception {
        Assumptions.assumeTrue(System.getProperty("stowage.test.engines", "java,vips").contains("vips"),
                "the libvips engine is excluded by -Dstowage.test.engines");
        try (var h = new Harness(TestServers.embeddedConfig(Map.of("STOWAGE_IMAGE_ENGINE", "vips")), TestServers.embeddedCredentials())) {
            byte[] gif = AnimatedVariantsTest.animatedGif(200, 200, AnimatedVariantsTest.DELAYS_CS, 3);
            JsonNode f = HostileImagesIT.settled(h, "ani", h.upload("ani", "spinner.gif", "image/gif", gif));
            assertThat(f.path("status").asText()).isEqualTo("ready");
            assertThat(f.path("animated").asBoolean()).as(f.toString()).isTrue();
            assertThat(f.path("frames").asInt()).isEqualTo(3);
            assertThat(f.has("animationNote")).isFalse();
            for (JsonNode v : f.path("variants")) {
                assertThat(v.path("frames").asInt()).as(v.path("name").asText()).isEqualTo(3);
                assertThat(v.has("sourceFrames")).isFalse(); // lifted into the file, not repeated per variant
            }
            String url = HostileImagesIT.location(h.call("GET", "/v1/files/" + f.path("id").asText() + "/variants/thumb", "ani", null));
            var thumb = AnimatedVariantsTest.Anim.parse(Harness.getBytes(url).body());
            assertThat(thumb.animated()).isTrue();
            assertThat(thumb.durationsMs()).containsExactly(100, 200, 300);

            // a still image says animated false, one frame
            byte[] still = java.nio.file.Files.readAllBytes(TestServers.fixture("images/photos/mate_Storm.jpg"));
            JsonNode s = HostileImagesIT.settled(h, "ani", h.upload("ani", "still.jpg", "image/jpeg", still));
            assertThat(s.path("animated").asBoolean()).isFalse();
            assertThat(s.path("frames").asInt()).isEqualTo(1);
        }
    }

    @Test
    void onTheJavaEngineTheViewSaysThePreviewsAreStillAndWhy() throws Exception {
        try (var h = new Harness(TestServers.embeddedConfig(Map.of("STOWAGE_IMAGE_ENGINE", "java")), TestServers.embeddedCredentials())) {
            byte[] gif = AnimatedVariantsTest.animatedGif(200, 200, AnimatedVariantsTest.DELAYS_CS, 3);
            JsonNode f = HostileImagesIT.settled(h, "ani", h.upload("ani", "spinner.gif", "image/gif", gif));
            assertThat(f.path("animated").asBoolean()).as(f.toString()).isTrue();
            assertThat(f.path("frames").asInt()).isEqualTo(3);
            assertThat(f.at("/animationNote/code").asText()).isEqualTo(VariantService.STILL_ENGINE);
            assertThat(f.at("/animationNote/message").asText()).contains("first frame").contains("libvips");
            for (JsonNode v : f.path("variants")) {
                if (!v.path("name").asText().equals("original")) assertThat(v.path("frames").asInt()).as(v.path("name").asText()).isEqualTo(1);
            }
        }
    }
}

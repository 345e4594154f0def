package dev.stowage.images;

import static dev.stowage.images.ImageProbeTest.assertRejected;
import static dev.stowage.images.ImageProbeTest.bytes;
import static dev.stowage.images.ImageProbeTest.chunk;
import static dev.stowage.images.ImageProbeTest.concat;
import static dev.stowage.images.ImageProbeTest.raw;
import static dev.stowage.images.ImageProbeTest.riff;
import static dev.stowage.images.ImageProbeTest.vp8x;
import static dev.stowage.images.MetadataStripperTest.pngChunk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The length guards run before any engine ({@link ContainerBounds}) and the header check of verification ({@link DecodeLimits#tooLarge}). */
class ContainerBoundsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.stowage.images.ImageProbeTest#allFixtures")
    void everyFixtureIsWithinItsBounds(String name) {
        byte[] data = bytes(name);
        if (name.contains("truncated_")) return; // image data cut short: the decoders' case, checked below
        assertThatCode(() -> ContainerBounds.check(data)).doesNotThrowAnyException();
    }

    @Test
    void aPngChunkClaimingMoreThanTheFileHasIsCorrupt() throws IOException {
        byte[] lying = Files.readAllBytes(Fixtures.path(Fixtures.LYING_TEXT_LENGTH));
        assertRejected(() -> ContainerBounds.check(lying), "corrupt_image");
        assertThatThrownBy(() -> ContainerBounds.check(lying)).hasMessageContaining("tEXt").hasMessageContaining("2147483647");
        // one byte too many is a lie too; a length over 2^31-1 is invalid whatever the file
        byte[] png = bytes("special/1x1.png");
        byte[] text = pngChunk("tEXt", "Comment\0hello".getBytes());
        byte[] withText = concat(Arrays.copyOf(png, 33), text, Arrays.copyOfRange(png, 33, png.length));
        assertThatCode(() -> ContainerBounds.check(withText)).doesNotThrowAnyException();
        byte[] plusOne = withText.clone();
        ByteBuffer.wrap(plusOne, 33, 4).putInt(text.length - 12 + (png.length - 33) + 1);
        assertRejected(() -> ContainerBounds.check(plusOne), "corrupt_image");
        byte[] huge = withText.clone();
        ByteBuffer.wrap(huge, 33, 4).putInt(0x80000000);
        assertRejected(() -> ContainerBounds.check(huge), "corrupt_image");
    }

    @Test
    void imageDataCutShortIsLeftToTheDecoders() {
        byte[] png = bytes("special/palette_trns_YellowFlower.png");
        assertThatCode(() -> ContainerBounds.check(Arrays.copyOf(png, png.length / 2))).doesNotThrowAnyException();
        byte[] jpeg = bytes("photos/mate_Storm.jpg");
        assertThatCode(() -> ContainerBounds.check(Arrays.copyOf(jpeg, jpeg.length / 2))).doesNotThrowAnyException();
        byte[] webp = bytes("special/wood-d.webp");
        assertThatCode(() -> ContainerBounds.check(Arrays.copyOf(webp, webp.length / 2))).doesNotThrowAnyException();
    }

    @Test
    void aJpegSegmentLongerThanTheRestOfTheFileIsCorrupt() {
        byte[] com = concat(raw(0xFF, 0xD8, 0xFF, 0xFE, 0xFF, 0xF0), "comment".getBytes());
        assertRejected(() -> ContainerBounds.check(com), "corrupt_image");
        byte[] tooShort = raw(0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0, 0, 0, 0);
        assertRejected(() -> ContainerBounds.check(tooShort), "corrupt_image");
        byte[] jpeg = bytes("special/exiftool_GPS.jpg");
        assertRejected(() -> ContainerBounds.check(Arrays.copyOf(jpeg, 300)), "corrupt_image"); // cut inside the Exif segment
    }

    @Test
    void aWebpMetadataChunkPastTheEndIsCorruptButACutBitstreamIsNot() {
        byte[] simple = bytes("special/wood-d.webp");
        byte[] vp8 = Arrays.copyOfRange(simple, 12, simple.length);
        byte[] exif = chunk("EXIF", new byte[16]);
        ByteBuffer.wrap(exif, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x7FFFFFF0);
        byte[] lying = riff(vp8x(ImageProbe.WEBP_EXIF, 16, 16), exif, vp8);
        assertRejected(() -> ContainerBounds.check(lying), "corrupt_image");
        byte[] fine = riff(vp8x(0, 16, 16), vp8);
        assertThatCode(() -> ContainerBounds.check(Arrays.copyOf(fine, fine.length - 100))).doesNotThrowAnyException();
    }

    @Test
    void verificationRefusesHeadersOverTheLimitsAndNothingElse() throws IOException {
        DecodeLimits limits = DecodeLimits.DEFAULTS;
        assertThat(limits.tooLarge(Fixtures.path(Fixtures.BOMB_TALL), "image/png")).hasValueSatisfying(r -> assertThat(r).contains("1x300000", "30000"));
        assertThat(limits.tooLarge(Fixtures.path(Fixtures.BOMB_HEADER_ONLY), "image/png")).hasValueSatisfying(r -> assertThat(r).contains("50000x50000"));
        assertThat(limits.tooLarge(Fixtures.path(Fixtures.BOMB_1BIT), "image/png")).isPresent();
        assertThat(limits.tooLarge(Fixtures.path("images/special/huge_8000x6000.jpg"), "image/jpeg")).isEmpty();
        assertThat(limits.tooLarge(Fixtures.path(Fixtures.TRUNCATED_GPS_ARTIST), "image/jpeg")).isEmpty();
        assertThat(limits.tooLarge(Fixtures.path(Fixtures.LYING_TEXT_LENGTH), "image/png")).as("not a bomb: variants decide").isEmpty();
        // only images are asked about; a damaged header is not a bomb
        assertThat(limits.tooLarge(Fixtures.path(Fixtures.BOMB_TALL), "application/octet-stream")).isEqualTo(Optional.empty());
        java.nio.file.Path garbage = Files.createTempFile("not-png", ".png");
        try {
            Files.write(garbage, Arrays.copyOf(ImageProbe.PNG_SIGNATURE, 12));
            assertThat(limits.tooLarge(garbage, "image/png")).isEmpty();
        } finally {
            Files.delete(garbage);
        }
    }
}

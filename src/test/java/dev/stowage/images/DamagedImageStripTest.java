package dev.stowage.images;

import static dev.stowage.images.ImageProbeTest.assertRejected;
import static dev.stowage.images.ImageProbeTest.bytes;
import static dev.stowage.images.ImageProbeTest.chunk;
import static dev.stowage.images.ImageProbeTest.concat;
import static dev.stowage.images.ImageProbeTest.reader;
import static dev.stowage.images.ImageProbeTest.riff;
import static dev.stowage.images.ImageProbeTest.tiff;
import static dev.stowage.images.ImageProbeTest.vp8x;
import static dev.stowage.images.MetadataStripperTest.assertNoMetadata;
import static dev.stowage.images.MetadataStripperTest.gifBlocks;
import static dev.stowage.images.MetadataStripperTest.pngChunk;
import static dev.stowage.images.MetadataStripperTest.pngChunks;
import static dev.stowage.images.MetadataStripperTest.webpChunks;
import static org.assertj.core.api.Assertions.assertThat;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.GpsDirectory;
import dev.stowage.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link MetadataStripper#stripTolerant(byte[])}: the container-level strip of an image whose data ends early
 * (what is served when the variants fail, docs/architecture.md §6). Each format: the metadata before the cut is
 * gone, the output is a well-formed container (the strict stripper accepts it) and a reader opens it.
 */
class DamagedImageStripTest {

    /** Whether metadata-extractor finds a GPS directory or an Artist tag in {@code image}. */
    static boolean hasGpsOrArtist(byte[] image) throws Exception {
        Metadata m = ImageMetadataReader.readMetadata(new ByteArrayInputStream(image), image.length);
        if (m.getFirstDirectoryOfType(GpsDirectory.class) != null) return true;
        for (ExifIFD0Directory d : m.getDirectoriesOfType(ExifIFD0Directory.class)) {
            if (d.containsTag(ExifIFD0Directory.TAG_ARTIST)) return true;
        }
        return new String(image, StandardCharsets.ISO_8859_1).contains(Fixtures.ARTIST);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.stowage.images.MetadataStripperTest#strippable")
    void aWholeFileStripsExactlyAsTheStrictStripperDoes(String name) {
        byte[] in = bytes(name);
        assertThat(MetadataStripper.stripTolerant(in)).isEqualTo(MetadataStripper.strip(in));
    }

    @Test
    void aTruncatedJpegLosesItsGpsAndArtistAndKeepsTheScanThatArrived() throws Exception {
        byte[] in = Files.readAllBytes(Fixtures.path(Fixtures.TRUNCATED_GPS_ARTIST));
        assertThat(hasGpsOrArtist(in)).as("the fixture carries GPS and Artist").isTrue();
        assertRejected(() -> MetadataStripper.strip(in), "truncated_image");

        byte[] out = MetadataStripper.stripTolerant(in);
        assertThat(hasGpsOrArtist(out)).as("GPS or Artist left").isFalse();
        assertNoMetadata(new String(out, StandardCharsets.ISO_8859_1), "stripped truncated JPEG");
        assertThat(Arrays.copyOfRange(out, out.length - 2, out.length)).as("closed with EOI").containsExactly(0xFF, 0xD9);
        assertThat(MetadataStripper.strip(out)).as("a well-formed JPEG: the strict stripper takes it as it is").isEqualTo(out);
        // the entropy-coded data that arrived is all there: the output is the input minus the metadata, plus EOI
        assertThat(out.length).isGreaterThan(in.length * 9 / 10);
        ImageReader r = reader(out);
        assertThat(r.getWidth(0)).isEqualTo(1920);
        assertThat(r.read(0).getHeight()).isEqualTo(1280);
        r.dispose();
    }

    @Test
    void aPngCutInsideIdatKeepsTheDataThatArrivedAsAWholeChunkWithoutTextChunks() throws IOException {
        byte[] png = bytes("special/alpha_YellowFlower.png");
        byte[] meta = concat(pngChunk("tEXt", "Author\0Jane Roe, GPS 51N".getBytes(StandardCharsets.ISO_8859_1)),
                pngChunk("zTXt", "Comment\0\0x".getBytes(StandardCharsets.ISO_8859_1)),
                pngChunk("iTXt", "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>".getBytes(StandardCharsets.ISO_8859_1)),
                pngChunk("tIME", new byte[] {0x07, (byte) 0xEA, 12, 6, 20, 0, 0}),
                pngChunk("eXIf", concat(tiff(ByteOrder.BIG_ENDIAN, 1, 3), "GPS".getBytes(StandardCharsets.ISO_8859_1))));
        byte[] withMeta = concat(Arrays.copyOf(png, 33), meta, Arrays.copyOfRange(png, 33, png.length));
        byte[] cut = Arrays.copyOf(withMeta, withMeta.length * 2 / 3);

        byte[] out = MetadataStripper.stripTolerant(cut);
        List<String> types = pngChunks(out).stream().map(MetadataStripperTest.Chunk::type).toList();
        assertThat(types).doesNotContain("tEXt", "zTXt", "iTXt", "tIME", "eXIf").contains("IHDR", "IDAT").endsWith("IEND");
        StringBuilder kept = new StringBuilder(); // every chunk but the compressed image data
        for (var c : pngChunks(out)) if (!c.type().equals("IDAT")) kept.append(new String(out, c.start(), c.end() - c.start(), StandardCharsets.ISO_8859_1));
        assertNoMetadata(kept.toString(), "stripped cut PNG");
        assertThat(kept.toString()).doesNotContain("Jane Roe", "tIME");
        assertThat(MetadataStripper.strip(out)).isEqualTo(out);
        ImageReader r = reader(out);
        assertThat(r.getWidth(0)).isEqualTo(ImageProbe.probe(png).width());
        r.dispose();
        // the whole file with its metadata strips to the whole image, which decodes
        assertThat(ImageIO.read(new ByteArrayInputStream(MetadataStripper.stripTolerant(withMeta)))).isNotNull();
    }

    @Test
    void aGifCutInsideItsImageDataEndsAfterItsLastWholeSubBlockWithoutXmp() throws IOException {
        byte[] gif = bytes("special/exiftool_GIF.gif");
        assertThat(gifBlocks(gif).stream().map(MetadataStripperTest.Block::kind).toList()).as("the fixture has XMP").contains("app XMP DataXMP");
        int image = gifBlocks(gif).stream().filter(b -> b.kind().equals("image")).findFirst().orElseThrow().start();
        int imageEnd = gifBlocks(gif).stream().filter(b -> b.kind().equals("image")).findFirst().orElseThrow().end();
        byte[] cut = Arrays.copyOf(gif, (image + imageEnd) / 2 + 20);

        byte[] out = MetadataStripper.stripTolerant(cut);
        assertThat(gifBlocks(out).stream().map(MetadataStripperTest.Block::kind).toList()).contains("image").endsWith("trailer")
                .noneMatch(k -> k.startsWith("app XMP") || k.equals("ext FE"));
        assertNoMetadata(new String(out, StandardCharsets.ISO_8859_1), "stripped cut GIF");
        assertThat(MetadataStripper.strip(out)).isEqualTo(out);
        assertThat(ImageIO.read(new ByteArrayInputStream(out))).isNotNull();
    }

    @Test
    void aWebpCutInsideItsBitstreamKeepsItWithItsSizeRewrittenAndDropsExifAndXmp() throws IOException {
        byte[] simple = bytes("special/wood-d.webp");
        byte[] vp8 = Arrays.copyOfRange(simple, 12, simple.length);
        int width = ImageProbe.probe(simple).width(), height = ImageProbe.probe(simple).height();
        byte[] exif = concat(tiff(ByteOrder.BIG_ENDIAN, 1, 3), "GPS".getBytes(StandardCharsets.ISO_8859_1));
        byte[] xmp = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:xmp='http://ns.adobe.com/xap/1.0/'/></x:xmpmeta>".getBytes(StandardCharsets.UTF_8);
        byte[] in = riff(vp8x(ImageProbe.WEBP_EXIF | ImageProbe.WEBP_XMP, width, height), chunk("EXIF", exif), chunk("XMP ", xmp), vp8);
        byte[] cut = Arrays.copyOf(in, in.length - vp8.length / 2);

        byte[] out = MetadataStripper.stripTolerant(cut);
        var chunks = webpChunks(out);
        assertThat(chunks.stream().map(MetadataStripperTest.Chunk::type).toList()).containsExactly("VP8X", "VP8 ");
        assertThat(out[20]).as("VP8X flags: no EXIF, no XMP").isEqualTo((byte) 0);
        assertNoMetadata(new String(out, StandardCharsets.ISO_8859_1), "stripped cut WebP");
        assertThat(MetadataStripper.strip(out)).isEqualTo(out);
        assertThat(ImageProbe.probe(out).width()).isEqualTo(width);
    }

    @Test
    void aFileCutBeforeItsImageDataHasNothingToServe() throws IOException {
        byte[] lying = Files.readAllBytes(Fixtures.path(Fixtures.LYING_TEXT_LENGTH));
        assertThat(lying).hasSize(200);
        assertRejected(() -> MetadataStripper.stripTolerant(lying), "truncated_image");
        byte[] jpeg = bytes("special/exiftool_GPS.jpg");
        assertRejected(() -> MetadataStripper.stripTolerant(Arrays.copyOf(jpeg, 500)), "truncated_image");
        assertRejected(() -> MetadataStripper.stripTolerant(bytes("special/heic_Wood.heic")), "unsupported_image");
    }
}

package dev.stowage.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders preview variants ({@link VariantSpec}) of an image. Implementations: {@link JavaImageEngine}
 * (pure Java) and {@link VipsImageEngine} (libvips through the Foreign Function & Memory API). Every engine must produce what Sharp's reference recipe
 * produces ({@code sharp(buf).rotate().resize(...).webp({quality})}):
 *
 * <ul>
 *   <li><b>Upright</b>: the EXIF orientation (1-8) is applied before fitting, so {@link VariantSpec}
 *       sizes and the returned width/height are in display space.
 *   <li><b>sRGB, 8 bits per sample</b>: embedded ICC profiles (Adobe RGB, CMYK with a profile...) are
 *       converted to sRGB, 16-bit samples are reduced to 8, greyscale is expanded to RGB. The output
 *       carries no profile.
 *   <li><b>Alpha kept</b>: transparent sources (RGBA, palette with transparency) keep their alpha;
 *       opaque sources give opaque output.
 *   <li><b>First frame</b> of an animated image (GIF, WebP, APNG), composed on its canvas, unless the
 *       engine {@link #writesAnimation() writes animations} (the libvips engine, for GIF and WebP).
 *   <li><b>No metadata</b> in the output (no EXIF, XMP or ICC chunk).
 *   <li><b>Encoding</b>: the spec's format and quality (WebP lossy, quality 80 for the defaults).
 * </ul>
 *
 * <p>Errors: {@link CorruptImageException} when the data is damaged (a truncated JPEG must not come out
 * grey-filled) or a chunk or segment claims more bytes than the file has ({@link ContainerBounds}, checked
 * before any decoder reads the file), {@link UnsupportedImageException} when the engine cannot decode the format or the image
 * is over its own pixel ceiling. Callers check {@link DecodeLimits} before rendering; engines must still
 * not run out of memory on an image within those limits.
 *
 * <p>Implementations are thread-safe: one instance serves every worker thread.
 */
public interface ImageEngine {

    /** A short identifier of the engine, for logs and metrics, e.g. {@code java}. */
    String name();

    /**
     * Renders one variant.
     *
     * @param source the whole image file
     * @param spec   what to render
     * @return the encoded variant
     * @throws CorruptImageException     the data is damaged
     * @throws UnsupportedImageException this engine cannot render this image
     * @throws IOException               another failure (e.g. the encoder)
     */
    RenderedVariant render(byte[] source, VariantSpec spec) throws IOException;

    /**
     * Renders several variants of one image; an engine may decode the source once for all of them.
     * Equivalent to calling {@link #render(byte[], VariantSpec)} for each.
     *
     * @param source the whole image file
     * @param specs  what to render
     * @return the variants, in the order of {@code specs}
     */
    default List<RenderedVariant> renderAll(byte[] source, List<VariantSpec> specs) throws IOException {
        List<RenderedVariant> out = new ArrayList<>(specs.size());
        for (VariantSpec s : specs) out.add(render(source, s));
        return out;
    }

    /**
     * The {@code original} variant: the image as uploaded, upright, with all metadata removed. By default
     * {@link MetadataStripper#strip(byte[])}: the same format, the coded pixels copied byte for byte, only
     * an Orientation tag kept (JPEG, PNG, GIF, WebP); other formats are {@link UnsupportedImageException}.
     * An engine that can decode more formats may re-encode those.
     *
     * @param source the whole image file
     * @return the original variant; width and height as displayed
     * @throws UnsupportedImageException no original can be made of this format
     * @throws ImageRejectedException    the container is damaged or truncated
     */
    default RenderedVariant original(byte[] source) throws IOException {
        ContainerBounds.check(source);
        ProbeResult p = ImageProbe.probe(source);
        String type = switch (p.format()) {
            case ImageProbe.JPEG -> "image/jpeg";
            case ImageProbe.PNG -> "image/png";
            case ImageProbe.GIF -> "image/gif";
            case ImageProbe.WEBP -> "image/webp";
            default -> throw new UnsupportedImageException("no lossless strip for " + p.format());
        };
        byte[] stripped = MetadataStripper.strip(source);
        return new RenderedVariant(stripped, p.displayWidth(), p.displayHeight(), type, p.format().equals("jpeg") ? "jpg" : p.format());
    }

    /**
     * Whether this engine writes animated variants of an animated GIF or WebP (every frame, delays and
     * loop count kept); an engine that does not renders the first frame.
     */
    default boolean writesAnimation() {
        return false;
    }

    /** {@link #render(byte[], VariantSpec)} of a file. */
    default RenderedVariant render(Path source, VariantSpec spec) throws IOException {
        return render(Files.readAllBytes(source), spec);
    }
}

package dev.stowage.images;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Limits checked against an image's header (see {@link ImageProbe}) before any pixel is decoded, so a
 * decompression bomb — e.g. a 274-byte PNG whose IHDR declares 50000×50000 — is refused in microseconds
 * instead of allocating gigabytes.
 *
 * <p>{@link #DEFAULTS}:
 * <ul>
 *   <li>{@code maxPixels} 100,000,000 (100 Mpx) per frame: above the largest phone/camera sensors in common
 *       use (a 108 Mpx sensor bins to 12 Mpx by default), and 400 MB as 8-bit RGBA — the most one decode
 *       may take from the worker's heap. Frames are not multiplied in: previews decode the first frame
 *       only, and the lossless original never decodes.
 *   <li>{@code maxDimension} 30,000 px per side: a long panorama is fine, a 1×90,000,000 strip is not
 *       (a degenerate aspect ratio also breaks thumbnail cropping maths and some decoders' row buffers).
 *   <li>{@code maxBytes} 60 MiB: the upload limit for images (50 MB) plus headroom.
 * </ul>
 *
 * @param maxPixels    most width × height allowed for one frame
 * @param maxDimension most pixels allowed on either side
 * @param maxBytes     largest file allowed
 */
public record DecodeLimits(long maxPixels, int maxDimension, long maxBytes) {

    /** 100 Mpx, 30,000 px per side, 60 MiB. */
    public static final DecodeLimits DEFAULTS = new DecodeLimits(100_000_000L, 30_000, 60L * 1024 * 1024);

    public DecodeLimits {
        if (maxPixels <= 0 || maxDimension <= 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("limits must be positive: " + maxPixels + ", " + maxDimension + ", " + maxBytes);
        }
    }

    /**
     * The limits of the configuration ({@code images.max_pixels}, {@code max_dimension}, {@code max_bytes}).
     *
     * @param images the {@code images} section
     * @return its limits
     */
    public static DecodeLimits of(dev.stowage.config.StowageConfig.Images images) {
        return new DecodeLimits(images.maxPixels(), images.maxDimension(), images.maxBytes());
    }

    /**
     * Whether an image's header declares more than these limits allow, read with {@link ImageProbe#probe(Path)}
     * (at most its header; pixels are never decoded). Used by verification to reject decompression bombs
     * ({@code image_too_large}, docs/architecture.md §6). The file size is not checked here: uploads have their own limit.
     *
     * @param file     the image file
     * @param mimeType its detected type; a type that is not an image ({@code files.ImageType}) is never refused
     * @return why it is refused, or empty when within the limits, not an image, or too damaged to probe
     *         (a damaged header is for the variants to report, not a bomb)
     * @throws IOException when the file cannot be read
     */
    public Optional<String> tooLarge(Path file, String mimeType) throws IOException {
        if (!dev.stowage.files.ImageType.isImage(mimeType)) return Optional.empty();
        ProbeResult probe;
        try {
            probe = ImageProbe.probe(file);
        } catch (ImageRejectedException e) {
            return Optional.empty();
        }
        try {
            checkHeader(probe);
            return Optional.empty();
        } catch (ImageRejectedException e) {
            return Optional.of(e.reason());
        }
    }

    /**
     * Refuses a header over the pixel or side limit ({@value ImageRejectedException#TOO_MANY_PIXELS}, then
     * {@value ImageRejectedException#TOO_LARGE_DIMENSIONS}).
     *
     * @param probe the header of the image
     * @throws ImageRejectedException when a limit is exceeded
     */
    public void checkHeader(ProbeResult probe) {
        if (probe.pixels() > maxPixels) {
            throw new ImageRejectedException(ImageRejectedException.TOO_MANY_PIXELS,
                    probe.width() + "x" + probe.height() + " is " + probe.pixels() + " pixels, more than the limit of " + maxPixels);
        }
        if (probe.width() > maxDimension || probe.height() > maxDimension) {
            throw new ImageRejectedException(ImageRejectedException.TOO_LARGE_DIMENSIONS,
                    probe.width() + "x" + probe.height() + " has a side longer than the limit of " + maxDimension + " px");
        }
    }

    /**
     * Refuses an image over a limit. Checked in order of cost to the decoder: file size
     * ({@value ImageRejectedException#TOO_MANY_BYTES}), pixel count
     * ({@value ImageRejectedException#TOO_MANY_PIXELS}), then each side
     * ({@value ImageRejectedException#TOO_LARGE_DIMENSIONS}).
     *
     * @param probe     the header of the image
     * @param fileBytes the size of the whole file
     * @throws ImageRejectedException when a limit is exceeded
     */
    public void check(ProbeResult probe, long fileBytes) {
        if (fileBytes > maxBytes) {
            throw new ImageRejectedException(ImageRejectedException.TOO_MANY_BYTES,
                    "the file has " + fileBytes + " bytes, more than the limit of " + maxBytes);
        }
        checkHeader(probe);
    }
}

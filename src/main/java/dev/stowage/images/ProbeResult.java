package dev.stowage.images;

import java.util.Objects;

/**
 * What {@link ImageProbe} learnt from an image's container header, without decoding pixels.
 *
 * @param format      {@code jpeg}, {@code png}, {@code gif}, {@code webp} or {@code heif} (HEIF and AVIF
 *                    both: ISO/IEC 23008-12 image files)
 * @param width       stored width in pixels (the encoded raster, before orientation; the canvas for GIF
 *                    and animated WebP)
 * @param height      stored height in pixels
 * @param orientation Exif orientation 1-8 (Exif 2.32 tag 0x0112; for HEIF derived from the
 *                    {@code irot}/{@code imir} properties); 1 when absent or invalid
 * @param frames      number of frames; more than 1 for an animated GIF, animated PNG (acTL) or animated
 *                    WebP when it was cheap to count (see {@link ImageProbe}), else 1
 * @param progressive progressive JPEG (SOF2/6/10/14), interlaced PNG (Adam7) or interlaced GIF (first
 *                    image)
 * @param bitDepth    bits per sample: JPEG sample precision, PNG IHDR bit depth, GIF colour table bits,
 *                    HEIF {@code pixi} first channel, 8 for WebP
 */
public record ProbeResult(String format, int width, int height, int orientation, int frames,
                          boolean progressive, int bitDepth) {

    public ProbeResult {
        Objects.requireNonNull(format, "format");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("dimensions must be positive: " + width + "x" + height);
        if (orientation < 1 || orientation > 8) throw new IllegalArgumentException("orientation must be 1-8: " + orientation);
        if (frames < 1) throw new IllegalArgumentException("frames must be at least 1: " + frames);
    }

    /** Whether displaying the image upright swaps width and height (orientations 5-8 turn it by 90°). */
    public boolean swapsDimensions() {
        return orientation >= 5;
    }

    /** The width after the orientation is applied, i.e. as the image is meant to be seen. */
    public int displayWidth() {
        return swapsDimensions() ? height : width;
    }

    /** The height after the orientation is applied, i.e. as the image is meant to be seen. */
    public int displayHeight() {
        return swapsDimensions() ? width : height;
    }

    /** Pixels in one frame: width × height. */
    public long pixels() {
        return (long) width * height;
    }
}

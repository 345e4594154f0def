package dev.stowage.images;

import dev.stowage.config.StowageConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the image engine from {@code images.engine} and says once, at start, which one runs and why:
 * <ul>
 *   <li>{@code vips}: the libvips engine ({@link VipsImageEngine}); libvips must load, else start-up fails
 *       with a configuration error naming the library and how to install it.
 *   <li>{@code java}: the pure-Java engine ({@link JavaImageEngine}); no native library needed.
 *   <li>{@code auto} (the default): libvips when it loads — faster, and it decodes HEIC and AVIF — else
 *       the pure-Java engine, so Stowage runs on a machine without libvips.
 * </ul>
 * The library's name or path is {@code images.vips_library} (empty: the platform's default name).
 */
public final class Engines {
    private static final Logger log = LoggerFactory.getLogger(Engines.class);

    private Engines() {}

    /**
     * @param images the images section
     * @return the engine to use
     * @throws dev.stowage.config.ConfigException when {@code vips} is asked for and libvips cannot be loaded
     */
    public static ImageEngine select(StowageConfig.Images images) {
        DecodeLimits limits = new DecodeLimits(images.maxPixels(), images.maxDimension(), images.maxBytes());
        return switch (images.engine()) {
            case "vips" -> {
                try {
                    VipsImageEngine e = VipsImageEngine.load(images.vipsLibrary(), limits, 1);
                    log.info("image engine: libvips {} ({}; configured)", e.libvipsVersion(), e.library());
                    yield e;
                } catch (VipsUnavailableException e) {
                    throw new dev.stowage.config.ConfigException(java.util.List.of("images.engine: 'vips' is configured but " + e.getMessage()));
                }
            }
            case "java" -> {
                log.info("image engine: pure Java (configured; HEIC and AVIF get no variants)");
                yield new JavaImageEngine();
            }
            default -> {
                try {
                    VipsImageEngine e = VipsImageEngine.load(images.vipsLibrary(), limits, 1);
                    log.info("image engine: libvips {} (auto: {} loaded)", e.libvipsVersion(), e.library());
                    yield e;
                } catch (VipsUnavailableException e) {
                    log.info("image engine: pure Java (auto: {}; HEIC and AVIF get no variants)", e.getMessage());
                    yield new JavaImageEngine();
                }
            }
        };
    }
}

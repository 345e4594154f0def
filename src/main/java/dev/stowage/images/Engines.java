package dev.stowage.images;

import dev.stowage.config.StowageConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the image engine from {@code images.engine} and says once which one runs and why. */
public final class Engines {
    private static final Logger log = LoggerFactory.getLogger(Engines.class);

    private Engines() {}

    /**
     * @param images the images section
     * @return the engine to use
     * @throws IllegalStateException when {@code vips} is asked for and cannot be loaded
     */
    public static ImageEngine select(StowageConfig.Images images) {
        return switch (images.engine()) {
            case "vips" -> throw new IllegalStateException("images.engine: the libvips engine is not available in this build");
            case "java" -> {
                log.info("image engine: pure Java (configured)");
                yield new JavaImageEngine();
            }
            default -> {
                log.info("image engine: pure Java (auto: no faster engine available)");
                yield new JavaImageEngine();
            }
        };
    }
}

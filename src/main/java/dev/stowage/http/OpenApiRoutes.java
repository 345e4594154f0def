package dev.stowage.http;

import io.javalin.config.RoutesConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the OpenAPI 3.1 description of the API ({@code src/main/resources/openapi.json}),
 * public, served as it is. {@code OpenApiIT} keeps it in step with the routes the server registers and
 * the bodies it answers.
 */
public final class OpenApiRoutes implements RouteModule {
    /** Classpath location of the document. */
    public static final String RESOURCE = "/openapi.json";

    private final byte[] document;

    /**
     * Reads the document from the classpath.
     *
     * @throws IllegalStateException when it is missing from the build
     */
    public OpenApiRoutes() {
        try (InputStream in = OpenApiRoutes.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.get("/openapi.json", ctx -> ctx.contentType("application/json").result(document));
    }
}

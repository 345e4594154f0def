package dev.stowage.http;

import io.javalin.config.RoutesConfig;

/** A feature's routes, registered when the API starts. */
public interface RouteModule {
    /**
     * Registers routes.
     *
     * @param routes the routing configuration
     * @param api    the server, for {@link ApiServer#principal} and {@link ApiServer#body}
     */
    void register(RoutesConfig routes, ApiServer api);
}

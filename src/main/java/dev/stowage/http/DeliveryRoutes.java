package dev.stowage.http;

import dev.stowage.delivery.DeliveryService;
import io.javalin.config.RoutesConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code POST /v1/cdn/session}: sets the three CloudFront signed cookies for the caller's prefix
 * ({@code delivery.mode: cloudfront}, premium plans only), so the browser loads the caller's variants
 * straight from the CDN.
 */
public final class DeliveryRoutes implements RouteModule {
    private final DeliveryService delivery;

    /** @param delivery the delivery service */
    public DeliveryRoutes(DeliveryService delivery) {
        this.delivery = delivery;
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.post("/v1/cdn/session", ctx -> {
            var s = delivery.session(api.principal(ctx));
            for (String h : s.setCookieHeaders()) ctx.res().addHeader("Set-Cookie", h);
            ctx.header("Cache-Control", "no-store");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("resource", s.resource());
            body.put("expiresAt", s.expiresAt().toString());
            body.put("cookies", s.setCookieHeaders().stream().map(h -> h.substring(0, h.indexOf('='))).toList());
            ctx.json(body);
        });
    }
}

package dev.stowage.http;

import dev.stowage.events.EventService;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import io.javalin.config.RoutesConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * {@code POST /v1/events/s3}: S3 event notifications from the store (AWS via SNS, MinIO, Ceph RGW),
 * authenticated with the shared secret as {@code Authorization: Bearer <secret>}, the
 * {@code X-Stowage-Events-Secret} header, or a {@code token} query parameter (SNS and RGW push endpoints
 * can only carry it in the URL). SNS messages must also be signed by SNS ({@code events.sns}).
 */
public final class EventRoutes implements RouteModule {
    private final EventService events;
    private final byte[] secret;

    /**
     * @param events the event service
     * @param secret the shared secret (at least 16 bytes)
     */
    public EventRoutes(EventService events, String secret) {
        this.events = events;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void register(RoutesConfig r, ApiServer api) {
        r.post("/v1/events/s3", ctx -> {
            String given = ctx.header("X-Stowage-Events-Secret");
            String auth = ctx.header("Authorization");
            if (given == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) given = auth.substring(7).trim();
            if (given == null) given = ctx.queryParam("token");
            if (given == null || !MessageDigest.isEqual(secret, given.getBytes(StandardCharsets.UTF_8))) {
                throw new Problem(ProblemCode.UNAUTHENTICATED, "missing or wrong events secret");
            }
            var outcome = events.handle(ctx.body(), EventService.Source.WEBHOOK);
            ctx.json(Map.of("accepted", outcome.accepted(), "ignored", outcome.ignored(), "note", outcome.note() == null ? "" : outcome.note()));
        });
    }
}

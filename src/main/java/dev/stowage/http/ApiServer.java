package dev.stowage.http;

import dev.stowage.config.StowageConfig;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.AuthenticationException;
import dev.stowage.security.DevTokens;
import dev.stowage.security.JwtAuthenticator;
import dev.stowage.security.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The HTTP API (Javalin 7 on Jetty 12): health, metrics, the web UI and the {@code /v1} routes.
 * Routes only parse, authorise, call a service and map errors (docs/architecture.md §12).
 *
 * <p>Every response carries an {@code X-Request-Id} (the caller's, when it is a sane token, else a new
 * UUID), also put in the logging context as {@code requestId}, and the browser-security headers of
 * {@link SecurityHeaders} (static files and Jetty's own errors included). Every error is an RFC 9457 problem
 * document. {@code /metrics} takes the metrics token ({@code http.metrics_token}) outside dev. {@link #stop()} is graceful: readiness turns 503, new requests still get served while
 * in-flight ones finish, up to {@code http.shutdown_grace_seconds}.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    /** Request attribute holding the request id. */
    static final String REQUEST_ID_ATTR = "stowage.requestId";
    private static final String PRINCIPAL_ATTR = "stowage.principal";
    private static final String INFLIGHT_ATTR = "stowage.inflight";
    private static final java.util.Set<String> KNOWN_METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    private static final Pattern SANE_REQUEST_ID = Pattern.compile("^[A-Za-z0-9._:-]{1,128}$");

    private final StowageConfig config;
    private final List<HealthCheck> checks;
    private final JwtAuthenticator authenticator;
    private final DevTokens devTokens;
    private final PrometheusMeterRegistry metrics;
    private final List<RouteModule> modules;
    private final SecurityHeaders securityHeaders;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ExecutorService checkPool = Executors.newVirtualThreadPerTaskExecutor();
    private Javalin app;

    /**
     * @param config        the validated configuration (its {@code http} section is used)
     * @param checks        dependencies checked by {@code /health/ready}
     * @param authenticator verifies bearer tokens of {@code /v1} calls
     * @param devTokens     issues dev tokens at {@code POST /v1/dev/tokens}; {@code null} outside dev
     * @param metrics       the registry scraped at {@code /metrics}
     */
    public ApiServer(StowageConfig config, List<HealthCheck> checks, JwtAuthenticator authenticator,
                     DevTokens devTokens, PrometheusMeterRegistry metrics) {
        this(config, checks, authenticator, devTokens, metrics, List.of());
    }

    /**
     * @param modules the feature routes ({@code /v1/uploads}, {@code /v1/files}, …)
     * @see #ApiServer(StowageConfig, List, JwtAuthenticator, DevTokens, PrometheusMeterRegistry)
     */
    public ApiServer(StowageConfig config, List<HealthCheck> checks, JwtAuthenticator authenticator,
                     DevTokens devTokens, PrometheusMeterRegistry metrics, List<RouteModule> modules) {
        this(config, checks, authenticator, devTokens, metrics, modules, SecurityHeaders.of(config, List.of()));
    }

    /**
     * @param securityHeaders the browser-security headers put on every response
     * @see #ApiServer(StowageConfig, List, JwtAuthenticator, DevTokens, PrometheusMeterRegistry, List)
     */
    public ApiServer(StowageConfig config, List<HealthCheck> checks, JwtAuthenticator authenticator,
                     DevTokens devTokens, PrometheusMeterRegistry metrics, List<RouteModule> modules,
                     SecurityHeaders securityHeaders) {
        this.securityHeaders = securityHeaders;
        this.modules = List.copyOf(modules);
        this.config = config;
        this.checks = List.copyOf(checks);
        this.authenticator = authenticator;
        this.devTokens = devTokens;
        this.metrics = metrics;
    }

    /**
     * Binds and starts serving.
     *
     * @return this server
     * @throws io.javalin.util.JavalinBindException when the port is taken
     */
    public ApiServer start() {
        app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.http.prefer405over404 = true;
            cfg.jsonMapper(new io.javalin.json.JavalinJackson(new com.fasterxml.jackson.databind.ObjectMapper()
                    .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
                    .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS), false));
            cfg.http.maxRequestSize = 1_000_000; // JSON control requests only: upload bytes never pass through here
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new ProblemErrorHandler(securityHeaders)));
            // Jetty's own graceful stop finishes writing the last responses before connections close
            cfg.events.serverStarting(() -> {
                var server = app.jettyServer().server();
                server.setStopTimeout(config.http().shutdownGrace().toMillis());
                server.insertHandler(new org.eclipse.jetty.server.handler.GracefulHandler());
                server.insertHandler(securityHeaders.handler()); // outermost: static files, routes and errors all get them
            });
            // old links of a migrated tree may name files whose names are not UTF-8 (/uploads/1/r%E9sum%E9.pdf)
            cfg.jetty.modifyHttpConfiguration(hc -> hc.setUriCompliance(org.eclipse.jetty.http.UriCompliance.DEFAULT
                    .with("stowage-legacy-links", org.eclipse.jetty.http.UriCompliance.Violation.BAD_UTF8_ENCODING)));
            cfg.jetty.host = config.http().host();
            cfg.jetty.port = config.http().port();
            cfg.staticFiles.add(sf -> {
                sf.hostedPath = "/";
                sf.directory = "/web";
                sf.location = Location.CLASSPATH;
            });
            cfg.staticFiles.enableWebjars(); // /webjars/…: browser libraries shipped as jars (Chart.js for /admin/costs)
            cfg.requestLogger.http(this::afterRequest);
            var r = cfg.routes;
            r.before(this::beforeRequest);
            r.get("/health/live", ctx -> ctx.json(Map.of("status", "up")));
            r.get("/health/ready", this::ready);
            r.get("/metrics", this::scrape);
            r.get("/v1/me", ctx -> {
                Principal p = principal(ctx);
                ctx.json(Map.of("userId", p.userId(), "plan", p.plan(), "roles", p.roles()));
            });
            if (devTokens != null) r.post("/v1/dev/tokens", this::issueDevToken);
            for (RouteModule m : modules) m.register(r, this);
            r.exception(Problem.class, (e, ctx) -> {
                e.retryAfterSeconds().ifPresent(s -> ctx.header("Retry-After", Long.toString(s)));
                Problems.write(ctx, e.problemCode(), e.getMessage());
            });
            r.exception(AuthenticationException.class, (e, ctx) -> {
                ctx.header("WWW-Authenticate", "Bearer");
                Problems.write(ctx, ProblemCode.UNAUTHENTICATED, e.getMessage());
            });
            r.exception(Exception.class, (e, ctx) -> {
                ProblemCode down = ProblemErrorHandler.unavailable(e);
                if (down != null) {
                    // a dependency is down or slow: no stack trace per request, the client retries after a pause
                    log.warn("{} on {} {}: {}", down.code(), ctx.method(), ctx.path(), rootMessage(e));
                    ctx.header("Retry-After", Integer.toString(ProblemErrorHandler.RETRY_AFTER_SECONDS));
                    Problems.write(ctx, down, (down == ProblemCode.DATABASE_UNAVAILABLE ? "the database" : "the object store")
                            + " is unreachable or did not answer in time; retry after " + ProblemErrorHandler.RETRY_AFTER_SECONDS + " s");
                    return;
                }
                log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
                Problems.write(ctx, ProblemCode.INTERNAL_ERROR,
                        "an unexpected error occurred; quote request id " + ctx.attribute(REQUEST_ID_ATTR));
            });
            r.error(404, ctx -> {
                if (!isProblem(ctx)) Problems.write(ctx, ProblemCode.NOT_FOUND, "no route for " + ctx.method() + " " + ctx.path());
            });
            r.error(405, ctx -> {
                if (!isProblem(ctx)) Problems.write(ctx, ProblemCode.METHOD_NOT_ALLOWED, ctx.method() + " is not allowed on " + ctx.path());
            });
        });
        app.start();
        log.info("HTTP API listening on {}:{}", config.http().host(), app.port());
        return this;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    private static boolean isProblem(Context ctx) {
        String ct = ctx.res().getContentType();
        return ct != null && ct.startsWith("application/problem+json");
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        return app.port();
    }

    /**
     * The HTTP routes registered, as {@code "METHOD /path/{param}"} (filters, error pages and static files
     * excluded); {@code OpenApiIT} checks them against {@code /openapi.json}.
     */
    public List<String> routes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .map(e -> e.endpoint)
                .filter(e -> e.method.isHttpMethod())
                .map(e -> e.method.name() + " " + e.path)
                .toList();
    }

    private void beforeRequest(Context ctx) {
        String incoming = ctx.header("X-Request-Id");
        String rid = incoming != null && SANE_REQUEST_ID.matcher(incoming).matches() ? incoming : UUID.randomUUID().toString();
        ctx.attribute(REQUEST_ID_ATTR, rid);
        ctx.header("X-Request-Id", rid);
        MDC.put("requestId", rid);
        if (ctx.attribute(INFLIGHT_ATTR) == null) {
            ctx.attribute(INFLIGHT_ATTR, Boolean.TRUE);
            inFlight.incrementAndGet();
        }
    }

    private void afterRequest(Context ctx, Float ms) {
        if (ctx.attribute(INFLIGHT_ATTR) != null) inFlight.decrementAndGet();
        String route = ctx.endpoints().lastHttpEndpoint() == null ? "unmatched" : ctx.endpoints().lastHttpEndpoint().path;
        String method = KNOWN_METHODS.contains(ctx.method().name()) ? ctx.method().name() : "OTHER";
        Timer.builder("http.server.requests")
                .tag("method", method)
                .tag("route", route)
                .tag("status", Integer.toString(ctx.statusCode()))
                .register(metrics)
                .record(Duration.ofNanos((long) (ms * 1_000_000)));
        if (!ctx.path().startsWith("/health") && !ctx.path().equals("/metrics")) {
            log.info("{} {} {} {}ms", ctx.method(), ctx.path(), ctx.statusCode(), Math.round(ms));
        }
        MDC.remove("requestId");
    }

    /**
     * {@code /metrics}: with {@code http.metrics_token} set, only for {@code Authorization: Bearer <token>};
     * without one, open under {@code stowage dev} (loopback by default) and refused everywhere else.
     */
    private void scrape(Context ctx) {
        String want = config.http().metricsToken();
        if (want == null && config.mode() != StowageConfig.Mode.DEV) {
            throw new AuthenticationException("metrics are not public: set STOWAGE_METRICS_TOKEN and scrape with it as a bearer token");
        }
        if (want != null) {
            String got = ctx.header("Authorization");
            byte[] expected = ("Bearer " + want).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] given = got == null ? new byte[0] : got.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (!java.security.MessageDigest.isEqual(expected, given)) {
                throw new AuthenticationException(got == null ? "metrics need the metrics bearer token" : "the metrics token was refused");
            }
        }
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
    }

    private void ready(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        Map<String, Object> deps = new LinkedHashMap<>();
        boolean ok = !draining.get();
        var futures = new LinkedHashMap<String, CompletableFuture<String>>();
        for (HealthCheck c : checks) futures.put(c.name(), CompletableFuture.supplyAsync(c::check, checkPool));
        for (var e : futures.entrySet()) {
            String problem;
            try {
                problem = e.getValue().get(5, TimeUnit.SECONDS);
            } catch (Exception ex) {
                problem = "no answer within 5 s";
            }
            Map<String, Object> dep = new LinkedHashMap<>();
            dep.put("status", problem == null ? "up" : "down");
            if (problem != null) dep.put("reason", problem);
            deps.put(e.getKey(), dep);
            ok &= problem == null;
        }
        body.put("status", draining.get() ? "draining" : ok ? "up" : "down");
        body.put("checks", deps);
        ctx.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
    }

    /**
     * The authenticated caller of this request.
     *
     * @throws AuthenticationException when the bearer token is missing or refused (answered as 401)
     */
    public Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL_ATTR);
        if (p == null) {
            p = authenticator.authenticate(ctx.header("Authorization"));
            ctx.attribute(PRINCIPAL_ATTR, p);
        }
        return p;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper STRICT_JSON = strictJson();

    /** Unknown fields, trailing data and every scalar coercion (14.5 → 14, 123 → "123", "14" → 14) refused. */
    private static com.fasterxml.jackson.databind.ObjectMapper strictJson() {
        var m = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(com.fasterxml.jackson.databind.DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS);
        m.coercionConfigFor(com.fasterxml.jackson.databind.type.LogicalType.Textual)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
        return m;
    }

    private void issueDevToken(Context ctx) {
        Map<String, Object> req = ctx.body().isBlank() ? Map.of() : readJson(ctx);
        String userId = optionalString(req, "userId", "dev-user", ProblemCode.INVALID_USER_ID);
        String plan = optionalString(req, "plan", "free", ProblemCode.INVALID_PLAN);
        if (!userId.matches("[A-Za-z0-9._-]{1,128}") || userId.equals(".") || userId.equals("..")) {
            throw new Problem(ProblemCode.INVALID_USER_ID, "userId must be 1-128 characters of A-Z a-z 0-9 . _ -");
        }
        if (!plan.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new Problem(ProblemCode.INVALID_PLAN, "plan must be 1-64 characters of A-Z a-z 0-9 . _ -");
        }
        Object rawRoles = req.getOrDefault("roles", List.of());
        if (!(rawRoles instanceof List<?> l) || l.size() > 16
                || !l.stream().allMatch(r -> r instanceof String str && str.matches("[A-Za-z0-9._-]{1,64}"))) {
            throw new Problem(ProblemCode.INVALID_ROLES, "roles must be a list of at most 16 names of 1-64 characters of A-Z a-z 0-9 . _ -");
        }
        List<String> roles = l.stream().map(String.class::cast).toList();
        String token = devTokens.issue(userId, plan, roles, Duration.ofDays(30));
        ctx.status(201).json(Map.of("token", token, "userId", userId, "plan", plan, "expiresInSeconds", Duration.ofDays(30).toSeconds()));
    }

    private static String optionalString(Map<String, Object> req, String key, String def, ProblemCode invalid) {
        if (!req.containsKey(key)) return def;
        if (req.get(key) instanceof String s) return s;
        throw new Problem(invalid, key + " must be a string");
    }

    /**
     * Reads the JSON body into a record or class, strictly: unknown fields, trailing data and wrong types
     * are refused.
     *
     * @throws Problem 400 {@code invalid_json} naming what is wrong
     */
    public static <T> T body(Context ctx, Class<T> type) {
        String text;
        try {
            text = ctx.body();
        } catch (io.javalin.http.HttpResponseException e) {
            throw new Problem(ProblemCode.PAYLOAD_TOO_LARGE, "request bodies are limited to 1 MB");
        }
        try {
            return STRICT_JSON.readValue(text, type);
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw new Problem(ProblemCode.INVALID_JSON, "unknown field '" + e.getPropertyName() + "'");
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().getLast().getFieldName();
            throw new Problem(ProblemCode.INVALID_JSON, field == null ? "request body is not a JSON object of the expected shape"
                    : "field '" + field + "' has the wrong type");
        } catch (com.fasterxml.jackson.core.exc.InputCoercionException e) {
            throw new Problem(ProblemCode.INVALID_JSON, "a number is out of range: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (Exception e) {
            throw new Problem(ProblemCode.INVALID_JSON, "request body is not valid JSON");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readJson(Context ctx) {
        try {
            Object v = STRICT_JSON.readValue(ctx.body(), Object.class);
            if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        } catch (Exception e) {
            // fall through
        }
        throw new Problem(ProblemCode.INVALID_JSON, "request body is not a JSON object");
    }

    /**
     * Graceful stop: readiness answers 503 at once; waits for in-flight requests up to the configured
     * grace, then closes the listener.
     */
    public void stop() {
        if (app == null || !draining.compareAndSet(false, true)) return;
        long deadline = System.nanoTime() + config.http().shutdownGrace().toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) log.warn("stopping with {} request(s) still in flight after the grace period", inFlight.get());
        app.stop();
        checkPool.shutdownNow();
    }

    @Override
    public void close() {
        stop();
    }
}

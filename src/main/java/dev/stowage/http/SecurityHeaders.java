package dev.stowage.http;

import dev.stowage.config.StowageConfig;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The browser-security headers every response of the API carries (docs/architecture.md §8): a strict
 * Content-Security-Policy (scripts and styles from Stowage itself only, no inline script, no framing),
 * {@code X-Frame-Options: DENY}, {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy:
 * no-referrer} (a presigned URL never leaks in a {@code Referer}) and, when the public URL is https or the
 * request came over TLS, {@code Strict-Transport-Security}.
 *
 * <p>The pages talk to the object store and the CDN directly (presigned PUTs and GETs, thumbnails): the
 * policy's {@code connect-src} and {@code img-src} list exactly those origins, derived from configuration.
 * {@code img-src} also allows {@code blob:} (thumbnails of chosen files) and {@code data:} (the icons Uppy's
 * stylesheet embeds, on {@code /uppy.html}); an image cannot run script, so neither opens a way in.
 * {@code frame-src} lists the store's origins only (a PDF preview frames a presigned GET), {@code object-src}
 * stays {@code 'none'}.
 */
public final class SecurityHeaders {
    /** One year, in seconds: the usual HSTS lifetime. */
    static final long HSTS_MAX_AGE_SECONDS = 31_536_000;

    private final String csp;
    private final boolean httpsPublicUrl;

    private SecurityHeaders(String csp, boolean httpsPublicUrl) {
        this.csp = csp;
        this.httpsPublicUrl = httpsPublicUrl;
    }

    /**
     * The headers for a configuration.
     *
     * @param config       the validated configuration (its {@code http.public_url} and {@code delivery.cdn_base_url}
     *                     are read; the storage section may be {@code null})
     * @param storeOrigins origins ({@code scheme://host[:port]}) browsers reach the object store at, e.g. from
     *                     {@code S3Clients.presignedOrigins}
     * @return the headers to add to every response
     */
    public static SecurityHeaders of(StowageConfig config, List<String> storeOrigins) {
        Set<String> origins = new LinkedHashSet<>();
        URI publicUrl = config.http().publicUrl();
        if (publicUrl != null) origins.add(origin(publicUrl));
        Set<String> store = new LinkedHashSet<>(storeOrigins);
        if (config.storage() != null && config.storage().endpoint() != null && config.storage().pathStyle()) {
            store.add(origin(config.storage().endpoint()));
        }
        store.remove(null);
        origins.addAll(store);
        if (config.delivery() != null && config.delivery().cdnBaseUrl() != null) origins.add(origin(config.delivery().cdnBaseUrl()));
        origins.remove(null);
        String extra = origins.isEmpty() ? "" : " " + String.join(" ", origins);
        String csp = "default-src 'self'; script-src 'self'; style-src 'self'"
                + "; img-src 'self' blob: data:" + extra
                + "; connect-src 'self'" + extra
                // the file page previews a PDF in the browser's own viewer: a frame of its short presigned GET
                // (without a store, default-src 'self' covers frames as before)
                + (store.isEmpty() ? "" : "; frame-src 'self' " + String.join(" ", store))
                + "; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
        boolean https = publicUrl != null && "https".equalsIgnoreCase(publicUrl.getScheme());
        return new SecurityHeaders(csp, https);
    }

    /** {@code scheme://host[:port]} of a URL (default ports left out), or {@code null} without a host. */
    static String origin(URI u) {
        if (u.getScheme() == null || u.getHost() == null) return null;
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        int port = u.getPort();
        boolean defaultPort = port < 0 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    /** The {@code Content-Security-Policy} value. */
    public String contentSecurityPolicy() {
        return csp;
    }

    /**
     * Puts the headers into a response's header fields.
     *
     * @param fields the response's headers
     * @param secure whether the request came over TLS (adds HSTS even when the public URL is http)
     */
    void addTo(HttpFields.Mutable fields, boolean secure) {
        fields.put("Content-Security-Policy", csp);
        fields.put("X-Frame-Options", "DENY");
        fields.put("X-Content-Type-Options", "nosniff");
        fields.put("Referrer-Policy", "no-referrer");
        if (httpsPublicUrl || secure) fields.put("Strict-Transport-Security", "max-age=" + HSTS_MAX_AGE_SECONDS);
    }

    /** A Jetty handler that adds the headers before anything else handles the request (static files, routes, errors). */
    Handler.Wrapper handler() {
        return new Handler.Wrapper() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                addTo(response.getHeaders(), request.isSecure());
                return super.handle(request, response, callback);
            }
        };
    }
}

package dev.stowage.events;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Fetches the two kinds of URL an SNS message names: its signing certificate and, for a subscription, its
 * {@code SubscribeURL}. {@link SnsVerifier} decides which URLs may be fetched before calling this; the
 * seam lets tests serve a test certificate at an SNS certificate URL.
 */
@FunctionalInterface
public interface SnsFetcher {

    /**
     * GETs a URL.
     *
     * @param url      the URL (already checked: https, an SNS host)
     * @param maxBytes the longest body read; a longer one is an error
     * @return the body of a 200 answer
     * @throws IOException on a network error, a timeout, another status or a body over {@code maxBytes}
     */
    byte[] get(URI url, int maxBytes) throws IOException;

    /**
     * The production fetcher: the JDK's HTTP client (TLS checked against the JDK's trust store), no
     * redirects, 5 s to connect, 10 s per request.
     */
    static SnsFetcher https() {
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        return (url, maxBytes) -> {
            HttpResponse<InputStream> r;
            try {
                r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw new IOException("HTTP " + r.statusCode());
                }
                byte[] body = in.readNBytes(maxBytes + 1);
                if (body.length > maxBytes) {
                    throw new IOException("body longer than " + maxBytes + " bytes");
                }
                return body;
            }
        };
    }
}

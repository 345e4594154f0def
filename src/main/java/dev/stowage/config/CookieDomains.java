package dev.stowage.config;

import com.google.common.net.InetAddresses;
import com.google.common.net.InternetDomainName;
import java.util.Locale;
import java.util.Optional;

/**
 * Which {@code Domain} the CloudFront signed cookies may carry (RFC 6265 §5.3): the API host sets them, so the
 * domain must domain-match the API host; the browser sends them to the CDN, so it must domain-match the CDN host;
 * and it must not be a public suffix (the Public Suffix List, through Guava's {@link InternetDomainName}, including
 * its private section: {@code cloudfront.net} is one), or browsers drop the cookies. An IP address or a single-label
 * name (such as {@code localhost}) is never a shared domain: the list's default rule makes every unknown top-level
 * label a public suffix.
 */
public final class CookieDomains {
    private CookieDomains() {}

    /**
     * The longest domain both hosts belong to that may carry cookies.
     *
     * @param apiHost the API's host name ({@code http.public_url})
     * @param cdnHost the CDN's host name ({@code delivery.cdn_base_url})
     * @return e.g. {@code example.test} for {@code api.example.test} and {@code cdn.example.test}; empty when the
     *         hosts share no domain that is not a public suffix (or either is an IP address)
     */
    public static Optional<String> sharedParent(String apiHost, String cdnHost) {
        String a = normalise(apiHost);
        String c = normalise(cdnHost);
        if (isIp(a) || isIp(c)) return Optional.empty();
        String[] al = a.split("\\.");
        String[] cl = c.split("\\.");
        int n = 0;
        while (n < al.length && n < cl.length && al[al.length - 1 - n].equals(cl[cl.length - 1 - n])) n++;
        if (n == 0) return Optional.empty();
        String shared = String.join(".", java.util.Arrays.copyOfRange(al, al.length - n, al.length));
        return mayCarryCookies(shared) ? Optional.of(shared) : Optional.empty();
    }

    /**
     * Why browsers would refuse or not send cookies with this domain, or empty when they accept them.
     *
     * @param domain  the cookie domain (a leading dot is ignored, as browsers do)
     * @param apiHost the host that sets the cookies
     * @param cdnHost the host the cookies are for
     * @return a sentence naming what is wrong
     */
    public static Optional<String> problem(String domain, String apiHost, String cdnHost) {
        String d = normalise(domain);
        if (!mayCarryCookies(d)) {
            return Optional.of("'" + domain + "' is a public suffix or not a registrable domain: browsers refuse cookies for it (RFC 6265 §5.3)");
        }
        if (!domainMatches(normalise(apiHost), d)) {
            return Optional.of("'" + domain + "' does not cover the API host '" + apiHost
                    + "' (http.public_url): browsers refuse cookies a host sets for another domain (RFC 6265 §5.3)");
        }
        if (!domainMatches(normalise(cdnHost), d)) {
            return Optional.of("'" + domain + "' does not cover the CDN host '" + cdnHost
                    + "' (delivery.cdn_base_url): browsers would never send the cookies to the CDN");
        }
        return Optional.empty();
    }

    /** Whether {@code host} is {@code domain} or a name under it (RFC 6265 §5.1.3; never an IP address). */
    static boolean domainMatches(String host, String domain) {
        return !isIp(host) && (host.equals(domain) || host.endsWith("." + domain));
    }

    /** At least two labels, a valid name, and not on the Public Suffix List. */
    static boolean mayCarryCookies(String domain) {
        if (domain.isEmpty() || !domain.contains(".") || isIp(domain) || !InternetDomainName.isValid(domain)) return false;
        return !InternetDomainName.from(domain).isPublicSuffix();
    }

    private static String normalise(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith(".")) h = h.substring(1);
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        return h;
    }

    private static boolean isIp(String host) {
        return InetAddresses.isUriInetAddress(host) || InetAddresses.isInetAddress(host);
    }
}

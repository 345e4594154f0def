package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import dev.stowage.config.StowageConfig;
import dev.stowage.security.JwtAuthenticator;
import dev.stowage.testing.Http;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The token attack suite: every forged, confused, expired, mis-addressed or malformed bearer token is refused
 * with 401 problem+json {@code unauthenticated}, through the real HTTP API, in both authentication modes —
 * HS256 with a shared secret, and RS256/ES256 with keys from a JWKS URL served by a local HTTP server. Each
 * mode first accepts a well-formed token, so a refusal below is the token's fault, not the setup's.
 * Decided here: a token without {@code exp} is refused (no token lives forever); skew allowed on
 * {@code exp}/{@code nbf} is {@link JwtAuthenticator#SKEW_SECONDS} s.
 */
class TokenAttacksIT {
    static final String SECRET = "0123456789abcdef0123456789abcdef-tokens";
    static final String ISS = "https://app.example.test";
    static final String AUD = "stowage";
    static final ObjectMapper JSON = new ObjectMapper();

    static RSAKey rsa;          // the host application's RS256 key (published in the JWKS)
    static ECKey ec;            // its ES256 key (published)
    static RSAKey attackerRsa;  // not published
    static ECKey attackerEc;    // not published
    static PrivateKey certKey;  // the attacker's key with a self-signed certificate, for x5c
    static X509Certificate cert;

    static HttpServer keys;     // serves the real JWKS at /jwks.json and the attacker's at /attacker/*
    static final AtomicInteger jwksHits = new AtomicInteger();
    static final AtomicInteger attackerHits = new AtomicInteger();
    static ApiServer hsApi, jwksApi;
    static String hs, jwks;

    @BeforeAll
    static void start() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("app-rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("app-ec-1").generate();
        attackerRsa = new RSAKeyGenerator(2048).keyID("attacker-rsa").generate();
        attackerEc = new ECKeyGenerator(Curve.P_256).keyID("attacker-ec").generate();
        selfSignedCertificate();

        String published = new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString();
        String attackerSet = new JWKSet(List.of(attackerRsa.toPublicJWK(), attackerEc.toPublicJWK())).toString();
        keys = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        keys.createContext("/jwks.json", x -> {
            jwksHits.incrementAndGet();
            byte[] b = published.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        keys.createContext("/attacker/", x -> {
            attackerHits.incrementAndGet();
            byte[] b = attackerSet.getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        keys.start();

        hsApi = api(new StowageConfig.Auth(SECRET, null, ISS, AUD));
        jwksApi = api(new StowageConfig.Auth(null, URI.create(keysBase() + "/jwks.json"), ISS, AUD));
        hs = "http://127.0.0.1:" + hsApi.port();
        jwks = "http://127.0.0.1:" + jwksApi.port();
    }

    static ApiServer api(StowageConfig.Auth auth) {
        var config = new StowageConfig(StowageConfig.Mode.PRODUCTION,
                new StowageConfig.Http("127.0.0.1", 0, URI.create("http://localhost"), Duration.ofSeconds(5)),
                null, null, auth);
        return new ApiServer(config, List.of(), new JwtAuthenticator(auth), null,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start();
    }

    static String keysBase() {
        return "http://127.0.0.1:" + keys.getAddress().getPort();
    }

    /** The JDK's keytool makes the attacker's self-signed certificate (the JDK has no API for it). */
    static void selfSignedCertificate() throws Exception {
        Path dir = Files.createTempDirectory("token-attacks");
        Path store = dir.resolve("attacker.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "a", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=attacker.example", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = new FileInputStream(store.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        certKey = (PrivateKey) ks.getKey("a", "changeit".toCharArray());
        cert = (X509Certificate) ks.getCertificate("a");
    }

    @AfterAll
    static void stop() {
        if (hsApi != null) hsApi.stop();
        if (jwksApi != null) jwksApi.stop();
        if (keys != null) keys.stop(0);
    }

    // ---- token building (by hand: a forged token is what a library would refuse to build)

    static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String b64(Object json) {
        try {
            return b64(JSON.writeValueAsBytes(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> header(String alg, Object... more) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("alg", alg);
        h.put("typ", "JWT");
        for (int i = 0; i + 1 < more.length; i += 2) h.put((String) more[i], more[i + 1]);
        return h;
    }

    /** Good claims: the right issuer and audience, issued now, valid 10 minutes; {@code more} adds or (with null) removes. */
    static Map<String, Object> claims(Object... more) {
        long now = Instant.now().getEpochSecond();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("sub", "alice");
        c.put("iss", ISS);
        c.put("aud", AUD);
        c.put("iat", now);
        c.put("exp", now + 600);
        for (int i = 0; i + 1 < more.length; i += 2) {
            if (more[i + 1] == null) c.remove((String) more[i]);
            else c.put((String) more[i], more[i + 1]);
        }
        return c;
    }

    static String hmac(byte[] key, String alg, Map<String, Object> header, Map<String, Object> claims) {
        String input = b64(header) + "." + b64(claims);
        try {
            String jca = switch (alg) { case "HS384" -> "HmacSHA384"; case "HS512" -> "HmacSHA512"; default -> "HmacSHA256"; };
            Mac mac = Mac.getInstance(jca);
            mac.init(new SecretKeySpec(key, jca));
            return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String hs256(Map<String, Object> header, Map<String, Object> claims) {
        return hmac(SECRET.getBytes(StandardCharsets.UTF_8), "HS256", header, claims);
    }

    static String sign(PrivateKey key, String jca, Map<String, Object> header, Map<String, Object> claims) {
        String input = b64(header) + "." + b64(claims);
        try {
            Signature s = Signature.getInstance(jca);
            s.initSign(key);
            s.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + b64(s.sign());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String rs256(RSAKey k, Map<String, Object> header, Map<String, Object> claims) {
        try {
            return sign(k.toPrivateKey(), "SHA256withRSA", header, claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String es256(ECKey k, Map<String, Object> header, Map<String, Object> claims) {
        try {
            return sign(k.toPrivateKey(), "SHA256withECDSAinP1363Format", header, claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> publicJwk(com.nimbusds.jose.jwk.JWK k) {
        return k.toPublicJWK().toJSONObject();
    }

    static HttpResponse<String> me(String base, String token) {
        return Http.get(base + "/v1/me", "Authorization", "Bearer " + token);
    }

    static void assertRefused(HttpResponse<String> r) {
        assertRefused("", r);
    }

    static void assertRefused(String name, HttpResponse<String> r) {
        assertThat(r.statusCode()).as(name + ": " + r.body()).isEqualTo(401);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).isEqualTo("Bearer");
        assertThat(r.body()).contains("\"code\":\"unauthenticated\"").doesNotContain("alice");
    }

    // ---- the well-formed tokens each mode accepts (the control)

    @Test
    void wellFormedTokensAreAcceptedInBothModes() {
        for (var c : List.of(
                List.of(hs, hs256(header("HS256"), claims())),
                List.of(jwks, rs256(rsa, header("RS256", "kid", rsa.getKeyID()), claims())),
                List.of(jwks, es256(ec, header("ES256", "kid", ec.getKeyID()), claims())),
                // a kid is not needed when the published set has one key of the type
                List.of(jwks, es256(ec, header("ES256"), claims())),
                // within the allowed skew
                List.of(hs, hs256(header("HS256"), claims("exp", Instant.now().getEpochSecond() - 20))))) {
            var r = me(c.get(0), c.get(1));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"userId\":\"alice\"");
        }
    }

    // ---- the attacks

    static Stream<Arguments> attacks() throws Exception {
        long now = Instant.now().getEpochSecond();
        List<Arguments> a = new ArrayList<>();
        String good = hs256(header("HS256"), claims());
        String goodRs = rs256(rsa, header("RS256", "kid", rsa.getKeyID()), claims());
        String[] parts = good.split("\\.");

        // alg: none, in its spellings, without and with a signature part, in both modes
        for (String none : List.of("none", "None", "NONE", "nOnE")) {
            String unsigned = b64(header(none)) + "." + b64(claims()) + ".";
            a.add(Arguments.of("alg " + none + " (HS256 mode)", hs, unsigned));
            a.add(Arguments.of("alg " + none + " (JWKS mode)", jwks, unsigned));
            a.add(Arguments.of("alg " + none + " with a copied signature (HS256 mode)", hs, b64(header(none)) + "." + parts[1] + "." + parts[2]));
        }

        // algorithm confusion: HS256 keyed with the published public key, in its usual encodings
        byte[] der = rsa.toRSAPublicKey().getEncoded();
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
        a.add(Arguments.of("HS256 keyed with the RSA public key (PEM)", jwks, hmac(pem.getBytes(StandardCharsets.US_ASCII), "HS256", header("HS256", "kid", rsa.getKeyID()), claims())));
        a.add(Arguments.of("HS256 keyed with the RSA public key (DER)", jwks, hmac(der, "HS256", header("HS256", "kid", rsa.getKeyID()), claims())));
        a.add(Arguments.of("HS256 keyed with the public JWK JSON", jwks, hmac(rsa.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8), "HS256", header("HS256"), claims())));
        a.add(Arguments.of("HS256 keyed with the EC public key (DER)", jwks, hmac(ec.toECPublicKey().getEncoded(), "HS256", header("HS256", "kid", ec.getKeyID()), claims())));
        // the other way round: an asymmetric alg in HS256 mode, and algorithms outside the allowed set
        a.add(Arguments.of("RS256 in HS256 mode", hs, rs256(attackerRsa, header("RS256"), claims())));
        a.add(Arguments.of("HS512 with the right secret", hs, hmac(SECRET.getBytes(StandardCharsets.UTF_8), "HS512", header("HS512"), claims())));
        a.add(Arguments.of("HS384 with the right secret", hs, hmac(SECRET.getBytes(StandardCharsets.UTF_8), "HS384", header("HS384"), claims())));
        a.add(Arguments.of("PS256 header on an RS256 signature", jwks, rs256(rsa, header("PS256", "kid", rsa.getKeyID()), claims())));

        // signed by another key
        a.add(Arguments.of("HS256 with another secret", hs, hmac("another-secret-another-secret-0000".getBytes(StandardCharsets.UTF_8), "HS256", header("HS256"), claims())));
        a.add(Arguments.of("RS256 by another key, the published kid", jwks, rs256(attackerRsa, header("RS256", "kid", rsa.getKeyID()), claims())));
        a.add(Arguments.of("RS256 by another key, no kid", jwks, rs256(attackerRsa, header("RS256"), claims())));
        a.add(Arguments.of("ES256 by another key, the published kid", jwks, es256(attackerEc, header("ES256", "kid", ec.getKeyID()), claims())));
        a.add(Arguments.of("RS256 signature with the claims changed", jwks, goodRs.split("\\.")[0] + "." + b64(claims("sub", "mallory")) + "." + goodRs.split("\\.")[2]));
        a.add(Arguments.of("HS256 signature with the claims changed", hs, parts[0] + "." + b64(claims("roles", List.of("admin"))) + "." + parts[2]));

        // kid tricks
        for (String kid : List.of("nowhere", "../../../../../../dev/null", "/dev/null", "' OR '1'='1", "x'; drop table files; --", "app-rsa-1\u0000", "")) {
            a.add(Arguments.of("kid " + kid.replace("\u0000", "\\0") + " (JWKS mode)", jwks, rs256(attackerRsa, header("RS256", "kid", kid), claims())));
        }
        a.add(Arguments.of("kid /dev/null with an empty-file key (HS256 mode)", hs, hmac(new byte[] {0}, "HS256", header("HS256", "kid", "../../../../dev/null"), claims())));
        a.add(Arguments.of("kid SQL with a chosen key (HS256 mode)", hs, hmac("1".getBytes(StandardCharsets.US_ASCII), "HS256", header("HS256", "kid", "x' UNION SELECT '1"), claims())));

        // headers naming the attacker's key
        String attackerJwks = keysBase() + "/attacker/jwks.json";
        a.add(Arguments.of("jku to the attacker's JWKS", jwks, rs256(attackerRsa, header("RS256", "kid", attackerRsa.getKeyID(), "jku", attackerJwks), claims())));
        a.add(Arguments.of("jku to the attacker's JWKS (HS256 mode)", hs, rs256(attackerRsa, header("RS256", "kid", attackerRsa.getKeyID(), "jku", attackerJwks), claims())));
        a.add(Arguments.of("x5u to the attacker's certificate", jwks, sign(certKey, "SHA256withRSA", header("RS256", "x5u", keysBase() + "/attacker/cert.pem"), claims())));
        a.add(Arguments.of("x5c with the attacker's self-signed certificate", jwks, sign(certKey, "SHA256withRSA",
                header("RS256", "x5c", List.of(Base64.getEncoder().encodeToString(cert.getEncoded()))), claims())));
        a.add(Arguments.of("x5c with the attacker's certificate, published kid", jwks, sign(certKey, "SHA256withRSA",
                header("RS256", "kid", rsa.getKeyID(), "x5c", List.of(Base64.getEncoder().encodeToString(cert.getEncoded()))), claims())));
        a.add(Arguments.of("embedded jwk (RSA)", jwks, rs256(attackerRsa, header("RS256", "jwk", publicJwk(attackerRsa)), claims())));
        a.add(Arguments.of("embedded jwk (RSA) with the published kid", jwks, rs256(attackerRsa, header("RS256", "kid", rsa.getKeyID(), "jwk", publicJwk(attackerRsa)), claims())));
        a.add(Arguments.of("embedded jwk (EC)", jwks, es256(attackerEc, header("ES256", "jwk", publicJwk(attackerEc)), claims())));
        a.add(Arguments.of("embedded jwk (oct) in HS256 mode", hs, hmac("attacker-secret-attacker-secret-00".getBytes(StandardCharsets.UTF_8), "HS256",
                header("HS256", "jwk", Map.of("kty", "oct", "k", b64("attacker-secret-attacker-secret-00".getBytes(StandardCharsets.UTF_8)))), claims())));

        // crit naming a header nobody here understands, on otherwise valid tokens
        a.add(Arguments.of("crit with an unknown header (HS256 mode)", hs, hs256(header("HS256", "crit", List.of("x-must-check"), "x-must-check", true), claims())));
        a.add(Arguments.of("crit with an unknown header (JWKS mode)", jwks, rs256(rsa, header("RS256", "kid", rsa.getKeyID(), "crit", List.of("x-must-check"), "x-must-check", true), claims())));
        a.add(Arguments.of("crit b64=false (unencoded payload)", hs, hs256(header("HS256", "b64", false, "crit", List.of("b64")), claims())));

        // mis-addressed, expired, not yet valid, incomplete — each correctly signed
        for (var m : List.of(List.of("hs", hs), List.of("jwks", jwks))) {
            String mode = (String) m.get(0), base = (String) m.get(1);
            java.util.function.Function<Map<String, Object>, String> ok = c -> mode.equals("hs")
                    ? hs256(header("HS256"), c) : rs256(rsa, header("RS256", "kid", rsa.getKeyID()), c);
            a.add(Arguments.of("wrong aud (" + mode + ")", base, ok.apply(claims("aud", "another-service"))));
            a.add(Arguments.of("aud list without ours (" + mode + ")", base, ok.apply(claims("aud", List.of("a", "b")))));
            a.add(Arguments.of("missing aud (" + mode + ")", base, ok.apply(claims("aud", null))));
            a.add(Arguments.of("wrong iss (" + mode + ")", base, ok.apply(claims("iss", "https://evil.example.test"))));
            a.add(Arguments.of("missing iss (" + mode + ")", base, ok.apply(claims("iss", null))));
            a.add(Arguments.of("expired beyond the skew (" + mode + ")", base, ok.apply(claims("exp", now - JwtAuthenticator.SKEW_SECONDS - 120))));
            a.add(Arguments.of("expired a day ago (" + mode + ")", base, ok.apply(claims("iat", now - 2 * 86400, "exp", now - 86400))));
            a.add(Arguments.of("nbf in the future (" + mode + ")", base, ok.apply(claims("nbf", now + JwtAuthenticator.SKEW_SECONDS + 300))));
            a.add(Arguments.of("missing exp (" + mode + ")", base, ok.apply(claims("exp", null))));
            a.add(Arguments.of("exp as a string (" + mode + ")", base, ok.apply(claims("exp", Long.toString(now + 600)))));
            a.add(Arguments.of("missing sub (" + mode + ")", base, ok.apply(claims("sub", null))));
            for (Object sub : List.of("", "../bob", "alice/../bob", "a b", "alice\n", ".", "..", "x".repeat(129), "ä", 42, List.of("alice"))) {
                a.add(Arguments.of("sub " + JSON.writeValueAsString(sub) + " (" + mode + ")", base, ok.apply(claims("sub", sub))));
            }
            a.add(Arguments.of("roles not a list (" + mode + ")", base, ok.apply(claims("roles", "admin"))));
        }

        // malformed: trailing bytes, wrong number of parts, JWE instead of JWS, empty and huge
        a.add(Arguments.of("a fourth part", hs, good + ".e30"));
        a.add(Arguments.of("a trailing dot", hs, good + "."));
        a.add(Arguments.of("trailing non-base64 bytes", hs, good + "!!"));
        a.add(Arguments.of("trailing base64 bytes", hs, good + "AAAA"));
        a.add(Arguments.of("trailing padding", hs, good + "=="));
        a.add(Arguments.of("trailing words", hs, good + " garbage"));
        a.add(Arguments.of("two tokens", hs, good + "," + good));
        a.add(Arguments.of("two parts", hs, parts[0] + "." + parts[1]));
        a.add(Arguments.of("one part", hs, parts[0]));
        a.add(Arguments.of("empty parts", hs, ".."));
        a.add(Arguments.of("empty payload", hs, parts[0] + ".." + parts[2]));
        String urlSig = good;
        for (int i = 0; !urlSig.split("\\.")[2].matches(".*[-_].*"); i++) urlSig = hs256(header("HS256"), claims("n", i));
        String[] u = urlSig.split("\\.");
        a.add(Arguments.of("signature in standard base64, not base64url", hs, u[0] + "." + u[1] + "." + u[2].replace('-', '+').replace('_', '/')));
        a.add(Arguments.of("header not JSON", hs, b64("not json".getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + "." + parts[2]));
        a.add(Arguments.of("payload not JSON", hs, hs256Raw(header("HS256"), "not json")));
        a.add(Arguments.of("payload a JSON array", hs, hs256Raw(header("HS256"), "[1,2]")));
        var claimSet = JWTClaimsSet.parse(claims());
        var jweRsa = new EncryptedJWT(new JWEHeader(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM), claimSet);
        jweRsa.encrypt(new RSAEncrypter(rsa.toRSAPublicKey()));
        a.add(Arguments.of("JWE to the published RSA key (JWKS mode)", jwks, jweRsa.serialize()));
        var jweDir = new EncryptedJWT(new JWEHeader(JWEAlgorithm.DIR, EncryptionMethod.A256GCM), claimSet);
        jweDir.encrypt(new DirectEncrypter(java.util.Arrays.copyOf(SECRET.getBytes(StandardCharsets.UTF_8), 32)));
        a.add(Arguments.of("JWE dir with the shared secret (HS256 mode)", hs, jweDir.serialize()));
        a.add(Arguments.of("over the size limit, correctly signed", hs,
                hs256(header("HS256"), claims("pad", "x".repeat(JwtAuthenticator.MAX_TOKEN_CHARS * 3 / 4)))));
        a.add(Arguments.of("empty token", hs, ""));
        a.add(Arguments.of("Basic credentials", hs, null));
        return a.stream();
    }

    static String hs256Raw(Map<String, Object> header, String payload) {
        String input = b64(header) + "." + b64(payload.getBytes(StandardCharsets.UTF_8));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void isRefused(String name, String base, String token) {
        var r = token == null
                ? Http.get(base + "/v1/me", "Authorization", "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8)))
                : me(base, token);
        assertRefused(name, r);
    }

    @Test
    void headersNamingKeysAreNeverFetched() {
        int before = attackerHits.get();
        for (String h : List.of("jku", "x5u")) {
            assertRefused(me(jwks, rs256(attackerRsa, header("RS256", "kid", attackerRsa.getKeyID(), h, keysBase() + "/attacker/" + h), claims())));
        }
        assertThat(attackerHits.get()).as("requests to URLs named in token headers").isEqualTo(before);
        assertThat(jwksHits.get()).as("the configured JWKS was fetched").isPositive();
    }

    @Test
    void aTokenBeyondTheHeaderLimitIsAProblemDocumentToo() {
        var r = me(hs, hs256(header("HS256"), claims("pad", "x".repeat(20_000))));
        assertThat(r.statusCode()).isEqualTo(431);
        assertThat(r.body()).contains("\"code\":\"headers_too_large\"");
        assertThat(me(hs, hs256(header("HS256"), claims())).statusCode()).isEqualTo(200);
    }

    @Test
    void theRefusalSaysWhyWithoutEchoingTheToken() {
        String t = hs256(header("HS256"), claims("aud", "another-service"));
        var r = me(hs, t);
        assertRefused(r);
        assertThat(r.body()).contains("aud claim rejected").doesNotContain(t.split("\\.")[1]);
        var expired = me(hs, hs256(header("HS256"), claims("exp", Instant.now().getEpochSecond() - 3600)));
        assertThat(expired.body()).containsIgnoringCase("expired");
        assertThat(me(hs, "a.b").body()).contains("three base64url parts");
    }
}

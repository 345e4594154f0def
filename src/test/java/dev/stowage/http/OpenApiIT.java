package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.stowage.Stowage;
import dev.stowage.security.DevTokens;
import dev.stowage.testing.Harness;
import dev.stowage.testing.Http;
import dev.stowage.testing.TestServers;
import java.io.InputStream;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /openapi.json} against a real server over embedded PostgreSQL and S3: the routes it registers are
 * exactly the documented ones, and real responses (bodies, media types, headers) conform to the document.
 * Response schemas are closed, so a field the server adds without documenting it fails here.
 */
class OpenApiIT {
    static final String EVENTS_SECRET = "events-secret-events-secret-0123";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    static final Map<String, Schema> compiled = new HashMap<>();
    static JsonNode doc;
    /** Production mode (no dev tokens), events webhook configured. */
    static Harness h;

    @BeforeAll
    static void start() throws Exception {
        try (InputStream in = OpenApiIT.class.getResourceAsStream(OpenApiRoutes.RESOURCE)) {
            doc = JSON.readTree(in);
        }
        h = new Harness(Map.of("STOWAGE_EVENTS_SECRET", EVENTS_SECRET), c -> c);
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
    }

    // ---- routes ----

    /** "METHOD /path/{param}" of every documented operation not excluded by {@code skip}. */
    static Set<String> documented(Predicate<JsonNode> skip) {
        Set<String> out = new TreeSet<>();
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(o -> {
            if (METHODS.contains(o.getKey()) && !skip.test(o.getValue())) out.add(o.getKey().toUpperCase() + " " + p.getKey());
        }));
        return out;
    }

    static Set<String> registered(ApiServer api) {
        List<String> routes = api.routes();
        Set<String> out = new TreeSet<>();
        for (String r : routes) out.add(r.replaceAll("<([^>]+)>", "{$1}"));   // Javalin's <param> is OpenAPI's {param}
        assertThat(out).as("no route registered twice").hasSize(routes.size());
        return out;
    }

    static void assertSameRoutes(Set<String> served, Set<String> documented) {
        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(documented);
        Set<String> unserved = new TreeSet<>(documented);
        unserved.removeAll(served);
        assertThat(undocumented).as("routes the server registers that openapi.json does not document").isEmpty();
        assertThat(unserved).as("operations openapi.json documents that the server does not register").isEmpty();
    }

    static boolean devOnly(JsonNode op) {
        return op.path("x-stowage-dev-only").asBoolean(false);
    }

    static boolean needsEventsSecret(JsonNode op) {
        return op.path("x-stowage-requires-config").asText("").equals("events.webhook_secret");
    }

    @Test
    void theServerRegistersExactlyTheDocumentedRoutes() {
        Set<String> served = registered(h.stowage.api());
        assertThat(served).contains("GET /v1/files/{id}", "POST /v1/events/s3", "GET /openapi.json").doesNotContain("POST /v1/dev/tokens");
        assertSameRoutes(served, documented(OpenApiIT::devOnly));
    }

    @Test
    void theDevStackAlsoServesTheDevOnlyRoutesAndTheirAnswersConform() {
        // no events secret this time: the webhook is not served, the dev token route is
        try (Stowage dev = new Stowage(TestServers.embeddedConfig(Map.of()), TestServers.embeddedCredentials())) {
            dev.startApi(new DevTokens(Harness.SECRET));
            assertSameRoutes(registered(dev.api()), documented(OpenApiIT::needsEventsSecret));

            String base = "http://127.0.0.1:" + dev.api().port();
            var token = Http.postJson(base + "/v1/dev/tokens", "{\"userId\":\"olga\",\"plan\":\"pro\",\"roles\":[\"admin\"]}");
            conforms("POST", "/v1/dev/tokens", token, 201);
            var me = Http.get(base + "/v1/me", "Authorization", "Bearer " + JSON.readTree(token.body()).path("token").asText());
            assertThat(conforms("GET", "/v1/me", me, 200).toString()).contains("\"userId\":\"olga\"", "\"roles\":[\"admin\"]");
            var bad = Http.postJson(base + "/v1/dev/tokens", "{\"userId\":\"../etc\"}");
            assertThat(conforms("POST", "/v1/dev/tokens", bad, 400).path("code").asText()).isEqualTo("invalid_user_id");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theDocumentIsServedAsJson() throws Exception {
        var r = Http.get(h.base + "/openapi.json");
        conforms("GET", "/openapi.json", r, 200);
        assertThat(JSON.readTree(r.body())).isEqualTo(doc);
    }

    // ---- responses ----

    static JsonNode deref(JsonNode n) {
        while (n.has("$ref")) n = doc.at(JsonPointer.compile(n.get("$ref").asText().substring(1)));
        return n;
    }

    /** Validation errors of {@code body} against the schema at {@code pointer} of the document. */
    static List<String> errors(String pointer, JsonNode body) {
        Schema schema = compiled.computeIfAbsent(pointer, p -> {
            // the schema with the document's components beside it, so "#/components/..." references resolve
            ObjectNode root = JSON.createObjectNode();
            root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
            root.setAll((ObjectNode) doc.at(JsonPointer.compile(p)));
            root.set("components", doc.get("components"));
            return SCHEMAS.getSchema(root);
        });
        return schema.validate(body).stream().map(Object::toString).toList();
    }

    /**
     * Checks a real response against the operation's documented response for its status (or
     * {@code default}): status expected, media type documented, documented headers present, body valid
     * against the schema, or no body when none is documented.
     *
     * @return the parsed JSON body, or {@code null}
     */
    static JsonNode conforms(String method, String template, int status, HttpHeaders headers, String body, int expected) {
        String what = method + " " + template + " → " + status + " " + body;
        assertThat(status).as(what).isEqualTo(expected);
        String opPointer = "/paths/" + template.replace("~", "~0").replace("/", "~1") + "/" + method.toLowerCase();
        String respPointer;
        if (doc.at(opPointer).isObject()) {
            respPointer = opPointer + "/responses/" + status;
            if (doc.at(respPointer).isMissingNode()) respPointer = opPointer + "/responses/default";
        } else {
            // another method on a documented path: the generic error response
            assertThat(doc.at("/paths/" + template.replace("~", "~0").replace("/", "~1")).isObject()).as("documented path " + template).isTrue();
            assertThat(status).as("an undocumented method on " + template).isEqualTo(405);
            respPointer = "/components/responses/Error";
        }
        JsonNode resp = doc.at(respPointer);
        assertThat(resp.isMissingNode()).as("a documented response for " + what).isFalse();
        if (resp.has("$ref")) {
            respPointer = resp.get("$ref").asText().substring(1);
            resp = deref(resp);
        }
        for (var header : resp.path("headers").properties()) {
            assertThat(headers.firstValue(header.getKey())).as("documented header " + header.getKey() + " of " + what).isPresent();
        }
        JsonNode content = resp.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            assertThat(body).as("no body documented for " + what).isEmpty();
            return null;
        }
        String mediaType = headers.firstValue("Content-Type").map(ct -> ct.split(";")[0].trim()).orElse("(none)");
        assertThat(content.has(mediaType)).as("media type " + mediaType + " documented for " + what + " (documented: " + content + ")").isTrue();
        if (!mediaType.endsWith("json")) return null;
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + what, e);
        }
        String schemaPointer = respPointer + "/content/" + mediaType.replace("/", "~1") + "/schema";
        assertThat(errors(schemaPointer, json)).as("body of " + what + " against " + schemaPointer).isEmpty();
        return json;
    }

    static JsonNode conforms(String method, String template, HttpResponse<String> r, int expected) {
        return conforms(method, template, r.statusCode(), r.headers(), r.body(), expected);
    }

    static JsonNode call(String method, String template, String path, String user, Object body, int expected) {
        var r = h.call(method, path, user, body);
        return conforms(method, template, r.status(), r.raw().headers(), r.raw().body(), expected);
    }

    @Test
    void theCheckerRejectsWhatTheDocumentDoesNotAllow() {
        JsonNode usage = call("GET", "/v1/usage", "/v1/usage", "nina", null, 200);
        String schema = "/components/schemas/Usage";
        assertThat(errors(schema, usage)).isEmpty();
        assertThat(errors(schema, ((ObjectNode) usage.deepCopy()).put("surprise", 1))).as("an undocumented field").isNotEmpty();
        assertThat(errors(schema, ((ObjectNode) usage.deepCopy()).without("usedBytes"))).as("a missing field").isNotEmpty();
        assertThat(errors(schema, ((ObjectNode) usage.deepCopy()).put("usedBytes", "12"))).as("a wrong type").isNotEmpty();
        assertThat(usage.at("/uploads/partSizeBytes").asLong()).as("how uploads are cut").isPositive();
        assertThat(errors(schema, ((ObjectNode) usage.deepCopy()).without("uploads"))).as("the upload rules are required").isNotEmpty();
        JsonNode problem = call("GET", "/v1/files/{id}", "/v1/files/" + UUID.randomUUID(), "nina", null, 404);
        String notFound = "/paths/~1v1~1files~1{id}/get/responses/404/content/application~1problem+json/schema";
        assertThat(errors(notFound, problem)).isEmpty();
        assertThat(errors(notFound, ((ObjectNode) problem.deepCopy()).put("code", "no_such_code"))).as("an undocumented code").isNotEmpty();
    }

    @Test
    void realAnswersConformToTheDocument() throws Exception {
        conforms("GET", "/health/live", Http.get(h.base + "/health/live"), 200);
        conforms("GET", "/health/ready", Http.get(h.base + "/health/ready"), 200);
        conforms("GET", "/metrics", Http.get(h.base + "/metrics", "Authorization", "Bearer " + TestServers.METRICS_TOKEN), 200);
        conforms("GET", "/metrics", Http.get(h.base + "/metrics"), 401);
        call("GET", "/v1/me", "/v1/me", "paula", null, 200);

        // a single PUT upload, followed to ready, downloaded, deleted and restored
        byte[] text = "hello, OpenAPI\n".repeat(20).getBytes(StandardCharsets.UTF_8);
        JsonNode single = call("POST", "/v1/uploads", "/v1/uploads", "paula",
                Map.of("filename", "notes.txt", "size", text.length, "contentType", "text/plain"), 201);
        String id = single.path("fileId").asText();
        assertThat(single.path("kind").asText()).isEqualTo("single");
        call("GET", "/v1/uploads/{id}", "/v1/uploads/" + id, "paula", null, 200);
        assertThat(call("POST", "/v1/uploads/{id}/complete", "/v1/uploads/" + id + "/complete", "paula", null, 409)
                .path("code").asText()).isEqualTo("object_missing");
        assertThat(call("POST", "/v1/uploads/{id}/parts", "/v1/uploads/" + id + "/parts", "paula", Map.of("parts", List.of(Map.of("partNumber", 1, "sha256", "0".repeat(64)))), 409)
                .path("code").asText()).isEqualTo("not_multipart");
        assertThat(Harness.put(single.at("/upload/url").asText(), single.at("/upload/headers"), text).statusCode()).isEqualTo(200);
        call("POST", "/v1/uploads/{id}/complete", "/v1/uploads/" + id + "/complete", "paula", null, 202);
        assertThat(h.awaitSettled("paula", id, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("ready");
        call("GET", "/v1/uploads/{id}", "/v1/uploads/" + id, "paula", null, 200);
        assertThat(call("GET", "/v1/files/{id}", "/v1/files/" + id, "paula", null, 200).path("scan").path("result").asText()).isEqualTo("unscanned");
        call("GET", "/v1/files/{id}/content", "/v1/files/" + id + "/content", "paula", null, 302);
        assertThat(call("DELETE", "/v1/files/{id}", "/v1/files/" + id, "paula", null, 200).path("status").asText()).isEqualTo("deleted");
        assertThat(call("GET", "/v1/files/{id}/content", "/v1/files/" + id + "/content", "paula", null, 409).path("code").asText())
                .isEqualTo("file_not_ready");
        call("GET", "/v1/files", "/v1/files?deleted=true", "paula", null, 200);
        assertThat(call("POST", "/v1/files/{id}/restore", "/v1/files/" + id + "/restore", "paula", null, 200).path("status").asText()).isEqualTo("ready");
        assertThat(call("POST", "/v1/files/{id}/restore", "/v1/files/" + id + "/restore", "paula", null, 409).path("code").asText()).isEqualTo("not_deleted");
        assertThat(call("DELETE", "/v1/uploads/{id}", "/v1/uploads/" + id, "paula", null, 409).path("code").asText()).isEqualTo("upload_closed");

        // a multipart upload: parts signed, state with stored parts, completion refused, cancelled
        long size = 12_000_000;
        JsonNode multi = call("POST", "/v1/uploads", "/v1/uploads", "paula",
                Map.of("filename", "big.csv", "size", size, "contentType", "text/csv"), 201);
        String mid = multi.path("fileId").asText();
        assertThat(multi.path("kind").asText()).isEqualTo("multipart");
        byte[] first = new byte[(int) multi.path("partSize").asLong()];
        JsonNode parts = call("POST", "/v1/uploads/{id}/parts", "/v1/uploads/" + mid + "/parts", "paula",
                Map.of("parts", List.of(Map.of("partNumber", 1, "sha256", Harness.sha256(first)), Map.of("partNumber", 2, "sha256", "ab".repeat(32)))), 200);
        assertThat(Harness.put(parts.at("/parts/0/url").asText(), parts.at("/parts/0/headers"), first).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/v1/uploads/{id}", "/v1/uploads/" + mid, "paula", null, 200).path("parts")).hasSize(1);
        assertThat(call("POST", "/v1/uploads/{id}/complete", "/v1/uploads/" + mid + "/complete", "paula", null, 409).path("code").asText())
                .isEqualTo("parts_missing");
        assertThat(call("POST", "/v1/uploads/{id}/parts", "/v1/uploads/" + mid + "/parts", "paula", Map.of("parts", List.of(Map.of("partNumber", 99, "sha256", "ab".repeat(32)))), 400)
                .path("code").asText()).isEqualTo("invalid_part_number");
        JsonNode list = call("GET", "/v1/files", "/v1/files?limit=1", "paula", null, 200);
        assertThat(list.path("nextCursor").asText()).isNotEmpty();
        call("GET", "/v1/files", "/v1/files?limit=1&cursor=" + list.path("nextCursor").asText(), "paula", null, 200);
        call("GET", "/v1/usage", "/v1/usage", "paula", null, 200);
        call("DELETE", "/v1/uploads/{id}", "/v1/uploads/" + mid, "paula", null, 204);
        call("GET", "/v1/uploads/{id}", "/v1/uploads/" + mid, "paula", null, 200);

        // refusals
        assertThat(call("POST", "/v1/uploads", "/v1/uploads", "paula", Map.of("filename", "a.txt", "size", 1, "contentType", "text/plain", "colour", "red"), 400)
                .path("code").asText()).isEqualTo("invalid_json");
        assertThat(call("POST", "/v1/uploads", "/v1/uploads", "paula", Map.of("filename", "a.exe", "size", 1, "contentType", "application/x-msdownload"), 415)
                .path("code").asText()).isEqualTo("type_not_allowed");
        assertThat(call("POST", "/v1/uploads", "/v1/uploads", "paula", Map.of("filename", "a.txt", "size", 1L << 40, "contentType", "text/plain"), 413)
                .path("code").asText()).isEqualTo("too_large");
        assertThat(call("GET", "/v1/files", "/v1/files?limit=0", "paula", null, 400).path("code").asText()).isEqualTo("invalid_limit");
        assertThat(call("GET", "/v1/files", "/v1/files?cursor=garbage", "paula", null, 400).path("code").asText()).isEqualTo("invalid_cursor");
        assertThat(call("GET", "/v1/files/{id}", "/v1/files/" + UUID.randomUUID(), "paula", null, 404).path("code").asText()).isEqualTo("not_found");
        assertThat(call("GET", "/v1/uploads/{id}", "/v1/uploads/not-a-uuid", "paula", null, 404).path("code").asText()).isEqualTo("not_found");
        assertThat(call("GET", "/v1/files/{id}", "/v1/files/" + id, "mallory", null, 404).path("code").asText()).isEqualTo("not_found");
        assertThat(call("GET", "/v1/usage", "/v1/usage", null, null, 401).path("code").asText()).isEqualTo("unauthenticated");
        // an old link of a legacy tree: nothing was migrated from it
        assertThat(call("GET", "/uploads/{userId}/{filename}", "/uploads/paula/avatars/me.jpg", "paula", null, 404).path("code").asText()).isEqualTo("not_found");
        assertThat(call("GET", "/uploads/{userId}/{filename}", "/uploads/paula/me.jpg", null, null, 401).path("code").asText()).isEqualTo("unauthenticated");
        assertThat(call("PUT", "/v1/usage", "/v1/usage", "paula", null, 405).path("code").asText()).isEqualTo("method_not_allowed");
    }

    @Test
    void theEventsWebhookAnswersConform() {
        String url = h.base + "/v1/events/s3";
        String test = "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2025-01-01T00:00:00Z\",\"Bucket\":\"b\"}";
        assertThat(conforms("POST", "/v1/events/s3", Http.postJson(url, test, "X-Stowage-Events-Secret", EVENTS_SECRET), 200)
                .path("note").asText()).isEqualTo("test event");
        conforms("POST", "/v1/events/s3", Http.postJson(url, "{}", "Authorization", "Bearer " + EVENTS_SECRET), 200);
        conforms("POST", "/v1/events/s3", Http.postJson(url + "?token=" + EVENTS_SECRET, "{\"Records\":[]}"), 200);
        assertThat(conforms("POST", "/v1/events/s3", Http.postJson(url, test, "X-Stowage-Events-Secret", "wrong-wrong-wrong-wrong"), 401)
                .path("code").asText()).isEqualTo("unauthenticated");
        assertThat(conforms("POST", "/v1/events/s3", Http.postJson(url, "[1,2", "X-Stowage-Events-Secret", EVENTS_SECRET), 400)
                .path("code").asText()).isEqualTo("malformed_event");
    }

    @Test
    void theCostAndCdnAnswersConform() throws Exception {
        String admin = new DevTokens(Harness.SECRET).issue("ada", "free", List.of("admin"), java.time.Duration.ofMinutes(5));
        JsonNode report = conforms("GET", "/v1/admin/costs", Http.get(h.base + "/v1/admin/costs", "Authorization", "Bearer " + admin), 200);
        assertThat(report.path("usage").isArray()).isTrue();
        conforms("POST", "/v1/admin/costs/snapshot", Http.method("POST", h.base + "/v1/admin/costs/snapshot", "Authorization", "Bearer " + admin), 200);
        assertThat(conforms("GET", "/v1/admin/costs", Http.get(h.base + "/v1/admin/costs", "Authorization", "Bearer " + Harness.token("bert", "free")), 403)
                .path("code").asText()).isEqualTo("admin_required");
        conforms("GET", "/admin/costs", Http.get(h.base + "/admin/costs"), 200);
        // this server runs the default presigned mode: no cookies to sign
        assertThat(conforms("POST", "/v1/cdn/session", Http.method("POST", h.base + "/v1/cdn/session", "Authorization", "Bearer " + Harness.token("bert", "premium")), 409)
                .path("code").asText()).isEqualTo("cdn_cookies_unavailable");
    }

    @Test
    void theConsoleAnswersConform() throws Exception {
        String admin = new DevTokens(Harness.SECRET).issue("ada", "free", List.of("admin"), java.time.Duration.ofMinutes(5));
        String[] auth = {"Authorization", "Bearer " + admin};
        h.callWithToken("PUT", "/v1/admin/accounts/cora/plan", admin, java.util.Map.of("plan", "pro"));
        JsonNode accounts = conforms("GET", "/v1/admin/accounts", Http.get(h.base + "/v1/admin/accounts?prefix=cora", auth), 200);
        assertThat(accounts.path("accounts").get(0).path("plan").asText()).isEqualTo("pro");
        assertThat(conforms("GET", "/v1/admin/accounts", Http.get(h.base + "/v1/admin/accounts?limit=0", auth), 400).path("code").asText()).isEqualTo("invalid_limit");
        conforms("GET", "/v1/admin/quarantine", Http.get(h.base + "/v1/admin/quarantine", auth), 200);
        String nobody = java.util.UUID.randomUUID().toString();
        conforms("POST", "/v1/admin/quarantine/{id}/release", Http.method("POST", h.base + "/v1/admin/quarantine/" + nobody + "/release", auth), 404);
        conforms("POST", "/v1/admin/quarantine/{id}/purge", Http.method("POST", h.base + "/v1/admin/quarantine/" + nobody + "/purge", auth), 404);
        h.stowage.db().jdbi().useHandle(x -> x.execute("""
                insert into scheduled_tasks (task_name, task_instance, execution_time, picked, consecutive_failures, last_failure, version)
                values ('openapi-test', 'one', now() + interval '1 hour', false, 2, now(), 1)"""));
        JsonNode jobs = conforms("GET", "/v1/admin/jobs", Http.get(h.base + "/v1/admin/jobs", auth), 200);
        assertThat(jobs.path("jobs").findValuesAsText("instance")).contains("one");
        assertThat(conforms("GET", "/v1/admin/jobs", Http.get(h.base + "/v1/admin/jobs?state=odd", auth), 400).path("code").asText()).isEqualTo("invalid_job_state");
        JsonNode retried = conforms("POST", "/v1/admin/jobs/{task}/{instance}/retry", Http.method("POST", h.base + "/v1/admin/jobs/openapi-test/one/retry", auth), 200);
        assertThat(java.time.Instant.parse(retried.path("executionTime").asText())).isBeforeOrEqualTo(java.time.Instant.now());
        conforms("POST", "/v1/admin/jobs/{task}/{instance}/retry", Http.method("POST", h.base + "/v1/admin/jobs/openapi-test/two/retry", auth), 404);
        assertThat(conforms("GET", "/v1/admin/costs", Http.get(h.base + "/v1/admin/costs?maxAgeSeconds=x", auth), 400).path("code").asText()).isEqualTo("invalid_max_age");
        conforms("GET", "/v1/admin/costs", Http.get(h.base + "/v1/admin/costs?maxAgeSeconds=0", auth), 200);
        conforms("GET", "/v1/admin/migrations", Http.get(h.base + "/v1/admin/migrations", auth), 200);
        for (String page : List.of("accounts", "quarantine", "jobs", "migrations")) conforms("GET", "/admin/" + page, Http.get(h.base + "/admin/" + page), 200);
    }
}

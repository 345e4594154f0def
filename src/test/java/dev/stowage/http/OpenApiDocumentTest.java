package dev.stowage.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.stowage.problems.ProblemCode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document on its own: well-formed OpenAPI 3.1, every reference resolves, every operation is
 * complete, schemas are valid JSON Schema 2020-12 and closed, and every problem code of the catalogue is
 * documented. {@code OpenApiIT} checks it against the running server.
 */
class OpenApiDocumentTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    static JsonNode doc;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = OpenApiDocumentTest.class.getResourceAsStream(OpenApiRoutes.RESOURCE)) {
            assertThat(in).as("openapi.json on the classpath").isNotNull();
            doc = JSON.readTree(in);   // throws on anything that is not JSON
        }
    }

    /** Every (JSON pointer, node) of the document. */
    static void walk(JsonNode node, String pointer, java.util.function.BiConsumer<String, JsonNode> visit) {
        visit.accept(pointer, node);
        if (node.isObject()) {
            node.properties().forEach(e -> walk(e.getValue(), pointer + "/" + e.getKey().replace("~", "~0").replace("/", "~1"), visit));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) walk(node.get(i), pointer + "/" + i, visit);
        }
    }

    static JsonNode deref(JsonNode n) {
        while (n.has("$ref")) n = doc.at(JsonPointer.compile(n.get("$ref").asText().substring(1)));
        return n;
    }

    @Test
    void isAnOpenApi31DocumentWithInfoAndPaths() {
        assertThat(doc.isObject()).isTrue();
        assertThat(doc.path("openapi").asText()).matches("3\\.1\\.\\d+");
        assertThat(doc.at("/info/title").asText()).isNotBlank();
        assertThat(doc.at("/info/version").asText()).isNotBlank();
        assertThat(doc.path("paths").size()).isGreaterThan(0);
        assertThat(doc.at("/components/securitySchemes/bearerAuth/scheme").asText()).isEqualTo("bearer");
        assertThat(doc.at("/components/securitySchemes/bearerAuth/bearerFormat").asText()).isEqualTo("JWT");
    }

    @Test
    void everyReferenceResolvesInsideTheDocument() {
        List<String> broken = new ArrayList<>();
        int[] count = {0};
        walk(doc, "", (ptr, n) -> {
            if (!n.isObject() || !n.has("$ref")) return;
            count[0]++;
            String ref = n.get("$ref").asText();
            if (!ref.startsWith("#/") || doc.at(JsonPointer.compile(ref.substring(1))).isMissingNode()) broken.add(ptr + " → " + ref);
        });
        assertThat(count[0]).isGreaterThan(10);
        assertThat(broken).as("unresolvable $ref").isEmpty();
    }

    @Test
    void everyOperationHasAUniqueOperationIdResponsesAndItsPathParameters() {
        Set<String> ids = new HashSet<>();
        List<String> problems = new ArrayList<>();
        Pattern templateParam = Pattern.compile("\\{([^}]+)}");
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(o -> {
            if (!METHODS.contains(o.getKey())) return;
            String where = o.getKey().toUpperCase() + " " + p.getKey();
            JsonNode op = o.getValue();
            String id = op.path("operationId").asText("");
            if (id.isBlank()) problems.add(where + ": no operationId");
            else if (!ids.add(id)) problems.add(where + ": operationId " + id + " used twice");
            if (op.path("summary").asText("").isBlank()) problems.add(where + ": no summary");
            JsonNode responses = op.path("responses");
            if (!responses.isObject() || responses.isEmpty()) problems.add(where + ": no responses");
            responses.properties().forEach(r -> {
                if (!r.getKey().matches("[1-5]\\d\\d|default")) problems.add(where + ": response key " + r.getKey());
                if (deref(r.getValue()).path("description").asText("").isBlank()) problems.add(where + " " + r.getKey() + ": no description");
            });
            if (responses.properties().stream().noneMatch(r -> r.getKey().matches("2\\d\\d|3\\d\\d"))) problems.add(where + ": no success response");
            Set<String> inTemplate = new TreeSet<>();
            Matcher m = templateParam.matcher(p.getKey());
            while (m.find()) inTemplate.add(m.group(1));
            Set<String> declared = new TreeSet<>();
            for (JsonNode param : op.path("parameters")) {
                JsonNode d = deref(param);
                if ("path".equals(d.path("in").asText())) {
                    declared.add(d.path("name").asText());
                    if (!d.path("required").asBoolean()) problems.add(where + ": path parameter " + d.path("name").asText() + " not required");
                }
            }
            if (!inTemplate.equals(declared)) problems.add(where + ": path parameters " + declared + " but template has " + inTemplate);
        }));
        assertThat(problems).isEmpty();
        assertThat(ids).hasSizeGreaterThanOrEqualTo(18);
    }

    @Test
    void everyNonJwtOperationSaysSoAndDevOnlyOnesAreMarked() {
        for (String publicPath : List.of("/health/live", "/health/ready", "/openapi.json", "/v1/dev/tokens")) {
            JsonNode path = doc.path("paths").path(publicPath);
            path.properties().forEach(o -> assertThat(o.getValue().path("security").isArray() && o.getValue().path("security").isEmpty())
                    .as(publicPath + " needs no authentication").isTrue());
        }
        assertThat(doc.at("/paths/~1metrics/get/security").toString()).as("/metrics takes the metrics token, not a JWT").isEqualTo("[{\"metricsToken\":[]}]");
        assertThat(doc.at("/paths/~1v1~1dev~1tokens/post/x-stowage-dev-only").asBoolean()).isTrue();
        assertThat(doc.at("/paths/~1v1~1dev~1tokens/post/description").asText()).containsIgnoringCase("only served by `stowage dev`");
        assertThat(doc.at("/paths/~1v1~1events~1s3/post/x-stowage-requires-config").asText()).isEqualTo("events.webhook_secret");
        assertThat(doc.at("/paths/~1v1~1events~1s3/post/security").toString())
                .contains("eventsSecretHeader", "eventsSecretBearer", "eventsSecretQuery");
    }

    @Test
    void componentSchemasAreValidJsonSchema2020_12() {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        Schema meta = registry.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        List<String> problems = new ArrayList<>();
        doc.at("/components/schemas").properties().forEach(s ->
                meta.validate(s.getValue()).forEach(e -> problems.add(s.getKey() + ": " + e)));
        assertThat(problems).isEmpty();
        // the meta-schema check itself bites
        assertThat(meta.validate(JSON.createObjectNode().put("type", "no-such-type"))).isNotEmpty();
    }

    @Test
    void everyObjectSchemaReachableFromAResponseIsClosed() {
        Set<String> open = new TreeSet<>();
        Set<String> seen = new HashSet<>();
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(o -> {
            if (!METHODS.contains(o.getKey())) return;
            o.getValue().path("responses").properties().forEach(r -> deref(r.getValue()).path("content").properties().forEach(c -> {
                if (c.getKey().endsWith("json") && !p.getKey().equals("/openapi.json")) {
                    collectOpen(c.getValue().path("schema"), p.getKey() + " " + r.getKey(), open, seen);
                }
            }));
        }));
        assertThat(seen).as("schemas reached from responses").hasSizeGreaterThan(10);
        assertThat(open).as("response object schemas without additionalProperties: false (undocumented fields would pass)").isEmpty();
    }

    private static void collectOpen(JsonNode schema, String where, Set<String> open, Set<String> seen) {
        walk(schema, "", (ptr, n) -> {
            if (!n.isObject()) return;
            if (n.has("$ref")) {
                String ref = n.get("$ref").asText();
                if (seen.add(ref)) collectOpen(doc.at(JsonPointer.compile(ref.substring(1))), ref, open, seen);
            }
            if ("object".equals(n.path("type").asText()) && n.has("properties")
                    && !(n.path("additionalProperties").isBoolean() && !n.path("additionalProperties").asBoolean())) {
                open.add(where + ptr);
            }
        });
    }

    /** Codes the document lists: {@code code} enums of problem responses, and the generic ones of the default response. */
    static Set<String> documentedCodes() {
        Set<String> codes = new LinkedHashSet<>();
        walk(doc, "", (ptr, n) -> {
            if (ptr.endsWith("/properties/code") && n.has("enum")) n.get("enum").forEach(c -> codes.add(c.asText()));
        });
        Matcher m = Pattern.compile("`([a-z0-9_]+)`").matcher(doc.at("/components/responses/Error/description").asText());
        while (m.find()) codes.add(m.group(1));
        return codes;
    }

    @Test
    void everyProblemCodeOfTheCatalogueIsDocumented() {
        Set<String> missing = new TreeSet<>();
        for (ProblemCode c : ProblemCode.values()) missing.add(c.code());
        missing.removeAll(documentedCodes());
        assertThat(missing).as("problem codes of ProblemCode documented nowhere in openapi.json").isEmpty();
    }
}

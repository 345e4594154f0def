package dev.stowage.problems;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The problem catalogue: codes are unique, well formed and exactly the wire names clients already know
 * ({@code OpenApiDocumentTest} checks that each is documented in {@code openapi.json}).
 */
class ProblemCodeTest {
    /** Every wire code with its status. Clients depend on these: a change here is a change of the API. */
    private static final Map<String, Integer> WIRE = new LinkedHashMap<>();

    static {
        WIRE.put("bad_request", 400);
        WIRE.put("invalid_json", 400);
        WIRE.put("payload_too_large", 413);
        WIRE.put("uri_too_long", 414);
        WIRE.put("headers_too_large", 431);
        WIRE.put("method_not_allowed", 405);
        WIRE.put("not_found", 404);
        WIRE.put("unauthenticated", 401);
        WIRE.put("admin_required", 403);
        WIRE.put("internal_error", 500);
        WIRE.put("database_unavailable", 503);
        WIRE.put("store_unavailable", 503);
        WIRE.put("store_listing_invalid", 502);
        WIRE.put("invalid_user_id", 400);
        WIRE.put("invalid_plan", 400);
        WIRE.put("invalid_roles", 400);
        WIRE.put("invalid_limit", 400);
        WIRE.put("invalid_cursor", 400);
        WIRE.put("invalid_filter", 400);
        WIRE.put("invalid_max_age", 400);
        WIRE.put("invalid_filename", 400);
        WIRE.put("invalid_size", 400);
        WIRE.put("empty_image", 400);
        WIRE.put("invalid_checksum", 400);
        WIRE.put("part_checksum_required", 400);
        WIRE.put("invalid_part_number", 400);
        WIRE.put("too_large", 413);
        WIRE.put("image_too_large", 413);
        WIRE.put("too_large_to_scan", 413);
        WIRE.put("scan_failed", 503);
        WIRE.put("type_not_allowed", 415);
        WIRE.put("quota_exceeded", 403);
        WIRE.put("too_many_open_uploads", 429);
        WIRE.put("rate_limited", 429);
        WIRE.put("not_multipart", 409);
        WIRE.put("upload_closed", 409);
        WIRE.put("upload_expired", 409);
        WIRE.put("parts_missing", 409);
        WIRE.put("part_checksum_mismatch", 409);
        WIRE.put("part_too_large", 409);
        WIRE.put("part_not_issued", 409);
        WIRE.put("object_missing", 409);
        WIRE.put("file_not_ready", 409);
        WIRE.put("not_deleted", 409);
        WIRE.put("restore_window_over", 409);
        WIRE.put("object_gone", 409);
        WIRE.put("not_quarantined", 409);
        WIRE.put("scanner_not_configured", 409);
        WIRE.put("still_infected", 409);
        WIRE.put("rescan_failed", 503);
        WIRE.put("invalid_job_state", 400);
        WIRE.put("quarantine_copy_changed", 409);
        WIRE.put("job_not_found", 404);
        WIRE.put("job_running", 409);
        WIRE.put("variants_failed", 409);
        WIRE.put("cdn_cookies_unavailable", 409);
        WIRE.put("plan_not_premium", 403);
        WIRE.put("malformed_event", 400);
        WIRE.put("untrusted_subscribe_url", 400);
        WIRE.put("confirmation_failed", 503);
        WIRE.put("sns_not_enabled", 403);
        WIRE.put("sns_topic_not_allowed", 403);
        WIRE.put("sns_timestamp_out_of_range", 403);
        WIRE.put("untrusted_signing_cert_url", 403);
        WIRE.put("sns_signature_invalid", 403);
        WIRE.put("sns_certificate_unavailable", 503);
    }

    @Test
    void codesAreUnique() {
        assertThat(Arrays.stream(ProblemCode.values()).map(ProblemCode::code)).doesNotHaveDuplicates();
    }

    @Test
    void theCatalogueIsExactlyTheWireCodesWithTheirStatuses() {
        Map<String, Integer> catalogue = new LinkedHashMap<>();
        for (ProblemCode c : ProblemCode.values()) catalogue.put(c.code(), c.status());
        assertThat(catalogue).containsExactlyInAnyOrderEntriesOf(WIRE);
    }

    @Test
    void everyEntryIsWellFormed() {
        for (ProblemCode c : ProblemCode.values()) {
            assertThat(c.code()).as(c.name()).matches("[a-z][a-z0-9_]*").isEqualTo(c.name().toLowerCase(java.util.Locale.ROOT));
            assertThat(c.status()).as(c.name()).isBetween(400, 599);
            assertThat(c.title()).as(c.name()).isNotBlank().doesNotEndWith(".");
            assertThat(ProblemCode.byCode(c.code())).contains(c);
        }
        assertThat(ProblemCode.byCode("http_418")).isEmpty();
    }

    @Test
    void aProblemCarriesItsEntry() {
        Problem p = ProblemCode.QUOTA_EXCEEDED.problem("no room");
        assertThat(p.code()).isEqualTo("quota_exceeded");
        assertThat(p.status()).isEqualTo(403);
        assertThat(p.getMessage()).isEqualTo("no room");
        assertThat(Problem.notFound("file 1").problemCode()).isEqualTo(ProblemCode.NOT_FOUND);
        assertThat(Problem.notFound("file 1").getMessage()).isEqualTo("file 1 not found");
    }
}

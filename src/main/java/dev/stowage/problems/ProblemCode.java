package dev.stowage.problems;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The catalogue of problems Stowage answers with: every stable {@code code} a client can receive, with its
 * HTTP status and title (RFC 9457: the title names the problem type, the detail this occurrence). A
 * {@link Problem} can only be raised with one of these, so this enum is the complete list.
 *
 * <p>The codes are wire names: clients and {@code openapi.json} match on them, so a code is never renamed
 * or reused. The one code outside the catalogue is {@code http_<status>}, which the HTTP layer answers for
 * a protocol error of Jetty's own whose status no code here names.
 */
public enum ProblemCode {
    // the request itself
    /** 400: Jetty could not parse the request. */
    BAD_REQUEST("bad_request", 400, "Bad request"),
    /** 400: the body is not JSON of the expected shape (unknown field, wrong type, trailing data). */
    INVALID_JSON("invalid_json", 400, "Invalid JSON body"),
    /** 413: the request body is over the 1 MB limit. */
    PAYLOAD_TOO_LARGE("payload_too_large", 413, "Payload too large"),
    /** 414: the URI is over Jetty's limit. */
    URI_TOO_LONG("uri_too_long", 414, "URI too long"),
    /** 431: the headers are over Jetty's limit. */
    HEADERS_TOO_LARGE("headers_too_large", 431, "Request headers too large"),
    /** 405: the route exists but not with this method. */
    METHOD_NOT_ALLOWED("method_not_allowed", 405, "Method not allowed"),
    /** 404: no such route or resource for this caller (also another user's resource). */
    NOT_FOUND("not_found", 404, "Not found"),
    /** 401: no valid token, or a wrong events secret. */
    UNAUTHENTICATED("unauthenticated", 401, "Authentication required"),
    /** 403: the route needs the admin role. */
    ADMIN_REQUIRED("admin_required", 403, "Admin role required"),
    /** 500: an unexpected error; the detail quotes the request id. */
    INTERNAL_ERROR("internal_error", 500, "Internal server error"),

    // dependencies (answered with Retry-After; nothing was changed, the same request can be sent again)
    /** 503: PostgreSQL cannot be reached or did not answer in time (no connection within the pool's wait, a statement cancelled by its timeout). */
    DATABASE_UNAVAILABLE("database_unavailable", 503, "Database unavailable"),
    /** 503: the object store cannot be reached, did not answer in time, or answered with a server error (5xx). */
    STORE_UNAVAILABLE("store_unavailable", 503, "Object store unavailable"),
    /**
     * 502: the object store answered a listing in a way the protocol does not allow (a marker that does not
     * advance, a repeated page, more parts than 10,000), so Stowage stopped it; the detail names the listing, bucket
     * and key. Asking again gets the same answer until the store is fixed.
     */
    STORE_LISTING_INVALID("store_listing_invalid", 502, "Object store listing invalid"),

    // parameters
    /** 400: a user id is not 1–128 characters of {@code A-Z a-z 0-9 . _ -}. */
    INVALID_USER_ID("invalid_user_id", 400, "Invalid user id"),
    /** 400: a plan name is not 1–64 characters of {@code A-Z a-z 0-9 . _ -}. */
    INVALID_PLAN("invalid_plan", 400, "Invalid plan"),
    /** 400: dev-token roles are not a list of valid names. */
    INVALID_ROLES("invalid_roles", 400, "Invalid roles"),
    /** 400: a page size out of range. */
    INVALID_LIMIT("invalid_limit", 400, "Invalid limit"),
    /** 400: a cursor this API did not return. */
    INVALID_CURSOR("invalid_cursor", 400, "Invalid cursor"),
    /** 400: a listing filter ({@code q}, {@code type}, {@code status} of {@code GET /v1/files}) that is malformed or unknown. */
    INVALID_FILTER("invalid_filter", 400, "Invalid filter"),
    /** 400: {@code maxAgeSeconds} of {@code GET /v1/admin/costs} is not a whole number of seconds from 0 to a year. */
    INVALID_MAX_AGE("invalid_max_age", 400, "Invalid maximum age"),

    // uploads
    /** 400: the file name cannot be stored. */
    INVALID_FILENAME("invalid_filename", 400, "Invalid file name"),
    /** 400: the declared size is not a whole number of bytes of at least 0. */
    INVALID_SIZE("invalid_size", 400, "Invalid size"),
    /** 400: a zero-byte file declared or named as an image (an empty file cannot be one). */
    EMPTY_IMAGE("empty_image", 400, "Empty image"),
    /** 400: a declared SHA-256 (of the file or of a part) is not 64 hexadecimal characters. */
    INVALID_CHECKSUM("invalid_checksum", 400, "Invalid checksum"),
    /** 400: a part URL asked for without the part's SHA-256, or a multipart upload completed with parts never declared. */
    PART_CHECKSUM_REQUIRED("part_checksum_required", 400, "Part checksum required"),
    /** 400: part numbers out of range or too many at once. */
    INVALID_PART_NUMBER("invalid_part_number", 400, "Invalid part number"),
    /** 413: the declared size is over the limit. */
    TOO_LARGE("too_large", 413, "File too large"),
    /**
     * 413: an image whose header declares more pixels, or a longer side, than the decode limits allow (a
     * decompression bomb); the reason code of a file rejected at verification.
     */
    IMAGE_TOO_LARGE("image_too_large", 413, "Image too large"),
    /**
     * 413: the reason code of a file the malware scanner did not fully scan because one of its limits was
     * hit (clamd's {@code MaxFileSize}, {@code MaxScanSize}, {@code MaxFiles}, {@code MaxRecursion}, …, or
     * {@code scanner.max_stream_bytes}); the file view names the limit. Never malware, never clean: rejected,
     * or held for an operator ({@code scanner.on_limits: hold}).
     */
    TOO_LARGE_TO_SCAN("too_large_to_scan", 413, "Too large to scan"),
    /**
     * 503: the reason code of a file rejected because its scans kept failing (scanner down, erroring) for
     * {@code scanner.give_up_after_seconds}; the message has the scanner's last error. An operator can re-scan it.
     */
    SCAN_FAILED("scan_failed", 503, "Scan failed"),
    /** 415: the type is not on the allow-list. */
    TYPE_NOT_ALLOWED("type_not_allowed", 415, "Type not allowed"),
    /** 403: the caller's quota has no room for the file. */
    QUOTA_EXCEEDED("quota_exceeded", 403, "Quota exceeded"),
    /**
     * 429: the caller already has as many uploads pending as their plan allows ({@code uploads.limits.<plan>.max_open_uploads});
     * complete or cancel one, or wait for one to expire ({@code Retry-After}).
     */
    TOO_MANY_OPEN_UPLOADS("too_many_open_uploads", 429, "Too many open uploads"),
    /**
     * 429: the caller starts uploads faster than their plan allows (a token bucket:
     * {@code uploads.limits.<plan>.initiations_per_second}, {@code initiation_burst}); try again after {@code Retry-After} seconds.
     */
    RATE_LIMITED("rate_limited", 429, "Rate limited"),
    /** 409: parts were asked for a single-PUT upload. */
    NOT_MULTIPART("not_multipart", 409, "Not a multipart upload"),
    /** 409: the upload is no longer pending. */
    UPLOAD_CLOSED("upload_closed", 409, "Upload closed"),
    /** 409: the upload session has expired. */
    UPLOAD_EXPIRED("upload_expired", 409, "Upload expired"),
    /** 409: completing a multipart upload whose parts are not all there. */
    PARTS_MISSING("parts_missing", 409, "Parts missing"),
    /** 409: completing a multipart upload whose stored part has another SHA-256 than the latest declared for it. */
    PART_CHECKSUM_MISMATCH("part_checksum_mismatch", 409, "Part checksum mismatch"),
    /**
     * 409: completing a multipart upload with a part larger than its share of the declared size (Stowage signs
     * each part's URL with its exact length); the upload has ended {@code rejected} with this reason code, its
     * multipart upload aborted and its reservation released: start a new upload.
     */
    PART_TOO_LARGE("part_too_large", 409, "Part too large"),
    /**
     * 409: completing a multipart upload holding a part Stowage never signed (a number beyond the part count or
     * never asked for); the upload has ended {@code rejected} with this reason code, its multipart upload aborted
     * and its reservation released: start a new upload.
     */
    PART_NOT_ISSUED("part_not_issued", 409, "Part not issued"),
    /** 409: completing an upload whose object has not been put. */
    OBJECT_MISSING("object_missing", 409, "Object missing"),

    // files, variants, retention
    /** 409: the file is not ready (download, delete or variants asked too early). */
    FILE_NOT_READY("file_not_ready", 409, "File not ready"),
    /** 409: restoring a file that is not deleted. */
    NOT_DELETED("not_deleted", 409, "File not deleted"),
    /** 409: the restore window of a deleted file is over. */
    RESTORE_WINDOW_OVER("restore_window_over", 409, "Restore window over"),
    /** 409: the store no longer holds the file's bytes. */
    OBJECT_GONE("object_gone", 409, "Object gone"),
    /** 409: an operator's release or purge of a file that is not quarantined (any more). */
    NOT_QUARANTINED("not_quarantined", 409, "File not quarantined"),
    /** 409: a release asked of a Stowage without a malware scanner: a quarantined file is released only after a clean re-scan. */
    SCANNER_NOT_CONFIGURED("scanner_not_configured", 409, "Scanner not configured"),
    /** 409: the re-scan of a quarantined file found malware again; it stays quarantined. */
    STILL_INFECTED("still_infected", 409, "Still infected"),
    /** 503: the re-scan of a quarantined file gave no verdict (scanner down or erroring, a scanner limit hit); it stays quarantined. */
    RESCAN_FAILED("rescan_failed", 503, "Re-scan failed"),
    /** 400: {@code state} of {@code GET /v1/admin/jobs} is not a comma-separated list of {@code running}, {@code failing}, {@code due}, {@code scheduled}. */
    INVALID_JOB_STATE("invalid_job_state", 400, "Invalid job state"),
    /** 409: the quarantine copy of a file has another SHA-256 than the file was verified with (changed in the store); it stays quarantined. */
    QUARANTINE_COPY_CHANGED("quarantine_copy_changed", 409, "Quarantine copy changed"),
    /** 404: a job execution (task and instance) the scheduler does not hold. */
    JOB_NOT_FOUND("job_not_found", 404, "Job not found"),
    /** 409: retrying a job execution a worker is running now. */
    JOB_RUNNING("job_running", 409, "Job running"),
    /** 409: the image has no variants (their generation failed). */
    VARIANTS_FAILED("variants_failed", 409, "Variants failed"),

    // delivery
    /** 409: signed cookies asked of a Stowage not delivering through CloudFront. */
    CDN_COOKIES_UNAVAILABLE("cdn_cookies_unavailable", 409, "CDN cookies unavailable"),
    /** 403: the caller's plan does not grant premium content. */
    PLAN_NOT_PREMIUM("plan_not_premium", 403, "Plan not premium"),

    // events
    /** 400: an S3 or SNS event that cannot be read. */
    MALFORMED_EVENT("malformed_event", 400, "Malformed event"),
    /** 400: an SNS SubscribeURL that is not an https URL of an AWS SNS endpoint. */
    UNTRUSTED_SUBSCRIBE_URL("untrusted_subscribe_url", 400, "Untrusted subscribe URL"),
    /** 503: confirming the SNS subscription failed; retry later. */
    CONFIRMATION_FAILED("confirmation_failed", 503, "Subscription confirmation failed"),
    /** 403: an SNS message while {@code events.sns.enabled} is not true; nothing was done. */
    SNS_NOT_ENABLED("sns_not_enabled", 403, "SNS delivery not enabled"),
    /** 403: an SNS message from a topic not in {@code events.sns.topic_arns}; nothing was done. */
    SNS_TOPIC_NOT_ALLOWED("sns_topic_not_allowed", 403, "SNS topic not allowed"),
    /** 403: an SNS message whose Timestamp is over an hour old or over five minutes ahead; nothing was done. */
    SNS_TIMESTAMP_OUT_OF_RANGE("sns_timestamp_out_of_range", 403, "SNS timestamp out of range"),
    /** 403: an SNS SigningCertURL that is not an https {@code sns.<region>.amazonaws.com[.cn]} URL of a .pem file; nothing was fetched. */
    UNTRUSTED_SIGNING_CERT_URL("untrusted_signing_cert_url", 403, "Untrusted signing certificate URL"),
    /** 403: an SNS message whose signature is missing, of an unknown version, or not made with the certificate's key; nothing was done. */
    SNS_SIGNATURE_INVALID("sns_signature_invalid", 403, "Invalid SNS signature"),
    /** 503: the SNS signing certificate could not be fetched; nothing was done, SNS retries. */
    SNS_CERTIFICATE_UNAVAILABLE("sns_certificate_unavailable", 503, "SNS signing certificate unavailable");

    private static final Map<String, ProblemCode> BY_CODE =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(ProblemCode::code, Function.identity()));

    private final String code;
    private final int status;
    private final String title;

    ProblemCode(String code, int status, String title) {
        this.code = code;
        this.status = status;
        this.title = title;
    }

    /** The stable wire name, {@code snake_case}. */
    public String code() {
        return code;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The title: a short summary of the problem type, the same for every occurrence. */
    public String title() {
        return title;
    }

    /** A problem of this code. */
    public Problem problem(String detail) {
        return new Problem(this, detail);
    }

    /** The entry of a wire name. */
    public static Optional<ProblemCode> byCode(String code) {
        return Optional.ofNullable(BY_CODE.get(code));
    }
}

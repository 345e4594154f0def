package dev.stowage.audit;

/**
 * The controls {@code stowage audit} evaluates. {@code S3.*} ids and titles follow the AWS Security Hub
 * controls for Amazon S3 (AWS Security Hub User Guide, "Security Hub controls for Amazon S3"); severities
 * follow Security Hub except where Stowage depends on the setting (versioning of the raw bucket carries
 * the 30-day restore, so it is MEDIUM, not LOW). {@code STOWAGE.*} are Stowage's own.
 *
 * @param id       control id
 * @param title    what the control requires
 * @param severity severity of a failure
 */
public record Control(String id, String title, Severity severity) {
    public static final Control EXISTS = new Control("STOWAGE.0", "Configured buckets should exist", Severity.HIGH);
    public static final Control S3_2 = new Control("S3.2", "S3 general purpose buckets should block public read access", Severity.CRITICAL);
    public static final Control S3_3 = new Control("S3.3", "S3 general purpose buckets should block public write access", Severity.CRITICAL);
    public static final Control S3_4 = new Control("S3.4", "S3 general purpose buckets should have server-side encryption enabled", Severity.MEDIUM);
    public static final Control S3_5 = new Control("S3.5", "S3 general purpose buckets should require requests to use SSL", Severity.MEDIUM);
    public static final Control S3_8 = new Control("S3.8", "S3 general purpose buckets should block public access", Severity.HIGH);
    public static final Control S3_9 = new Control("S3.9", "S3 general purpose buckets should have server access logging enabled", Severity.MEDIUM);
    public static final Control S3_10 = new Control("S3.10", "S3 general purpose buckets with versioning enabled should have lifecycle configurations (noncurrent versions expire)", Severity.MEDIUM);
    public static final Control S3_13 = new Control("S3.13", "S3 general purpose buckets should have lifecycle configurations (incomplete multipart uploads aborted)", Severity.LOW);
    public static final Control S3_14 = new Control("S3.14", "S3 general purpose buckets should have versioning enabled (raw uploads and backups)", Severity.MEDIUM);
    public static final Control CORS = new Control("STOWAGE.1", "CORS should allow explicit origins only", Severity.MEDIUM);
    public static final Control CORS_WRITE = new Control("STOWAGE.1", "CORS should allow explicit origins only", Severity.HIGH);
    public static final Control URL_TTL = new Control("STOWAGE.2", "Presigned URLs should not outlive the configured maximum", Severity.MEDIUM);
    public static final Control LEFTOVERS = new Control("STOWAGE.4", "Lifecycle rules should keep up: no incomplete uploads, noncurrent versions or expired delete markers older than the rules allow", Severity.MEDIUM);
    public static final Control SCANNER = new Control("STOWAGE.3", "Uploads should be scanned for malware outside dev", Severity.HIGH);

    /** A failure of this control on a resource. */
    public Finding fail(String resource, String detail) {
        return new Finding(id, title, severity, Finding.Status.FAIL, resource, detail);
    }

    /** A pass. */
    public Finding pass(String resource, String detail) {
        return new Finding(id, title, severity, Finding.Status.PASS, resource, detail);
    }

    /** The control could not be evaluated: the store refused a read; {@code why} names bucket, setting and provider. */
    public Finding error(String resource, String why) {
        return new Finding(id, title, severity, Finding.Status.ERROR, resource, why);
    }

    /** A provider gap: the setting cannot be held; {@code instead} says what Stowage does. */
    public Finding gap(String resource, String instead) {
        return new Finding(id, title, severity, Finding.Status.UNSUPPORTED, resource, instead);
    }
}

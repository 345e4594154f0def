package dev.stowage.audit;

/**
 * The outcome of one control on one resource.
 *
 * @param control  control id: an AWS Security Hub S3 control ({@code S3.2}, {@code S3.5}, …) or one of
 *                 Stowage's own ({@code STOWAGE.1}, …)
 * @param title    what the control requires
 * @param severity how bad a failure is
 * @param status   {@link Status#FAIL}, {@link Status#PASS}, {@link Status#UNSUPPORTED} when the provider cannot
 *                 hold the setting (a gap, reported on its own, never a pass), or {@link Status#ERROR} when the
 *                 store refused the read the control needs
 * @param resource a bucket name, or {@code configuration}
 * @param detail   what was found, or what Stowage does instead for a gap
 */
public record Finding(String control, String title, Severity severity, Status status, String resource, String detail) {

    /** Outcome of a control. */
    public enum Status {
        FAIL, PASS, UNSUPPORTED,
        /** The store refused the read the control needs: {@code detail} names bucket, setting, provider and answer. */
        ERROR
    }

    /** Whether this is a failed, or unverifiable, control of high or critical severity. */
    public boolean blocking() {
        return (status == Status.FAIL || status == Status.ERROR) && severity.blocking();
    }
}

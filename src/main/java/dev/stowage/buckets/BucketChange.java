package dev.stowage.buckets;

/**
 * One line of a bucket plan: a setting of one bucket and what {@code apply} would do about it.
 *
 * @param bucket  bucket name
 * @param setting which setting, e.g. {@code bucket}, {@code cors}
 * @param action  what happens
 * @param detail   the desired value, or why it is unsupported
 * @param required whether configuration requires the setting ({@code bucket_settings.required}): {@code apply}
 *                 fails when it was not applied; otherwise it is best-effort
 */
public record BucketChange(String bucket, String setting, Action action, String detail, boolean required) {

    /** A best-effort line. */
    public BucketChange(String bucket, String setting, Action action, String detail) {
        this(bucket, setting, action, detail, false);
    }

    /** This line, required or best-effort. */
    public BucketChange withRequired(boolean r) {
        return new BucketChange(bucket, setting, action, detail, r);
    }

    /** This line as failed: the store refused to read or change it, {@code detail} says so. */
    public BucketChange failed(String why) {
        return new BucketChange(bucket, setting, Action.FAILED, why, required);
    }

    /** What {@code apply} does with a setting. */
    public enum Action {
        /** Created (the bucket, or a setting that is absent). */
        CREATE("+"),
        /** Changed to the desired value. */
        UPDATE("~"),
        /** Removed because configuration wants none. */
        DELETE("-"),
        /** Already as desired. */
        UNCHANGED("="),
        /** The provider cannot hold it; {@code detail} says what Stowage does instead. */
        UNSUPPORTED("!"),
        /** The store refused to read or change it; {@code detail} names bucket, setting, provider and answer. */
        FAILED("x");

        private final String symbol;

        Action(String symbol) {
            this.symbol = symbol;
        }

        /** One-character marker used in the plan text. */
        public String symbol() {
            return symbol;
        }
    }

    /** Whether {@code apply} would call the store for this line. */
    public boolean isChange() {
        return action == Action.CREATE || action == Action.UPDATE || action == Action.DELETE;
    }
}

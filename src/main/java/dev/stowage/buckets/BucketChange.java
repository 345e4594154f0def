package dev.stowage.buckets;

/**
 * One line of a bucket plan: a setting of one bucket and what {@code apply} would do about it.
 *
 * @param bucket  bucket name
 * @param setting which setting, e.g. {@code bucket}, {@code cors}
 * @param action  what happens
 * @param detail  the desired value, or why it is unsupported
 */
public record BucketChange(String bucket, String setting, Action action, String detail) {

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
        UNSUPPORTED("!");

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

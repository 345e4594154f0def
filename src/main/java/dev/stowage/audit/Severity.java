package dev.stowage.audit;

/** How bad a failed control is, as AWS Security Hub grades findings. */
public enum Severity {
    CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL;

    /** Whether a failure of this severity makes {@code stowage audit} exit non-zero. */
    public boolean blocking() {
        return this == CRITICAL || this == HIGH;
    }
}

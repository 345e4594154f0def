package dev.stowage.http;

/**
 * One dependency checked by {@code /health/ready}.
 */
public interface HealthCheck {
    /** Name shown in the readiness body, e.g. {@code database}. */
    String name();

    /**
     * Runs the check; must return within a few seconds.
     *
     * @return {@code null} when healthy, otherwise a one-line reason
     */
    String check();
}

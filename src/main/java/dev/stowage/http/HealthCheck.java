package dev.stowage.http;

import java.util.function.Supplier;

/**
 * One dependency checked by {@code /health/ready}.
 *
 * @param name  shown in the readiness body, e.g. {@code database}
 * @param probe runs the check within a few seconds: {@code null} when healthy, otherwise a one-line reason
 */
public record HealthCheck(String name, Supplier<String> probe) {
    /** Runs the probe. */
    public String check() {
        return probe.get();
    }
}

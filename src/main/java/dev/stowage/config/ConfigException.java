package dev.stowage.config;

import java.util.List;

/**
 * The configuration is invalid. Carries every problem found, one line each, in the form
 * {@code key: what is wrong (expected …)}, so an operator can fix all of them in one pass.
 * The CLI prints {@link #problems()} to stderr and exits with code 2.
 */
public final class ConfigException extends RuntimeException {
    private final List<String> problems;

    /** @param problems one human-readable line per problem, never empty */
    public ConfigException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, in the order found. */
    public List<String> problems() {
        return problems;
    }
}

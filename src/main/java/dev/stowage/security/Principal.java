package dev.stowage.security;

import java.util.Set;

/**
 * The authenticated API caller.
 *
 * @param userId the JWT {@code sub}: the host application's user id
 * @param plan   the JWT {@code plan} claim ({@code free} when absent)
 * @param roles  the JWT {@code roles} claim; {@code admin} opens admin routes
 */
public record Principal(String userId, String plan, Set<String> roles) {
    /** Whether the caller has the admin role. */
    public boolean isAdmin() {
        return roles.contains("admin");
    }
}

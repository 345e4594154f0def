package dev.stowage.security;

/** A bearer token is missing, malformed, expired or not signed by a trusted key. Maps to HTTP 401. */
public final class AuthenticationException extends RuntimeException {
    /** @param message why the token was refused, safe to show to the caller */
    public AuthenticationException(String message) {
        super(message);
    }
}

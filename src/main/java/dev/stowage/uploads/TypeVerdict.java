package dev.stowage.uploads;

import java.util.Objects;

/**
 * The outcome of {@link TypeCheck#check}: the upload is {@link Accepted} as one allowed type, or
 * {@link Rejected} with a stable code and a human-readable reason.
 */
public sealed interface TypeVerdict permits TypeVerdict.Accepted, TypeVerdict.Rejected {

    /** Code of a rejection because the detected (or declared) type is not on the allow-list. */
    String TYPE_NOT_ALLOWED = "type_not_allowed";

    /** Code of a rejection because the detected type is allowed but does not agree with the declared one. */
    String TYPE_MISMATCH = "type_mismatch";

    /** Code of a rejection because an empty file is declared or named as an image ({@link TypeCheck#emptyImage}). */
    String EMPTY_IMAGE = "empty_image";

    /**
     * The content is of an allowed type that agrees with the declared one.
     *
     * @param type the type to store and serve the file as (the declared type's entry in the allow-list, or the
     *             detected one for an image declared as another image format)
     */
    record Accepted(FileType type) implements TypeVerdict {
        /**
         * Checks the component.
         *
         * @throws NullPointerException when {@code type} is null
         */
        public Accepted {
            Objects.requireNonNull(type, "type");
        }
    }

    /**
     * The content is refused.
     *
     * @param code   {@link #TYPE_NOT_ALLOWED}, {@link #TYPE_MISMATCH} or {@link #EMPTY_IMAGE}; stable, for clients and metrics
     * @param reason one English sentence naming the declared and detected types, for people
     */
    record Rejected(String code, String reason) implements TypeVerdict {
        /**
         * Checks the components.
         *
         * @throws NullPointerException when a component is null
         */
        public Rejected {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(reason, "reason");
        }
    }
}

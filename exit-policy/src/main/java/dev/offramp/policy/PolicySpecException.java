package dev.offramp.policy;

/** A policy spec that does not parse or names an unknown policy, key or out-of-range value; the message says which. */
public final class PolicySpecException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public PolicySpecException(String message) {
        super(message);
    }

    public PolicySpecException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.offramp.model.cli;

/** A usage error found after parsing (options that do not go together, a value out of range): exit status 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}

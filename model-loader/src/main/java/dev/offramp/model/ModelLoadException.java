package dev.offramp.model;

/**
 * A checkpoint, config or tokenizer that cannot be used. The message names the file, the tensor or key, and what
 * was expected versus what was found, so a user can fix the input without reading code.
 */
public final class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.offramp.model.engine;

/** Told of each generated token as soon as it is final (streaming); returns false to stop the generation there. */
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = (id, exitLayer) -> true;

    /** @return whether generation goes on (false: stop after this token, e.g. the client went away) */
    boolean onToken(int id, int exitLayer);
}

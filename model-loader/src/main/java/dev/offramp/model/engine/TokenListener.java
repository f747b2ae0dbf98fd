package dev.offramp.model.engine;

import dev.offramp.policy.LayerSignals;

/** Told of each generated token as soon as it is final (streaming); returns false to stop the generation there. */
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = (id, exitLayer, signals) -> true;

    /**
     * @param signals what the exit policy saw at {@code exitLayer} when it decided to exit there; null when no policy
     *                check decided it (full depth, a fixed plan, a depth cap, a verified draft)
     * @return whether generation goes on (false: stop after this token, e.g. the client went away)
     */
    boolean onToken(int id, int exitLayer, LayerSignals signals);
}

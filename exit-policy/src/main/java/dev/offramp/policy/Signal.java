package dev.offramp.policy;

/**
 * Per-layer signals a policy may ask for. All but {@link #COSINE} need the exit's logits, i.e. one LM-head pass
 * (about one layer's cost on kjv-ee-12l), so the engine computes them only at layers a policy checks and only if asked.
 */
public enum Signal {
    /** Softmax probability of the top token. */
    TOP1_PROB,
    /** Top-1 minus top-2 softmax probability. */
    MARGIN,
    /** Entropy of the softmax, in nats. */
    ENTROPY,
    /** The top token's id (its history across checked layers is the "latent prediction" sequence). */
    ARGMAX,
    /** cos(h_l, h_{l-1}) of the hidden states; needs no LM head. */
    COSINE;

    public boolean needsLmHead() {
        return this != COSINE;
    }
}

package dev.offramp.model.engine;

/**
 * Whether drafting pays for one self-speculative request, from its own timings: the rounds so far (time and tokens
 * yielded) against its fastest full-depth token. The first {@link #ROUNDS} rounds run regardless, then
 * {@link #PROBES} tokens are timed at full depth; from then on the request drafts only while a round's tokens cost
 * less than full depth's, and once they do not it stays at full depth.
 */
final class DraftVerdict {
    static final int ROUNDS = 3;
    static final int PROBES = 2;

    private long roundNanos;
    private long roundTokens;
    private int rounds;
    private long fullNanos = Long.MAX_VALUE;
    private int probes;
    private boolean fullDepth;  // drafting did not pay

    void round(long nanos, int tokens) {
        roundNanos += nanos;
        roundTokens += tokens;
        rounds++;
        decide();
    }

    void fullDepth(long nanos) {
        fullNanos = Math.min(fullNanos, nanos);
        probes++;
        decide();
    }

    /** Whether the next token should run at full depth: a probe, or for good. */
    boolean wantsFullDepth() {
        return fullDepth || (rounds >= ROUNDS && probes < PROBES);
    }

    /** Whether the request gave up drafting. */
    boolean gaveUp() {
        return fullDepth;
    }

    /** Whether the evidence is in: the first rounds and the probes have run. */
    boolean decided() {
        return probes >= PROBES && rounds >= ROUNDS;
    }

    /** Full depth from the start, without evidence of its own (the engine's ledger says drafting does not pay). */
    void fullDepthFromTheStart() {
        fullDepth = true;
    }

    private void decide() {
        if (decided()) {
            fullDepth = roundNanos > fullNanos * roundTokens;
        }
    }
}

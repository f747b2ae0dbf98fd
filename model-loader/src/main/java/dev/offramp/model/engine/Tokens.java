package dev.offramp.model.engine;

import dev.offramp.model.ModelConfig;
import dev.offramp.policy.calibrate.TokenUncertainty;
import java.util.Arrays;

/** The generated tokens of one request and what they cost, with the stop rules in one place. */
final class Tokens {
    private final int[] ids;
    private final int[] exits;
    private final boolean stopAtEos;
    private final ModelConfig config;
    private final TokenListener listener;
    private final java.util.function.LongSupplier nanoTime;
    private long firstAt;  // when the first token was added (nanoTime), 0 before
    private int n;
    private boolean stopped;
    long layers;
    long exitChecks;
    long drafted;
    long accepted;
    long drafts;          // self-speculative rounds that drafted
    long[] acceptedAt = new long[0];  // per draft position (0 = a round's first draft): drafts accepted there
    long prunedChecks;
    long driftChecks;          // early exits compared with full depth's choice (the drift check), and the
    long driftDisagreements;   // ones where full depth chose another token
    private final double[] logProbs;  // a scored request's: per token, as chosen (null otherwise)
    private final double[] top1;
    dev.offramp.policy.CheckCostModel.Thinning checkCost;  // early-exit: the check-cost verdict on its schedule

    Tokens(GenerationRequest req, ModelConfig config, TokenListener listener, java.util.function.LongSupplier nanoTime) {
        this.listener = listener;
        this.nanoTime = nanoTime;
        this.ids = new int[req.maxTokens()];
        this.exits = new int[req.maxTokens()];
        this.stopAtEos = req.stopAtEos();
        this.config = config;
        this.logProbs = req.scored() ? new double[req.maxTokens()] : null;
        this.top1 = req.scored() ? new double[req.maxTokens()] : null;
    }

    boolean scored() {
        return logProbs != null;
    }

    /**
     * The next token's uncertainty under the full-vocabulary {@code logits} it is chosen from (softmax at temperature
     * 1): kept if {@link #add} appends it. A cascade reads it instead of a second, teacher-forced pass.
     */
    void score(float[] logits, int id) {
        if (done()) {
            return;
        }
        double lse = SignalMath.logSumExp(logits, 0, logits.length);
        logProbs[n] = logits[id] - lse;
        top1[n] = Math.exp(logits[SignalMath.argmax(logits, 0, logits.length)] - lse);
    }

    /**
     * Appends a token unless it is a stop id and tells the listener; returns whether generation goes on.
     * {@code signals}: what the policy saw where the token exited (null when no check decided it).
     */
    boolean add(int id, int exitLayer, dev.offramp.policy.LayerSignals signals) {
        if (done()) {
            return false;
        }
        if (stopAtEos && config.isStop(id)) {
            stopped = true;
            return false;
        }
        ids[n] = id;
        exits[n] = exitLayer;
        if (n++ == 0) {
            firstAt = nanoTime.getAsLong();
        }
        if (!listener.onToken(id, exitLayer, signals)) {
            stopped = true;
        }
        return !done();
    }

    boolean done() {
        return stopped || n == ids.length;
    }

    int count() {
        return n;
    }

    /** A draft accepted at {@code position} of its round (0-based). */
    void acceptedAt(int position) {
        if (position >= acceptedAt.length) {
            acceptedAt = Arrays.copyOf(acceptedAt, position + 1);
        }
        acceptedAt[position]++;
        accepted++;
    }

    int remaining() {
        return ids.length - n;
    }

    /** @param joined when the request joined (nanoTime), {@code now} when it ended */
    GenerationResult result(int[] prompt, long joined, long now) {
        return new GenerationResult(prompt, Arrays.copyOf(ids, n), Arrays.copyOf(exits, n), layers, exitChecks,
                drafted, accepted, now - joined, n == 0 ? 0 : firstAt - joined, prunedChecks, drafts, acceptedAt.clone(), logProbs == null ? null
                : new TokenUncertainty(Arrays.copyOf(logProbs, n), Arrays.copyOf(top1, n)), checkCost,
                new GenerationResult.Drift(driftChecks, driftDisagreements));
    }
}

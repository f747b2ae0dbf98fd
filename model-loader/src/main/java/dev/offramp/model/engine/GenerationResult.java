package dev.offramp.model.engine;

import dev.offramp.policy.CheckCostModel;
import dev.offramp.policy.calibrate.TokenUncertainty;

/**
 * What was generated, and what it cost.
 *
 * @param exitLayers     the layer each generated token left after (1-based), one per id
 * @param layersComputed every decoder-layer evaluation the request caused, summed over positions: prompt, drafts,
 *                       verification and recomputed layers included
 * @param exitChecks     LM-head passes made to compute a policy's or a draft's signals (each costs about a layer on
 *                       kjv-ee-12l); the output head of a token that reached the last layer is not counted
 * @param drafted        self-speculative: tokens drafted; {@code accepted}: drafts the verifier kept; {@code drafts}:
 *                       rounds that drafted (each verified in one pass); {@code acceptedByPosition}: accepted
 *                       drafts per position in their round (vLLM's per-position acceptance), index 0 the first
 * @param prunedChecks   exit checks scored on a pruned vocabulary (a few LM-head rows, not counted in exitChecks)
 * @param decodeNanos    wall time of the whole generation, prefill included
 * @param firstTokenNanos wall time to the first token (the prompt's prefill, which every mode runs alike); 0 when
 *                       no token was generated or the time is not known
 * @param uncertainty    a {@link GenerationRequest#scored} request's per-token uncertainty, else null
 * @param checkCost      early-exit: the check-cost model's verdict on the policy's schedule (the checks kept, and
 *                       whether the declared ones could only slow decoding); null before the engine has measured it
 * @param drift          early-exit with recompute: the sampled exits compared with full depth's greedy choice
 */
public record GenerationResult(int[] promptIds, int[] ids, int[] exitLayers, long layersComputed, long exitChecks,
                               long drafted, long accepted, long decodeNanos, long firstTokenNanos,
                               long prunedChecks, long drafts,
                               long[] acceptedByPosition, TokenUncertainty uncertainty,
                               CheckCostModel.Thinning checkCost, Drift drift) {
    /** The drift check's counts: early exits compared with full depth's greedy choice, and those that differed. */
    public record Drift(long checked, long disagreed) {
        public static final Drift NONE = new Drift(0, 0);
    }

    /**
     * This answer with the cost of everything run to reach it: the layers, checks and time of every one of {@code
     * all} (a cascade's members that answered, this one among them).
     */
    public GenerationResult withCostOf(java.util.List<GenerationResult> all) {
        long layers = 0;
        long checks = 0;
        long nanos = 0;
        for (GenerationResult r : all) {
            layers += r.layersComputed;
            checks += r.exitChecks;
            nanos += r.decodeNanos;
        }
        return new GenerationResult(promptIds, ids, exitLayers, layers, checks, drafted, accepted, nanos,
                nanos - decodeNanos + firstTokenNanos, prunedChecks,  // the others ran whole before this one
                drafts, acceptedByPosition, uncertainty, checkCost, drift);
    }

    public double tokensPerSecond() {
        return decodeNanos == 0 ? 0 : ids.length * 1e9 / decodeNanos;
    }

    /** Tokens after the first per second of the time after it: the decode rate, prefill left out. */
    public double decodeTokensPerSecond() {
        long after = decodeNanos - firstTokenNanos;
        return ids.length < 2 || after <= 0 ? 0 : (ids.length - 1) * 1e9 / after;
    }
}

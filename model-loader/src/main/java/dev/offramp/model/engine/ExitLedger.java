package dev.offramp.model.engine;

import dev.offramp.policy.CheckCostModel;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.StrictPolicy;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What an engine's early-exit requests measured about their checks, per mode (policy, KV strategy, pruning): where
 * tokens exit when every declared check is made, and how much of the skipped layers was really saved (recompute runs
 * deferred layers later, as extra rows of other tokens' steps). From it and {@link CheckCosts}, {@link CheckCostModel}
 * thins a schedule to the checks that pay for themselves. Requests explore — their tokens make every declared check —
 * while fewer than {@link #WARMUP} tokens have, then now and then ({@link ExploreInterval}: rarer while each explorer
 * finds the verdict the last one did; an explorer's every {@link #EXPLORE_STRIDE}th token), so that the estimate
 * follows the traffic; what a request's tokens check is fixed at its first token. A {@code strict(…)} policy is
 * measured and reported, never thinned. Engine thread only.
 */
final class ExitLedger {
    static final int WARMUP = 32;
    static final int DECIDE_EVERY = 16;  // explored tokens between two decisions
    static final int EXPLORE_STRIDE = 8; // after the warm-up, an explorer's every 8th token explores

    private final CheckCosts costs;
    private final int layers;
    // by the mode's spec text (a request's policy is parsed anew each time); the oldest dropped past MAX_ENTRIES, so
    // that a server seeing ever new specs keeps a bounded ledger
    private final Map<String, Entry> entries = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > MAX_ENTRIES;
        }
    };
    static final int MAX_ENTRIES = 64;
    private int rows = 1;  // the batch's rows in its last step: the batch size the costs are read at

    ExitLedger(CheckCosts costs, int layers) {
        this.costs = costs;
        this.layers = layers;
    }

    void rows(int n) {
        rows = Math.max(1, n);
    }

    /** A step of the batch, as it ran: what its layers and LM-head passes took prices the checks (CheckCosts). */
    void observe(Batch.StepCost step) {
        costs.observe(step.rows(), step.layerCalls(), step.layerNanos(), step.headCalls(), step.headNanos(),
                step.deferredLayers(), step.kvFills(), step.kvFillNanos());
    }

    Entry entry(Mode.EarlyExit mode) {
        return entries.computeIfAbsent(mode.policy() + " kv=" + mode.kv() + " prune=" + mode.pruneVocab(),
                k -> new Entry(mode));
    }

    /** One mode's measurements and its current schedule. */
    final class Entry {
        private final Mode.EarlyExit mode;
        private final int[] checked;     // the declared checked layers, ascending
        private final long[] firstExits; // exploring tokens whose policy first exited at checked[i]
        private final boolean strict;
        private long explored;
        private long tokens;
        private final ExploreInterval explore = new ExploreInterval(true);
        private List<Integer> keptAtLastExplorer; // the checks the verdict kept when the last explorer was admitted
        private boolean explorerSeen;
        private long skipped;            // layers skipped by exits
        private long dropped;            // of them, layers no later token needed: never run (recompute)
        private long carried;            // nanoseconds spent detaching rows that owe deeper layers (recompute)
        private boolean[] keep;          // by layer; null: every declared check
        private CheckCostModel.Thinning verdict;

        private Entry(Mode.EarlyExit mode) {
            this.mode = mode;
            ExitPolicy p = mode.policy();
            this.strict = p instanceof StrictPolicy;
            this.checked = IntStream.range(1, layers).filter(l -> p.schedule().checks(l, layers)).toArray();
            this.firstExits = new long[checked.length];
        }

        /**
         * Counts a new request in and says which of its tokens explore: make every declared check and count in the
         * exit distribution. 1: all of them (the warm-up); {@link #EXPLORE_STRIDE}: every that-many-th (an explorer
         * after it); 0: none. Called once per request. Each explored token makes every declared check, which for
         * confidence:threshold=0.5 on kjv-ee-12l (thinned to none) is 11 checks: an explorer spreads its eighth of
         * explored tokens over the request's positions, at an eighth of the cost of exploring all of them.
         */
        int exploreEvery() {
            if (explored < WARMUP) {
                return 1;
            }
            if (!explore.due()) {
                return 0;
            }
            List<Integer> kept = verdict == null ? null : verdict.kept();
            explore.found(explorerSeen && java.util.Objects.equals(kept, keptAtLastExplorer));
            explorerSeen = true;
            keptAtLastExplorer = kept;
            return EXPLORE_STRIDE;
        }

        /** The layers the next non-exploring token may check: null for all declared. */
        boolean[] keep() {
            return strict ? null : keep;
        }

        /** A request ended: {@code layers} of its skipped ones were never run (recompute). */
        void dropped(int layers) {
            dropped += layers;
        }

        /** The latest verdict on the declared schedule, null before the warm-up is over. */
        CheckCostModel.Thinning verdict() {
            return verdict;
        }

        /**
         * A decoded token: whether it explored and, if so, the layer its policy exited at (0: none); the layers its
         * exit skipped, and what carrying deferred rows into the next step took (recompute).
         */
        void record(boolean exploring, int policyExit, int skippedLayers, long carryNanos) {
            tokens++;
            skipped += skippedLayers;
            carried += carryNanos;
            if (!exploring) {
                return;
            }
            explored++;
            int i = java.util.Arrays.binarySearch(checked, policyExit);
            if (policyExit > 0 && i >= 0) {
                firstExits[i]++;
            }
            if (explored >= WARMUP && (explored - WARMUP) % DECIDE_EVERY == 0) {
                decide();
            }
        }

        private void decide() {
            double[] exitBy = new double[checked.length];
            long sum = 0;
            for (int i = 0; i < checked.length; i++) {
                sum += firstExits[i];
                exitBy[i] = (double) sum / explored;
            }
            // Under recompute a skipped layer is saved whole only if no later token needs it (dropped at the request's
            // end); until then it counts as run later, at what deferred rows took in the batch's steps
            // (CheckCosts.deferredRow), and carrying rows between steps at what it took, in layer calls. Counting only
            // the deferred layers run so far priced the first tokens' exits as saved: on stories260K most of them ran
            // 16 tokens later, in steps that left it at 0.26-0.42x of full depth (strict, 2 threads).
            double call = costs.layerCallNanos(rows);
            double carrying = call > 0 ? carried / call : 0;
            // Under propagate every skipped layer's K/V is filled, at what the steps timed that at.
            boolean recompute = mode.kv() == Mode.KvStrategy.RECOMPUTE;
            long owed = recompute ? Math.max(0, skipped - dropped) : 0;
            double filled = recompute ? 0 : costs.kvFill(rows) * skipped;
            double saved = skipped == 0 ? 1
                    : Math.max(0, 1 - (costs.deferredRow(rows) * owed + carrying + filled) / skipped);
            verdict = CheckCostModel.thin(layers, checked, exitBy, costs.costs(rows, mode.policy().schedule(),
                    mode.pruneVocab()), saved);
            boolean[] k = new boolean[layers + 1];
            verdict.kept().forEach(l -> k[l] = true);
            keep = k;
        }
    }
}

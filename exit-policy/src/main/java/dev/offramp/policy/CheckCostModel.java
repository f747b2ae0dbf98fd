package dev.offramp.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which of a schedule's checks pay for themselves: a check costs an LM-head pass (or a pruned or cosine one), and
 * saves the layers its exits skip. Given, per checked layer, the fraction of tokens whose policy would have exited
 * there or earlier (measured with every check made), it picks the subset of checks with the largest expected saving
 * per token, in layers: a check is kept only where exits × layers saved exceed its cost (Schuster et al. 2022 weigh
 * the same trade in CALM's choice of exit layers).
 *
 * <p>The model: a token whose first exit (all checks made) falls between two kept checks exits at the later one; a
 * token that reaches kept check i pays that check's cost (the first a full LM head, later ones pruned when pruning);
 * an exit after layer k saves {@code saved × (L − k)} layers ({@code saved} &lt; 1 where deferred layers are
 * recomputed later).
 */
public final class CheckCostModel {
    private CheckCostModel() {}

    /** A check's cost in layers of the same batch: a token's first check, and its later ones (pruned, if so). */
    public record Costs(double firstCheck, double laterCheck) {
        public Costs {
            if (!(firstCheck >= 0) || !(laterCheck >= 0) || Double.isInfinite(firstCheck)
                    || Double.isInfinite(laterCheck)) {
                throw new IllegalArgumentException("check costs: expected finite values >= 0, found " + firstCheck
                        + " and " + laterCheck);
            }
        }
    }

    /**
     * The schedule as declared and as thinned, with each one's expected saving in layers per token (negative: the
     * checks cost more than the exits save).
     */
    public record Thinning(List<Integer> declared, List<Integer> kept, double declaredGain, double keptGain) {
        public Thinning {
            declared = List.copyOf(declared);
            kept = List.copyOf(kept);
        }

        public boolean thinned() {
            return !declared.equals(kept);
        }

        /** The declared schedule is expected to make decoding slower than full depth. */
        public boolean loses() {
            return declaredGain < 0;
        }

        /**
         * What to tell the user of {@code policy}'s schedule: a {@code "warning: "} when the declared schedule is
         * expected to make decoding slower than full depth; a plain note when it saves layers and was only thinned to
         * save more; null when it runs as declared and pays. {@code strict}: the engine kept it as declared.
         */
        public String report(String policy, boolean strict) {
            if (!loses() && !thinned()) {
                return null;
            }
            return (loses() ? "warning: " : "") + describe(policy, strict);
        }

        private String describe(String policy, boolean strict) {
            String declaredText = String.format(java.util.Locale.ROOT, "policy %s: its checks at layers %s are "
                    + "expected to %s %.2f layers per token", policy, declared, declaredGain < 0 ? "cost" : "save",
                    Math.abs(declaredGain));
            String thinnedText = kept.isEmpty() ? "no check (full depth)" : "layers " + kept;
            return strict
                    ? declaredText + "; strict: kept as declared (thinned it would check " + thinnedText + ")"
                    : String.format(java.util.Locale.ROOT, "%s; thinned to %s, expected to save %.2f (strict(…) "
                    + "keeps a schedule as declared)", declaredText, thinnedText, keptGain);
        }
    }

    /**
     * @param totalLayers the model's depth L
     * @param checked     the declared checked layers, ascending, each in 1..L−1
     * @param exitBy      per checked layer, the fraction of tokens that exit there or earlier (non-decreasing, in
     *                    [0, 1])
     * @param costs       what a check costs, in layers
     * @param saved       the fraction of an exit's skipped layers that is really saved, in [0, 1]
     */
    public static Thinning thin(int totalLayers, int[] checked, double[] exitBy, Costs costs, double saved) {
        if (checked.length != exitBy.length) {
            throw new IllegalArgumentException("exitBy: expected one per checked layer (" + checked.length
                    + "), found " + exitBy.length);
        }
        if (!(saved >= 0 && saved <= 1)) {
            throw new IllegalArgumentException("saved: expected in [0, 1], found " + saved);
        }
        for (int i = 0; i < checked.length; i++) {
            if (checked[i] < 1 || checked[i] >= totalLayers || i > 0 && checked[i] <= checked[i - 1]) {
                throw new IllegalArgumentException("checked: expected ascending layers in 1.." + (totalLayers - 1)
                        + ", found " + Arrays.toString(checked));
            }
            if (!(exitBy[i] >= 0 && exitBy[i] <= 1) || i > 0 && exitBy[i] < exitBy[i - 1]) {
                throw new IllegalArgumentException("exitBy: expected non-decreasing fractions in [0, 1], found "
                        + Arrays.toString(exitBy));
            }
        }
        int n = checked.length;
        double[] best = new double[n];   // the largest gain of a kept schedule whose last check is checked[i]
        int[] before = new int[n];       // the kept check before it, -1 for none
        for (int i = 0; i < n; i++) {
            double exitsHere = saved * (totalLayers - checked[i]);
            best[i] = exitBy[i] * exitsHere - costs.firstCheck();
            before[i] = -1;
            for (int j = 0; j < i; j++) {
                double g = best[j] + (exitBy[i] - exitBy[j]) * exitsHere - (1 - exitBy[j]) * costs.laterCheck();
                if (g > best[i]) {
                    best[i] = g;
                    before[i] = j;
                }
            }
        }
        int last = -1;
        double keptGain = 0;  // no check at all: full depth
        for (int i = 0; i < n; i++) {
            if (best[i] > keptGain) {
                keptGain = best[i];
                last = i;
            }
        }
        List<Integer> kept = new ArrayList<>();
        for (int i = last; i >= 0; i = before[i]) {
            kept.add(0, checked[i]);
        }
        List<Integer> declared = Arrays.stream(checked).boxed().toList();
        return new Thinning(declared, kept, gain(totalLayers, checked, exitBy, costs, saved), keptGain);
    }

    /** The expected saving, in layers per token, of making every one of {@code checked}. */
    static double gain(int totalLayers, int[] checked, double[] exitBy, Costs costs, double saved) {
        double g = 0;
        double before = 0;
        for (int i = 0; i < checked.length; i++) {
            g += (exitBy[i] - before) * saved * (totalLayers - checked[i])
                    - (1 - before) * (i == 0 ? costs.firstCheck() : costs.laterCheck());
            before = exitBy[i];
        }
        return g;
    }
}

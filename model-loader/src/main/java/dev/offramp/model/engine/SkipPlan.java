package dev.offramp.model.engine;

/**
 * Unified Layer Skipping's plan: for a target speed-up r, skip round(L (1 - 1/r)) layers spread evenly over the
 * middle layers 2..L-1 (the first and last layer always run), the same for every token.
 */
public final class SkipPlan {
    private SkipPlan() {}

    /** kept[l] for l in 1..L (index 0 unused). */
    public static boolean[] kept(int layers, double speedup) {
        int middle = Math.max(0, layers - 2);
        int skip = (int) Math.min(middle, Math.round(layers * (1 - 1 / speedup)));
        boolean[] kept = new boolean[layers + 1];
        java.util.Arrays.fill(kept, 1, layers + 1, true);
        for (int i = 0; i < skip; i++) {
            kept[2 + (int) ((i + 0.5) * middle / skip)] = false;
        }
        return kept;
    }
}

package dev.offramp.bench.eval;

import java.util.List;

/** How closely a mode's greedy ids follow full depth's on the same prompts. */
final class Agreement {
    private Agreement() {}

    /** Length of the longest common prefix: after the first divergence the two continue from different texts. */
    static int prefix(int[] full, int[] mode) {
        int n = Math.min(full.length, mode.length);
        for (int i = 0; i < n; i++) {
            if (full[i] != mode[i]) {
                return i;
            }
        }
        return n;
    }

    /** Positions where both produced the same id. */
    static int matches(int[] full, int[] mode) {
        int same = 0;
        for (int i = 0; i < Math.min(full.length, mode.length); i++) {
            same += full[i] == mode[i] ? 1 : 0;
        }
        return same;
    }

    /** Mean over prompts of the matching prefix as a fraction of full depth's length. */
    static double prefixRate(List<int[]> full, List<int[]> mode) {
        check(full, mode);
        double sum = 0;
        for (int i = 0; i < full.size(); i++) {
            sum += (double) prefix(full.get(i), mode.get(i)) / full.get(i).length;
        }
        return sum / full.size();
    }

    /** Matching positions over all of full depth's positions. */
    static double overallRate(List<int[]> full, List<int[]> mode) {
        check(full, mode);
        long same = 0;
        long total = 0;
        for (int i = 0; i < full.size(); i++) {
            same += matches(full.get(i), mode.get(i));
            total += full.get(i).length;
        }
        return (double) same / total;
    }

    private static void check(List<int[]> full, List<int[]> mode) {
        if (full.isEmpty() || full.size() != mode.size()) {
            throw new IllegalArgumentException("agreement: expected the same non-zero number of generations, found "
                    + full.size() + " full and " + mode.size() + " mode");
        }
    }
}

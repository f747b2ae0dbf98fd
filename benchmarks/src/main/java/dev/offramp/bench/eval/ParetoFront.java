package dev.offramp.bench.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The points no other point beats on both axes (higher is better on each): the trade-offs worth choosing from. */
final class ParetoFront {
    private ParetoFront() {}

    /** Indices of the non-dominated points, by increasing x; equal points are all kept. */
    static List<Integer> indices(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("pareto: expected as many x as y, found " + x.length + " and "
                    + y.length);
        }
        List<Integer> front = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (!dominated(i, x, y)) {
                front.add(i);
            }
        }
        front.sort(Comparator.<Integer>comparingDouble(i -> x[i]).thenComparingDouble(i -> -y[i]));
        return front;
    }

    private static boolean dominated(int i, double[] x, double[] y) {
        for (int j = 0; j < x.length; j++) {
            if (x[j] >= x[i] && y[j] >= y[i] && (x[j] > x[i] || y[j] > y[i])) {
                return true;
            }
        }
        return false;
    }
}

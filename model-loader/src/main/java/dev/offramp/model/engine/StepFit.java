package dev.offramp.model.engine;

/**
 * A step's time, less its LM-head passes and the carrying of deferred rows (timed apart), fitted as {@code a + b ×
 * layer calls + d × deferred row-layers} by least squares over the recent steps (each older step weighs
 * {@code 1 − 1/window} of the next, so that a change of load shows): {@code b} is what a layer call costs in a step,
 * and a deferred layer run later beside another token's costs {@code d / b} of one. Engine thread only.
 */
final class StepFit {
    private static final int N = 3;  // 1, layer calls, deferred row-layers
    private final double keep;       // the weight an older step keeps per newer one
    private final int fewest;        // steps with and without deferred rows the fit needs, each
    private final double[][] xx = new double[N][N];
    private final double[] xy = new double[N];
    private int withDeferred;
    private int without;

    /** A layer call's nanoseconds in a step, and a deferred row-layer's in layer calls. */
    record Fitted(double layerCallNanos, double deferredLayer) {}

    StepFit(int window, int fewest) {
        this.keep = 1 - 1.0 / window;
        this.fewest = fewest;
    }

    /** One step: its layer calls, the layers it ran for deferred rows, and its time less the head's and carrying. */
    void add(int layerCalls, int deferredLayers, long nanos) {
        double[] x = {1, layerCalls, deferredLayers};
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                xx[i][j] = keep * xx[i][j] + x[i] * x[j];
            }
            xy[i] = keep * xy[i] + x[i] * nanos;
        }
        if (deferredLayers > 0) {
            withDeferred = Math.min(fewest, withDeferred + 1);
        } else {
            without = Math.min(fewest, without + 1);
        }
    }

    /** The fit; null until the steps seen can tell a layer call from a deferred row-layer. */
    Fitted fitted() {
        if (withDeferred < fewest || without < fewest) {
            return null;
        }
        double[] c = solve();
        return c == null || !(c[1] > 0) ? null : new Fitted(c[1], c[2] / c[1]);
    }

    /** The normal equations solved by Gaussian elimination with partial pivoting; null where they are singular. */
    private double[] solve() {
        double[][] a = new double[N][N + 1];
        double scale = 0;
        for (int i = 0; i < N; i++) {
            System.arraycopy(xx[i], 0, a[i], 0, N);
            a[i][N] = xy[i];
            scale = Math.max(scale, Math.abs(xx[i][i]));
        }
        for (int col = 0; col < N; col++) {
            int pivot = col;
            for (int r = col + 1; r < N; r++) {
                pivot = Math.abs(a[r][col]) > Math.abs(a[pivot][col]) ? r : pivot;
            }
            if (!(Math.abs(a[pivot][col]) > 1e-9 * scale)) {
                return null;  // two counts moved together (or one never moved): no telling them apart
            }
            double[] t = a[col];
            a[col] = a[pivot];
            a[pivot] = t;
            for (int r = 0; r < N; r++) {
                if (r != col) {
                    double f = a[r][col] / a[col][col];
                    for (int k = col; k <= N; k++) {
                        a[r][k] -= f * a[col][k];
                    }
                }
            }
        }
        double[] c = new double[N];
        for (int i = 0; i < N; i++) {
            c[i] = a[i][N] / a[i][i];
        }
        return c;
    }
}

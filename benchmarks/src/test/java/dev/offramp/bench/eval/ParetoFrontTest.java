package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ParetoFrontTest {
    @Test
    void keepsOnlyPointsNoOtherBeatsOnBothAxesByIncreasingSpeedup() {
        //               0     1     2     3     4     5
        double[] x = {1.10, 1.50, 1.30, 2.00, 1.40, 1.50};
        double[] y = {0.99, 0.90, 0.95, 0.70, 0.94, 0.85};
        // 4 is beaten by 2? no (faster); by 1? no (less agreement). 5 is beaten by 1 (same speed, more agreement).
        assertThat(ParetoFront.indices(x, y)).containsExactly(0, 2, 4, 1, 3);
    }

    @Test
    void equalPointsAreBothKeptAndADominatedOneDropped() {
        double[] x = {1.2, 1.2, 1.1};
        double[] y = {0.9, 0.9, 0.8};
        assertThat(ParetoFront.indices(x, y)).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void oneBestPointIsTheWholeFront() {
        assertThat(ParetoFront.indices(new double[] {1.0, 2.0, 1.5}, new double[] {0.5, 1.0, 0.7})).containsExactly(1);
    }
}

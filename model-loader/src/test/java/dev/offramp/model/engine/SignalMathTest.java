package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.Signal;
import java.util.Comparator;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SignalMathTest {
    @Test
    void topKEqualsAFullSortOnRandomAndTiedLogits() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            float[] logits = new float[500];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = trial % 2 == 0 ? (float) random.nextGaussian() : random.nextInt(5);  // odd trials: ties
            }
            int k = 1 + random.nextInt(40);
            int[] want = IntStream.range(0, logits.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -logits[i]).thenComparingInt(i -> i))
                    .limit(k).mapToInt(Integer::intValue).toArray();
            assertThat(SignalMath.topK(logits, k)).as("trial %d, k %d", trial, k).containsExactly(want);
        }
    }

    @Test
    void signalsOfAKnownDistribution() {
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        LayerSignals s = SignalMath.of(4, logits, 0, logits.length, new int[] {10, 20, 30}, Set.of(Signal.ENTROPY), 0.5f);
        assertThat(s.layer()).isEqualTo(4);
        assertThat(s.top1Prob()).isCloseTo(0.5f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(s.margin()).isCloseTo(0.2f, org.assertj.core.data.Offset.offset(1e-6f));
        double h = -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.2 * Math.log(0.2));
        assertThat((double) s.entropy()).isCloseTo(h, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(s.argmax()).as("mapped through the pruned vocabulary").isEqualTo(10);
        assertThat(s.cosine()).isEqualTo(0.5f);
    }

    /** The Vector API's float exponentials summed in double against the scalar loop's double ones. */
    @Test
    void theVectorSumsMatchTheScalarOnes() {
        SplittableRandom random = new SplittableRandom(11);
        for (int n : new int[] {4096, 512, 37, 3}) {
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) {
                logits[i] = (float) (random.nextGaussian() * 4);
            }
            float max = logits[SignalMath.argmax(logits, 0, n)];
            double sum = 0;
            double weighted = 0;
            for (float x : logits) {
                sum += Math.exp((double) x - max);
                weighted += Math.exp((double) x - max) * ((double) x - max);
            }
            double[] v = VectorSoftmax.sums(logits, 0, n, max);
            assertThat(v[0]).as("n %d: the sum", n).isCloseTo(sum, org.assertj.core.data.Offset.offset(1e-6 * sum));
            assertThat(v[1]).as("n %d: the weighted sum", n)
                    .isCloseTo(weighted, org.assertj.core.data.Offset.offset(1e-6 * Math.abs(weighted) + 1e-12));
        }
    }
}

package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Temperature, top-k and top-p: the distributions a draw comes from. */
class SamplerTest {
    // softmax at T = 1 of these logits: 0.5, 0.25, 0.125, 0.125 (in that order of ids 2, 0, 3, 1)
    static final float[] LOGITS = {(float) Math.log(0.25), (float) Math.log(0.125), (float) Math.log(0.5),
                                   (float) Math.log(0.125)};

    @Test
    void noTruncationIsTheSoftmax() {
        assertThat(new Sampler(1f, new SplittableRandom(1)).probabilities(LOGITS))
                .containsExactly(new double[] {0.25, 0.125, 0.5, 0.125}, within(1e-6));
    }

    @Test
    void topKKeepsTheKMostProbableRenormalised() {
        assertThat(new Sampler(1f, 1f, 2, new SplittableRandom(1)).probabilities(LOGITS))
                .containsExactly(new double[] {1 / 3.0, 0, 2 / 3.0, 0}, within(1e-6));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        assertThat(new Sampler(1f, 0.7f, 0, new SplittableRandom(1)).probabilities(LOGITS))
                .containsExactly(new double[] {1 / 3.0, 0, 2 / 3.0, 0}, within(1e-6));
        assertThat(new Sampler(1f, 0.75f, 0, new SplittableRandom(1)).probabilities(LOGITS))
                .as("exactly reaching p stops there").containsExactly(new double[] {1 / 3.0, 0, 2 / 3.0, 0}, within(1e-6));
        assertThat(new Sampler(1f, 0.8f, 0, new SplittableRandom(1)).probabilities(LOGITS)[3])
                .as("ties broken by id: 1 before 3").isZero();
        assertThat(new Sampler(1f, 0.1f, 0, new SplittableRandom(1)).probabilities(LOGITS))
                .containsExactly(new double[] {0, 0, 1, 0}, within(1e-6));
    }

    @Test
    void topKThenTopPOfWhatIsLeft() {
        // top-2 leaves 2/3, 1/3; top-p 0.5 of that is the first alone.
        assertThat(new Sampler(1f, 0.5f, 2, new SplittableRandom(1)).probabilities(LOGITS))
                .containsExactly(new double[] {0, 0, 1, 0}, within(1e-6));
    }

    @Test
    void drawsFollowTheTruncatedDistribution() {
        Sampler s = new Sampler(1f, 1f, 2, new SplittableRandom(7));
        int[] counts = new int[4];
        for (int i = 0; i < 30_000; i++) {
            counts[s.sample(LOGITS)]++;
        }
        assertThat(counts[1] + counts[3]).isZero();
        assertThat(counts[2] / 30_000.0).isCloseTo(2 / 3.0, within(0.02));
    }

    @Test
    void outOfRangeKnobsAreRefusedByTheRequest() {
        int[] p = {1};
        Mode full = new Mode.Full();
        assertThatThrownBy(() -> new GenerationRequest(p, 1, 1f, 0f, 0, 0, full, false)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> new GenerationRequest(p, 1, 1f, 1.5f, 0, 0, full, false)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> new GenerationRequest(p, 1, 1f, 1f, -1, 0, full, false)).hasMessageContaining("top_k");
    }
}

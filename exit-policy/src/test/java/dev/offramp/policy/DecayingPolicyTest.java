package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CALM's decaying threshold λ(t) = clamp(0.9·λ + 0.1·exp(−τ·t/N), 0, 1). */
class DecayingPolicyTest {
    private final PolicyRegistry registry = PolicyRegistry.standard();

    @ParameterizedTest(name = "λ={0} τ={1} N={2} t={3} -> {4}")
    @CsvSource(delimiter = '|', textBlock = """
            0.5 | 4 | 64 | 0    | 0.55
            0.5 | 4 | 64 | 16   | 0.4867879
            0.5 | 4 | 64 | 64   | 0.4518316
            0.5 | 4 | 64 | 6400 | 0.45
            0.5 | 4 | 16 | 16   | 0.4518316
            0.5 | 0 | 64 | 6400 | 0.55
            0.9 | 4 | 64 | 0    | 0.91
            1   | 0 | 64 | 100  | 1
            1   | 4 | 1  | 1    | 0.9018316
            """)
    void thresholdDecays(float lambda, float tau, int horizon, int position, float expected) {
        DecayingPolicy policy = new DecayingPolicy(lambda, tau, horizon, LayerSet.range(1, 1));
        assertThat(policy.thresholdAt(position)).isCloseTo(expected, within(1e-6f));
    }

    @ParameterizedTest(name = "{0} at t={1} on [{2}] -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            decaying:threshold=0.5,tau=0            | 100 | 1 p=0.55        | true
            decaying:threshold=0.5,tau=0            | 100 | 1 p=0.5499      | false
            decaying:threshold=0.5                  | 0   | 1 p=0.55        | true
            decaying:threshold=0.5                  | 0   | 1 p=0.54        | false
            decaying:threshold=0.5                  | 16  | 1 p=0.49        | true
            decaying:threshold=0.5                  | 16  | 1 p=0.48        | false
            decaying:threshold=0.5                  | 64  | 1 p=0.46        | true
            decaying:threshold=0.5                  | 64  | 1 p=0.45        | false
            decaying:threshold=0.5,horizon=16       | 16  | 1 p=0.46        | true
            decaying:threshold=0.5,tau=1            | 64  | 1 p=0.48        | false
            decaying:threshold=1,tau=0              | 0   | 1 p=1           | true
            decaying:threshold=1,tau=0              | 0   | 1 p=0.9999      | false
            decaying:threshold=0.5,tau=0            | 0   | 1 p=0.9; 2 p=0.1 | false
            decaying:threshold=0.5,tau=0            | 0   | 1 m=1 e=0 c=1   | false
            """)
    void exitsAtTheDecayedThreshold(String spec, int position, String history, boolean exits) {
        assertThat(registry.parse(spec).shouldExit(States.token(position, history))).isEqualTo(exits);
    }

    @ParameterizedTest(name = "t={0}")
    @CsvSource({"0", "1", "7", "32", "64", "65", "1000"})
    void boundaryIsInclusiveAtEveryPosition(int position) {
        DecayingPolicy policy = (DecayingPolicy) registry.parse("decaying:threshold=0.7,tau=3,horizon=50");
        float at = policy.thresholdAt(position);
        LayerSignals exactly = new LayerSignals(1, at, Float.NaN, Float.NaN, -1, Float.NaN);
        LayerSignals below = new LayerSignals(1, Math.nextDown(at), Float.NaN, Float.NaN, -1, Float.NaN);
        assertThat(policy.shouldExit(new TokenState(position, 12, List.of(exactly)))).isTrue();
        assertThat(policy.shouldExit(new TokenState(position, 12, List.of(below)))).isFalse();
    }
}

package dev.offramp.policy.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.LearnedGate;
import dev.offramp.policy.LearnedPolicy;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.policy.TokenState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GateTrainerTest {
    /** A synthetic trace: at layer 3 the rule is margin > 0.3, at layer 6 it is "agrees with the previous check". */
    private static List<GateTrainer.Sample> trace(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        List<GateTrainer.Sample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double top1 = r.nextDouble(0.05, 1);
            double margin = r.nextDouble(0, top1);
            double[] x = {top1, margin, r.nextDouble(0, 5), r.nextDouble(0.5, 1), r.nextBoolean() ? 1 : 0,
                r.nextDouble(), Math.log1p(r.nextInt(64))};
            out.add(new GateTrainer.Sample(3, x, margin > 0.3));
            double[] y = x.clone();
            out.add(new GateTrainer.Sample(6, y, y[4] == 1));
        }
        return out;
    }

    @Test
    void trainingOnASyntheticTraceRecoversTheRule() {
        LearnedGate gate = GateTrainer.train(trace(12, 4000), 32, 1e-3);
        assertThat(gate.layerNumbers()).containsExactly(3, 6);
        int right = 0;
        List<GateTrainer.Sample> held = trace(99, 2000);
        for (GateTrainer.Sample s : held) {
            boolean says = gate.layers().get(s.layer()).probability(s.features()) >= 0.5;
            right += says == s.agrees() ? 1 : 0;
        }
        assertThat((double) right / held.size()).isGreaterThan(0.98);
        // the rule's own feature carries the decision: margin at layer 3, agreement at layer 6
        double[] w3 = gate.layers().get(3).weights();
        double[] w6 = gate.layers().get(6).weights();
        for (int i = 0; i < w3.length; i++) {
            if (i != 1) {
                assertThat(Math.abs(w3[1])).isGreaterThan(5 * Math.abs(w3[i]));
            }
            if (i != 4) {
                assertThat(Math.abs(w6[4])).isGreaterThan(5 * Math.abs(w6[i]));
            }
        }
        // the boundary sits at the rule's: σ = 1/2 where margin = 0.3 (top-1 etc. at their means)
        LearnedGate.Layer l3 = gate.layers().get(3);
        double[] at = l3.mean().clone();
        at[1] = 0.29;
        assertThat(l3.probability(at)).isLessThan(0.5);
        at[1] = 0.31;
        assertThat(l3.probability(at)).isGreaterThan(0.5);
    }

    @Test
    void aGateFileRoundTripsAndRunsAsAPolicy(@TempDir Path dir) throws Exception {
        LearnedGate gate = GateTrainer.train(trace(5, 1000), 32, 1e-3);
        Path file = Files.writeString(dir.resolve("g.txt"), gate.text());
        ExitPolicy p = PolicyRegistry.standard().parse("learned:gate=" + file + ",threshold=0.5");
        assertThat(p).isInstanceOf(LearnedPolicy.class);
        assertThat(p.schedule().checks(3, 12)).isTrue();
        assertThat(p.schedule().checks(4, 12)).isFalse();
        assertThat(PolicyRegistry.standard().parse(p.toString()).toString()).isEqualTo(p.toString());
        TokenState confident = new TokenState(0, 12, List.of(new LayerSignals(3, 0.9f, 0.8f, 0.5f, 7, 0.9f)));
        TokenState unsure = new TokenState(0, 12, List.of(new LayerSignals(3, 0.3f, 0.05f, 3f, 7, 0.9f)));
        assertThat(p.shouldExit(confident)).isTrue();
        assertThat(p.shouldExit(unsure)).isFalse();
        assertThat(PolicyRegistry.standard().parse("learned:gate=" + file + ",threshold=0.5,at=6").schedule()
                .checks(3, 12)).isFalse();
    }

    @Test
    void malformedGatesAreRefusedNamingTheProblem(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.txt"), "offramp-gate 1\nprune 32\nlayer 3 1 2\n");
        assertThatThrownBy(() -> PolicyRegistry.standard().parse("learned:gate=" + bad + ",threshold=0.5"))
                .hasMessageContaining("line 3").hasMessageContaining("expected 'prune K' or 'layer L'");
        Path none = dir.resolve("none.txt");
        assertThatThrownBy(() -> PolicyRegistry.standard().parse("learned:gate=" + none))
                .hasMessageContaining("cannot read it");
        assertThatThrownBy(() -> PolicyRegistry.standard().parse("learned:threshold=0.5"))
                .hasMessageContaining("missing required key 'gate'");
        Path file = Files.writeString(dir.resolve("g.txt"), GateTrainer.train(trace(5, 200), 0, 1).text());
        assertThatThrownBy(() -> PolicyRegistry.standard().parse("learned:gate=" + file + ",threshold=2"))
                .hasMessageContaining("threshold expected in [0, 1]");
        assertThatThrownBy(() -> GateTrainer.train(List.of(), 0, 1)).hasMessageContaining("found none");
    }
}

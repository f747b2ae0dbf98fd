package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CheckCostModelTest {
    private static final CheckCostModel.Costs HEAD = new CheckCostModel.Costs(0.76, 0.76);
    private static final CheckCostModel.Costs PRUNED = new CheckCostModel.Costs(0.76, 0.17);

    @Test
    void onlyALosingScheduleIsAWarningAThinnedOneThatSavesIsANote() {
        String loses = new CheckCostModel.Thinning(List.of(3), List.of(), -0.5, 0).report("p", false);
        assertThat(loses).startsWith("warning: policy p:").contains("expected to cost 0.50")
                .contains("thinned to no check");
        String saves = new CheckCostModel.Thinning(List.of(3, 6, 9), List.of(3, 9), 1.5, 1.8).report("p", false);
        assertThat(saves).doesNotContain("warning").startsWith("policy p:").contains("expected to save 1.50")
                .contains("thinned to layers [3, 9], expected to save 1.80");
        assertThat(new CheckCostModel.Thinning(List.of(3), List.of(3), 1.0, 1.0).report("p", false)).isNull();
        assertThat(new CheckCostModel.Thinning(List.of(3), List.of(3), -1.0, -1.0).report("strict(p)", true))
                .startsWith("warning: ").contains("strict: kept as declared");
    }

    @Test
    void aScheduleThatChecksEveryLayerAndRarelyExitsIsThinnedToNoCheck() {
        // confidence:threshold=0.5 on kjv-ee-12l: 1% of tokens exit by layer 11, each check costs 0.76 of a layer
        int[] every = IntStream.rangeClosed(1, 11).toArray();
        double[] exitBy = IntStream.rangeClosed(1, 11).mapToDouble(l -> 0.001 * l).toArray();
        CheckCostModel.Thinning t = CheckCostModel.thin(12, every, exitBy, HEAD, 1.0);
        assertThat(t.loses()).isTrue();
        assertThat(t.declaredGain()).isLessThan(-7);  // eleven checks, almost no exits
        assertThat(t.kept()).isEmpty();
        assertThat(t.keptGain()).isZero();
        assertThat(t.thinned()).isTrue();
    }

    @Test
    void aCheckThatFindsFewExitsIsDroppedAndTheOthersKept() {
        int[] at = {3, 6, 9};
        double[] exitBy = {0.30, 0.31, 0.60};  // layer 6 adds 1% of exits: 0.06 layers saved for 0.7 × 0.17 paid
        CheckCostModel.Thinning t = CheckCostModel.thin(12, at, exitBy, PRUNED, 1.0);
        assertThat(t.kept()).containsExactly(3, 9);
        assertThat(t.loses()).isFalse();
        // by hand: 0.3 × 9 − 0.76, then 0.3 × 3 − 0.7 × 0.17
        assertThat(t.keptGain()).isCloseTo(0.3 * 9 - 0.76 + 0.3 * 3 - 0.7 * 0.17, within(1e-12));
        assertThat(t.keptGain()).isCloseTo(CheckCostModel.gain(12, new int[] {3, 9}, new double[] {0.30, 0.60},
                PRUNED, 1.0), within(1e-12));
        assertThat(t.keptGain()).isGreaterThan(t.declaredGain());
    }

    @Test
    void aScheduleWhoseChecksAllPayIsKeptAsDeclared() {
        int[] at = {3, 6, 9};
        CheckCostModel.Thinning t = CheckCostModel.thin(12, at, new double[] {0.4, 0.6, 0.8}, PRUNED, 1.0);
        assertThat(t.kept()).containsExactly(3, 6, 9);
        assertThat(t.thinned()).isFalse();
        assertThat(t.keptGain()).isCloseTo(t.declaredGain(), within(1e-12));
    }

    @Test
    void exitsWhoseLayersAreRecomputedLaterSaveLessAndCanStopPaying() {
        int[] at = {3, 6, 9};
        double[] exitBy = {0.15, 0.25, 0.4};
        assertThat(CheckCostModel.thin(12, at, exitBy, PRUNED, 1.0).kept()).isNotEmpty();
        CheckCostModel.Thinning recomputed = CheckCostModel.thin(12, at, exitBy, PRUNED, 0.1);
        assertThat(recomputed.kept()).isEmpty();
        assertThat(recomputed.loses()).isTrue();
    }

    @Test
    void theThinnedScheduleIsTheBestSubset() {
        // exhaustive check on a 7-check schedule with uneven exit rates
        int[] at = {1, 2, 4, 5, 7, 8, 10};
        double[] exitBy = {0.02, 0.20, 0.21, 0.45, 0.46, 0.47, 0.8};
        CheckCostModel.Thinning t = CheckCostModel.thin(11, at, exitBy, PRUNED, 0.8);
        double best = 0;
        List<Integer> bestSet = List.of();
        for (int mask = 1; mask < 1 << at.length; mask++) {
            int m = mask;
            int[] sub = IntStream.range(0, at.length).filter(i -> (m >> i & 1) == 1).map(i -> at[i]).toArray();
            double[] f = IntStream.range(0, at.length).filter(i -> (m >> i & 1) == 1).mapToDouble(i -> exitBy[i])
                    .toArray();
            double g = CheckCostModel.gain(11, sub, f, PRUNED, 0.8);
            if (g > best) {
                best = g;
                bestSet = IntStream.of(sub).boxed().toList();
            }
        }
        assertThat(t.kept()).isEqualTo(bestSet);
        assertThat(t.keptGain()).isCloseTo(best, within(1e-12));
    }

    @Test
    void malformedInputsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> CheckCostModel.thin(12, new int[] {3, 12}, new double[] {0.1, 0.2}, HEAD, 1))
                .hasMessageContaining("checked: expected ascending layers in 1..11");
        assertThatThrownBy(() -> CheckCostModel.thin(12, new int[] {3, 6}, new double[] {0.3, 0.2}, HEAD, 1))
                .hasMessageContaining("exitBy: expected non-decreasing");
        assertThatThrownBy(() -> CheckCostModel.thin(12, new int[] {3}, new double[] {0.3}, HEAD, 1.5))
                .hasMessageContaining("saved: expected in [0, 1]");
        assertThatThrownBy(() -> new CheckCostModel.Costs(-1, 0)).hasMessageContaining("check costs");
    }

    @Test
    void strictWrapsOnePolicyAndParsesBack() {
        ExitPolicy p = PolicyRegistry.standard().parse("strict(confidence:threshold=0.5)");
        assertThat(p).isInstanceOf(StrictPolicy.class);
        assertThat(p.toString()).isEqualTo("strict(confidence:threshold=0.5)");
        assertThat(PolicyRegistry.standard().parse(p.toString()).toString()).isEqualTo(p.toString());
        assertThatThrownBy(() -> PolicyRegistry.standard().parse("strict(margin:threshold=0.1,confidence:"
                + "threshold=0.5)")).hasMessageContaining("strict: expected exactly one child spec, found 2");
    }
}

package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.policy.CheckCostModel;
import dev.offramp.policy.PolicyRegistry;
import org.junit.jupiter.api.Test;

/** The engine's side of the check-cost model: what it measures, and the schedule it then runs. */
class ExitLedgerTest {
    // a layer's products 100 µs a row and the head's 80: a full check ~0.61 of a layer, a pruned one (32 of 4096)
    // ~0.15; per row as cheap at two rows as at one: a deferred layer run beside another token's costs a whole layer
    private static final CheckCosts COSTS = new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096);

    private static Mode.EarlyExit mode(String spec, int prune) {
        return new Mode.EarlyExit(PolicyRegistry.standard().parse(spec), Mode.KvStrategy.PROPAGATE, prune);
    }

    @Test
    void aScheduleWhoseChecksFindNoExitsIsThinnedToNone() {
        ExitLedger.Entry e = new ExitLedger(COSTS, 12).entry(mode("confidence:threshold=0.5", 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            assertThat(e.exploreEvery()).as("the warm-up: every token explores").isEqualTo(1);
            assertThat(e.verdict()).isNull();
            e.record(true, 0, 0, 0, 0);  // reached layer 12: no exit
        }
        assertThat(e.verdict().loses()).isTrue();
        assertThat(e.verdict().declared()).hasSize(11);
        assertThat(e.verdict().kept()).isEmpty();
        java.util.List<Integer> explorers = new java.util.ArrayList<>();
        for (int i = 0; i < 128; i++) {
            int every = e.exploreEvery();
            boolean explores = every > 0;
            if (explores) {
                explorers.add(i);
                assertThat(every).as("an explorer's every 8th token explores").isEqualTo(ExitLedger.EXPLORE_STRIDE);
            }
            if (!explores) {
                boolean[] keep = e.keep();
                for (int l = 1; l <= 12; l++) {
                    assertThat(keep[l]).as("layer %d", l).isFalse();
                }
            }
            e.record(explores, 0, 0, 0, 0);
        }
        // one request in ExploreInterval.FIRST keeps measuring, less often while each finds what the last one did
        assertThat(explorers).containsExactly(0, 8, 24, 56, 120);
        assertThat(e.verdict().report("confidence:threshold=0.5", false)).startsWith("warning: ")
                .contains("thinned to no check");
    }

    @Test
    void checksThatPayAreKeptAndOnesThatDoNotAreDropped() {
        ExitLedger.Entry e = new ExitLedger(COSTS, 12).entry(mode("margin:threshold=0.1,at=3;6;9", 32));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            // half exit at layer 3, none at 6, a quarter at 9
            e.record(true, i % 4 < 2 ? 3 : i % 4 == 2 ? 9 : 0, 0, 0, 0);
        }
        assertThat(e.verdict().kept()).containsExactly(3, 9);
        boolean[] keep = e.keep();
        assertThat(keep[3]).isTrue();
        assertThat(keep[6]).isFalse();
        assertThat(keep[9]).isTrue();
        assertThat(e.verdict().loses()).isFalse();
    }

    @Test
    void deferredLayersRunLaterCountAgainstTheSaving() {
        ExitLedger.Entry e = new ExitLedger(COSTS, 12).entry(mode("margin:threshold=0.1,at=9", 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            // a third exit at 9 and skip 3 layers each, but every skipped layer is run later (recompute)
            e.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, i % 3 == 0 ? 3 : 0, 0);
        }
        assertThat(e.verdict().kept()).isEmpty();
        ExitLedger.Entry saved = new ExitLedger(COSTS, 12).entry(mode("margin:threshold=0.1,at=9", 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            saved.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, 0, 0);
        }
        assertThat(saved.verdict().kept()).containsExactly(9);  // 1/3 × 3 layers > 0.61
        // where a second row's products cost 0.2 of the first's, a deferred layer still pays the rest of a layer step
        // (0.7 of its products) whole: (20 + 70) / 170 of a layer
        CheckCosts batched = new CheckCosts(b -> new CheckCosts.PerRow(b.timedRows() == 2 ? 60 : 100, 80), 4096);
        assertThat(batched.deferredRow(1)).isCloseTo(90.0 / 170, org.assertj.core.api.Assertions.within(1e-12));
        ExitLedger.Entry third = new ExitLedger(batched, 12).entry(mode("margin:threshold=0.1,at=9", 0));
        ExitLedger.Entry all = new ExitLedger(batched, 12).entry(mode("margin:threshold=0.1,at=9", 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            third.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, i % 3 == 0 ? 3 : 0, 0);
            all.record(true, 9, 3, 3, 0);
        }
        assertThat(third.verdict().kept()).isEmpty();           // 1/3 × 3 × 80/170 < 0.61
        assertThat(all.verdict().kept()).containsExactly(9);    // 3 × 80/170 > 0.61
    }

    @Test
    void checksArePricedFromTheBatchsOwnStepsOnceEnoughHaveRun() {
        CheckCosts costs = new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096);
        dev.offramp.policy.Schedule schedule = PolicyRegistry.standard().parse("margin:threshold=0.1").schedule();
        double timed = costs.costs(1, schedule, 32).firstCheck();
        assertThat(timed).isCloseTo(80 * 1.3 / (100 * 1.7), org.assertj.core.api.Assertions.within(1e-12));
        for (int i = 0; i < CheckCosts.OBSERVED - 1; i++) {
            costs.observe(1, 12, 12 * 300_000L, 2, 2 * 270_000L, 0, 0, 0);  // a layer call 300 µs, an LM-head pass 270 µs
        }
        assertThat(costs.costs(1, schedule, 32).firstCheck()).as("too few steps yet").isEqualTo(timed);
        costs.observe(1, 12, 12 * 300_000L, 2, 2 * 270_000L, 0, 0, 0);
        CheckCostModel.Costs observed = costs.costs(1, schedule, 32);
        assertThat(observed.firstCheck()).isCloseTo(0.9, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(observed.laterCheck()).isCloseTo(0.9 * (0.3 + 32.0 / 4096) / 1.3,
                org.assertj.core.api.Assertions.within(1e-9));
        assertThat(costs.costs(4, schedule, 32).firstCheck()).as("another bucket of rows: still the timed estimate")
                .isCloseTo(timed, org.assertj.core.api.Assertions.within(1e-12));
        costs.observe(1, 0, 0, 1, 5_000L, 0, 0, 0);  // a step without a layer call tells nothing about the ratio
        assertThat(costs.costs(1, schedule, 32).firstCheck()).isCloseTo(0.9, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void aStrictPolicyIsMeasuredAndReportedButNeverThinned() {
        ExitLedger.Entry e = new ExitLedger(COSTS, 12).entry(mode("strict(confidence:threshold=0.5)", 0));
        for (int i = 0; i < ExitLedger.WARMUP + 10; i++) {
            e.record(e.exploreEvery() > 0, 0, 0, 0, 0);
            assertThat(e.keep()).isNull();
        }
        assertThat(e.verdict().loses()).isTrue();
        assertThat(e.verdict().report("strict(confidence:threshold=0.5)", true)).contains("strict: kept as declared");
    }

    @Test
    void requestsOfOneSpecShareAnEntryAndTheLedgerStaysBounded() {
        ExitLedger ledger = new ExitLedger(COSTS, 12);
        assertThat(ledger.entry(mode("margin:threshold=0.1", 0))).isSameAs(ledger.entry(mode("margin:threshold=0.1",
                0)));
        assertThat(ledger.entry(mode("margin:threshold=0.1", 0))).isNotSameAs(ledger.entry(mode(
                "margin:threshold=0.1", 8)));
        ExitLedger.Entry first = ledger.entry(mode("margin:threshold=0.01", 0));
        for (int i = 0; i < ExitLedger.MAX_ENTRIES; i++) {
            ledger.entry(mode("margin:threshold=0." + (200 + i), 0));
        }
        assertThat(ledger.entry(mode("margin:threshold=0.01", 0))).isNotSameAs(first);
    }

    @Test
    void aDeferredLayerIsPricedFromTheStepsAsTheyRan() {
        // steps of 1..5 layer calls at 20 µs each, 15 µs besides; a deferred row-layer 50 µs (2.5 layer calls)
        CheckCosts costs = new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096);
        double timed = costs.deferredRow(1);
        for (int i = 0; i < 2 * CheckCosts.OBSERVED; i++) {
            int calls = 1 + i % 5;
            int deferred = i % 3 == 0 ? 0 : (i * 7) % 9;
            costs.observe(1, calls, calls * 20_000L, 1, 10_000L, deferred, 7_000L,
                    15_000L + calls * 20_000L + deferred * 50_000L + 10_000L + 7_000L);
            if (i < CheckCosts.OBSERVED / 8) {
                assertThat(costs.deferredRow(1)).as("too few steps yet").isEqualTo(timed);
            }
        }
        assertThat(costs.deferredRow(1)).isCloseTo(2.5, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(costs.deferredRow(4)).as("another bucket: still the timed estimate").isEqualTo(timed);
        // every exit at 9 skips 3 layers and 2 of them run later: priced by the steps, nothing is saved; priced by the
        // products alone (a deferred layer under one), a third of them was
        ExitLedger.Entry fitted = new ExitLedger(costs, 12).entry(mode("margin:threshold=0.1,at=9", 0));
        ExitLedger.Entry products = new ExitLedger(new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096), 12)
                .entry(mode("margin:threshold=0.1,at=9", 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            fitted.record(true, 9, 3, 2, 0);
            products.record(true, 9, 3, 2, 0);
        }
        assertThat(fitted.verdict().kept()).isEmpty();
        assertThat(fitted.verdict().loses()).isTrue();
        assertThat(products.verdict().kept()).containsExactly(9);
    }

    @Test
    void theFitNeedsStepsWithAndWithoutDeferredRowsThatVaryApart() {
        StepFit fit = new StepFit(256, 4);
        for (int i = 0; i < 64; i++) {
            fit.add(5, 0, 100_000L);
        }
        assertThat(fit.fitted()).as("no step had deferred rows").isNull();
        StepFit collinear = new StepFit(256, 4);
        for (int i = 0; i < 64; i++) {
            int calls = 1 + i % 4;
            collinear.add(calls, 2 * calls - 2, 10_000L * calls);  // deferred rows move with the calls
        }
        assertThat(collinear.fitted()).as("deferred rows moved with the calls: no telling").isNull();
    }
}

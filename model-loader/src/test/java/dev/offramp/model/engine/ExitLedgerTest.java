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
            e.record(true, 0, 0, 0);  // reached layer 12: no exit
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
            e.record(explores, 0, 0, 0);
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
            e.record(true, i % 4 < 2 ? 3 : i % 4 == 2 ? 9 : 0, 0, 0);
        }
        assertThat(e.verdict().kept()).containsExactly(3, 9);
        boolean[] keep = e.keep();
        assertThat(keep[3]).isTrue();
        assertThat(keep[6]).isFalse();
        assertThat(keep[9]).isTrue();
        assertThat(e.verdict().loses()).isFalse();
    }

    @Test
    void underRecomputeASkippedLayerCountsAsRunLaterUntilTheRequestEndsWithoutIt() {
        Mode.EarlyExit recompute = new Mode.EarlyExit(PolicyRegistry.standard().parse("margin:threshold=0.1,at=9"),
                Mode.KvStrategy.RECOMPUTE, 0);
        // a third exit at 9 and skip 3 layers each; a deferred layer costs a whole one (COSTS: no cheaper at two rows)
        ExitLedger.Entry owed = new ExitLedger(COSTS, 12).entry(recompute);
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            owed.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, 0);
        }
        assertThat(owed.verdict().kept()).as("every skipped layer may still run later").isEmpty();
        ExitLedger.Entry dropped = new ExitLedger(COSTS, 12).entry(recompute);
        dropped.dropped(3 * 11);  // the requests ended: their 11 exits' layers were never needed
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            dropped.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, 0);
        }
        assertThat(dropped.verdict().kept()).containsExactly(9);  // 1/3 × 3 layers > 0.61
        ExitLedger.Entry propagated = new ExitLedger(COSTS, 12).entry(mode("margin:threshold=0.1,at=9", 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            propagated.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, 0);
        }
        assertThat(propagated.verdict().kept()).as("propagate runs no skipped layer later").containsExactly(9);
        // but it fills their K/V: where the steps timed a fill at half a layer call, half of each skipped layer is left
        CheckCosts filling = new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096);
        for (int i = 0; i < 8; i++) {
            filling.observe(1, 12, 12 * 300_000L, 1, 270_000L, 0, 0, 0);
            filling.observe(1, 9, 9 * 300_000L, 1, 270_000L, 0, 3, 3 * 150_000L);
        }
        assertThat(filling.kvFill(1)).isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-9));
        ExitLedger.Entry filled = new ExitLedger(filling, 12).entry(mode("margin:threshold=0.1,at=9", 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            filled.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, 0);
        }
        assertThat(filled.verdict().kept()).isEmpty();  // 1/3 × 3 × 0.5 < 0.61
        // where a second row's products cost 0.2 of the first's, a deferred layer still pays the rest of a layer step
        // (0.7 of its products) whole: (20 + 70) / 170 of a layer
        CheckCosts batched = new CheckCosts(b -> new CheckCosts.PerRow(b.timedRows() == 2 ? 60 : 100, 80), 4096);
        assertThat(batched.deferredRow(1)).isCloseTo(90.0 / 170, org.assertj.core.api.Assertions.within(1e-12));
        ExitLedger.Entry third = new ExitLedger(batched, 12).entry(recompute);
        ExitLedger.Entry all = new ExitLedger(batched, 12).entry(recompute);
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            third.record(true, i % 3 == 0 ? 9 : 0, i % 3 == 0 ? 3 : 0, 0);
            all.record(true, 9, 3, 0);
        }
        assertThat(third.verdict().kept()).isEmpty();           // 1/3 × 3 × 80/170 < 0.61
        assertThat(all.verdict().kept()).containsExactly(9);    // 3 × 80/170 > 0.61
        // carrying the rows between steps counts too, in layer calls as the steps timed them (300 µs here)
        for (int i = 0; i < CheckCosts.OBSERVED; i++) {
            batched.observe(1, 12, 12 * 300_000L, 1, 270_000L, 0, 0, 0);
        }
        ExitLedger.Entry carried = new ExitLedger(batched, 12).entry(recompute);
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            carried.record(true, 9, 3, 300_000L);  // a layer call's time per exit: a third of what it skipped
        }
        assertThat(carried.verdict().kept()).isEmpty();         // 3 × (1 − 90/170 − 1/3) < 0.9 (the observed check)
    }

    @Test
    void checksArePricedFromTheBatchsOwnStepsOnceEnoughHaveRun() {
        CheckCosts costs = new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096);
        dev.offramp.policy.Schedule schedule = PolicyRegistry.standard().parse("margin:threshold=0.1").schedule();
        double timed = costs.costs(1, schedule, 32).firstCheck();
        assertThat(timed).isCloseTo(80 * 1.3 / (100 * 1.7), org.assertj.core.api.Assertions.within(1e-12));
        for (int i = 0; i < CheckCosts.OBSERVED - 1; i++) {
            // a layer call 300 µs, an LM-head pass 270 µs
            costs.observe(1, 12, 12 * 300_000L, 2, 2 * 270_000L, 0, 0, 0);
        }
        assertThat(costs.costs(1, schedule, 32).firstCheck()).as("too few steps yet").isEqualTo(timed);
        costs.observe(1, 12, 12 * 300_000L, 2, 2 * 270_000L, 0, 0, 0);
        CheckCostModel.Costs observed = costs.costs(1, schedule, 32);
        assertThat(observed.firstCheck()).isCloseTo(0.9, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(observed.laterCheck()).isCloseTo(0.9 * (0.3 + 32.0 / 4096) / 1.3,
                org.assertj.core.api.Assertions.within(1e-9));
        assertThat(costs.costs(4, schedule, 32).firstCheck()).as("another bucket of rows: still the timed estimate")
                .isCloseTo(timed, org.assertj.core.api.Assertions.within(1e-12));
        // a step without a layer call tells nothing about the ratio
        costs.observe(1, 0, 0, 1, 5_000L, 0, 0, 0);
        assertThat(costs.costs(1, schedule, 32).firstCheck())
                .isCloseTo(0.9, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void aStrictPolicyIsMeasuredAndReportedButNeverThinned() {
        ExitLedger.Entry e = new ExitLedger(COSTS, 12).entry(mode("strict(confidence:threshold=0.5)", 0));
        for (int i = 0; i < ExitLedger.WARMUP + 10; i++) {
            e.record(e.exploreEvery() > 0, 0, 0, 0);
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
    void aDeferredLayerIsPricedFromTheStepsThatRanDeferredRows() {
        CheckCosts costs = new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096);
        double timed = costs.deferredRow(1);
        assertThat(timed).as("the products: a second row costs a whole one").isEqualTo(1.0);
        for (int i = 0; i < 32; i++) {
            costs.observe(1, 5, 5 * 20_000L, 1, 10_000L, 0, 0, 0);  // a layer call 20 µs alone
        }
        for (int i = 0; i < CheckCosts.DEFERRED_STEPS; i++) {
            assertThat(costs.deferredRow(1)).as("too few steps with deferred rows yet").isEqualTo(timed);
            costs.observe(1, 5, 5 * 20_000L + 60 * 50_000L, 2, 20_000L, 60, 0, 0);  // 15 rows caught up, 50 µs each
        }
        assertThat(costs.deferredRow(1)).isCloseTo(2.5, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(costs.layerCallNanos(1)).as("steps with deferred rows leave a layer call's time alone")
                .isCloseTo(20_000, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(costs.deferredRow(4)).as("another bucket: still the timed estimate").isEqualTo(timed);
        CheckCosts cheap = new CheckCosts(b -> new CheckCosts.PerRow(100, 80), 4096);
        for (int i = 0; i < 32; i++) {
            cheap.observe(1, 5, 5 * 20_000L, 1, 10_000L, 0, 0, 0);
            cheap.observe(1, 5, 5 * 20_000L + 4 * 6_000L, 1, 10_000L, 4, 0, 0);  // one row caught up at 0.3 of a call
        }
        assertThat(cheap.deferredRow(1)).as("cheaper than the products say: the products' estimate stands")
                .isEqualTo(timed);
        costs.observe(1, 5, 5 * 20_000L + 52_000_000L, 2, 20_000L, 60, 0, 0);  // a GC pause inside one step
        assertThat(costs.deferredRow(1)).as("one step moves the mean by at most its bounded share")
                .isLessThanOrEqualTo(2.5 + (CheckCosts.MAX_DEFERRED - 2.5) / 5);
        // every exit at 9 skips 3 layers that all run later: priced by the steps (2.5+ layers each) nothing is
        // saved; priced by cheap products (0.2 of a layer), most of it was
        ExitLedger.Entry measured = new ExitLedger(costs, 12).entry(new Mode.EarlyExit(PolicyRegistry.standard()
                .parse("margin:threshold=0.1,at=9"), Mode.KvStrategy.RECOMPUTE, 0));
        ExitLedger.Entry products = new ExitLedger(new CheckCosts(b -> new CheckCosts.PerRow(b.timedRows() == 2 ? 34
                : 100, 80), 4096), 12).entry(new Mode.EarlyExit(PolicyRegistry.standard()
                .parse("margin:threshold=0.1,at=9"), Mode.KvStrategy.RECOMPUTE, 0));
        for (int i = 0; i < ExitLedger.WARMUP; i++) {
            measured.record(true, 9, 3, 0);
            products.record(true, 9, 3, 0);
        }
        assertThat(measured.verdict().kept()).isEmpty();
        assertThat(measured.verdict().loses()).isTrue();
        assertThat(products.verdict().kept()).containsExactly(9);
    }
}

package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** New self-speculative requests skip their trial rounds where the last ones found drafting does not pay. */
class DraftLedgerTest {
    @Test
    void afterThreeGiveUpsInARowOnlyEveryEighthRequestDrafts() {
        DraftLedger ledger = new DraftLedger();
        for (int i = 0; i < DraftLedger.GIVE_UPS; i++) {
            assertThat(ledger.shouldDraft()).as("request %d", i).isTrue();
            ledger.record(true);
        }
        int drafting = 0;
        for (int i = 0; i < 4 * ExploreInterval.FIRST; i++) {
            drafting += ledger.shouldDraft() ? 1 : 0;
        }
        assertThat(drafting).isEqualTo(4);
    }

    @Test
    void eachExplorerThatGivesUpAgainDoublesTheIntervalUntilTheMost() {
        DraftLedger ledger = new DraftLedger();
        for (int i = 0; i < DraftLedger.GIVE_UPS; i++) {
            ledger.record(true);
        }
        java.util.List<Integer> gaps = new java.util.ArrayList<>();
        for (int explorers = 0; explorers < 8; explorers++) {
            int gap = 1;
            while (!ledger.shouldDraft()) {
                gap++;
            }
            gaps.add(gap);
            ledger.record(true);  // the explorer gave up too
        }
        assertThat(gaps).containsExactly(8, 16, 32, 64, 128, 256, 256, 256);
        ledger.record(false);
        ledger.record(true);
        ledger.record(true);
        ledger.record(true);
        int gap = 1;
        while (!ledger.shouldDraft()) {
            gap++;
        }
        assertThat(gap).as("a request that paid reset the interval").isEqualTo(ExploreInterval.FIRST);
    }

    @Test
    void oneRequestThatPaysOpensDraftingAgain() {
        DraftLedger ledger = new DraftLedger();
        for (int i = 0; i < DraftLedger.GIVE_UPS; i++) {
            ledger.record(true);
        }
        assertThat(ledger.shouldDraft()).isFalse();
        ledger.record(false);  // an exploring request found that drafting pays now
        assertThat(ledger.shouldDraft()).isTrue();
        ledger.record(true);
        ledger.record(true);
        assertThat(ledger.shouldDraft()).as("two give-ups are not yet a pattern").isTrue();
    }
}

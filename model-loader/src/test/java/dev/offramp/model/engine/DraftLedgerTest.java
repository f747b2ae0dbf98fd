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
        for (int i = 0; i < 4 * DraftLedger.EXPLORE_EVERY; i++) {
            drafting += ledger.shouldDraft() ? 1 : 0;
        }
        assertThat(drafting).isEqualTo(4);
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

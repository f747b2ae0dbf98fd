package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When a self-speculative request stops drafting: after its first rounds and probes, once rounds cost more. */
class DraftVerdictTest {
    @Test
    void theFirstRoundsDraftThenTwoTokensAreTimedAtFullDepth() {
        DraftVerdict v = new DraftVerdict();
        for (int r = 0; r < DraftVerdict.ROUNDS; r++) {
            assertThat(v.wantsFullDepth()).as("round %d drafts", r).isFalse();
            v.round(1_000, 1);  // a round costing 1000 per token: dearer than the full depth timed below
        }
        for (int p = 0; p < DraftVerdict.PROBES; p++) {
            assertThat(v.wantsFullDepth()).as("probe %d", p).isTrue();
            assertThat(v.gaveUp()).isFalse();
            v.fullDepth(600);
        }
        assertThat(v.gaveUp()).as("3000 ns for 3 tokens against 600 per token at full depth").isTrue();
        assertThat(v.wantsFullDepth()).isTrue();
        v.fullDepth(700);
        assertThat(v.gaveUp()).as("once given up, for good").isTrue();
    }

    @Test
    void roundsCheaperPerTokenThanFullDepthGoOnDrafting() {
        DraftVerdict v = new DraftVerdict();
        for (int r = 0; r < DraftVerdict.ROUNDS; r++) {
            v.round(2_000, 4);  // 500 per token
        }
        v.fullDepth(900);
        v.fullDepth(800);  // the fastest probe counts
        assertThat(v.gaveUp()).isFalse();
        assertThat(v.wantsFullDepth()).isFalse();
        for (int r = 0; r < 20; r++) {
            v.round(2_000, 4);
            assertThat(v.wantsFullDepth()).isFalse();
        }
        v.round(60_000, 1);  // rounds turn dear (acceptance collapsed): 100000 ns for 93 tokens > 800 per token
        assertThat(v.gaveUp()).isTrue();
        assertThat(v.wantsFullDepth()).isTrue();
    }
}

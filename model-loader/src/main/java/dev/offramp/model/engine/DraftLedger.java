package dev.offramp.model.engine;

/**
 * What the self-speculative requests of one engine learned about drafting on its model: whether their verdicts
 * ({@link DraftVerdict}) said it pays. A request's first rounds cost more than full depth where drafting does not pay,
 * so once the last {@link #GIVE_UPS} requests in a row gave up, a new request drafts only every {@link #EXPLORE_EVERY}th
 * time (to notice when the traffic changes) and starts at full depth otherwise. Each exploring request that gives up
 * again doubles that interval, up to {@link #MOST_EXPLORE_EVERY}: on stories260K, whose drafts never pay, exploring
 * every eighth request alone cost ~5% of its tokens/s (measured with `eval`). One that pays resets it. One ledger per
 * batch owner (a server's engine, a Generator): single-threaded like them.
 */
final class DraftLedger {
    static final int GIVE_UPS = 3;
    static final int EXPLORE_EVERY = 8;
    static final int MOST_EXPLORE_EVERY = 256;

    private int givenUpInARow;
    private int skipped;
    private int exploreEvery = EXPLORE_EVERY;

    /** Whether a new request should draft: always, unless drafting recently did not pay. */
    boolean shouldDraft() {
        if (givenUpInARow < GIVE_UPS) {
            return true;
        }
        if (++skipped >= exploreEvery) {
            skipped = 0;
            return true;
        }
        return false;
    }

    /** A request's verdict, once it reached one. */
    void record(boolean gaveUp) {
        if (gaveUp && givenUpInARow >= GIVE_UPS) {
            exploreEvery = Math.min(MOST_EXPLORE_EVERY, 2 * exploreEvery);  // an explorer found nothing new
        } else if (!gaveUp) {
            exploreEvery = EXPLORE_EVERY;
        }
        givenUpInARow = gaveUp ? givenUpInARow + 1 : 0;
    }
}

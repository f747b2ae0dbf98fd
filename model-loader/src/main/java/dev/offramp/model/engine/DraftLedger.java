package dev.offramp.model.engine;

/**
 * What the self-speculative requests of one engine learned about drafting on its model: whether their verdicts
 * ({@link DraftVerdict}) said it pays. A request's first rounds cost more than full depth where drafting does not pay,
 * so once the last {@link #GIVE_UPS} requests in a row gave up, a new request drafts only now and then (to notice when
 * the traffic changes; {@link ExploreInterval}: each explorer that gives up too makes the next one rarer, one that
 * pays resets it) and starts at full depth otherwise. One ledger per batch owner (a server's engine, a Generator):
 * single-threaded like them.
 */
final class DraftLedger {
    static final int GIVE_UPS = 3;

    private int givenUpInARow;
    private final ExploreInterval explore = new ExploreInterval(false);

    /** Whether a new request should draft: always, unless drafting recently did not pay. */
    boolean shouldDraft() {
        if (givenUpInARow < GIVE_UPS) {
            return true;
        }
        return explore.due();
    }

    /** A request's verdict, once it reached one. */
    void record(boolean gaveUp) {
        if (givenUpInARow >= GIVE_UPS || !gaveUp) {  // an explorer's verdict, or one that pays
            explore.found(gaveUp);
        }
        givenUpInARow = gaveUp ? givenUpInARow + 1 : 0;
    }
}

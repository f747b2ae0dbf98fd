package dev.offramp.model.engine;

/**
 * How often a ledger lets a request explore (draft, or make every declared check) after it has decided against
 * it: one request in {@link #FIRST}, doubling while each explorer finds what the last one did, up to {@link #MOST}.
 * An explorer pays for what it measures (trial rounds; every check for all its tokens), so where the verdict stands
 * the cost fades, and a change in the traffic resets it. Engine thread only, like the ledgers.
 */
final class ExploreInterval {
    static final int FIRST = 8;    // requests
    static final int MOST = 256;

    private int every = FIRST;
    private int since;

    /** @param dueAtOnce whether the first request asked about explores (else the {@link #FIRST}th does) */
    ExploreInterval(boolean dueAtOnce) {
        this.since = dueAtOnce ? FIRST - 1 : 0;
    }

    /** Counts a request in; whether it is the one that explores. */
    boolean due() {
        if (++since < every) {
            return false;
        }
        since = 0;
        return true;
    }

    /** What an explorer found: the same verdict as before (the interval doubles) or a new one (it resets). */
    void found(boolean same) {
        every = same ? Math.min(MOST, 2 * every) : FIRST;
    }
}

package dev.offramp.model;

/**
 * Rows per matrix product, bucketed: a product over 2–8 rows reads the same weights as over one, yet the fastest
 * kernel differs with the row count, so the plan has one kernel per bucket. {@code MANY} ends where the few-token
 * step does ({@link FewTokens#MOST_TOKENS}: a batch of 16 decode rows runs there) and is timed in its middle;
 * {@code PREFILL} covers the rest (a prompt, or a larger batch), on the tensor path.
 */
public enum Bucket {
    ONE(1, 1), FEW(2, 2), SOME(4, 4), MANY(8, 12), PREFILL(FewTokens.MOST_TOKENS + 1, 32);

    private final int from;
    private final int timedRows;

    Bucket(int from, int timedRows) {
        this.from = from;
        this.timedRows = timedRows;
    }

    /** The bucket of a product over {@code rows} token rows. */
    public static Bucket of(int rows) {
        Bucket[] all = values();
        for (int i = all.length - 1; i > 0; i--) {
            if (rows >= all[i].from) {
                return all[i];
            }
        }
        return ONE;
    }

    /** The row count the planner times for this bucket. */
    public int timedRows() {
        return timedRows;
    }

    public String label() {
        Bucket[] all = values();
        int to = ordinal() + 1 < all.length ? all[ordinal() + 1].from - 1 : Integer.MAX_VALUE;
        return to == Integer.MAX_VALUE ? from + "+" : from == to ? Integer.toString(from) : from + "–" + to;
    }
}

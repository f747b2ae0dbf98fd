package dev.offramp.model.engine;

import dev.offramp.model.PendingRow;
import dev.offramp.model.Step;
import dev.offramp.model.StepInput;
import dev.offramp.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Self-speculative decoding (LayerSkip / SWIFT), as rows of the batch's shared steps. A round drafts up to d tokens
 * with the exit after layer E, one per step: the token fed runs layers 1..E beside the other requests' rows, the
 * exit after E drafts the next, and the row (its h_E, its K/V for layers 1..E) waits as a pending row. The round's
 * last step feeds the last draft through layers 1..E and carries the waiting rows into layers E+1..L with it, so one
 * pass verifies every draft and gives the full model's token after them (a fully accepted round yields d + 1
 * tokens). The longest prefix the full model agrees with is kept, plus the full model's own next token; rejected
 * positions are cropped from the cache. Greedy output equals full-depth greedy; with temperature, standard
 * speculative rejection sampling keeps the full model's distribution.
 *
 * <p>No knobs needed: without a draft length, d adapts to the request's acceptance (Hugging Face's schedule: +2 after
 * a fully accepted round, -1 otherwise). And drafting only runs while it pays ({@link DraftVerdict}): rounds and
 * full-depth tokens are timed by the steps they ran in, and once a round's tokens cost more than full depth's, the
 * request goes on at plain full depth (the same output either way, only the cost differs). The verdicts go into the
 * engine's {@link DraftLedger}, so that where drafting keeps failing, new requests mostly skip the trial rounds.
 */
final class SpeculativePlan implements Plan {
    static final int FIRST_DRAFT = 4;  // Hugging Face's num_assistant_tokens
    static final int MOST_DRAFT = 12;

    private enum Phase { PROMPT, FULL, DRAFT, VERIFY }

    private final Transformer model;
    private final LongSupplier nanoTime;
    private final int draftLayer;
    private final boolean adaptive;
    private final float stopConfidence;
    private final int layers;
    private final int vocab;
    private final DraftVerdict verdict = new DraftVerdict();
    private final DraftLedger ledger;
    private boolean told;               // whether this request's verdict went into the ledger

    private Phase phase = Phase.PROMPT;
    private int[] feed;                 // this step's token(s); null when the step only verifies
    private int draft;                  // tokens to draft this round
    private final List<PendingRow> waiting = new ArrayList<>();  // h_E of the round's positions x, d_1, …
    private final List<Integer> drafts = new ArrayList<>();
    private final List<double[]> q = new ArrayList<>();         // draft distributions, when sampling
    private int roundStart;             // position of the round's first token
    private int roundTokens;            // tokens emitted before the round
    private long roundNanos;

    // This step.
    private int me = -1;                // the fed token's row, -1 when nothing is fed
    private int carriedRow = -1;        // the waiting rows, merged, when verifying
    private float[] checkLogits;        // the draft exit's logits
    private long stepStart;

    SpeculativePlan(Transformer model, Mode.SelfSpeculative mode, LongSupplier nanoTime, int[] prompt,
                    DraftLedger ledger) {
        this.model = model;
        this.ledger = ledger;
        this.nanoTime = nanoTime;
        this.layers = model.config().layers();
        this.vocab = model.config().vocab();
        this.draftLayer = mode.exitLayer() > 0 ? mode.exitLayer() : defaultDraftLayer(layers);
        this.adaptive = mode.maxDraft() == 0;
        this.draft = adaptive ? FIRST_DRAFT : mode.maxDraft();
        this.stopConfidence = mode.stopConfidence();
        this.feed = prompt;
    }

    /** A quarter of the depth (LayerSkip's exit 4 of 16 and kjv-ee-12l's measured best, 3 of 12), at least 1. */
    static int defaultDraftLayer(int layers) {
        return Math.max(1, Math.round(layers / 4f));
    }

    @Override
    public void carry(List<PendingRow> into) {
        carriedRow = -1;
        if (phase == Phase.VERIFY) {
            carriedRow = into.size();
            into.add(PendingRow.merge(List.copyOf(waiting)));
            waiting.clear();
        }
    }

    @Override
    public StepInput input(Slot s) {
        return feed == null ? null : new StepInput(s.seq, feed);
    }

    @Override
    public void begin(int row, int depthCap) {
        me = row;
        checkLogits = null;
        stepStart = nanoTime.getAsLong();
    }

    @Override
    public void rows(int l, Step step, IntList runs, IntList skips, Tokens out) {
        boolean full = phase == Phase.PROMPT || phase == Phase.FULL;
        if (l > draftLayer && !full) {
            if (phase == Phase.VERIFY) {
                runs.add(carriedRow);
                out.layers += step.count(carriedRow);
            } else {
                return;  // a draft stops at E
            }
        }
        if (me >= 0) {
            runs.add(me);
            out.layers += feed.length;
        }
    }

    @Override
    public int checkRow(int l) {
        return phase == Phase.DRAFT && l == draftLayer ? me : -1;
    }

    @Override
    public void afterLayer(int l, Step step, float[] headLogits, Tokens out) {
        if (phase == Phase.DRAFT && l == draftLayer) {
            checkLogits = headLogits;
            out.exitChecks++;
        }
    }

    @Override
    public int finalRow() {
        return phase == Phase.PROMPT || phase == Phase.FULL ? me : -1;
    }

    @Override
    public int propagated() {
        return 0;
    }

    @Override
    public boolean finish(Slot s, Step step, float[] finalLogits) {
        long nanos = nanoTime.getAsLong() - stepStart;
        return switch (phase) {
            case PROMPT, FULL -> {
                if (phase == Phase.FULL) {
                    verdict.fullDepth(nanos);
                } else if (!ledger.shouldDraft()) {
                    verdict.fullDepthFromTheStart();
                }
                tellLedger();
                int next = s.sampler.sample(finalLogits);
                yield emit(s, next) && startNext(s, next);
            }
            case DRAFT -> {
                roundNanos += nanos;
                drafted(s, step);
                yield true;
            }
            case VERIFY -> {
                roundNanos += nanos;
                Integer next = verify(s, step);
                verdict.round(roundNanos, s.out.count() - roundTokens);
                tellLedger();
                yield next != null && startNext(s, next);
            }
        };
    }

    private void tellLedger() {
        if (!told && verdict.decided()) {
            ledger.record(verdict.gaveUp());
            told = true;
        }
    }

    private boolean emit(Slot s, int token) {
        return s.out.add(token, layers, null);
    }

    /** Token {@code x} is emitted and not yet fed: the next step feeds it at full depth, or starts a round with it. */
    private boolean startNext(Slot s, int x) {
        feed = new int[] {x};
        if (verdict.wantsFullDepth()) {
            phase = Phase.FULL;
            return true;
        }
        phase = Phase.DRAFT;
        roundStart = s.seq.length();
        roundTokens = s.out.count();
        roundNanos = 0;
        drafts.clear();
        q.clear();
        return true;
    }

    /** After a drafting step: the fed row waits at layer E; its exit drafts the next token, or the round verifies. */
    private void drafted(Slot s, Step step) {
        waiting.add(step.detach(me));
        int budget = Math.min(draft, s.out.remaining());
        if (stopConfidence > 0 && SignalMath.top1(checkLogits) < stopConfidence) {
            verifyNext(null);  // the full model will say what comes after the fed token
            return;
        }
        double[] dist = s.sampler.greedy() ? null : s.sampler.probabilities(checkLogits);
        int d = dist == null ? Sampler.argmax(checkLogits) : s.sampler.draw(dist);
        drafts.add(d);
        q.add(dist);
        s.out.drafted++;
        if (drafts.size() < budget) {
            feed = new int[] {d};
            return;
        }
        // the free token: the last draft rides along, unless the request ends with the drafts anyway
        verifyNext(drafts.size() < s.out.remaining() ? new int[] {d} : null);
    }

    private void verifyNext(int[] lastDraft) {
        phase = Phase.VERIFY;
        feed = lastDraft;
    }

    /** The round's verdict: the accepted drafts and the full model's next token; returns it, or null at the end. */
    private Integer verify(Slot s, Step step) {
        s.out.drafts++;
        float[] verified = step.exitLogitsAll(carriedRow);  // positions roundStart .. of the waiting rows
        int m = step.count(carriedRow);
        if (me >= 0) {
            float[] last = step.exitLogits(me)[0];
            verified = java.util.Arrays.copyOf(verified, (m + 1) * vocab);
            System.arraycopy(last, 0, verified, m * vocab, vocab);
            m++;
        }
        for (int i = 0; i < drafts.size(); i++) {
            float[] row = java.util.Arrays.copyOfRange(verified, i * vocab, (i + 1) * vocab);
            int d = drafts.get(i);
            int fix;  // the full model's token at this position when it rejects the draft, else -1
            if (s.sampler.greedy()) {
                int v = Sampler.argmax(row);
                fix = v == d ? -1 : v;
            } else {
                double[] p = s.sampler.probabilities(row);
                double[] qi = q.get(i);
                fix = s.sampler.uniform() < Math.min(1.0, p[d] / qi[d]) ? -1 : s.sampler.draw(residual(p, qi));
            }
            if (fix >= 0) {
                if (adaptive) {
                    draft = Math.max(1, draft - 1);
                }
                s.seq.crop(roundStart + i + 1);  // keep x, d_1..d_i
                return emit(s, fix) ? fix : null;
            }
            s.out.acceptedAt(i);
            if (!emit(s, d)) {
                return null;
            }
        }
        if (adaptive) {
            draft = Math.min(MOST_DRAFT, draft + 2);  // every draft accepted
        }
        if (drafts.size() == m) {
            return drafts.get(m - 1);  // every draft accepted and the request ends with them
        }
        // The full model's logits at the last fed position (the last draft, or where drafting stopped) give one
        // more token.
        float[] row = java.util.Arrays.copyOfRange(verified, (m - 1) * vocab, m * vocab);
        int bonus = s.sampler.sample(row);
        return emit(s, bonus) ? bonus : null;
    }

    /** norm(max(0, p - q)): where a rejected draft's replacement is drawn from. */
    private static double[] residual(double[] p, double[] q) {
        double[] r = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            r[i] = Math.max(0, p[i] - q[i]);
        }
        return r;
    }

    /** Rows of an unfinished round. */
    @Override
    public void close() {
        waiting.forEach(PendingRow::close);
        waiting.clear();
    }
}

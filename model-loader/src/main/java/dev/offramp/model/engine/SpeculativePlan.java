package dev.offramp.model.engine;

import dev.offramp.model.PendingRow;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Self-speculative decoding (LayerSkip / SWIFT). Each round drafts up to d tokens with the exit after layer E, keeping
 * each drafted position's hidden state h_E and its K/V for layers 1..E; the last draft is fed through layers 1..E too,
 * so one pass of layers E+1..L over every position verifies the drafts and gives the full model's next token after
 * them (a fully accepted round yields d + 1 tokens). The longest prefix the full model agrees with is kept, plus the
 * full model's own next token; rejected positions are cropped from the cache. Greedy output equals full-depth greedy;
 * with temperature, standard speculative rejection sampling keeps the full model's distribution.
 *
 * <p>No knobs needed: without a draft length, d adapts to the request's acceptance (Hugging Face's schedule: +2 after
 * a fully accepted round, -1 otherwise). And drafting only runs while it pays ({@link DraftVerdict}): every round is
 * timed, and after the first rounds two tokens are timed at full depth; once rounds cost more per token than that,
 * the request goes on at plain full depth (the same output either way, only the cost differs).
 */
final class SpeculativePlan implements Plan {
    static final int FIRST_DRAFT = 4;       // Hugging Face's num_assistant_tokens
    static final int MOST_DRAFT = 12;

    private final Transformer model;
    private final LongSupplier nanoTime;
    private final int draftLayer;
    private final boolean adaptive;
    private final float stopConfidence;
    private final int layers;

    private int draft;                      // tokens drafted next round
    private int x = -1;                     // the last emitted token, fed next; -1 before the prompt ran
    private final DraftVerdict verdict = new DraftVerdict();

    SpeculativePlan(Transformer model, Mode.SelfSpeculative mode, LongSupplier nanoTime) {
        this.model = model;
        this.nanoTime = nanoTime;
        this.layers = model.config().layers();
        this.draftLayer = mode.exitLayer() > 0 ? mode.exitLayer() : defaultDraftLayer(layers);
        this.adaptive = mode.maxDraft() == 0;
        this.draft = adaptive ? FIRST_DRAFT : mode.maxDraft();
        this.stopConfidence = mode.stopConfidence();
    }

    /** A quarter of the depth (LayerSkip's exit 4 of 16 and kjv-ee-12l's measured best, 3 of 12), at least 1. */
    static int defaultDraftLayer(int layers) {
        return Math.max(1, Math.round(layers / 4f));
    }


    /**
     * The prompt at full depth (first call), then one draft-and-verify round per call, in steps of its own: drafting is
     * sequential, so it cannot share the batch's step. Returns whether the request goes on.
     */
    boolean advance(Slot s) {
        if (x < 0) {
            x = prefill(s.seq, s.request.promptIds(), s.sampler, s.out);
            return s.out.add(x, layers, null);
        }
        if (verdict.wantsFullDepth()) {
            long t0 = nanoTime.getAsLong();
            x = prefill(s.seq, new int[] {x}, s.sampler, s.out);  // one token at full depth
            verdict.fullDepth(nanoTime.getAsLong() - t0);
            return s.out.add(x, layers, null);
        }
        long t0 = nanoTime.getAsLong();
        int before = s.out.count();
        Integer next = round(s.seq, x, s.sampler, s.out);
        verdict.round(nanoTime.getAsLong() - t0, s.out.count() - before);
        if (next == null) {
            return false;
        }
        x = next;
        return true;
    }

    private int prefill(Sequence seq, int[] prompt, Sampler sampler, Tokens out) {
        try (Step step = model.step(seq, prompt)) {
            for (int l = 1; l <= layers; l++) {
                step.runLayer(l);
            }
            out.layers += (long) layers * prompt.length;
            return sampler.sample(step.exitLogits()[0]);
        }
    }

    /** Rows live only within a round. */
    @Override
    public void close() {}

    /** One draft-and-verify round from token {@code x} (already emitted, not yet fed); null when generation ends. */
    private Integer round(Sequence seq, int x, Sampler sampler, Tokens out) {
        int start = seq.length();
        List<PendingRow> hidden = new ArrayList<>();  // h_E of positions start.. (tokens x, d_1, d_2, …)
        List<Integer> drafts = new ArrayList<>();
        List<double[]> q = new ArrayList<>();        // draft distributions, when sampling
        try {
            int cur = x;
            int budget = Math.min(draft, out.remaining());
            boolean stopped = false;
            for (int i = 0; i < budget; i++) {
                float[] logits;
                try (Step step = model.step(seq, cur)) {
                    for (int l = 1; l <= draftLayer; l++) {
                        step.runLayer(l);
                    }
                    out.layers += draftLayer;
                    logits = step.exitLogits()[0];
                    out.exitChecks++;
                    hidden.add(step.detach(0));
                }
                if (stopConfidence > 0 && SignalMath.top1(logits) < stopConfidence) {
                    stopped = true;
                    break;  // the full model will say what comes after cur
                }
                double[] dist = sampler.greedy() ? null : sampler.probabilities(logits);
                cur = dist == null ? Sampler.argmax(logits) : sampler.draw(dist);
                drafts.add(cur);
                q.add(dist);
                out.drafted++;
            }
            if (!drafts.isEmpty()) {
                out.drafts++;
            }
            if (!stopped && !drafts.isEmpty() && drafts.size() < out.remaining()) {
                // the free token: the last draft's layers 1..E, so verification also gives what follows it
                try (Step step = model.step(seq, cur)) {
                    for (int l = 1; l <= draftLayer; l++) {
                        step.runLayer(l);
                    }
                    out.layers += draftLayer;
                    hidden.add(step.detach(0));
                }
            }
            int m = hidden.size();
            float[] verified;  // [m * vocab]: the full model's logits at positions start .. start + m - 1
            try (Step step = model.step(List.of(PendingRow.merge(hidden)), List.of())) {
                hidden.clear();
                for (int l = draftLayer + 1; l <= layers; l++) {
                    step.runLayer(l);
                }
                out.layers += (long) (layers - draftLayer) * m;
                verified = step.exitLogitsAll(0);
            }
            return accept(seq, start, m, drafts, q, verified, sampler, out);
        } finally {
            hidden.forEach(PendingRow::close);
        }
    }

    private Integer accept(Sequence seq, int start, int m, List<Integer> drafts, List<double[]> q, float[] verified,
                           Sampler sampler, Tokens out) {
        int vocab = model.config().vocab();
        for (int i = 0; i < drafts.size(); i++) {
            float[] row = java.util.Arrays.copyOfRange(verified, i * vocab, (i + 1) * vocab);
            int d = drafts.get(i);
            int fix;  // the full model's token at this position when it rejects the draft, else -1
            if (sampler.greedy()) {
                int v = Sampler.argmax(row);
                fix = v == d ? -1 : v;
            } else {
                double[] p = sampler.probabilities(row);
                double[] qi = q.get(i);
                fix = sampler.uniform() < Math.min(1.0, p[d] / qi[d]) ? -1 : sampler.draw(residual(p, qi));
            }
            if (fix >= 0) {
                if (adaptive) {
                    draft = Math.max(1, draft - 1);
                }
                seq.crop(start + i + 1);  // keep x, d_1..d_i
                return out.add(fix, layers, null) ? fix : null;
            }
            out.accepted++;
            if (!out.add(d, layers, null)) {
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
        int bonus = sampler.sample(row);
        return out.add(bonus, layers, null) ? bonus : null;
    }

    /** norm(max(0, p - q)): where a rejected draft's replacement is drawn from. */
    private static double[] residual(double[] p, double[] q) {
        double[] r = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            r[i] = Math.max(0, p[i] - q[i]);
        }
        return r;
    }
}

package dev.offramp.model.engine;

import dev.offramp.model.PendingRow;
import dev.offramp.model.Step;
import dev.offramp.model.StepInput;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.LayerSignals;
import java.util.ArrayList;
import java.util.List;

/**
 * A token's path decided layer by layer inside the batch's shared step. Fixed plans: {@code full} (every layer),
 * {@code static} (the first k) and {@code skip} (all but a balanced set of middle layers). {@code early-exit}: after
 * each layer the policy checks, it sees the token's signals and may exit; the prompt runs at full depth. For the layers
 * an exited token skipped, {@code propagate} fills K/V from its exited hidden state (CALM); {@code recompute} carries
 * the token as a pending row and runs its deeper layers only when a later token needs them, batched with that token
 * (EE-LLM / FREE), so the cache is exactly what full depth would write.
 */
final class LayerPlan implements Plan {
    private final boolean[] run;       // run[l] for l in 1..L: skipped layers pass the hidden state on unchanged
    private final int planExit;        // the deepest layer that runs
    private final ExitPolicy policy;   // null for fixed plans
    private final Mode.KvStrategy kv;  // fills K/V above an exit below planExit
    private final int pruneVocab;
    private final boolean cappable;    // whether a latency budget may cap the depth
    private final int layers;
    private final ExitLedger.Entry ledger;  // early-exit: its checks' measurements and thinned schedule; else null
    // recompute: rows still owing deeper layers, in position order; each joins a step only when the token reaches
    // the layer after its own (a row no later token needs is never touched: carrying every one into every step cost
    // time growing with the generation)
    private final List<PendingRow> pending = new ArrayList<>();
    private final IntList joined = new IntList();  // this step: the step rows of pending.get(i), -1 while outside
    private int[] feed;                // the prompt, then each new token

    // This iteration's token.
    private boolean prefill = true;
    private int me;                    // its row in the step
    private int limit;                 // the deepest layer it may reach
    private int exit;                  // the layer it left after; 0 while it runs
    private boolean forced;            // it reached its limit: sampled from that layer's exit, not a check's logits
    private float[] logits;            // the last check's logits
    private int[] vocab;               // after the first check when pruning: the ids later checks score
    private int exploreEvery;          // every n-th of the request's tokens makes every declared check; 0: none
    private int decoded;               // the request's decoded tokens before this one
    private boolean exploring;         // this token does (it counts in the ledger's exit distribution)
    private ExitDecision decision;     // early-exit, from the first decode step: the policy, as this request checks
    private int deferredRun;           // this step: layers run for rows that earlier exits deferred
    // The drift check (Apparate's): a request's first early exit and every DRIFT_EVERY-th after it run on to the last
    // layer anyway; the token is still the exit's, and full depth's choice is compared with the exit's. Counted per
    // request, so that the same request always runs the same layers (a batch-wide count would make its K/V, and so
    // in rare ties its tokens, depend on the traffic beside it).
    static final int DRIFT_EVERY = 16;
    private long earlyExits;
    private int driftExit;             // the layer its policy exited after; 0 when the token is not checked
    private float[] driftLogits;       // the exit's logits (over vocab when pruning)
    private int[] driftVocab;

    private LayerPlan(boolean[] run, ExitPolicy policy, Mode.KvStrategy kv, int pruneVocab, boolean cappable,
                      int[] prompt, ExitLedger.Entry ledger) {
        this.ledger = ledger;
        this.run = run;
        int last = 0;
        for (int l = 1; l < run.length; l++) {
            last = run[l] ? l : last;
        }
        this.planExit = last;
        this.layers = run.length - 1;
        this.policy = policy;
        this.kv = kv;
        this.pruneVocab = pruneVocab;
        this.cappable = cappable;
        this.feed = prompt;
    }

    static LayerPlan of(Mode mode, int layers, int[] prompt, ExitLedger exits) {
        boolean[] all = new boolean[layers + 1];
        java.util.Arrays.fill(all, 1, layers + 1, true);
        if (mode instanceof Mode.EarlyExit e) {
            return new LayerPlan(all, e.policy(), e.kv(), e.pruneVocab(), true, prompt, exits.entry(e));
        }
        if (mode instanceof Mode.Skip s) {
            return new LayerPlan(SkipPlan.kept(layers, s.speedup()), null, null, 0, false, prompt, null);
        }
        if (mode instanceof Mode.Static s) {
            boolean[] first = new boolean[layers + 1];
            java.util.Arrays.fill(first, 1, s.exitLayer() + 1, true);
            return new LayerPlan(first, null, null, 0, false, prompt, null);
        }
        // Full depth, unless a budget caps it: then the layers above the cap get K/V by propagation.
        return new LayerPlan(all, null, Mode.KvStrategy.PROPAGATE, 0, true, prompt, null);
    }

    /** Pending rows join the step as the token reaches their next layer ({@link #rows}), not up front. */
    @Override
    public void carry(List<PendingRow> into) {
        joined.clear();
        for (int i = 0; i < pending.size(); i++) {
            joined.add(-1);
        }
    }

    @Override
    public StepInput input(Slot s) {
        return new StepInput(s.seq, feed);
    }

    @Override
    public void begin(int row, int depthCap) {
        me = row;
        limit = prefill || !cappable ? planExit : Math.min(depthCap, planExit);
        exit = 0;
        forced = false;
        logits = null;
        vocab = null;
        deferredRun = 0;
        driftExit = 0;
        if (ledger != null && !prefill && decision == null) {
            // Chosen once per request, not per token: which of its tokens explore and what the others check is fixed
            // at its first token, so two requests made in the same ledger state get the same tokens.
            exploreEvery = ledger.exploreEvery();
            decision = new ExitDecision(policy, layers, ledger.keep());
        }
        if (decision != null) {
            exploring = exploreEvery > 0 && decoded % exploreEvery == 0;
            decision.reset(exploring);
        }
    }

    /** Carried rows one layer behind the token, then the token. */
    @Override
    public void rows(int l, Step step, IntList runs, IntList skips, Tokens out) {
        if (exit != 0 || l > limit) {
            return;
        }
        if (!run[l]) {
            skips.add(me);
            return;
        }
        for (int i = 0; i < pending.size(); i++) {
            int r = joined.get(i);
            if (r < 0 && pending.get(i).layer() == l - 1) {
                r = step.adopt(pending.get(i));
                joined.set(i, r);
            }
            if (r >= 0 && step.layer(r) == l - 1) {
                runs.add(r);
                out.layers += step.count(r);
                deferredRun += step.count(r);
            }
        }
        runs.add(me);
        out.layers += feed.length;
    }

    private boolean checks(int l) {
        return decision != null && !prefill && exit == 0 && driftExit == 0 && l < limit && decision.checks(l);
    }

    /** The token's row when its policy checks after layer {@code l} on the full vocabulary. */
    @Override
    public int checkRow(int l) {
        return checks(l) && decision.needsLmHead() && vocab == null ? me : -1;
    }

    /** After layer {@code l}: the token exits at its limit, or where its policy says so. */
    @Override
    public void afterLayer(int l, Step step, float[] headLogits, Tokens out) {
        if (exit != 0 || l > limit) {
            return;
        }
        if (l == limit) {
            exit = l;
            forced = true;
            return;
        }
        if (!checks(l)) {
            return;
        }
        logits = null;
        if (decision.needsLmHead() && vocab != null) {
            logits = step.prunedLogits(me);
            out.prunedChecks++;
        } else if (decision.needsLmHead()) {
            logits = headLogits;
            out.exitChecks++;
        }
        float cos = decision.needsCosine() ? step.cosine(me) : Float.NaN;
        if (decision.exits(l, out.count() - 1, logits, 0, logits == null ? 0 : logits.length, vocab, cos)) {
            // recompute only: its K/V above the exit are full depth's either way (propagate's would change)
            boolean checkable = logits != null && limit == layers && kv == Mode.KvStrategy.RECOMPUTE;
            if (checkable && earlyExits++ % DRIFT_EVERY == 0) {
                driftExit = l;  // runs on: full depth's choice is had at the last layer
                driftLogits = logits;
                driftVocab = vocab;
                return;
            }
            exit = l;
            return;
        }
        if (pruneVocab > 0 && vocab == null && logits != null) {
            vocab = SignalMath.topK(logits, Math.min(pruneVocab, logits.length));
            step.pruneVocab(me, vocab);
        }
    }

    /** The token's row unless its last check's logits already give the next token. */
    @Override
    public int finalRow() {
        return forced || logits == null || driftExit != 0 ? me : -1;
    }

    private int propagated;

    @Override
    public int propagated() {
        return propagated;
    }

    @Override
    public int deferredRun() {
        return deferredRun;
    }

    /** Samples the next token, fills or defers the K/V of skipped layers; returns whether the slot goes on. */
    @Override
    public boolean finish(Slot s, Step step, float[] finalLogits) {
        int next;
        boolean ranOn = driftExit != 0;  // a drift check: it exited, yet ran every layer
        if (ranOn) {
            // The token is the exit's, as if it had left; the layers it ran on filled its K/V as full depth does.
            int pick = s.sampler.sample(driftLogits);
            next = driftVocab == null ? pick : driftVocab[pick];
            int greedy = SignalMath.argmax(driftLogits, 0, driftLogits.length);
            s.out.driftChecks++;
            if (SignalMath.argmax(finalLogits, 0, finalLogits.length)
                    != (driftVocab == null ? greedy : driftVocab[greedy])) {
                s.out.driftDisagreements++;
            }
            exit = driftExit;
            forced = false;
        } else if (finalLogits != null) {
            next = s.sampler.sample(finalLogits);
        } else {
            int pick = s.sampler.sample(logits);
            next = vocab == null ? pick : vocab[pick];
        }
        if (s.out.scored()) {
            s.out.score(finalLogits != null ? finalLogits : logits, next);  // full or static: never pruned
        }
        propagated = 0;
        if (exit < planExit && kv == Mode.KvStrategy.PROPAGATE) {
            step.propagateKv(me);
            propagated = layers - exit;
        }
        long carryNanos = 0;
        if (kv == Mode.KvStrategy.RECOMPUTE) {
            long t = s.now();
            List<PendingRow> still = new ArrayList<>(pending.size() + 1);
            for (int i = 0; i < pending.size(); i++) {
                int r = joined.get(i);
                if (r < 0) {
                    still.add(pending.get(i));  // it did not join: untouched
                } else if (step.layer(r) < layers) {
                    still.add(step.detach(r));
                }
            }
            if (step.layer(me) < layers) {
                still.add(step.detach(me));
            }
            pending.clear();
            pending.addAll(still);
            joined.clear();
            carryNanos = s.now() - t;
        }
        if (ledger != null && !prefill && limit == layers) {  // a budget's cap says nothing of the policy's exits
            ledger.record(exploring, forced ? 0 : exit, exit < planExit && !ranOn ? planExit - exit : 0, carryNanos);
            s.out.checkCost = ledger.verdict();
        }
        decoded += prefill ? 0 : 1;
        prefill = false;
        feed = new int[] {next};
        LayerSignals used = decision == null || forced ? null : decision.last();
        return s.out.add(next, exit, used);
    }

    /** Deeper layers no later token needed are never computed: what its exits saved whole. */
    @Override
    public void close() {
        if (ledger != null) {
            ledger.dropped(pending.stream().mapToInt(p -> (layers - p.layer()) * p.count()).sum());
        }
        pending.forEach(PendingRow::close);
        pending.clear();
    }
}

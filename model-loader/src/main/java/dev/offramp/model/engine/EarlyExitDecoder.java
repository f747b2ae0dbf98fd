package dev.offramp.model.engine;

import dev.offramp.model.PendingRow;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.StepInput;
import dev.offramp.model.Transformer;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.Schedule;
import dev.offramp.policy.Signal;
import dev.offramp.policy.TokenState;
import java.util.ArrayList;
import java.util.List;

/**
 * Dynamic early exit: after each layer the policy checks, it sees the token's signals and may exit. The prompt runs
 * at full depth. For the layers an exited token skipped, {@code propagate} fills K/V from its exited hidden state
 * (CALM); {@code recompute} carries the token as a pending row and runs its deeper layers only when a later token
 * needs them, batched with that token (EE-LLM / FREE), so the cache is exactly what full depth would write.
 */
final class EarlyExitDecoder {
    private final Transformer model;
    private final ExitPolicy policy;
    private final Schedule schedule;
    private final Mode.KvStrategy kv;
    private final int pruneVocab;
    private final int layers;

    EarlyExitDecoder(Transformer model, Mode.EarlyExit mode) {
        this.model = model;
        this.policy = mode.policy();
        this.schedule = mode.policy().schedule();
        this.kv = mode.kv();
        this.pruneVocab = mode.pruneVocab();
        this.layers = model.config().layers();
    }

    void decode(Sequence seq, int[] prompt, Sampler sampler, Tokens out) {
        int next = FixedPlanDecoder.prefill(model, seq, prompt, sampler, out);
        int exit = layers;
        List<PendingRow> pending = new ArrayList<>();
        try {
            while (out.add(next, exit)) {
                Next n = token(seq, next, out.count() - 1, sampler, out, pending);
                next = n.id();
                exit = n.exitLayer();
            }
        } finally {
            pending.forEach(PendingRow::close);  // deeper layers no later token needed: never computed
        }
    }

    private record Next(int id, int exitLayer) {}

    /** Runs one token until the policy exits it (or the last layer); returns the next token. */
    private Next token(Sequence seq, int id, int position, Sampler sampler, Tokens out, List<PendingRow> pending) {
        int carried = pending.size();
        try (Step step = model.step(new ArrayList<>(pending), List.of(new StepInput(seq, new int[] {id})))) {
            pending.clear();
            int me = carried;
            List<LayerSignals> history = new ArrayList<>();
            float[] logits = null;
            int[] vocab = null;  // after the first check when pruning: the ids later checks score
            int exit = layers;
            for (int l = 1; l <= layers; l++) {
                int[] rows = rowsAt(step, carried, l);
                step.runLayer(l, rows);
                out.layers += rows.length;
                if (!schedule.checks(l, layers)) {
                    continue;
                }
                logits = null;
                if (schedule.needsLmHead() && vocab != null) {
                    logits = step.prunedLogits(me);
                    out.prunedChecks++;
                } else if (schedule.needsLmHead()) {
                    logits = step.exitLogits(me)[0];
                    out.exitChecks++;
                }
                float cos = schedule.signals().contains(Signal.COSINE) ? step.cosine(me) : Float.NaN;
                history.add(SignalMath.of(l, logits, vocab, schedule.signals(), cos));
                if (policy.shouldExit(new TokenState(position, layers, history))) {
                    exit = l;
                    break;
                }
                if (pruneVocab > 0 && vocab == null && logits != null) {
                    vocab = SignalMath.topK(logits, Math.min(pruneVocab, logits.length));
                    step.pruneVocab(me, vocab);
                }
            }
            int next;
            if (exit == layers || logits == null) {
                next = sampler.sample(step.exitLogits(me)[0]);
            } else {
                int pick = sampler.sample(logits);
                next = vocab == null ? pick : vocab[pick];
            }
            if (exit < layers && kv == Mode.KvStrategy.PROPAGATE) {
                step.propagateKv(me);
            }
            if (kv == Mode.KvStrategy.RECOMPUTE) {
                for (int r = 0; r <= me; r++) {
                    if (step.layer(r) < layers) {
                        pending.add(step.detach(r));
                    }
                }
            }
            return new Next(next, exit);
        }
    }

    /** The new token (last row) and every carried row still one layer behind it, in position order. */
    private static int[] rowsAt(Step step, int carried, int layer) {
        int[] rows = new int[carried + 1];
        int n = 0;
        for (int r = 0; r < carried; r++) {
            if (step.layer(r) == layer - 1) {
                rows[n++] = r;
            }
        }
        rows[n++] = carried;
        return java.util.Arrays.copyOf(rows, n);
    }
}

package dev.offramp.model.engine;

import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.Schedule;
import dev.offramp.policy.Signal;
import dev.offramp.policy.TokenState;
import java.util.ArrayList;
import java.util.List;

/**
 * One token's exit decision, made the one way there is: at each layer its policy's schedule checks (less any the
 * check-cost model thinned away), that layer's signals join the token's history and the policy says leave or stay.
 * The engine's plans decide running tokens with it; teacher forcing decides every position of a text with it, so an
 * evaluation scores exactly the exits the engine would take.
 */
public final class ExitDecision {
    private final ExitPolicy policy;
    private final Schedule schedule;
    private final int layers;
    private final boolean[] keep;  // by layer, the checks kept; null: every check the schedule declares
    private boolean declared;      // this token makes every declared check all the same (an explorer's)
    private final List<LayerSignals> history = new ArrayList<>();

    /** @param keep the layers a thinned schedule still checks, by layer; null for the policy as declared */
    public ExitDecision(ExitPolicy policy, int layers, boolean[] keep) {
        this.policy = policy;
        this.schedule = policy.schedule();
        this.layers = layers;
        this.keep = keep;
    }

    /** Whether the token is checked after layer {@code l}. */
    public boolean checks(int l) {
        return schedule.checks(l, layers) && (keep == null || declared || keep[l]);
    }

    /** Whether a check reads the LM head's logits (else it runs on signals such as cosine alone). */
    public boolean needsLmHead() {
        return schedule.needsLmHead();
    }

    public boolean needsCosine() {
        return schedule.signals().contains(Signal.COSINE);
    }

    /**
     * Checks the token after layer {@code l}: the logits row {@code [off, off + n)} (null when the schedule needs no
     * LM head), over {@code ids} when pruned (else the vocabulary), and the cosine to the layer before.
     *
     * @param position the token's position among those the request generates (0 for the first)
     * @return whether it leaves after {@code l}
     */
    public boolean exits(int l, int position, float[] logits, int off, int n, int[] ids, float cosine) {
        history.add(SignalMath.of(l, logits, off, n, ids, schedule.signals(), cosine));
        return policy.shouldExit(new TokenState(position, layers, history));
    }

    /** The signals of the last check, or null when there was none. */
    public LayerSignals last() {
        return history.isEmpty() ? null : history.get(history.size() - 1);
    }

    /** A new token: no checks yet; {@code declared}: it makes every check the schedule declares, kept or not. */
    public void reset(boolean declared) {
        history.clear();
        this.declared = declared;
    }
}

package dev.offramp.model.engine;

import dev.offramp.model.ModelConfig;
import dev.offramp.model.PendingRow;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.StepInput;
import dev.offramp.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Iteration-level continuous batching on one model: each {@link #step} advances every running request by one step of
 * its {@link Plan} (a token, or a self-speculative draft or verification). Requests {@link #join} between steps and
 * leave when done or cancelled. Within the shared step each layer runs once for all rows that reach it: a row that exits leaves the
 * batch for the deeper layers, and the exit checks and output heads of a layer are one LM-head pass.
 * Single-threaded: only {@link Slot#cancel} may be called from another thread.
 */
public final class Batch implements AutoCloseable {
    /**
     * What one iteration cost, for a latency-budget controller: decoder-layer calls, LM-head calls and the K/V
     * projections that filled layers above exits (propagation, per layer filled), timed; {@code nanos} in all;
     * {@code deferredLayers}: layers run for rows that earlier exits deferred (recompute), counted per token.
     */
    public record StepCost(int rows, int layerCalls, long layerNanos, int headCalls, long headNanos, int kvFills,
                           long kvFillNanos, int deferredLayers, long nanos) {
        static final StepCost NONE = new StepCost(0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    private final Transformer model;
    private final ModelConfig c;
    private final LongSupplier nanoTime;
    private final DraftLedger ledger;
    private final ExitLedger exits;  // what this batch's early-exit requests measured about their checks
    private final List<Slot> slots = new ArrayList<>();
    private final IntList runs = new IntList();
    private final IntList skips = new IntList();
    private StepCost last = StepCost.NONE;

    public Batch(Transformer model, LongSupplier nanoTime) {
        this(model, nanoTime, new DraftLedger(), new ExitLedger(CheckCosts.of(model), model.config().layers()));
    }

    /**
     * With what earlier batches on this model learned: self-speculative verdicts and early exit's checks
     * ({@link Generator} keeps one of each).
     */
    Batch(Transformer model, LongSupplier nanoTime, DraftLedger ledger, ExitLedger exits) {
        this.model = model;
        this.c = model.config();
        this.nanoTime = nanoTime;
        this.ledger = ledger;
        this.exits = exits;
    }

    /** Adds a request; it starts (prefill) at the next step. Throws IllegalArgumentException if it cannot run here. */
    public Slot join(GenerationRequest req, TokenListener listener) {
        Generator.check(req, c);
        return add(req, model.newSequence(), true, listener);
    }

    /** As {@link #join}, generating into {@code seq} (empty), which the caller keeps and closes. */
    Slot join(GenerationRequest req, Sequence seq, TokenListener listener) {
        Generator.check(req, c);
        return add(req, seq, false, listener);
    }

    private Slot add(GenerationRequest req, Sequence seq, boolean ownsSeq, TokenListener listener) {
        Plan plan = req.mode() instanceof Mode.SelfSpeculative s
                ? new SpeculativePlan(model, s, nanoTime, req.promptIds(), ledger)
                : LayerPlan.of(req.mode(), c.layers(), req.promptIds(), exits);
        Slot slot = new Slot(req, seq, ownsSeq, plan, listener, c, nanoTime);
        slots.add(slot);
        return slot;
    }

    /** Requests running (joined and not yet done). */
    public int size() {
        return slots.size();
    }

    public StepCost lastStep() {
        return last;
    }

    /**
     * One iteration: every running request not held gains a token or more, or finishes; finished ones leave the
     * batch.
     */
    public void step() {
        long t0 = nanoTime.getAsLong();
        for (Slot s : slots) {
            if (s.cancelRequested()) {
                s.finish();
            }
        }
        slots.removeIf(Slot::done);
        List<Slot> shared = new ArrayList<>();
        for (Slot s : slots) {
            if (!s.held()) {
                shared.add(s);
            }
        }
        StepCost cost = shared.isEmpty() ? StepCost.NONE : sharedStep(shared);
        exits.observe(cost);
        slots.removeIf(Slot::done);
        last = new StepCost(cost.rows(), cost.layerCalls(), cost.layerNanos(), cost.headCalls(), cost.headNanos(),
                cost.kvFills(), cost.kvFillNanos(), cost.deferredLayers(), nanoTime.getAsLong() - t0);
    }

    private StepCost sharedStep(List<Slot> shared) {
        List<PendingRow> carried = new ArrayList<>();
        List<StepInput> inputs = new ArrayList<>(shared.size());
        exits.rows(shared.size());
        for (Slot s : shared) {
            s.plan.carry(carried);
        }
        int[] fed = new int[shared.size()];  // each slot's row of new tokens, -1 for none
        for (int i = 0; i < shared.size(); i++) {
            StepInput in = shared.get(i).plan.input(shared.get(i));
            fed[i] = in == null ? -1 : carried.size() + inputs.size();
            if (in != null) {
                inputs.add(in);
            }
        }
        int layerCalls = 0;
        long layerNanos = 0;
        int headCalls = 0;
        long headNanos = 0;
        try (Step step = model.step(carried, inputs)) {
            for (int i = 0; i < shared.size(); i++) {
                shared.get(i).plan.begin(fed[i], shared.get(i).depthCap());
            }
            for (int l = 1; l <= c.layers(); l++) {
                runs.clear();
                skips.clear();
                for (Slot s : shared) {
                    s.plan.rows(l, step, runs, skips, s.out);
                }
                if (runs.isEmpty() && skips.isEmpty()) {
                    continue;  // no row here (a verification's rows join deeper, so no early end of the loop)
                }
                if (!runs.isEmpty()) {
                    long t = nanoTime.getAsLong();
                    step.runLayer(l, runs.toArray());
                    layerNanos += nanoTime.getAsLong() - t;
                    layerCalls++;
                }
                if (!skips.isEmpty()) {
                    step.skipLayer(l, skips.toArray());
                }
                int layer = l;
                long t = nanoTime.getAsLong();
                float[][] checks = heads(step, shared, p -> p.checkRow(layer));
                if (checks != null) {
                    headNanos += nanoTime.getAsLong() - t;
                    headCalls++;
                }
                for (int i = 0; i < shared.size(); i++) {
                    shared.get(i).plan.afterLayer(l, step, checks == null ? null : checks[i], shared.get(i).out);
                }
            }
            long t = nanoTime.getAsLong();
            float[][] outputs = heads(step, shared, Plan::finalRow);
            if (outputs != null) {
                headNanos += nanoTime.getAsLong() - t;
                headCalls++;
            }
            int kvFills = 0;
            long kvFillNanos = 0;
            int deferred = 0;
            for (int i = 0; i < shared.size(); i++) {
                Slot s = shared.get(i);
                t = nanoTime.getAsLong();
                deferred += s.plan.deferredRun();
                boolean goesOn = s.plan.finish(s, step, outputs == null ? null : outputs[i]);
                if (s.plan.propagated() > 0) {
                    kvFills += s.plan.propagated();
                    kvFillNanos += nanoTime.getAsLong() - t;
                }
                if (!goesOn) {
                    s.finish();
                }
            }
            return new StepCost(inputs.size() + carried.size(), layerCalls, layerNanos, headCalls, headNanos, kvFills,
                    kvFillNanos, deferred, 0);
        }
    }

    /** One LM-head pass over the rows the plans ask for; per slot its logits or null; null when none asked. */
    private static float[][] heads(Step step, List<Slot> shared, java.util.function.ToIntFunction<Plan> row) {
        IntList rows = new IntList();
        int[] at = new int[shared.size()];
        for (int i = 0; i < shared.size(); i++) {
            int r = row.applyAsInt(shared.get(i).plan);
            at[i] = r < 0 ? -1 : rows.size();
            if (r >= 0) {
                rows.add(r);
            }
        }
        if (rows.isEmpty()) {
            return null;
        }
        float[][] logits = step.exitLogits(rows.toArray());
        float[][] bySlot = new float[shared.size()][];
        for (int i = 0; i < at.length; i++) {
            bySlot[i] = at[i] < 0 ? null : logits[at[i]];
        }
        return bySlot;
    }

    /** Ends every request still running and frees its cache. */
    @Override
    public void close() {
        slots.forEach(s -> s.finish());
        slots.clear();
    }
}

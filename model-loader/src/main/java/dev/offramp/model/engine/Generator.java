package dev.offramp.model.engine;

import dev.offramp.model.ModelConfig;
import dev.offramp.model.Sequence;
import dev.offramp.model.Transformer;
import java.util.function.LongSupplier;

/** Generates one request in the mode it asks for: prefill, then tokens until a stop id or the token budget. */
public final class Generator {
    private final Transformer model;
    private final LongSupplier nanoTime;
    private final DraftLedger ledger = new DraftLedger();  // what this generator's requests learned about drafting
    private final ExitLedger exits;                         // and about their exit checks

    public Generator(Transformer model, LongSupplier nanoTime) {
        this.model = model;
        this.nanoTime = nanoTime;
        this.exits = new ExitLedger(CheckCosts.of(model), model.config().layers());
    }

    public GenerationResult generate(GenerationRequest req) {
        return generate(req, TokenListener.NONE);
    }

    /** Generates, telling {@code listener} of each token when it is final; the listener may stop it early. */
    public GenerationResult generate(GenerationRequest req, TokenListener listener) {
        try (Batch batch = new Batch(model, nanoTime, ledger, exits)) {
            return run(batch, batch.join(req, listener));
        }
    }

    /** Generates into {@code seq} (empty), which keeps the KV cache afterwards for inspection. */
    public GenerationResult generate(GenerationRequest req, Sequence seq) {
        try (Batch batch = new Batch(model, nanoTime, ledger, exits)) {
            return run(batch, batch.join(req, seq, TokenListener.NONE));
        }
    }

    /** A batch of one: the same engine path a server runs many requests through. */
    private static GenerationResult run(Batch batch, Slot slot) {
        while (!slot.done()) {
            batch.step();
        }
        return slot.result();
    }

    static void check(GenerationRequest req, ModelConfig c) {
        if (req.promptIds().length + req.maxTokens() - 1 > c.contextLength()) {
            throw new IllegalArgumentException("prompt of " + req.promptIds().length + " tokens + " + req.maxTokens()
                    + " new tokens: expected at most the context length " + c.contextLength() + " in all");
        }
        for (int id : req.promptIds()) {
            if (id < 0 || id >= c.vocab()) {
                throw new IllegalArgumentException("prompt token id " + id + ": expected 0.." + (c.vocab() - 1));
            }
        }
        ModeOptions.checkFits(req.mode(), c);
    }
}

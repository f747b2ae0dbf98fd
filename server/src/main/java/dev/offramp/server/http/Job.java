package dev.offramp.server.http;

import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Slot;
import dev.offramp.policy.LayerSignals;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * One accepted generation on its way through the engine: what it asks for, where its tokens go, and its deadline.
 * Made on the validation pool; from {@link Engine#submit} on, only the engine thread touches its mutable fields.
 */
final class Job {
    /** Told when generation starts (checks passed) and of each token as it is produced, on the engine thread. */
    interface Sink {
        void start();

        void token(int id, int exitLayer, LayerSignals signals, String textDelta);

        /** A text stream: {@code start}, then each non-empty delta of text (a token may complete no character). */
        static Sink text(Runnable start, java.util.function.Consumer<String> delta) {
            return new Sink() {
                @Override
                public void start() {
                    start.run();
                }

                @Override
                public void token(int id, int exitLayer, LayerSignals signals, String textDelta) {
                    if (!textDelta.isEmpty()) {
                        delta.accept(textDelta);
                    }
                }
            };
        }
    }

    static final Sink NO_SINK = new Sink() {
        @Override
        public void start() {}

        @Override
        public void token(int id, int exitLayer, LayerSignals signals, String textDelta) {}
    };

    /** Where the time went, in milliseconds: waiting to join the batch, up to the first token, after it. */
    record Timing(double queueMs, double prefillMs, double decodeMs) {}

    /** The latency budget and whether it was met; null for a request that had none. */
    record Budget(long budgetMs, String outcome) {}

    /**
     * What a cascade did: the member that answered first, the rule's score of its answer, whether the request was
     * deferred to the whole model, and the fraction of this server's cascade requests deferred so far.
     */
    record CascadeOutcome(String small, String rule, double threshold, double score, boolean deferred,
                          double deferredFraction) {}

    /** What came out: {@code tail} is the text not yet handed to the sink's deltas; {@code cascade} null if none. */
    record Outcome(int[] promptIds, GenerationResult result, String text, String tail, String finishReason,
                   String mode, Timing timing, Budget budget, CascadeOutcome cascade) {
        double meanExitLayer() {
            return Arrays.stream(result.exitLayers()).average().orElse(0);
        }

        Wire.ExitSummary summary() {
            return new Wire.ExitSummary(mode, meanExitLayer(), result.layersComputed(), result.exitChecks());
        }

        Wire.Usage usage() {
            return Wire.Usage.of(promptIds.length, result.ids().length);
        }
    }

    final Knobs knobs;
    final Sink sink;
    final Exchange exchange;
    final long arrival;            // nanoTime at arrival: the budget's clock starts here
    final long budgetNanos;        // 0: no budget
    final CompletableFuture<Outcome> done = new CompletableFuture<>();
    Generation.Prepared prepared;  // set by Engine#submit, before the job is queued


    // Engine thread only.
    Slot slot;
    TextStream text;
    int[] prompt;
    String mode;
    long joined;
    long firstToken;
    long lastToken;
    long heldSince;                // when its stream stopped being writable; 0 while writable
    String cancelReason;           // set when the engine cancels it
    Throwable failure;             // what this job alone threw (its sink, say): it fails, the others go on
    Cascade cascade;               // a cascade request: its members and rule
    dev.offramp.model.engine.GenerationRequest deferred;  // what the whole model runs if deferred
    GenerationResult first;        // the small member's answer, once it is done
    long firstExtraLayers;         // the uncertainty pass over that answer
    CascadeOutcome cascadeOutcome;

    Job(Knobs knobs, Sink sink, Exchange exchange, long arrival) {
        this.knobs = knobs;
        this.sink = sink;
        this.exchange = exchange;
        this.arrival = arrival;
        this.budgetNanos = exchange.budgetMs() == null ? 0 : exchange.budgetMs() * 1_000_000L;
    }

    boolean hasBudget() {
        return budgetNanos > 0;
    }

    long deadline() {
        return arrival + budgetNanos;
    }

    /** A streamed response whose client stopped reading: the engine holds its tokens back. */
    boolean blocked() {
        return knobs.stream() && !exchange.channel().isWritable();
    }
}

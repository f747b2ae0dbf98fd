package dev.offramp.server.serve;

import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Slot;
import dev.offramp.model.tokenize.TextTokenizer;
import dev.offramp.policy.LayerSignals;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One accepted generation on its way through an engine: what it asks for, where its tokens go, and its deadline.
 * Made on the validation pool; from {@link ModelWorker#submit} on, only the engine thread touches its mutable fields.
 */
public final class Job {
    /** What the engine may ask of a job's client, whatever carries it: whether it left, whether it is reading. */
    public interface Client {
        boolean disconnected();

        /** False while a stream's client is not reading what was already sent. */
        boolean writable();

        /** The request's latency budget in milliseconds, or null. */
        Long budgetMs();

        /** Whether it ends at its deadline ({@code X-Latency-Budget-Policy: cut}); else it is served in full. */
        default boolean cutAtDeadline() {
            return false;
        }
    }

    /** A request's latency budget and what happens at its deadline: cut there, or served in full and marked missed. */
    public record LatencyBudget(long ms, boolean cut) {
        public LatencyBudget {
            if (ms <= 0) {
                throw new IllegalArgumentException("latency budget: expected a positive number of ms, found " + ms);
            }
        }
    }

    /** Told when generation starts (checks passed) and of each token as it is produced, on the engine thread. */
    public interface Sink {
        void start();

        /**
         * {@code tokenizer}: the one of the model that made the token (a sink that shows a token's own text decodes
         * it; most need only {@code textDelta}, the answer's new text, maybe empty).
         */
        void token(int id, int exitLayer, LayerSignals signals, TextTokenizer tokenizer,
                String textDelta);

        /** A text stream: {@code start}, then each non-empty delta of text (a token may complete no character). */
        static Sink text(Runnable start, Consumer<String> delta) {
            return new Sink() {
                @Override
                public void start() {
                    start.run();
                }

                @Override
                public void token(int id, int exitLayer, LayerSignals signals, TextTokenizer tokenizer,
                        String textDelta) {
                    if (!textDelta.isEmpty()) {
                        delta.accept(textDelta);
                    }
                }
            };
        }
    }

    public static final Sink NO_SINK = new Sink() {
        @Override
        public void start() {}

        @Override
        public void token(int id, int exitLayer, LayerSignals signals, TextTokenizer tokenizer,
                String textDelta) {}
    };

    /** Where the time went, in milliseconds: waiting to join the batch, up to the first token, after it. */
    record Timing(double queueMs, double prefillMs, double decodeMs) {}

    /** The latency budget and whether it was met; null for a request that had none. */
    public record Budget(long budgetMs, String outcome) {}

    /** A member the cascade asked: its rule score (null when not scored) and whether it deferred, or its failure. */
    public record Tried(String member, Double score, boolean deferred, @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String failure) {}

    /**
     * What a cascade did: the member that answered and why, every member asked, the rule, whether the first member's
     * answer was deferred, and the fraction of this server's cascade requests deferred so far.
     */
    public record CascadeOutcome(String answeredBy, String reason, List<Tried> tried, String rule, double threshold,
                          boolean deferred, double deferredFraction) {}

    /**
     * What came out: {@code tail} is the text not yet handed to the sink's deltas; {@code cascade} null if none;
     * {@code result} has no ids for an answer from a remote member (its tokens are another model's).
     */
    public record Outcome(int[] promptIds, GenerationResult result, String text, String tail, String finishReason,
                   String mode, Timing timing, Budget budget, CascadeOutcome cascade, Wire.Usage usage) {
        double meanExitLayer() {
            return Arrays.stream(result.exitLayers()).average().orElse(0);
        }

        public Wire.ExitSummary summary() {
            return new Wire.ExitSummary(mode, meanExitLayer(), result.layersComputed(), result.exitChecks());
        }
    }

    final ClientRequest request;
    final Sink sink;
    final Client client;
    final long arrival;            // nanoTime at arrival: the budget's clock starts here
    final long budgetNanos;        // 0: no budget
    final boolean cutAtDeadline;   // with a budget: ends at the deadline with what it generated
    final CompletableFuture<Outcome> done = new CompletableFuture<>();
    RequestPlan.Prepared prepared; // set by ModelWorker#submit, before the job is queued

    // The engine thread only.
    Slot slot;
    TextStream text;
    int[] prompt;
    String mode;
    long joined;
    long firstToken;
    long lastToken;
    long heldSince;                // when its stream stopped being writable; 0 while writable
    String cancelReason;           // set when the engine cancels it
    boolean cut;                   // ended at its deadline: a success, finish_reason "deadline"
    Throwable failure;             // what this job alone threw (its sink, say): it fails, the others go on

    public Job(ClientRequest request, Sink sink, Client client, long arrival) {
        this.request = request;
        this.sink = sink;
        this.client = client;
        this.arrival = arrival;
        this.budgetNanos = client.budgetMs() == null ? 0 : client.budgetMs() * 1_000_000L;
        this.cutAtDeadline = client.cutAtDeadline();
    }

    /** What the client asked for. */
    public ClientRequest request() {
        return request;
    }

    /** Completes with the outcome, or with the failure that ended the job. */
    public CompletableFuture<Outcome> done() {
        return done;
    }

    boolean hasBudget() {
        return budgetNanos > 0;
    }

    long deadline() {
        return arrival + budgetNanos;
    }

    /** A streamed response whose client stopped reading: the engine holds its tokens back. */
    boolean blocked() {
        return request.stream() && !client.writable();
    }
}

package dev.offramp.server.serve;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.offramp.policy.CheckCostModel;
import java.util.List;

/** The response messages, as records; field names go out in snake_case. */
public final class Wire {
    private Wire() {}

    public record Status(String status) {}

    public record ModelList(String object, List<ModelCard> data) {
        public static ModelList of(String id, long created, int[] exitAdapterLayers) {
            return new ModelList("list", List.of(new ModelCard(id, "model", created, "offramp",
                    exitAdapterLayers.length > 0, exitAdapterLayers)));
        }
    }

    /** {@code exitAdapters}: whether the model's exits run through trained adapters, at {@code exitAdapterLayers}. */
    public record ModelCard(String id, String object, long created, String ownedBy, boolean exitAdapters,
                     int[] exitAdapterLayers) {}

    /** What early exit did for one choice. */
    public record ExitSummary(String mode, double meanExitLayer, long layersComputed, long exitChecks) {}

    public record Usage(int promptTokens, int completionTokens, int totalTokens) {
        public static Usage of(int prompt, int completion) {
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    public record Choice(int index, String text, String finishReason, ExitSummary earlyExit) {}

    /**
     * A completion, and (with a partial choice, no usage) each streamed chunk of one. {@code latencyBudget} only when
     * the request had one: on the whole response and the last streamed chunk.
     */
    public record Completion(String id, String object, long created, String model, List<Choice> choices, Usage usage,
                      @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget) {}

    public record ChatMessage(String role, String content) {}

    public record ChatChoice(int index, ChatMessage message, String finishReason, ExitSummary earlyExit) {}

    public record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices,
                          Usage usage, @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget) {}

    /** A streamed chat delta: the role on the first chunk, then content. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(String role, String content) {}

    public record ChunkChoice(int index, Delta delta, String finishReason,
                       @JsonInclude(JsonInclude.Include.NON_NULL) ExitSummary earlyExit) {}

    public record ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                            Usage usage,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget) {}

    /** A token of the native trace, with the signals its policy saw where it exited (null when none decided). */
    public record TokenOut(int id, String text, int exitLayer,
                    @JsonInclude(JsonInclude.Include.NON_NULL) Signals signals) {}

    /** The signal values a policy check computed (those it did not ask for are left out). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Signals(Float top1Prob, Float margin, Float entropy, Integer argmax, Float cosine) {
        public static Signals of(dev.offramp.policy.LayerSignals s) {
            return s == null ? null : new Signals(value(s.top1Prob()), value(s.margin()), value(s.entropy()),
                    s.argmax() < 0 ? null : s.argmax(), value(s.cosine()));
        }

        private static Float value(float v) {
            return Float.isNaN(v) ? null : v;
        }
    }

    /** {@code POST /v1/generate}: the whole trace. */
    public record Generated(String id, String model, String text, String finishReason, int[] promptIds,
                     List<TokenOut> tokens, long layersComputed, long exitChecks, long drafted, long accepted,
                     String mode, Job.Timing timing,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Job.CascadeOutcome cascade, Usage usage,
                     @JsonInclude(JsonInclude.Include.NON_NULL) CheckCostModel.Thinning checkCost) {}
}

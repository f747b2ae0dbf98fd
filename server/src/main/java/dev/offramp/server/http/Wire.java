package dev.offramp.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.offramp.policy.CheckCostModel;
import java.util.List;

/** The response messages, as records; field names go out in snake_case. */
final class Wire {
    private Wire() {}

    record Status(String status) {}

    record ModelList(String object, List<ModelCard> data) {
        static ModelList of(String id, long created, int[] exitAdapterLayers) {
            return new ModelList("list", List.of(new ModelCard(id, "model", created, "offramp",
                    exitAdapterLayers.length > 0, exitAdapterLayers)));
        }
    }

    /** {@code exitAdapters}: whether the model's exits run through trained adapters, at {@code exitAdapterLayers}. */
    record ModelCard(String id, String object, long created, String ownedBy, boolean exitAdapters,
                     int[] exitAdapterLayers) {}

    /** What early exit did for one choice. */
    record ExitSummary(String mode, double meanExitLayer, long layersComputed, long exitChecks) {}

    record Usage(int promptTokens, int completionTokens, int totalTokens) {
        static Usage of(int prompt, int completion) {
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    record Choice(int index, String text, String finishReason, ExitSummary earlyExit) {}

    /**
     * A completion, and (with a partial choice, no usage) each streamed chunk of one. {@code latencyBudget} only when
     * the request had one: on the whole response and the last streamed chunk.
     */
    record Completion(String id, String object, long created, String model, List<Choice> choices, Usage usage,
                      @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget) {}

    record ChatMessage(String role, String content) {}

    record ChatChoice(int index, ChatMessage message, String finishReason, ExitSummary earlyExit) {}

    record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices,
                          Usage usage, @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget) {}

    /** A streamed chat delta: the role on the first chunk, then content. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {}

    record ChunkChoice(int index, Delta delta, String finishReason,
                       @JsonInclude(JsonInclude.Include.NON_NULL) ExitSummary earlyExit) {}

    record ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices, Usage usage,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget) {}

    /** A token of the native trace, with the signals its policy saw where it exited (null when none decided). */
    record TokenOut(int id, String text, int exitLayer,
                    @JsonInclude(JsonInclude.Include.NON_NULL) Signals signals) {}

    /** The signal values a policy check computed (those it did not ask for are left out). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Signals(Float top1Prob, Float margin, Float entropy, Integer argmax, Float cosine) {
        static Signals of(dev.offramp.policy.LayerSignals s) {
            return s == null ? null : new Signals(value(s.top1Prob()), value(s.margin()), value(s.entropy()),
                    s.argmax() < 0 ? null : s.argmax(), value(s.cosine()));
        }

        private static Float value(float v) {
            return Float.isNaN(v) ? null : v;
        }
    }

    /** {@code POST /v1/generate}: the whole trace. */
    record Generated(String id, String model, String text, String finishReason, int[] promptIds,
                     List<TokenOut> tokens, long layersComputed, long exitChecks, long drafted, long accepted,
                     String mode, Job.Timing timing,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Job.Budget latencyBudget,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Job.CascadeOutcome cascade, Usage usage,
                     @JsonInclude(JsonInclude.Include.NON_NULL) CheckCostModel.Thinning checkCost) {}
}

package dev.offramp.server.http;

import java.util.List;

/** The response messages, as records; field names go out in snake_case. */
final class Wire {
    private Wire() {}

    record Status(String status) {}

    record ModelList(String object, List<ModelCard> data) {
        static ModelList of(String id, long created) {
            return new ModelList("list", List.of(new ModelCard(id, "model", created, "offramp")));
        }
    }

    record ModelCard(String id, String object, long created, String ownedBy) {}

    /** What early exit did for one choice. */
    record ExitSummary(String mode, double meanExitLayer, long layersComputed, long exitChecks) {}

    record Usage(int promptTokens, int completionTokens, int totalTokens) {
        static Usage of(int prompt, int completion) {
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    record Choice(int index, String text, String finishReason, ExitSummary earlyExit) {}

    /** A completion, and (with a partial choice, no usage) each streamed chunk of one. */
    record Completion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {}

    record TokenOut(int id, String text, int exitLayer) {}

    record Timing(double decodeMs) {}

    /** {@code POST /v1/generate}: the whole trace. */
    record Generated(String id, String model, String text, String finishReason, int[] promptIds,
                     List<TokenOut> tokens, long layersComputed, long exitChecks, long drafted, long accepted,
                     String mode, Timing timing, Usage usage) {}
}

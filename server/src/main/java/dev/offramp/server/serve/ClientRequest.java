package dev.offramp.server.serve;

import dev.offramp.model.engine.ModeOptions;
import java.util.List;

/**
 * A completion, chat or native generate request as the client sent it: read from its JSON by the transport, its
 * ranges checked here, and against the model in {@link RequestPlan}. One request's settings go through three forms:
 * this (the mode still as given, a {@link ModeOptions}), the engine's {@code GenerationRequest} (its mode resolved
 * against the model's profile and layers, a {@code Mode}), and the engine's plan for it as it runs.
 *
 * @param prompt        the prompt text (tokenized the model's way; for chat, the rendered template), or null when
 *                      {@code promptIds} are given verbatim
 * @param model         the model named by the request, or null
 * @param includeUsage  streaming: a last chunk carries the usage (OpenAI's {@code stream_options.include_usage})
 * @param chat          a chat completion (the prompt came from {@code messages})
 * @param maxTokensName the field that set {@code maxTokens}, for its errors ({@code max_completion_tokens} in chat)
 * @param earlyExit     the {@code early_exit} object's knobs, whose ranges {@link ModeOptions} checks
 */
public record ClientRequest(String model, String prompt, int[] promptIds, int maxTokens, String maxTokensName,
                            float temperature, float topP, int topK, long seed, List<String> stop, boolean stream,
                            boolean includeUsage, boolean chat, ModeOptions earlyExit) {
    public static final int DEFAULT_MAX_TOKENS = 16;
    /** OpenAI's range; beyond 2 sampling is noise. */
    static final float MAX_TEMPERATURE = 2f;
    static final int MAX_STOP_CHARS = 256;

    public ClientRequest {
        if ((prompt == null) == (promptIds == null)) {
            throw ServingException.invalid("prompt", "prompt: expected a non-empty string"
                    + (promptIds == null && prompt == null ? ", found none" : " or prompt_ids, not both"));
        }
        if (prompt != null && prompt.isEmpty()) {
            throw ServingException.invalid("prompt", "prompt: expected a non-empty string, found an empty one");
        }
        if (promptIds != null && promptIds.length == 0) {
            throw ServingException.invalid("prompt_ids", "prompt_ids: expected at least one id, found none");
        }
        if (maxTokens < 1) {
            throw ServingException.invalid(maxTokensName, maxTokensName + ": expected >= 1, found " + maxTokens);
        }
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw ServingException.invalid("temperature", "temperature: expected a number in [0, " + MAX_TEMPERATURE
                    + "], found " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw ServingException.invalid("top_p", "top_p: expected a number in (0, 1], found " + topP);
        }
        if (topK < 0) {
            throw ServingException.invalid("top_k", "top_k: expected 0 (off) or a positive integer, found " + topK);
        }
        if (stop.size() > 4 || stop.stream().anyMatch(s -> s.isEmpty() || s.length() > MAX_STOP_CHARS)) {
            throw ServingException.invalid("stop", "stop: expected up to 4 non-empty strings of at most "
                    + MAX_STOP_CHARS + " characters, found " + stop.size() + " of " + stop.stream().mapToInt(String::length)
                    .boxed().toList() + " characters");
        }
        if (includeUsage && !stream) {
            throw ServingException.invalid("stream_options", "stream_options: expected only with stream: true");
        }
        stop = List.copyOf(stop);
        promptIds = promptIds == null ? null : promptIds.clone();
    }

    /** A mode error as the request's: about {@code early_exit.<knob>}, or {@code early_exit} when no one knob is. */
    public static ServingException invalid(ModeOptions.InvalidKnob bad) {
        String param = bad.knob() == null ? "early_exit" : "early_exit." + bad.knob().wire;
        return ServingException.invalid(param, param + ": " + bad.detail());
    }
}

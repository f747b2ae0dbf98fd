package dev.offramp.server.http;

import dev.offramp.model.engine.ModeOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A completion, chat or native generate request as the client sent it, read and range-checked from its JSON (types and
 * ranges here; against the model in {@link RequestPlan}). One request's settings go through three forms: this (the
 * mode still as given, a {@link ModeOptions}), the engine's {@code GenerationRequest} (its mode resolved against the
 * model's profile and layers, a {@code Mode}), and the engine's plan for it as it runs.
 *
 * @param prompt        the prompt text (tokenized the model's way; for chat, the rendered template), or null when
 *                      {@code promptIds} are given verbatim
 * @param model         the model named by the request, or null
 * @param includeUsage  streaming: a last chunk carries the usage (OpenAI's {@code stream_options.include_usage})
 * @param chat          a chat completion (the prompt came from {@code messages})
 * @param maxTokensName the field that set {@code maxTokens}, for its errors ({@code max_completion_tokens} in chat)
 * @param earlyExit     the {@code early_exit} object's knobs, whose ranges {@link ModeOptions} checks
 */
record ClientRequest(String model, String prompt, int[] promptIds, int maxTokens, String maxTokensName,
                     float temperature, float topP, int topK, long seed, List<String> stop, boolean stream,
                     boolean includeUsage, boolean chat, ModeOptions earlyExit) {
    static final int DEFAULT_MAX_TOKENS = 16;
    /** OpenAI's range; beyond 2 sampling is noise. */
    static final float MAX_TEMPERATURE = 2f;
    static final int MAX_STOP_CHARS = 256;
    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "top_k", "seed",
            "stop", "stream", "stream_options", "early_exit");
    private static final Set<String> COMPLETION_FIELDS = union(COMMON, "prompt", "n", "user");
    private static final Set<String> CHAT_FIELDS = union(COMMON, "messages", "n", "user", "max_completion_tokens");
    private static final Set<String> GENERATE_FIELDS = union(COMMON, "prompt", "prompt_ids");
    private static final Set<String> EARLY_EXIT_FIELDS = java.util.Arrays.stream(ModeOptions.Knob.values())
            .map(k -> k.wire).collect(java.util.stream.Collectors.toUnmodifiableSet());

    ClientRequest {
        if ((prompt == null) == (promptIds == null)) {
            throw ApiException.invalid("prompt", "prompt: expected a non-empty string"
                    + (promptIds == null && prompt == null ? ", found none" : " or prompt_ids, not both"));
        }
        if (prompt != null && prompt.isEmpty()) {
            throw ApiException.invalid("prompt", "prompt: expected a non-empty string, found an empty one");
        }
        if (promptIds != null && promptIds.length == 0) {
            throw ApiException.invalid("prompt_ids", "prompt_ids: expected at least one id, found none");
        }
        if (maxTokens < 1) {
            throw ApiException.invalid(maxTokensName, maxTokensName + ": expected >= 1, found " + maxTokens);
        }
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw ApiException.invalid("temperature", "temperature: expected a number in [0, " + MAX_TEMPERATURE
                    + "], found " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.invalid("top_p", "top_p: expected a number in (0, 1], found " + topP);
        }
        if (topK < 0) {
            throw ApiException.invalid("top_k", "top_k: expected 0 (off) or a positive integer, found " + topK);
        }
        if (stop.size() > 4 || stop.stream().anyMatch(s -> s.isEmpty() || s.length() > MAX_STOP_CHARS)) {
            throw ApiException.invalid("stop", "stop: expected up to 4 non-empty strings of at most " + MAX_STOP_CHARS
                    + " characters, found " + stop.size() + " of " + stop.stream().mapToInt(String::length)
                    .boxed().toList() + " characters");
        }
        if (includeUsage && !stream) {
            throw ApiException.invalid("stream_options", "stream_options: expected only with stream: true");
        }
        stop = List.copyOf(stop);
        promptIds = promptIds == null ? null : promptIds.clone();
    }

    /** {@code POST /v1/completions}: OpenAI's fields (prompt a string, n 1) plus {@code early_exit}. */
    static ClientRequest completion(Fields f) {
        f.allowOnly(COMPLETION_FIELDS);
        checkN(f);
        return read(f, f.string("prompt"), null, false, f.integer("max_tokens"), "max_tokens");
    }

    /** {@code POST /v1/chat/completions}: {@code messages} rendered with the model's chat template. */
    static ClientRequest chat(Fields f, ChatTemplate template) {
        f.allowOnly(CHAT_FIELDS);
        checkN(f);
        List<Fields> list = f.objects("messages");
        if (list == null) {
            throw ApiException.invalid("messages", "messages: expected an array of {role, content}, found nothing");
        }
        List<ChatTemplate.Message> messages = new ArrayList<>();
        String prompt;
        try {
            for (int i = 0; i < list.size(); i++) {
                Fields m = list.get(i).allowOnly(Set.of("role", "content", "name"));
                messages.add(ChatTemplate.Message.of(i, m.string("role"), m.textOrParts("content")));
            }
            prompt = template.render(messages);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", e.getMessage());
        }
        Integer max = f.integer("max_completion_tokens");
        return max != null ? read(f, prompt, null, true, max, "max_completion_tokens")
                : read(f, prompt, null, true, f.integer("max_tokens"), "max_tokens");
    }

    /** {@code POST /v1/generate}: prompt text or prompt_ids (used verbatim), the same knobs. */
    static ClientRequest generate(Fields f) {
        f.allowOnly(GENERATE_FIELDS);
        return read(f, f.string("prompt"), f.ints("prompt_ids"), false, f.integer("max_tokens"), "max_tokens");
    }

    /** OpenAI's fields this server accepts and does not use: {@code n} must be 1, {@code user} a string. */
    private static void checkN(Fields f) {
        Integer n = f.integer("n");
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "n: only 1 choice per request is supported, found " + n);
        }
        f.string("user");
    }

    private static ClientRequest read(Fields f, String prompt, int[] ids, boolean chat, Integer max, String maxName) {
        Double temperature = f.number("temperature");
        Double topP = f.number("top_p");
        Integer topK = f.integer("top_k");
        Long seed = f.longValue("seed");
        Boolean stream = f.bool("stream");
        Fields options = f.object("stream_options");
        Boolean usage = null;
        if (options != null) {
            options.allowOnly(Set.of("include_usage"));
            usage = options.bool("include_usage");
        }
        return new ClientRequest(f.string("model"), prompt, ids, max == null ? DEFAULT_MAX_TOKENS : max, maxName,
                temperature == null ? 0f : temperature.floatValue(), topP == null ? 1f : topP.floatValue(),
                topK == null ? 0 : topK, seed == null ? 0L : seed, f.strings("stop"), Boolean.TRUE.equals(stream),
                Boolean.TRUE.equals(usage), chat, earlyExit(f.object("early_exit")));
    }

    private static ModeOptions earlyExit(Fields e) {
        if (e == null) {
            return ModeOptions.NONE;
        }
        e.allowOnly(EARLY_EXIT_FIELDS);
        Double draftStop = e.number("draft_stop");
        try {  // ranges that need no model; those against it when the request is prepared (RequestPlan)
            return new ModeOptions(e.string("mode"), e.string("policy"), e.integer("exit_layer"), e.string("kv"),
                    e.integer("prune"), e.number("speedup"), e.integer("draft"),
                    draftStop == null ? null : draftStop.floatValue());
        } catch (ModeOptions.InvalidKnob bad) {
            throw ApiException.invalid(param(bad), param(bad) + ": " + bad.detail());
        }
    }

    /** The request field a mode error is about: {@code early_exit.<knob>}, or {@code early_exit} for none. */
    static String param(ModeOptions.InvalidKnob bad) {
        return bad.knob() == null ? "early_exit" : "early_exit." + bad.knob().wire;
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> s = new java.util.HashSet<>(base);
        s.addAll(List.of(more));
        return Set.copyOf(s);
    }
}

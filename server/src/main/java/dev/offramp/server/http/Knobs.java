package dev.offramp.server.http;

import dev.offramp.model.engine.ModeOptions;
import java.util.List;
import java.util.Set;

/**
 * What a completion or native generate request asks for, read and range-checked from its JSON (types and ranges
 * here; against the model's context on the engine thread).
 *
 * @param prompt    the prompt text (tokenized the model's way), or null when {@code promptIds} are given verbatim
 * @param model     the model named by the request, or null
 */
record Knobs(String model, String prompt, int[] promptIds, int maxTokens, float temperature, long seed,
             List<String> stop, boolean stream, ModeOptions earlyExit) {
    static final int DEFAULT_MAX_TOKENS = 16;
    private static final Set<String> COMPLETION_FIELDS = Set.of("model", "prompt", "max_tokens", "temperature",
            "seed", "stop", "n", "stream", "early_exit", "user");
    private static final Set<String> GENERATE_FIELDS = Set.of("model", "prompt", "prompt_ids", "max_tokens",
            "temperature", "seed", "stop", "stream", "early_exit");
    private static final Set<String> EARLY_EXIT_FIELDS = Set.of("mode", "policy", "exit_layer", "kv", "prune",
            "speedup", "draft", "draft_stop");

    Knobs {
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
            throw ApiException.invalid("max_tokens", "max_tokens: expected >= 1, found " + maxTokens);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw ApiException.invalid("temperature", "temperature: expected a number >= 0, found " + temperature);
        }
        if (stop.size() > 4 || stop.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("stop", "stop: expected up to 4 non-empty strings, found " + stop);
        }
        stop = List.copyOf(stop);
        promptIds = promptIds == null ? null : promptIds.clone();
    }

    /** {@code POST /v1/completions}: OpenAI's fields (prompt a string, n 1) plus {@code early_exit}. */
    static Knobs completion(Fields f) {
        f.allowOnly(COMPLETION_FIELDS);
        Integer n = f.integer("n");
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "n: only 1 choice per request is supported, found " + n);
        }
        return read(f, f.string("prompt"), null);
    }

    /** {@code POST /v1/generate}: prompt text or prompt_ids (used verbatim), the same knobs. */
    static Knobs generate(Fields f) {
        f.allowOnly(GENERATE_FIELDS);
        return read(f, f.string("prompt"), f.ints("prompt_ids"));
    }

    private static Knobs read(Fields f, String prompt, int[] ids) {
        Integer max = f.integer("max_tokens");
        Double temperature = f.number("temperature");
        Long seed = f.longValue("seed");
        Boolean stream = f.bool("stream");
        return new Knobs(f.string("model"), prompt, ids, max == null ? DEFAULT_MAX_TOKENS : max,
                temperature == null ? 0f : temperature.floatValue(), seed == null ? 0L : seed, f.strings("stop"),
                Boolean.TRUE.equals(stream), earlyExit(f.object("early_exit")));
    }

    private static ModeOptions earlyExit(Fields e) {
        if (e == null) {
            return new ModeOptions(null, null, null, null, null, null, null, null);
        }
        e.allowOnly(EARLY_EXIT_FIELDS);
        Double draftStop = e.number("draft_stop");
        return new ModeOptions(e.string("mode"), e.string("policy"), e.integer("exit_layer"), e.string("kv"),
                e.integer("prune"), e.number("speedup"), e.integer("draft"),
                draftStop == null ? null : draftStop.floatValue());
    }
}

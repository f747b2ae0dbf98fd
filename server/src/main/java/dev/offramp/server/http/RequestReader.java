package dev.offramp.server.http;

import dev.offramp.model.engine.ModeOptions;
import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ClientRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Reads a completion, chat or native generate request's JSON into a {@link ClientRequest}: its fields, no others. */
final class RequestReader {
    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "top_k", "seed",
            "stop", "stream", "stream_options", "early_exit");
    private static final Set<String> COMPLETION_FIELDS = union(COMMON, "prompt", "n", "user");
    private static final Set<String> CHAT_FIELDS = union(COMMON, "messages", "n", "user", "max_completion_tokens");
    private static final Set<String> GENERATE_FIELDS = union(COMMON, "prompt", "prompt_ids");
    private static final Set<String> EARLY_EXIT_FIELDS = Arrays.stream(ModeOptions.Knob.values()).map(k -> k.wire)
            .collect(Collectors.toUnmodifiableSet());

    private RequestReader() {}

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
        return new ClientRequest(f.string("model"), prompt, ids, max == null ? ClientRequest.DEFAULT_MAX_TOKENS : max,
                maxName, temperature == null ? 0f : temperature.floatValue(), topP == null ? 1f : topP.floatValue(),
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
            throw ClientRequest.invalid(bad);
        }
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> s = new HashSet<>(base);
        s.addAll(List.of(more));
        return Set.copyOf(s);
    }
}

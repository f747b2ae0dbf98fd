package dev.offramp.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads a Hugging Face {@code config.json} (and {@code generation_config.json}) into a {@link ModelConfig}. */
final class HfConfigReader {
    static final Set<String> SUPPORTED =
            Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "GPT2LMHeadModel");

    private final Path file;
    private final JsonNode root;

    private HfConfigReader(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    static ModelConfig read(Path folder) {
        Path file = folder.resolve("config.json");
        HfConfigReader r = new HfConfigReader(file, readJson(file));
        JsonNode archs = r.root.path("architectures");
        String arch = archs.isArray() && archs.size() > 0 ? archs.get(0).asText() : "(none)";
        if (!SUPPORTED.contains(arch)) {
            throw new ModelLoadException(file + ": unknown architecture " + arch + "; expected one of " + SUPPORTED);
        }
        Path gen = folder.resolve("generation_config.json");
        JsonNode genRoot = Files.exists(gen) ? readJson(gen) : null;
        int bos = firstId(genRoot, r.root, "bos_token_id", -1);
        int[] stop = stopIds(genRoot, r.root);
        return arch.equals("GPT2LMHeadModel") ? r.gpt2(arch, bos, stop) : r.llama(arch, bos, stop);
    }

    private ModelConfig llama(String arch, int bos, int[] stop) {
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelLoadException(file + ": hidden_act expected silu, found " + act);
        }
        JsonNode scaling = root.path("rope_scaling");
        String ropeType = root.path("rope_parameters").path("rope_type").asText("default");
        if ((!scaling.isMissingNode() && !scaling.isNull()) || !ropeType.equals("default")) {
            throw new ModelLoadException(file + ": RoPE scaling is not supported; expected rope_type default, found "
                    + (scaling.isMissingNode() || scaling.isNull() ? ropeType : scaling.toString()));
        }
        int hidden = intField("hidden_size");
        int heads = intField("num_attention_heads");
        int ctx = intField("max_position_embeddings");
        // Mistral's sliding window equals full attention while the context is no longer than the window.
        JsonNode window = root.path("sliding_window");
        if (window.isInt() && root.path("use_sliding_window").asBoolean(true)) {
            ctx = Math.min(ctx, window.asInt());
        }
        double theta = root.has("rope_theta") ? root.get("rope_theta").asDouble()
                : root.path("rope_parameters").path("rope_theta").asDouble(10000.0);
        boolean qwen = arch.equals("Qwen2ForCausalLM");
        return new ModelConfig(arch, ModelConfig.Family.LLAMA, hidden, intField("num_hidden_layers"), heads,
                root.path("num_key_value_heads").asInt(heads), root.path("head_dim").asInt(hidden / heads),
                intField("intermediate_size"), intField("vocab_size"), ctx,
                (float) root.path("rms_norm_eps").asDouble(1e-6), (float) theta, false,
                qwen || root.path("attention_bias").asBoolean(false),
                root.path("tie_word_embeddings").asBoolean(false), bos, stop);
    }

    private ModelConfig gpt2(String arch, int bos, int[] stop) {
        String act = root.path("activation_function").asText("gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new ModelLoadException(file + ": activation_function expected gelu_new, found " + act);
        }
        if (root.path("scale_attn_by_inverse_layer_idx").asBoolean(false)) {
            throw new ModelLoadException(file + ": scale_attn_by_inverse_layer_idx=true is not supported");
        }
        int hidden = intField("n_embd");
        int heads = intField("n_head");
        JsonNode inner = root.path("n_inner");
        return new ModelConfig(arch, ModelConfig.Family.GPT2, hidden, intField("n_layer"), heads, heads,
                hidden / heads, inner.isInt() ? inner.asInt() : 4 * hidden, intField("vocab_size"),
                intField("n_positions"), (float) root.path("layer_norm_epsilon").asDouble(1e-5), 0f, false,
                true, root.path("tie_word_embeddings").asBoolean(true), bos, stop);
    }

    private int intField(String name) {
        JsonNode n = root.path(name);
        if (!n.isInt()) {
            throw new ModelLoadException(file + ": expected an integer " + name + ", found "
                    + (n.isMissingNode() ? "nothing" : n.toString()));
        }
        return n.asInt();
    }

    /** generation_config.json wins over config.json, as in transformers. */
    private static int firstId(JsonNode gen, JsonNode config, String key, int fallback) {
        for (JsonNode src : new JsonNode[] {gen, config}) {
            if (src != null && src.path(key).isInt()) {
                return src.get(key).asInt();
            }
        }
        return fallback;
    }

    private static int[] stopIds(JsonNode gen, JsonNode config) {
        for (JsonNode src : new JsonNode[] {gen, config}) {
            JsonNode eos = src == null ? null : src.get("eos_token_id");
            if (eos == null || eos.isNull()) {
                continue;
            }
            List<Integer> ids = new ArrayList<>();
            if (eos.isArray()) {
                eos.forEach(e -> ids.add(e.asInt()));
            } else {
                ids.add(eos.asInt());
            }
            return ids.stream().mapToInt(Integer::intValue).toArray();
        }
        return new int[0];
    }

    static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file + ": file not found");
        }
        try {
            JsonNode node = new ObjectMapper().readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelLoadException(file + ": expected a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}

package dev.offramp.model;

import dev.offramp.model.io.GgufFile;
import dev.offramp.model.io.GgufMetadata;
import dev.offramp.model.io.HostTensor;
import dev.offramp.model.io.TensorSource;
import dev.offramp.model.tokenize.Llama2cTokenizer;
import dev.offramp.model.tokenize.TextTokenizer;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GGUF checkpoint of {@code general.architecture} "llama", with llama.cpp's keys and tensor names, as this engine's
 * model: the config from the {@code llama.*} keys, the tensors under Hugging Face names, and the SentencePiece
 * tokenizer the file embeds. GGUF keeps q/k rows in the interleaved RoPE layout that llama.cpp rotates (its converter
 * permutes Hugging Face checkpoints into it; llama2.c's are already so), so the config says adjacent pairs, as for
 * llama2.c. Whatever this does not model (rope scaling, experts, other tensors) is refused, not ignored.
 */
final class GgufLlama {
    private static final Map<String, String> GLOBAL = Map.of("token_embd.weight", "model.embed_tokens.weight",
            "output_norm.weight", "model.norm.weight", "output.weight", "lm_head.weight");
    private static final Map<String, String> PER_LAYER = Map.of("attn_norm.weight", "input_layernorm.weight",
            "attn_q.weight", "self_attn.q_proj.weight", "attn_k.weight", "self_attn.k_proj.weight",
            "attn_v.weight", "self_attn.v_proj.weight", "attn_output.weight", "self_attn.o_proj.weight",
            "ffn_norm.weight", "post_attention_layernorm.weight", "ffn_gate.weight", "mlp.gate_proj.weight",
            "ffn_down.weight", "mlp.down_proj.weight", "ffn_up.weight", "mlp.up_proj.weight");
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final int TOKEN_CONTROL = 3; // llama.cpp's LLAMA_TOKEN_TYPE_CONTROL

    private GgufLlama() {}

    static ModelConfig config(GgufFile f) {
        GgufMetadata md = f.metadata();
        String arch = md.string("general.architecture");
        if (!arch.equals("llama")) {
            throw fail(f, "expected general.architecture llama, found " + arch);
        }
        int hidden = size(f, "llama.embedding_length");
        int heads = size(f, "llama.attention.head_count");
        int headDim = md.has("llama.attention.key_length") ? size(f, "llama.attention.key_length") : hidden / heads;
        require(f, md.integer("llama.attention.value_length", headDim) == headDim, "llama.attention.value_length "
                + headDim + " (the key length), found " + md.integer("llama.attention.value_length", headDim));
        require(f, md.integer("llama.rope.dimension_count", headDim) == headDim, "RoPE on the whole head ("
                + headDim + "), found llama.rope.dimension_count " + md.integer("llama.rope.dimension_count", 0));
        String scaling = md.has("llama.rope.scaling.type") ? md.string("llama.rope.scaling.type") : "none";
        require(f, scaling.equals("none"), "no rope scaling (not implemented), found llama.rope.scaling.type "
                + scaling);
        require(f, md.integer("llama.expert_count", 0) == 0, "a dense model, found llama.expert_count "
                + md.integer("llama.expert_count", 0) + " (mixture of experts is not implemented)");
        long[] embed = f.shape("token_embd.weight"); // [vocab, hidden]
        require(f, embed.length == 2 && embed[1] == hidden, "token_embd.weight [vocab, " + hidden + "]");
        int bos = (int) md.integer("tokenizer.ggml.bos_token_id", 1);
        int eos = (int) md.integer("tokenizer.ggml.eos_token_id", 2);
        // GGUF's end is EOS; a llama2.c model also ends a text with BOS (the separator it was trained on, where
        // run.c stops), and no model continues usefully after emitting BOS, so both stop.
        int[] stop = bos == eos ? new int[] {eos} : new int[] {eos, bos};
        return new ModelConfig("gguf:llama", ModelConfig.Family.LLAMA, hidden, size(f, "llama.block_count"), heads,
                md.has("llama.attention.head_count_kv") ? size(f, "llama.attention.head_count_kv") : heads, headDim,
                size(f, "llama.feed_forward_length"), Math.toIntExact(embed[0]), size(f, "llama.context_length"),
                (float) md.real("llama.attention.layer_norm_rms_epsilon", 1e-5),
                (float) md.real("llama.rope.freq_base", 10000), true, false, !f.names().contains("output.weight"),
                bos, stop);
    }

    /** The file's tensors under the names {@link Weights} reads; a tensor of another kind is refused. */
    static TensorSource tensors(GgufFile f) {
        Map<String, String> byHfName = new LinkedHashMap<>();
        for (String name : f.names()) {
            String hf = hfName(name);
            if (hf == null) {
                throw fail(f, "expected only llama tensors (token_embd, output_norm, output, blk.N.{attn_norm, "
                        + "attn_q, attn_k, attn_v, attn_output, ffn_norm, ffn_gate, ffn_down, ffn_up}), found " + name);
            }
            byHfName.put(hf, name);
        }
        return new TensorSource() {
            @Override
            public Set<String> names() {
                return Collections.unmodifiableSet(byHfName.keySet());
            }

            @Override
            public HostTensor tensor(String name) {
                String gguf = byHfName.get(name);
                if (gguf == null) {
                    throw fail(f, "expected the tensor that Hugging Face calls " + name + ", found none");
                }
                return f.tensor(gguf);
            }
        };
    }

    /** The embedded SentencePiece ("llama") vocabulary, tokenized as llama2.c's run.c does (same merges). */
    static TextTokenizer tokenizer(GgufFile f) {
        GgufMetadata md = f.metadata();
        String model = md.string("tokenizer.ggml.model");
        require(f, model.equals("llama"), "tokenizer.ggml.model llama (SentencePiece), found " + model
                + "; pass --tokenizer PATH");
        require(f, md.integer("tokenizer.ggml.bos_token_id", 1) == Llama2cTokenizer.BOS, "BOS id "
                + Llama2cTokenizer.BOS + ", found " + md.integer("tokenizer.ggml.bos_token_id", 1));
        require(f, md.bool("tokenizer.ggml.add_bos_token", true) && md.bool("tokenizer.ggml.add_space_prefix", true),
                "a tokenizer that adds BOS and the space prefix, found add_bos_token or add_space_prefix false");
        BitSet control = new BitSet();
        if (md.has("tokenizer.ggml.token_type")) {
            long[] types = md.integers("tokenizer.ggml.token_type");
            for (int id = 0; id < types.length; id++) {
                control.set(id, types[id] == TOKEN_CONTROL);
            }
        }
        List<String> tokens = md.strings("tokenizer.ggml.tokens");
        long vocab = f.shape("token_embd.weight")[0];
        require(f, tokens.size() == vocab, vocab + " tokens (token_embd.weight's rows), found " + tokens.size());
        return Llama2cTokenizer.of("GGUF file " + f.path() + " tokenizer", tokens, md.floats("tokenizer.ggml.scores"),
                control);
    }

    private static String hfName(String gguf) {
        if (GLOBAL.containsKey(gguf)) {
            return GLOBAL.get(gguf);
        }
        Matcher m = BLOCK.matcher(gguf);
        String suffix = m.matches() ? PER_LAYER.get(m.group(2)) : null;
        return suffix == null ? null : "model.layers." + m.group(1) + "." + suffix;
    }

    private static int size(GgufFile f, String key) {
        long v = f.metadata().integer(key);
        require(f, v > 0 && v <= Integer.MAX_VALUE, key + " in 1.." + Integer.MAX_VALUE + ", found " + v);
        return (int) v;
    }

    private static void require(GgufFile f, boolean ok, String expected) {
        if (!ok) {
            throw fail(f, "expected " + expected);
        }
    }

    private static ModelLoadException fail(GgufFile f, String message) {
        return new ModelLoadException("GGUF file " + f.path() + ": " + message);
    }
}

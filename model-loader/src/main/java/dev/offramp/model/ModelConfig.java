package dev.offramp.model;

import java.util.Arrays;

/**
 * The shape of a decoder-only transformer, whatever file it came from. Two families cover the supported
 * architectures: {@code LLAMA} (RMSNorm, RoPE, SwiGLU; Llama, Mistral, Qwen2, llama2.c) and {@code GPT2}
 * (LayerNorm, learned positions, tanh-GELU).
 *
 * @param ropeAdjacentPairs true for llama2.c checkpoints, whose q/k rotate adjacent pairs (i, i+1) rather than halves
 * @param stopIds generation stops when one of these ids is produced
 */
public record ModelConfig(
        String architecture,
        Family family,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediate,
        int vocab,
        int contextLength,
        float normEps,
        float ropeTheta,
        boolean ropeAdjacentPairs,
        boolean qkvBias,
        boolean tiedHead,
        int bosId,
        int[] stopIds) {

    public enum Family { LLAMA, GPT2 }

    public ModelConfig {
        require(hidden > 0 && layers > 0 && heads > 0 && kvHeads > 0 && headDim > 0 && intermediate > 0
                && vocab > 0 && contextLength > 0, "positive sizes");
        require(heads % kvHeads == 0, "num_attention_heads (" + heads + ") divisible by num_key_value_heads (" + kvHeads + ")");
        require(headDim % 2 == 0, "an even head_dim, found " + headDim);
        require(normEps > 0, "a positive norm epsilon, found " + normEps);
        stopIds = stopIds.clone();
    }

    private static void require(boolean ok, String expected) {
        if (!ok) {
            throw new ModelLoadException("model config: expected " + expected);
        }
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    @Override
    public int[] stopIds() {
        return stopIds.clone();
    }

    public boolean isStop(int id) {
        for (int s : stopIds) {
            if (s == id) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return architecture + "[hidden=" + hidden + ", layers=" + layers + ", heads=" + heads + "/" + kvHeads
                + ", headDim=" + headDim + ", ffn=" + intermediate + ", vocab=" + vocab + ", ctx=" + contextLength
                + ", stop=" + Arrays.toString(stopIds) + "]";
    }
}

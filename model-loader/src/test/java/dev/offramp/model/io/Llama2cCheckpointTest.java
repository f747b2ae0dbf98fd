package dev.offramp.model.io;

import dev.offramp.model.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Llama2cCheckpointTest {
    private static final Path STORIES = Path.of("../../shared/models/stories260K/stories260K.bin");

    @Test
    void readsTheStories260kHeader() {
        Llama2cCheckpoint.Header h = Llama2cCheckpoint.open(STORIES).header();

        assertThat(h).isEqualTo(new Llama2cCheckpoint.Header(64, 172, 5, 8, 4, 512, 512, true));
        assertThat(h.headSize()).isEqualTo(8);
        assertThat(h.kvDim()).isEqualTo(32);
    }

    @Test
    void exposesHuggingFaceNamesAndShapes() {
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(STORIES);

        assertThat(ckpt.names()).hasSize(2 + 9 * 5).doesNotContain("lm_head.weight")
                .contains("model.embed_tokens.weight", "model.norm.weight", "model.layers.4.mlp.up_proj.weight");
        assertThat(ckpt.tensor("model.embed_tokens.weight").shape()).containsExactly(512, 64);
        assertThat(ckpt.tensor("model.layers.0.input_layernorm.weight").shape()).containsExactly(64);
        assertThat(ckpt.tensor("model.layers.2.self_attn.q_proj.weight").shape()).containsExactly(64, 64);
        assertThat(ckpt.tensor("model.layers.2.self_attn.k_proj.weight").shape()).containsExactly(32, 64);
        assertThat(ckpt.tensor("model.layers.2.self_attn.v_proj.weight").shape()).containsExactly(32, 64);
        assertThat(ckpt.tensor("model.layers.2.self_attn.o_proj.weight").shape()).containsExactly(64, 64);
        assertThat(ckpt.tensor("model.layers.3.post_attention_layernorm.weight").shape()).containsExactly(64);
        assertThat(ckpt.tensor("model.layers.4.mlp.gate_proj.weight").shape()).containsExactly(172, 64);
        assertThat(ckpt.tensor("model.layers.4.mlp.down_proj.weight").shape()).containsExactly(64, 172);
        assertThat(ckpt.tensor("model.layers.4.mlp.up_proj.weight").shape()).containsExactly(172, 64);
        assertThat(ckpt.tensor("model.norm.weight").shape()).containsExactly(64);
        HostTensor embed = ckpt.tensor("model.embed_tokens.weight");
        assertThat(embed.data().isDirect()).isTrue();
        assertThat(embed.data().isReadOnly()).isTrue();
    }

    @Test
    void slicesEveryTensorAtItsLlama2cOffset(@TempDir Path dir) throws IOException {
        // dim 4, hidden 6, 2 layers, 2 heads, 1 kv head, vocab 5 (negative: unshared), seq_len 3; float i at index i.
        int[] header = {4, 6, 2, 2, 1, -5, 3};
        int floats = 5 * 4 + 2 * (4 + 16 + 8 + 8 + 16 + 4 + 24 + 24 + 24) + 4 + 3 * 2 + 5 * 4; // 306
        ByteBuffer b = ByteBuffer.allocate(28 + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        Arrays.stream(header).forEach(b::putInt);
        for (int i = 0; i < floats; i++) {
            b.putFloat(i);
        }
        Path file = Files.write(dir.resolve("tiny.bin"), b.array());

        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(file);

        assertThat(ckpt.header().sharedClassifier()).isFalse();
        assertThat(ckpt.header().vocabSize()).isEqualTo(5);
        assertThat(first(ckpt, "model.layers.0.input_layernorm.weight")).isEqualTo(20);
        assertThat(first(ckpt, "model.layers.1.input_layernorm.weight")).isEqualTo(24);
        assertThat(first(ckpt, "model.layers.1.self_attn.q_proj.weight")).isEqualTo(28 + 16);
        assertThat(first(ckpt, "model.layers.0.self_attn.k_proj.weight")).isEqualTo(60);
        assertThat(first(ckpt, "model.layers.1.mlp.gate_proj.weight")).isEqualTo(132 + 24);
        assertThat(first(ckpt, "model.layers.0.mlp.down_proj.weight")).isEqualTo(180);
        assertThat(first(ckpt, "model.layers.1.mlp.up_proj.weight")).isEqualTo(228 + 24);
        assertThat(first(ckpt, "model.norm.weight")).isEqualTo(276);
        assertThat(ckpt.tensor("lm_head.weight").shape()).containsExactly(5, 4);
        assertThat(first(ckpt, "lm_head.weight")).isEqualTo(276 + 4 + 6); // after the RoPE tables
        assertThat(ckpt.tensor("lm_head.weight").toFloatArray()).endsWith(floats - 1);
    }

    @Test
    void rejectsATruncatedFileNamingExpectedAndFoundBytes(@TempDir Path dir) throws IOException {
        byte[] all = Files.readAllBytes(STORIES);
        Path truncated = Files.write(dir.resolve("truncated.bin"), Arrays.copyOf(all, all.length - 4));

        assertThatThrownBy(() -> Llama2cCheckpoint.open(truncated))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(truncated.toString())
                .hasMessageContaining("expected 1056540 bytes")
                .hasMessageContaining("found 1056536");
    }

    @Test
    void rejectsAnInsaneHeader(@TempDir Path dir) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        Arrays.stream(new int[] {64, 172, 5, 6, 4, 512, 512}).forEach(b::putInt);
        Path file = Files.write(dir.resolve("bad.bin"), b.array());

        assertThatThrownBy(() -> Llama2cCheckpoint.open(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("bad.bin")
                .hasMessageContaining("expected dim divisible by n_heads, found dim=64 n_heads=6");
    }

    @Test
    void rejectsAMissingFile(@TempDir Path dir) {
        assertThatThrownBy(() -> Llama2cCheckpoint.open(dir.resolve("absent.bin")))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("absent.bin");
    }

    @Test
    void rejectsAnUnknownTensorNamingIt() {
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(STORIES);

        assertThatThrownBy(() -> ckpt.tensor("lm_head.weight"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("stories260K.bin")
                .hasMessageContaining("lm_head.weight");
    }

    private static float first(Llama2cCheckpoint ckpt, String name) {
        return ckpt.tensor(name).toFloatArray()[0];
    }
}

package dev.offramp.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.model.ModelLoadException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    private static final Path SHARED = Path.of("../../shared/models/stories260K");
    private static final Path STORIES = SHARED.resolve("stories260K.gguf");

    @TempDir
    Path dir;

    @Test
    void readsF32AsAReadOnlyViewShapedOutermostFirst() throws IOException {
        float[] values = {1, 2, 3, 4, 5, 6};
        GgufFile f = open(new GgufBuilder().tensor("w", GgufBuilder.F32, new long[] {2, 3}, GgufBuilder.f32(values)));

        HostTensor t = f.tensor("w");
        assertThat(f.type("w")).isEqualTo(GgufFile.Type.F32);
        assertThat(t.shape()).containsExactly(2, 3);
        assertThat(t.toFloatArray()).containsExactly(values);
        assertThat(t.data().isReadOnly()).isTrue();
    }

    @Test
    void widensF16() throws IOException {
        // 1, -2, 0.5, 65504 (the largest half), 2^-24 (the smallest subnormal), -0, +infinity
        short[] halves = {0x3C00, (short) 0xC000, 0x3800, 0x7BFF, 0x0001, (short) 0x8000, 0x7C00};
        GgufFile f = open(new GgufBuilder().tensor("h", GgufBuilder.F16, new long[] {7}, GgufBuilder.shorts(halves)));

        assertThat(f.tensor("h").toFloatArray())
                .containsExactly(1f, -2f, 0.5f, 65504f, 0x1p-24f, -0f, Float.POSITIVE_INFINITY);
    }

    @Test
    void widensBf16() throws IOException {
        // 1, -3.5, 2^-133 (a float32 subnormal), 3.3895314e38 (the largest bf16)
        short[] bf = {0x3F80, (short) 0xC060, 0x0001, 0x7F7F};
        GgufFile f = open(new GgufBuilder().tensor("b", GgufBuilder.BF16, new long[] {2, 2}, GgufBuilder.shorts(bf)));

        assertThat(f.tensor("b").shape()).containsExactly(2, 2);
        assertThat(f.tensor("b").toFloatArray()).containsExactly(1f, -3.5f, 0x1p-133f, 0x1.fep127f);
    }

    @Test
    void dequantizesQ8ZeroBlocksAsScaleTimesQuant() throws IOException {
        // Two blocks of 32. Block 0: d = 0.5 (0x3800), q[j] = j - 16. Block 1: d = -0.25 (0xB400), q = 127, -128, ...
        ByteBuffer raw = ByteBuffer.allocate(2 * 34).order(ByteOrder.LITTLE_ENDIAN);
        raw.putShort((short) 0x3800);
        for (int j = 0; j < 32; j++) {
            raw.put((byte) (j - 16));
        }
        raw.putShort((short) 0xB400);
        for (int j = 0; j < 32; j++) {
            raw.put((byte) (j % 2 == 0 ? 127 : -128));
        }
        GgufFile f = open(new GgufBuilder().tensor("q", GgufBuilder.Q8_0, new long[] {1, 64}, raw.array()));

        float[] v = f.tensor("q").toFloatArray();
        assertThat(v).hasSize(64);
        assertThat(Arrays.copyOfRange(v, 0, 4)).containsExactly(-8f, -7.5f, -7f, -6.5f);
        assertThat(v[16]).isEqualTo(0f);
        assertThat(v[31]).isEqualTo(7.5f);
        assertThat(Arrays.copyOfRange(v, 32, 36)).containsExactly(-31.75f, 32f, -31.75f, 32f);
        assertThat(v[63]).isEqualTo(32f);
    }

    @Test
    void readsEveryMetadataKindAndHonoursTheAlignment() throws IOException {
        GgufFile f = open(new GgufBuilder().alignment(64)
                .put("general.architecture", "llama")
                .put("n", 7L)
                .put("u32", (int) 4_000_000_000L)
                .put("eps", 1e-5f)
                .put("theta", 500000.0)
                .put("flag", true)
                .put("words", List.of("a", "\u2581b"))
                .put("scores", List.of(0f, -1.5f))
                .tensor("a", GgufBuilder.F32, new long[] {3}, GgufBuilder.f32(new float[] {1, 2, 3}))
                .tensor("b", GgufBuilder.F32, new long[] {1}, GgufBuilder.f32(new float[] {9})));

        GgufMetadata md = f.metadata();
        assertThat(f.version()).isEqualTo(3);
        assertThat(md.string("general.architecture")).isEqualTo("llama");
        assertThat(md.integer("n")).isEqualTo(7);
        assertThat(md.integer("u32")).as("uint32 is unsigned").isEqualTo(4_000_000_000L);
        assertThat(md.integer("general.alignment")).isEqualTo(64);
        assertThat(md.real("eps", 0)).isEqualTo(1e-5f);
        assertThat(md.real("theta", 0)).isEqualTo(500000.0);
        assertThat(md.real("absent", 10000)).isEqualTo(10000);
        assertThat(md.bool("flag", false)).isTrue();
        assertThat(md.strings("words")).containsExactly("a", "\u2581b");
        assertThat(md.floats("scores")).containsExactly(0f, -1.5f);
        assertThat(f.tensor("b").toFloatArray()).as("b lies at data offset 64, after a's padding").containsExactly(9f);
        assertThatThrownBy(() -> md.string("n")).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("metadata n: expected a string, found Long 7");
        assertThatThrownBy(() -> md.integer("absent")).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected metadata key absent, found none");
    }

    @Test
    void readsTheStories260kFileWithTheBinsWeights() {
        GgufFile f = GgufFile.open(STORIES);
        Llama2cCheckpoint bin = Llama2cCheckpoint.open(SHARED.resolve("stories260K.bin"));

        assertThat(f.names()).hasSize(3 + 9 * 5);
        assertThat(f.metadata().string("general.architecture")).isEqualTo("llama");
        assertThat(f.shape("token_embd.weight")).containsExactly(512, 64);
        assertThat(f.shape("blk.2.attn_k.weight")).containsExactly(32, 64);
        assertThat(f.shape("blk.4.ffn_down.weight")).containsExactly(64, 172);
        assertThat(f.tensor("blk.3.attn_q.weight").toFloatArray())
                .containsExactly(bin.tensor("model.layers.3.self_attn.q_proj.weight").toFloatArray());
        assertThat(f.tensor("blk.4.ffn_down.weight").toFloatArray())
                .containsExactly(bin.tensor("model.layers.4.mlp.down_proj.weight").toFloatArray());
    }

    @Test
    void refusesAFileThatIsNotGguf() throws IOException {
        Path bin = SHARED.resolve("stories260K.bin");

        assertThatThrownBy(() -> GgufFile.open(bin)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("stories260K.bin")
                .hasMessageContaining("expected the magic \"GGUF\"")
                .hasMessageContaining("not a GGUF file");
    }

    @Test
    void refusesATruncatedFileNamingWhatIsMissing() throws IOException {
        byte[] all = Files.readAllBytes(STORIES);
        Path inData = Files.write(dir.resolve("data.gguf"), Arrays.copyOf(all, all.length - 4));
        Path inHeader = Files.write(dir.resolve("header.gguf"), Arrays.copyOf(all, 100));

        assertThatThrownBy(() -> GgufFile.open(inData)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("data.gguf")
                .hasMessageContaining("tensor blk.4.ffn_norm.weight: expected its 256 bytes")
                .hasMessageContaining("truncated?");
        assertThatThrownBy(() -> GgufFile.open(inHeader)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("header.gguf")
                .hasMessageContaining("found the file ending at byte 100: truncated?");
    }

    @Test
    void refusesAnUnsupportedTypeByName() throws IOException {
        Path file = write(new GgufBuilder().tensor("w", 12, new long[] {256}, new byte[144]));

        assertThatThrownBy(() -> GgufFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tensor w: expected type F32, F16, BF16 or Q8_0, found Q4_K");
    }

    @Test
    void refusesAQ8ZeroRowThatIsNotWholeBlocks() throws IOException {
        Path file = write(new GgufBuilder().tensor("w", GgufBuilder.Q8_0, new long[] {2, 40}, new byte[0]));

        assertThatThrownBy(() -> GgufFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tensor w: expected its innermost dimension to be a multiple of 32")
                .hasMessageContaining("found 40");
    }

    @Test
    void refusesABigEndianFileSayingSo() throws IOException {
        byte[] all = new GgufBuilder().build();
        ByteBuffer.wrap(all).order(ByteOrder.BIG_ENDIAN).putInt(4, 3);
        Path file = Files.write(dir.resolve("be.gguf"), all);

        assertThatThrownBy(() -> GgufFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected GGUF version 2 or 3 (little-endian), found 50331648")
                .hasMessageContaining("(a big-endian file)");
    }

    @Test
    void refusesAMissingFileAndAnUnknownTensor() throws IOException {
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("absent.gguf"))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("absent.gguf").hasMessageContaining("nothing (missing)");
        GgufFile f = GgufFile.open(STORIES);
        assertThatThrownBy(() -> f.tensor("lm_head.weight")).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected a tensor named lm_head.weight, found none among its 48 tensors");
    }

    private Path write(GgufBuilder b) throws IOException {
        return Files.write(dir.resolve("t" + System.nanoTime() + ".gguf"), b.build());
    }

    private GgufFile open(GgufBuilder b) throws IOException {
        return GgufFile.open(write(b));
    }

    /** Keeps the encoder honest: what {@link GgufBuilder#q8} writes is what it says the values are. */
    @Test
    void theTestEncoderRoundTrips() throws IOException {
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i) * (i < 32 ? 0.01f : 3f);
        }
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        float[] back = GgufBuilder.q8(x, raw);
        GgufFile f = open(new GgufBuilder().tensor("q", GgufBuilder.Q8_0, new long[] {64}, raw.toByteArray()));

        assertThat(f.tensor("q").toFloatArray()).containsExactly(back);
    }
}

package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.io.GgufBuilder;
import dev.offramp.model.io.GgufFile;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GGUF llama models beyond the F32 file in ../shared: each stored type through the engine, and what is refused. */
class GgufLlamaTest {
    private static final Path STORIES = Reference.SHARED.resolve("models/stories260K/stories260K.gguf");
    private static final int[] PROMPT = {1, 403, 407, 261, 378}; // "Once upon a time", as run.c encodes it
    private static DjlRuntime runtime;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        runtime = DjlRuntime.start(1);
    }

    /**
     * stories260K's matrices stored as {@code type} (Q8_0 where a row is whole blocks, else F16; norms stay F32, as
     * llama.cpp's quantizer leaves them) against an F32 file of exactly the values they stand for: widened at load,
     * the two must be the same model.
     */
    @ParameterizedTest
    @ValueSource(ints = {GgufBuilder.F16, GgufBuilder.BF16, GgufBuilder.Q8_0})
    void aMatrixTypeWidensToTheModelOfTheValuesItStandsFor(int type) throws Exception {
        GgufFile source = GgufFile.open(STORIES);
        GgufBuilder stored = GgufBuilder.copyingMetadata(source);
        GgufBuilder reference = GgufBuilder.copyingMetadata(source);
        for (String name : source.names()) {
            long[] shape = source.shape(name);
            float[] x = source.tensor(name).toFloatArray();
            int as = shape.length == 1 ? GgufBuilder.F32
                    : type == GgufBuilder.Q8_0 && shape[1] % 32 != 0 ? GgufBuilder.F16 : type;
            float[] values = x.clone();
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            for (int i = 0; i < x.length; i++) {
                if (as == GgufBuilder.F16) {
                    short h = GgufBuilder.f16(x[i]);
                    raw.writeBytes(GgufBuilder.shorts(new short[] {h}));
                    values[i] = GgufBuilder.f16Value(h);
                } else if (as == GgufBuilder.BF16) {
                    short b = GgufBuilder.bf16(x[i]);
                    raw.writeBytes(GgufBuilder.shorts(new short[] {b}));
                    values[i] = Float.intBitsToFloat(b << 16);
                }
            }
            if (as == GgufBuilder.Q8_0) {
                values = GgufBuilder.q8(x, raw);
            } else if (as == GgufBuilder.F32) {
                raw.writeBytes(GgufBuilder.f32(x));
            }
            stored.tensor(name, as, shape, raw.toByteArray());
            reference.tensor(name, GgufBuilder.F32, shape, GgufBuilder.f32(values));
        }
        Path storedFile = Files.write(dir.resolve("stored.gguf"), stored.build());
        Path referenceFile = Files.write(dir.resolve("reference.gguf"), reference.build());
        assertThat(GgufFile.open(storedFile).type("blk.0.attn_q.weight").name())
                .isEqualTo(type == GgufBuilder.F16 ? "F16" : type == GgufBuilder.BF16 ? "BF16" : "Q8_0");

        try (LoadedModel got = LoadedModel.open(storedFile, null, runtime, DeviceChoice.CPU);
             LoadedModel want = LoadedModel.open(referenceFile, null, runtime, DeviceChoice.CPU)) {
            int[] wantIds = new Generator(want.transformer(), System::nanoTime)
                    .generate(GenerationRequest.greedy(PROMPT, 24)).ids();
            assertThat(new Generator(got.transformer(), System::nanoTime)
                    .generate(GenerationRequest.greedy(PROMPT, 24)).ids()).isNotEmpty().containsExactly(wantIds);
            try (Sequence gs = got.transformer().newSequence(); Step g = got.transformer().step(gs, PROMPT);
                 Sequence ws = want.transformer().newSequence(); Step w = want.transformer().step(ws, PROMPT)) {
                for (int l = 1; l <= got.config().layers(); l++) {
                    g.runLayer(l);
                    w.runLayer(l);
                    assertThat(HfFixtureParityTest.relErr(g.exitLogitsAll(0), w.exitLogitsAll(0), 0))
                            .as("layer %d logits", l).isLessThan(HfFixtureParityTest.F32_TOLERANCE);
                }
            }
        }
    }

    @Test
    void refusesAnotherArchitecture() throws Exception {
        assertRefused(b -> b.put("general.architecture", "qwen2"), "expected general.architecture llama, found qwen2");
    }

    @Test
    void refusesRopeScalingRatherThanIgnoringIt() throws Exception {
        assertRefused(b -> b.put("llama.rope.scaling.type", "linear"),
                "expected no rope scaling (not implemented), found llama.rope.scaling.type linear");
    }

    @Test
    void refusesMixtureOfExperts() throws Exception {
        assertRefused(b -> b.put("llama.expert_count", 8L), "found llama.expert_count 8");
    }

    @Test
    void refusesAnotherTokenizerUnlessOneIsGiven() throws Exception {
        Path file = rewritten(b -> b.put("tokenizer.ggml.model", "gpt2"));
        assertThatThrownBy(() -> LoadedModel.open(file, null, runtime, DeviceChoice.CPU))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected tokenizer.ggml.model llama (SentencePiece), found gpt2");
        Path tok = STORIES.resolveSibling("tok512.bin");
        try (LoadedModel m = LoadedModel.open(file, tok, runtime, DeviceChoice.CPU)) {
            assertThat(m.tokenizer().encode("Once upon a time")).containsExactly(PROMPT);
        }
    }

    @Test
    void refusesATensorItWouldNotUse() throws Exception {
        Path file = rewritten(b -> b.tensor("rope_freqs.weight", GgufBuilder.F32, new long[] {4},
                GgufBuilder.f32(new float[4])));

        assertThatThrownBy(() -> LoadedModel.open(file, null, runtime, DeviceChoice.CPU))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected only llama tensors")
                .hasMessageContaining("found rope_freqs.weight");
    }

    private void assertRefused(UnaryOperator<GgufBuilder> edit, String message) throws Exception {
        Path file = rewritten(edit);
        assertThatThrownBy(() -> LoadedModel.open(file, null, runtime, DeviceChoice.CPU))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining(message);
    }

    /** stories260K.gguf rewritten, then edited (metadata put, tensors added). */
    private Path rewritten(UnaryOperator<GgufBuilder> edit) throws Exception {
        GgufFile source = GgufFile.open(STORIES);
        GgufBuilder b = GgufBuilder.copyingMetadata(source);
        for (String name : source.names()) {
            b.tensor(name, GgufBuilder.F32, source.shape(name), GgufBuilder.f32(source.tensor(name).toFloatArray()));
        }
        return Files.write(dir.resolve("edited.gguf"), edit.apply(b).build());
    }
}

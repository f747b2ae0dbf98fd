package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Our layer-by-layer forward against what transformers computed for the fixtures in ../shared/fixtures/hf. */
class HfFixtureParityTest {
    private static DjlRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = DjlRuntime.start(1);
    }

    /**
     * Float16 weights and product inputs/outputs (unit roundoff 2^-11 = 4.9e-4): measured on these fixtures, every
     * layer's hidden state within 1.9e-3 and logits within 2.1e-3 of transformers (relative to the largest value),
     * for both layouts and thread counts. The bound is that worst case with a margin of 2.4x (about 10 roundoffs).
     */
    static final double F16_TOLERANCE = 5e-3;

    /** Float32 weights and products: every layer within 1e-4 of transformers (relative to the largest value). */
    static final double F32_TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gpt2", "qwen2"})
    void everyLayerMatchesTransformers(String fixture) throws Exception {
        everyLayerMatches(fixture, KernelOptions.reference(), F32_TOLERANCE);
    }

    @ParameterizedTest
    @CsvSource({"llama-gqa,f16/linear/1t", "gpt2,f16/linear/1t", "qwen2,f16/linear/1t", "llama-gqa,f16/matmul/2t",
            "gpt2,f16/matmul/2t", "qwen2,f16/matmul/2t", "llama-gqa,f32/matmul/2t", "qwen2,f32/matmul/1t",
            "llama-gqa,f32/vector/1t", "gpt2,f32/vector/1t", "qwen2,f32/vector/1t", "llama-gqa,f32/vector/2t",
            "qwen2,f32/vector/3t"})
    void everyKernelFormMatchesTransformersWithinItsPrecision(String fixture, String kernel) throws Exception {
        Kernel k = Kernel.parse(kernel);
        everyLayerMatches(fixture, KernelOptions.pinned(k), k.precision() == Kernel.Precision.F16 ? F16_TOLERANCE
                : F32_TOLERANCE);
    }

    /**
     * A single decoded token runs {@link FewTokens} (its norm, RoPE and SwiGLU in Java): after the prompt's other
     * tokens are prefilled, the last one alone must match transformers at every layer, in every kernel form, within
     * the same precision as the tensor path.
     */
    @ParameterizedTest
    @ValueSource(strings = {"f32/linear/1t", "f32/matmul/2t", "f16/linear/1t", "f16/matmul/2t", "f32/vector/1t",
            "f32/vector/2t"})
    void aTokenDecodedAloneMatchesTransformersInEveryForm(String kernel) throws Exception {
        Kernel k = Kernel.parse(kernel);
        double tolerance = k.precision() == Kernel.Precision.F16 ? F16_TOLERANCE : 1e-4;
        Path dir = Reference.SHARED.resolve("fixtures/hf/llama-gqa");
        Reference ref = new Reference(dir.resolve("reference.safetensors"));
        try (LoadedModel model = LoadedModel.open(dir, null, runtime, DeviceChoice.CPU, KernelOptions.pinned(k))) {
            Transformer tf = model.transformer();
            assertThat(tf.fewTokenPath).as("llama-gqa takes the few-token path").isTrue();
            int layers = tf.config().layers();
            int hidden = tf.config().hidden();
            int vocab = tf.config().vocab();
            for (int p = 0; ref.has("prompt." + p + ".input_ids"); p++) {
                int[] ids = ref.ints("prompt." + p + ".input_ids");
                float[] refHidden = ref.floats("prompt." + p + ".layer_hidden");
                float[] refLogits = ref.floats("prompt." + p + ".layer_logits");
                int t = ids.length;
                try (Sequence seq = tf.newSequence()) {
                    if (t > 1) {
                        try (Step prefill = tf.step(seq, java.util.Arrays.copyOf(ids, t - 1))) {
                            for (int l = 1; l <= layers; l++) {
                                prefill.runLayer(l);
                            }
                        }
                    }
                    try (Step step = tf.step(seq, ids[t - 1])) {
                        for (int l = 1; l <= layers; l++) {
                            step.runLayer(l);
                            int last = (l - 1) * t + t - 1;
                            assertThat(relErr(step.hidden(0), refHidden, last * hidden))
                                    .as("prompt %d layer %d hidden", p, l).isLessThan(tolerance);
                            assertThat(relErr(step.exitLogits(0)[0], refLogits, last * vocab))
                                    .as("prompt %d layer %d logits", p, l).isLessThan(tolerance);
                        }
                    }
                }
            }
        }
    }

    private static void everyLayerMatches(String fixture, KernelOptions kernels, double tolerance) throws Exception {
        Path dir = Reference.SHARED.resolve("fixtures/hf/" + fixture);
        Reference ref = new Reference(dir.resolve("reference.safetensors"));
        try (LoadedModel model = LoadedModel.open(dir, null, runtime, DeviceChoice.CPU, kernels)) {
            Transformer tf = model.transformer();
            int layers = tf.config().layers();
            for (int p = 0; ref.has("prompt." + p + ".input_ids"); p++) {
                int[] ids = ref.ints("prompt." + p + ".input_ids");
                float[] refHidden = ref.floats("prompt." + p + ".layer_hidden");
                float[] refLogits = ref.floats("prompt." + p + ".layer_logits");
                int hidden = tf.config().hidden();
                int vocab = tf.config().vocab();
                try (Sequence seq = tf.newSequence(); Step step = tf.step(seq, ids)) {
                    for (int l = 1; l <= layers; l++) {
                        step.runLayer(l);
                        int t = ids.length;
                        assertThat(relErr(step.hidden(0), refHidden, (l - 1) * t * hidden))
                                .as("%s prompt %d layer %d hidden", fixture, p, l).isLessThan(tolerance);
                        assertThat(relErr(step.exitLogitsAll(0), refLogits, (l - 1) * t * vocab))
                                .as("%s prompt %d layer %d logits", fixture, p, l).isLessThan(tolerance);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gpt2", "qwen2"})
    void greedyAndStaticExitIdsMatchExactly(String fixture) throws Exception {
        Path dir = Reference.SHARED.resolve("fixtures/hf/" + fixture);
        Reference ref = new Reference(dir.resolve("reference.safetensors"));
        try (LoadedModel model = LoadedModel.open(dir, null, runtime, DeviceChoice.CPU)) {
            Generator gen = new Generator(model.transformer(), System::nanoTime);
            int checked = 0;
            for (int p = 0; ref.has("prompt." + p + ".input_ids"); p++) {
                int[] ids = ref.ints("prompt." + p + ".input_ids");
                int[] want = ref.ints("prompt." + p + ".greedy_ids");
                GenerationResult full = gen.generate(GenerationRequest.greedy(ids, want.length));
                assertThat(full.ids()).as("%s prompt %d greedy", fixture, p).containsExactly(want);
                for (int k = 1; k <= model.config().layers(); k++) {
                    String name = "prompt." + p + ".greedy_exit" + k + "_ids";
                    if (!ref.has(name)) {
                        continue;
                    }
                    int[] wantK = ref.ints(name);
                    GenerationResult exitK = gen.generate(
                            GenerationRequest.greedy(ids, wantK.length, new Mode.Static(k)));
                    assertThat(exitK.ids()).as("%s prompt %d exit %d", fixture, p, k).containsExactly(wantK);
                    assertThat(exitK.exitLayers()).containsOnly(k);
                    checked++;
                }
            }
            assertThat(checked).as("static-exit references checked").isGreaterThanOrEqualTo(3);
        }
    }

    /** max |ours - ref| / max |ref| over one layer's slice of the reference. */
    static double relErr(float[] ours, float[] ref, int offset) {
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < ours.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[offset + i]));
            maxRef = Math.max(maxRef, Math.abs(ref[offset + i]));
        }
        return maxDiff / maxRef;
    }
}

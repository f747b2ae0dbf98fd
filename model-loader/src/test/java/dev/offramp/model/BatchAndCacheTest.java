package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Sampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Batching rows of different lengths, rows leaving the batch, and the cache's crop and fill-later rules. */
class BatchAndCacheTest {
    private static LoadedModel model;
    private static Transformer tf;

    @BeforeAll
    static void load() {
        model = LoadedModel.open(Reference.SHARED.resolve("fixtures/hf/qwen2"), null, DjlRuntime.start(1),
                DeviceChoice.CPU);
        tf = model.transformer();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void batchOfSequencesAtDifferentLengthsEqualsEachAlone() {
        batchEqualsEachAlone(tf);
    }

    /** llama-gqa's batches of up to 16 tokens run {@link FewTokens}: alone and batched must agree there too. */
    @Test
    void theFewTokenPathGivesEachRowWhatItGetsAlone() {
        try (LoadedModel llama = LoadedModel.open(Reference.SHARED.resolve("fixtures/hf/llama-gqa"), null,
                DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.reference())) {
            assertThat(llama.transformer().fewTokenPath).isTrue();
            batchEqualsEachAlone(llama.transformer());
        }
    }

    /**
     * The two paths through a layer on the same tokens: a 24-token prompt in one step takes the tensor path (more
     * than {@link FewTokens#MOST_TOKENS}), the same prompt in steps of 16 and 8 takes FewTokens. Float32 kernels both;
     * they differ only in summation order (the norm's, the products' blocking for another row count) and in exp's
     * last bits: measured at most 7.3e-7 of the largest value at any layer (hidden and logits); the bound is 1e-5.
     */
    @Test
    void theFewTokenPathAndTheTensorPathComputeTheSameLayers() {
        try (LoadedModel llama = LoadedModel.open(Reference.SHARED.resolve("fixtures/hf/llama-gqa"), null,
                DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.reference())) {
            Transformer t = llama.transformer();
            int[] prompt = new int[24];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (i * 37 + 11) % t.config().vocab();
            }
            int layers = t.config().layers();
            float[][] whole = new float[layers][];
            float[][] wholeLogits = new float[layers][];
            try (Sequence seq = t.newSequence(); Step step = t.step(seq, prompt)) {
                for (int l = 1; l <= layers; l++) {
                    step.runLayer(l);
                    whole[l - 1] = last(step.hidden(0), t.config().hidden());
                    wholeLogits[l - 1] = step.exitLogits(0)[0];
                }
            }
            try (Sequence seq = t.newSequence()) {
                try (Step first = t.step(seq, Arrays.copyOf(prompt, 16))) {
                    for (int l = 1; l <= layers; l++) {
                        first.runLayer(l);
                    }
                }
                try (Step rest = t.step(seq, Arrays.copyOfRange(prompt, 16, 24))) {
                    for (int l = 1; l <= layers; l++) {
                        rest.runLayer(l);
                        assertThat(HfFixtureParityTest.relErr(last(rest.hidden(0), t.config().hidden()),
                                whole[l - 1], 0)).as("layer %d hidden", l).isLessThan(1e-5);
                        assertThat(HfFixtureParityTest.relErr(rest.exitLogits(0)[0], wholeLogits[l - 1], 0))
                                .as("layer %d logits", l).isLessThan(1e-5);
                    }
                }
            }
        }
    }

    private static float[] last(float[] tokens, int hidden) {
        return Arrays.copyOfRange(tokens, tokens.length - hidden, tokens.length);
    }

    private static void batchEqualsEachAlone(Transformer tf) {
        int[][] prompts = {{5, 17, 200, 31, 9, 44, 101}, {300}, {12, 13, 14, 15}};
        int steps = 10;
        List<int[]> alone = new ArrayList<>();
        Generator gen = new Generator(tf, System::nanoTime);
        for (int[] p : prompts) {
            alone.add(gen.generate(GenerationRequest.greedy(p, steps)).ids());
        }
        List<Sequence> seqs = new ArrayList<>();
        int[][] got = new int[prompts.length][steps];
        try {
            for (int[] p : prompts) {
                seqs.add(tf.newSequence());
            }
            // The first step prefills all three prompts (7, 1 and 4 tokens) in one batch.
            List<StepInput> in = new ArrayList<>();
            for (int r = 0; r < prompts.length; r++) {
                in.add(new StepInput(seqs.get(r), prompts[r]));
            }
            for (int s = 0; s < steps; s++) {
                try (Step step = tf.step(in)) {
                    for (int l = 1; l <= tf.config().layers(); l++) {
                        step.runLayer(l);
                    }
                    float[][] logits = step.exitLogits();
                    in = new ArrayList<>();
                    for (int r = 0; r < prompts.length; r++) {
                        got[r][s] = Sampler.argmax(logits[r]);
                        in.add(new StepInput(seqs.get(r), new int[] {got[r][s]}));
                    }
                }
            }
        } finally {
            seqs.forEach(Sequence::close);
        }
        for (int r = 0; r < prompts.length; r++) {
            assertThat(got[r]).as("row %d", r).containsExactly(alone.get(r));
        }
    }

    @Test
    void rowsCanLeaveTheBatchAtAnExit() {
        try (Sequence a = tf.newSequence(); Sequence b = tf.newSequence();
             Step step = tf.step(List.of(new StepInput(a, new int[] {3, 4, 5}), new StepInput(b, new int[] {7})))) {
            step.runLayer(1);
            step.runLayer(2);
            float[] rowAAfter2 = step.exitLogits(0)[0];
            step.runLayer(3, 1);   // row 0 exits after layer 2; row 1 goes deeper alone
            step.runLayer(4, 1);
            assertThat(step.layer(0)).isEqualTo(2);
            assertThat(step.layer(1)).isEqualTo(4);
            assertThat(step.exitLogits(0)[0]).containsExactly(rowAAfter2);
            assertThat(a.filled(2)).isEqualTo(3);
            assertThat(a.filled(3)).as("layers a row skipped hold no K/V for it").isZero();
            assertThat(b.filled(4)).isEqualTo(1);
            assertThatThrownBy(() -> step.runLayer(4, 0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has run 2 layers, expected 3");
        }
    }

    @Test
    void cropRollsBackAndRewritingGivesTheSameOutput() {
        int[] prompt = {10, 20, 30, 40};
        try (Sequence seq = tf.newSequence()) {
            float[] first = forward(seq, prompt);
            float[] next = forward(seq, new int[] {50});
            seq.crop(prompt.length);
            assertThat(seq.length()).isEqualTo(prompt.length);
            for (int l = 1; l <= tf.config().layers(); l++) {
                assertThat(seq.filled(l)).isEqualTo(prompt.length);
            }
            assertThat(forward(seq, new int[] {50})).containsExactly(next);
            assertThat(first).isNotEqualTo(next);
        }
    }

    @Test
    void aHoleInTheCacheIsRefused() {
        try (Sequence seq = tf.newSequence()) {
            try (Step step = tf.step(seq, 1, 2)) {
                step.runLayer(1);  // exits after layer 1: layers 2.. stay empty for positions 0..1
            }
            try (Step step = tf.step(seq, 3)) {
                step.runLayer(1);
                assertThatThrownBy(() -> step.runLayer(2)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("layer 2: K/V filled up to position 0, cannot write at 2");
            }
        }
    }

    @Test
    void propagatedKvFillsTheSkippedLayersSoDeeperTokensCanRun() {
        try (Sequence seq = tf.newSequence()) {
            try (Step step = tf.step(seq, 1, 2)) {
                step.runLayer(1);
                step.propagateKv(0);  // exits after layer 1; layers 2..4 get K/V from h_1
            }
            for (int l = 1; l <= tf.config().layers(); l++) {
                assertThat(seq.filled(l)).as("layer %d", l).isEqualTo(2);
            }
            assertThat(forward(seq, new int[] {3})).hasSize(tf.config().vocab()).doesNotContain(Float.NaN);
        }
    }

    /**
     * On the VECTOR kernel a propagated fill computes only q|k|v's k|v outputs: the K/V it writes for a layer from
     * h_1 must be, bit for bit, what running that layer on h_1 writes.
     */
    @Test
    void aPropagatedFillWritesTheKvThatRunningTheLayerWrites() {
        try (LoadedModel llama = LoadedModel.open(Reference.SHARED.resolve("fixtures/hf/llama-gqa"), null,
                DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.parse("f32/vector/1t", null));
             Sequence filled = llama.transformer().newSequence();
             Sequence ran = llama.transformer().newSequence()) {
            Transformer t = llama.transformer();
            assertThat(t.fewTokenPath).isTrue();
            try (Step step = t.step(filled, 5, 6, 7)) {
                step.runLayer(1);
                step.propagateKv(0);
            }
            try (Step step = t.step(ran, 5, 6, 7)) {
                step.runLayer(1);
                step.runLayer(2);
            }
            assertThat(floats(filled.keyBytes(1))).as("layer 2's keys").containsExactly(floats(ran.keyBytes(1)));
            assertThat(floats(filled.valueBytes(1))).as("layer 2's values")
                    .containsExactly(floats(ran.valueBytes(1)));
            assertThat(floats(filled.keyBytes(1))).as("something was written").isNotEqualTo(new float[
                    floats(filled.keyBytes(1)).length]);
        }
    }

    private static float[] floats(java.nio.ByteBuffer bytes) {
        java.nio.FloatBuffer f = bytes.duplicate().order(bytes.order()).rewind().asFloatBuffer();
        float[] out = new float[f.remaining()];
        f.get(out);
        return out;
    }

    @Test
    void badTokensAndOverlongSequencesAreRejected() {
        try (Sequence seq = tf.newSequence()) {
            assertThatThrownBy(() -> tf.step(seq, 512)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token id 512: expected 0..511");
            assertThatThrownBy(() -> tf.step(seq, new int[257])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected at most the context length 256");
            assertThat(seq.length()).isZero();
            try (Sequence other = tf.newSequence()) {
                assertThatThrownBy(() -> tf.step(List.of(new StepInput(other, new int[] {1}),
                        new StepInput(seq, new int[] {-1})))).isInstanceOf(IllegalArgumentException.class);
                assertThat(other.length()).as("a rejected step grows no sequence").isZero();
            }
        }
    }

    private static float[] forward(Sequence seq, int[] tokens) {
        try (Step step = tf.step(seq, tokens)) {
            for (int l = 1; l <= tf.config().layers(); l++) {
                step.runLayer(l);
            }
            return step.exitLogits()[0];
        }
    }
}

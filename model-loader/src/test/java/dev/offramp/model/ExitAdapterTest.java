package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An exit adapter is applied wherever its layer's exit is read, on both paths, as its definition says:
 * lmHead(gain * finalNorm(h + B·A·h)), computed here independently in Java from the base model's hidden state and
 * LM head; other layers' exits are untouched.
 */
class ExitAdapterTest {
    private static final Path STORIES = Reference.SHARED.resolve("models/stories260K/stories260K.bin");

    @TempDir
    Path dir;

    static ExitAdapter random(int layer, int rank, int hidden, long seed) {
        Random r = new Random(seed);
        float[] gain = new float[hidden];
        float[] down = new float[rank * hidden];
        float[] up = new float[hidden * rank];
        for (int i = 0; i < hidden; i++) {
            gain[i] = 0.5f + r.nextFloat();
        }
        for (int i = 0; i < down.length; i++) {
            down[i] = (float) (r.nextGaussian() * 0.2);
            up[i] = (float) (r.nextGaussian() * 0.2);
        }
        return new ExitAdapter(layer, rank, gain, down, up);
    }

    /** tokens 3 (FewTokens), 24 (the tensor path). */
    @ParameterizedTest
    @ValueSource(ints = {3, 24})
    void adaptedExitIsTheDefinitionOnBothPaths(int tokens) {
        ExitAdapter a = random(2, 4, 64, 7);
        Path file = dir.resolve(ExitAdapters.FILE_NAME);
        new ExitAdapters(List.of(a)).write(file);
        int[] ids = new Random(1).ints(tokens, 3, 500).toArray();
        try (LoadedModel base = open(ExitAdapterChoice.NONE); LoadedModel adapted = open(ExitAdapterChoice.file(file))) {
            assertThat(adapted.transformer().exitAdapters()).hasValueSatisfying(x -> assertThat(x.layers())
                    .containsExactly(2));
            assertThat(base.transformer().exitAdapters()).isEmpty();
            Transformer bt = base.transformer();
            Transformer at = adapted.transformer();
            try (Sequence bs = bt.newSequence(); Step b = bt.step(bs, ids);
                 Sequence as = at.newSequence(); Step s = at.step(as, ids)) {
                for (int l = 1; l <= 3; l++) {
                    b.runLayer(l);
                    s.runLayer(l);
                    float[] expected = l == 2 ? expected(bt, b.hidden(0), a) : b.exitLogitsAll(0);
                    assertClose(s.exitLogitsAll(0), expected);
                    float[] last = java.util.Arrays.copyOfRange(expected, (tokens - 1) * 512, tokens * 512);
                    assertClose(s.exitLogits(0)[0], last);
                    if (l == 2) {
                        assertThat(maxAbsDiff(b.exitLogitsAll(0), expected)).as("the adapter changes layer 2's exit")
                                .isGreaterThan(0.1f);
                        s.pruneVocab(0, new int[] {5, 77, 300});
                        assertClose(s.prunedLogits(0), new float[] {last[5], last[77], last[300]});
                    }
                }
            }
        }
    }

    @Test
    void adaptersBesideAModelLoadByDefaultAndNotWhenTurnedOff() throws Exception {
        Path folder = dir.resolve("model");
        Files.createDirectories(folder);
        Files.createSymbolicLink(folder.resolve("stories260K.bin"), STORIES.toAbsolutePath());
        Files.createSymbolicLink(folder.resolve("tok512.bin"), STORIES.resolveSibling("tok512.bin").toAbsolutePath());
        new ExitAdapters(List.of(random(1, 2, 64, 1), random(3, 0, 64, 2)))
                .write(folder.resolve(ExitAdapters.FILE_NAME));
        Path bin = folder.resolve("stories260K.bin");
        try (LoadedModel m = LoadedModel.open(bin, null, DjlRuntime.start(1), DeviceChoice.CPU,
                KernelOptions.reference())) {
            assertThat(m.transformer().exitAdapters().orElseThrow().layers()).containsExactly(1, 3);
        }
        try (LoadedModel m = LoadedModel.open(bin, null, DjlRuntime.start(1), DeviceChoice.CPU,
                KernelOptions.reference(), ExitAdapterChoice.NONE)) {
            assertThat(m.transformer().exitAdapters()).isEmpty();
        }
    }

    @Test
    void adaptersOfAnotherShapeAreRefused() {
        Path wide = dir.resolve("wide.safetensors");
        new ExitAdapters(List.of(random(1, 2, 128, 1))).write(wide);
        assertThatThrownBy(() -> open(ExitAdapterChoice.file(wide))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("width 128").hasMessageContaining("expected layers 1..4 of width 64");
        Path last = dir.resolve("last.safetensors");
        new ExitAdapters(List.of(random(5, 2, 64, 1))).write(last);
        assertThatThrownBy(() -> open(ExitAdapterChoice.file(last))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("layer 5");
    }

    @Test
    void adaptersWhoseCardNamesAnotherCheckpointAreRefused() throws Exception {
        Path file = dir.resolve(ExitAdapters.FILE_NAME);
        new ExitAdapters(List.of(random(2, 2, 64, 1))).write(file);
        Path card = dir.resolve(ExitAdapters.CARD_NAME);
        Files.writeString(card, "{\"base_sha256\": \"" + "0".repeat(64) + "\", \"rank\": 2}");
        assertThatThrownBy(() -> open(ExitAdapterChoice.file(file))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("trained on another checkpoint").hasMessageContaining("0".repeat(64))
                .hasMessageContaining(ExitAdapters.baseSha256(STORIES)).hasMessageContaining("--no-exit-adapters");
        Files.writeString(card, "{\"base_sha256\": \"" + ExitAdapters.baseSha256(STORIES) + "\"}");
        try (LoadedModel m = open(ExitAdapterChoice.file(file))) {
            assertThat(m.transformer().exitAdapters().orElseThrow().layers()).containsExactly(2);
        }
        Files.writeString(card, "not json");
        assertThatThrownBy(() -> open(ExitAdapterChoice.file(file))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected the JSON card train-exits writes");
    }

    @Test
    void fileRoundTripsAndMalformedFilesAreNamed() throws Exception {
        ExitAdapters a = new ExitAdapters(List.of(random(3, 2, 8, 1), random(1, 0, 8, 2)));
        Path file = dir.resolve("a.safetensors");
        a.write(file);
        ExitAdapters back = ExitAdapters.read(file);
        assertThat(back.layers()).containsExactly(1, 3);
        assertThat(back.adapters().get(1).down()).containsExactly(a.adapters().get(1).down());
        assertThat(back.adapters().get(1).up()).containsExactly(a.adapters().get(1).up());
        assertThat(back.adapters().get(0).gain()).containsExactly(a.adapters().get(0).gain());

        Path stray = dir.resolve("stray.safetensors");
        dev.offramp.model.io.SafetensorsWriter.write(stray, List.of(
                dev.offramp.model.io.HostTensor.of("weight", new long[] {1}, new float[] {1})));
        assertThatThrownBy(() -> ExitAdapters.read(stray)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tensor weight: expected layers.K.gain");
        Path half = dir.resolve("half.safetensors");
        dev.offramp.model.io.SafetensorsWriter.write(half, List.of(
                dev.offramp.model.io.HostTensor.of("layers.1.gain", new long[] {8}, new float[8])));
        assertThatThrownBy(() -> ExitAdapters.read(half)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected a tensor layers.1.down");
    }

    private LoadedModel open(ExitAdapterChoice adapters) {
        return LoadedModel.open(STORIES, null, DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.reference(),
                adapters);
    }

    /** lmHead(gain * h'/sqrt(sum h'^2 + hidden eps)), h' = h + B·A·h, for h [tokens * hidden]: [tokens * vocab]. */
    private static float[] expected(Transformer model, float[] h, ExitAdapter a) {
        int hidden = model.config().hidden();
        int vocab = model.config().vocab();
        float[] w;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray full = model.weights.lmHead.float32(m);  // [vocab, hidden + 1], the constant column's is zero
            w = full.toFloatArray();
        }
        int width = hidden + 1;
        int tokens = h.length / hidden;
        float[] out = new float[tokens * vocab];
        for (int t = 0; t < tokens; t++) {
            double[] x = new double[hidden];
            for (int i = 0; i < hidden; i++) {
                x[i] = h[t * hidden + i];
            }
            double[] low = new double[a.rank()];
            for (int j = 0; j < a.rank(); j++) {
                for (int i = 0; i < hidden; i++) {
                    low[j] += a.down()[j * hidden + i] * x[i];
                }
            }
            double squares = 0;
            for (int i = 0; i < hidden; i++) {
                for (int j = 0; j < a.rank(); j++) {
                    x[i] += a.up()[i * a.rank() + j] * low[j];
                }
            }
            for (int i = 0; i < hidden; i++) {
                squares += x[i] * x[i];
            }
            double norm = Math.sqrt(squares + hidden * model.config().normEps());
            for (int v = 0; v < vocab; v++) {
                double z = 0;
                for (int i = 0; i < hidden; i++) {
                    z += w[v * width + i] * a.gain()[i] * x[i] / norm;
                }
                out[t * vocab + v] = (float) z;
            }
        }
        return out;
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        assertThat(maxAbsDiff(actual, expected)).isLessThan(2e-4f);
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}

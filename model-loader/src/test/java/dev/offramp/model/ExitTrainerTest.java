package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self-distillation of exit adapters on stories260K: it learns, it is reproducible, it leaks nothing. */
class ExitTrainerTest {
    private static LoadedModel model;
    private static int[] train;
    private static int[] heldOut;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        model = LoadedModel.open(Reference.SHARED.resolve("models/stories260K/stories260K.bin"), null,
                DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.reference(), ExitAdapterChoice.NONE);
        String text = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big red ball under a tree. She ran to get it, but a dog got there first. "
                + "The dog wagged its tail and gave the ball to Lily. They played together all day and became "
                + "best friends. At night, Lily went home and told her mom about the dog. Her mom smiled. ";
        train = model.tokenizer().encode(text.repeat(16));
        heldOut = model.tokenizer().encode("Tom had a small boat. He took it to the lake with his dad. The sun was "
                + "warm and the water was blue. Tom saw a fish jump and laughed. His dad gave him a snack. ");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static ExitTrainer.Options options(int steps, long seed) {
        return new ExitTrainer.Options(new int[] {2, 4}, 4, steps, 64, 1e-2, seed);
    }

    @Test
    void trainingLowersEveryAdaptedLayersHeldOutKlAndLeavesTheOthersAlone() {
        try (ExitTrainer t = new ExitTrainer(model.transformer(), train, heldOut, options(60, 3))) {
            ExitTrainer.Quality before = t.quality(false, 10_000);
            ExitTrainer.Quality identity = t.quality(true, 10_000);
            assertThat(identity.layers().get(1).kl()).as("identity adapters at the start: the base model's exit")
                    .isCloseTo(before.layers().get(1).kl(), org.assertj.core.data.Offset.offset(1e-5));
            double first = t.step();
            double last = first;
            for (int i = 1; i < 60; i++) {
                last = t.step();
            }
            assertThat(last).as("training KL, last step against the first").isLessThan(0.7 * first);
            ExitTrainer.Quality after = t.quality(true, 10_000);
            for (int l : new int[] {2, 4}) {
                assertThat(after.layers().get(l - 1).kl()).as("held-out KL at layer " + l)
                        .isLessThan(before.layers().get(l - 1).kl());
            }
            for (int l : new int[] {1, 3, 5}) {
                assertThat(after.layers().get(l - 1)).as("layer " + l + " has no adapter")
                        .isEqualTo(before.layers().get(l - 1));
            }
            assertThat(after.layers().get(4).agreement()).isEqualTo(1.0);
        }
    }

    @Test
    void aSeedReproducesARunAndAResumedRunEqualsAnUninterruptedOne() {
        ExitAdapters whole;
        ExitAdapters again;
        ExitAdapters resumed;
        ExitAdapters otherSeed;
        try (ExitTrainer t = new ExitTrainer(model.transformer(), train, heldOut, options(10, 5))) {
            for (int i = 0; i < 10; i++) {
                t.step();
            }
            whole = t.adapters();
        }
        try (ExitTrainer t = new ExitTrainer(model.transformer(), train, heldOut, options(10, 5))) {
            for (int i = 0; i < 10; i++) {
                t.step();
            }
            again = t.adapters();
        }
        Path checkpoint = dir.resolve("c.safetensors");
        try (ExitTrainer t = new ExitTrainer(model.transformer(), train, heldOut, options(10, 5))) {
            for (int i = 0; i < 4; i++) {
                t.step();
            }
            t.checkpoint(checkpoint);
        }
        try (ExitTrainer t = new ExitTrainer(model.transformer(), train, heldOut, options(10, 5))) {
            t.resume(checkpoint);
            assertThat(t.stepsDone()).isEqualTo(4);
            while (t.stepsDone() < 10) {
                t.step();
            }
            resumed = t.adapters();
        }
        try (ExitTrainer t = new ExitTrainer(model.transformer(), train, heldOut, options(10, 6))) {
            for (int i = 0; i < 10; i++) {
                t.step();
            }
            otherSeed = t.adapters();
        }
        for (int k = 0; k < 2; k++) {
            assertThat(again.adapters().get(k).up()).containsExactly(whole.adapters().get(k).up());
            assertThat(resumed.adapters().get(k).up()).containsExactly(whole.adapters().get(k).up());
            assertThat(resumed.adapters().get(k).down()).containsExactly(whole.adapters().get(k).down());
            assertThat(resumed.adapters().get(k).gain()).containsExactly(whole.adapters().get(k).gain());
        }
        assertThat(otherSeed.adapters().get(0).down()).isNotEqualTo(whole.adapters().get(0).down());
    }

    @Test
    void noArrayOutlivesATrainingStep() {
        Transformer tf = model.transformer();
        int idle = tf.liveArrays();
        try (ExitTrainer t = new ExitTrainer(tf, train, heldOut, options(30, 1))) {
            int ready = tf.liveArrays();
            assertThat(ready).as("the trainer holds the head and the hidden states").isGreaterThan(idle);
            t.step();
            assertThat(tf.liveArrays()).as("after one step").isEqualTo(ready);
            for (int i = 0; i < 25; i++) {
                t.step();
            }
            t.quality(true, 10_000);
            t.checkpoint(dir.resolve("c.safetensors"));
            assertThat(tf.liveArrays()).as("after 26 steps, a measurement and a checkpoint").isEqualTo(ready);
        }
        assertThat(tf.liveArrays()).as("closing the trainer frees everything it made").isEqualTo(idle);
    }

    @Test
    void theValidationSlicesMeasurementsLeaveNoArraysBehindAndItsPairsAddUp() {
        Transformer tf = model.transformer();
        int idle = tf.liveArrays();
        try (ExitTrainer t = new ExitTrainer(tf, train, heldOut, heldOut, options(10, 2))) {
            for (int i = 0; i < 10; i++) {
                t.step();
            }
            int ready = tf.liveArrays();
            ExitTrainer.Quality base = t.validationQuality(false, Integer.MAX_VALUE);
            ExitTrainer.Quality adapted = t.validationQuality(true, Integer.MAX_VALUE);
            java.util.List<ExitTrainer.Paired> pairs = t.validationPairs();
            assertThat(tf.liveArrays()).as("after the slice's measurements").isEqualTo(ready);
            assertThat(pairs).extracting(ExitTrainer.Paired::layer).containsExactly(2, 4);
            for (ExitTrainer.Paired p : pairs) {  // the paired counts are the two agreements' difference
                double change = adapted.layers().get(p.layer() - 1).agreement()
                        - base.layers().get(p.layer() - 1).agreement();
                assertThat((p.gained() - p.lost()) / (double) base.positions()).as("layer " + p.layer())
                        .isCloseTo(change, org.assertj.core.data.Offset.offset(1e-9));
            }
        }
        assertThat(tf.liveArrays()).isEqualTo(idle);
        try (ExitTrainer none = new ExitTrainer(tf, train, heldOut, options(1, 2))) {
            assertThatThrownBy(none::validationPairs).hasMessageContaining("no validation slice");
        }
    }

    @Test
    void aTextTooSmallForTheCapacityIsRefused() {
        int[] small = Arrays.copyOf(train, 200);
        assertThatThrownBy(() -> new ExitTrainer(model.transformer(), small, heldOut,
                new ExitTrainer.Options(new int[] {1}, 16, 10, 64, 1e-2, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("199 training positions are too few for rank 16 adapters of 2112 parameters")
                .hasMessageContaining("expected at least 4224");
        assertThatThrownBy(() -> new ExitTrainer(model.transformer(), train, heldOut,
                new ExitTrainer.Options(new int[] {5}, 2, 10, 64, 1e-2, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--layers: expected layers 1..4");
    }
}

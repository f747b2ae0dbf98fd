package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offramp.model.ModelConfig;
import dev.offramp.model.engine.ModeOptions.InvalidKnob;
import dev.offramp.model.engine.ModeOptions.Knob;
import dev.offramp.policy.PolicyRegistry;
import org.junit.jupiter.api.Test;

/** The mode's knobs have one set of rules, and each broken one is named, with or without a model to check against. */
class ModeOptionsTest {
    /** Five layers, a vocabulary of 512: only the sizes matter here. */
    private static final ModelConfig FIVE = new ModelConfig("t", ModelConfig.Family.LLAMA, 64, 5, 4, 4, 16, 128,
            512, 256, 1e-5f, 10000f, false, false, true, 1, new int[] {2});

    @Test
    void rangesThatNeedNoModelAreCheckedWhenTheKnobsAreRead() {
        assertBad(() -> options(null, null, 0, null, null, null, null, null), Knob.EXIT_LAYER, "expected >= 1, found 0");
        assertBad(() -> options(null, null, null, null, -1, null, null, null), Knob.PRUNE, "expected 0 (off)");
        assertBad(() -> options(null, null, null, null, null, 0.5, null, null), Knob.SPEEDUP,
                "expected a number >= 1, found 0.5");
        assertBad(() -> options(null, null, null, null, null, null, 33, null), Knob.DRAFT, "expected 1..32 tokens");
        assertBad(() -> options(null, null, null, null, null, null, null, 1.5f), Knob.DRAFT_STOP,
                "expected a number in [0, 1], found 1.5");
    }

    @Test
    void rangesAgainstTheModelAreCheckedWhenTheModeIsResolved() {
        assertBad(() -> toMode(options("static", null, 9, null, null, null, null, null)), Knob.EXIT_LAYER,
                "expected 1..5 (the model's layers), found 9");
        assertBad(() -> toMode(options("self-speculative", null, 5, null, null, null, null, null)), Knob.EXIT_LAYER,
                "expected 1..4 (a draft leaves layers to verify), found 5");
        assertBad(() -> toMode(options("skip", null, null, null, null, 6.0, null, null)), Knob.SPEEDUP,
                "expected 1..5 (the model's layers), found 6.0");
        assertBad(() -> toMode(options(null, "margin:threshold=0.1", null, null, 600, null, null, null)), Knob.PRUNE,
                "expected 0 (off) .. 512 (the vocabulary), found 600");
        assertBad(() -> toMode(options(null, "margin:threshold=0.1,min_layer=5", null, null, null, null, null, null)),
                Knob.POLICY, "expected it to check a layer in 1..4");
    }

    @Test
    void aWrongNameAStrayKnobAndAMissingOneAreEachNamed() {
        assertBad(() -> toMode(options("warp", null, null, null, null, null, null, null)), Knob.MODE,
                "expected one of " + ModeOptions.NAMES + ", found warp");
        assertBad(() -> toMode(options(null, "margin:threshold=0.1", null, "teleport", null, null, null, null)),
                Knob.KV, "expected propagate or recompute, found teleport");
        assertBad(() -> toMode(options(null, null, null, "recompute", null, null, null, null)), Knob.KV,
                "only for mode early-exit, found mode full");
        InvalidKnob missing = catchThrowableOfType(() -> toMode(options("skip", null, null, null, null, null, null,
                null)), InvalidKnob.class);
        assertThat(missing.knob()).isNull();
        assertThat(missing).hasMessage("mode skip: expected a target speed-up, found none");
    }

    @Test
    void goodKnobsResolveToTheirMode() {
        assertThat(toMode(options("static", null, 5, null, null, null, null, null))).isEqualTo(new Mode.Static(5));
        assertThat(toMode(options("self-speculative", null, 2, null, null, null, 32, 0.5f)))
                .isEqualTo(new Mode.SelfSpeculative(2, 32, 0.5f));
        assertThat(toMode(ModeOptions.NONE)).isEqualTo(new Mode.Full());
    }

    private static ModeOptions options(String mode, String policy, Integer exitLayer, String kv, Integer prune,
                                       Double speedup, Integer draft, Float draftStop) {
        return new ModeOptions(mode, policy, exitLayer, kv, prune, speedup, draft, draftStop);
    }

    private static Mode toMode(ModeOptions o) {
        return o.toMode(FIVE, PolicyRegistry.standard());
    }

    private static void assertBad(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Knob knob,
                                  String detail) {
        InvalidKnob e = catchThrowableOfType(call, InvalidKnob.class);
        assertThat(e).as("an InvalidKnob about " + knob).isNotNull();
        assertThat(e.knob()).isEqualTo(knob);
        assertThat(e.detail()).contains(detail);
        assertThat(e.getMessage()).isEqualTo(knob.words + ": " + e.detail());
    }
}

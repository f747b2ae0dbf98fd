package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.Sampler;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.PolicyRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** NDArray lifetimes: a step's arrays die with the step, a sequence's cache with the sequence. */
class LiveArraysTest {
    @ParameterizedTest
    @ValueSource(strings = {"f32/linear/1t", "f16/linear/2t", "f16/matmul/1t", "f32/vector/1t", "f32/vector/2t"})
    void thousandDecodeStepsKeepLiveArraysFlat(String kernel) {
        try (LoadedModel model = LoadedModel.open(Reference.SHARED.resolve("models/stories260K/stories260K.bin"),
                null, DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.pinned(Kernel.parse(kernel)))) {
            Transformer tf = model.transformer();
            int idle = tf.liveArrays();
            int afterFirst = -1;
            int token = 1;
            Sequence seq = tf.newSequence();
            int withCache = tf.liveArrays();
            assertThat(withCache - idle).as("one K and one V array per layer").isEqualTo(2 * tf.config().layers());
            for (int i = 0; i < 1000; i++) {
                if (seq.length() == seq.context()) {
                    seq.crop(0);  // stories260K's context is 512: roll back and keep stepping
                }
                try (Step step = tf.step(seq, token)) {
                    for (int l = 1; l <= tf.config().layers(); l++) {
                        step.runLayer(l);
                    }
                    token = Sampler.argmax(step.exitLogits()[0]);
                    if (i == 0) {
                        assertThat(tf.liveArrays()).as("a running step's arrays are counted").isGreaterThan(withCache);
                    }
                }
                if (i == 0) {
                    afterFirst = tf.liveArrays();
                }
            }
            assertThat(afterFirst).isEqualTo(withCache);
            assertThat(tf.liveArrays()).as("live arrays after 1,000 steps").isEqualTo(withCache);
            seq.close();
            assertThat(tf.liveArrays()).as("closing the sequence frees its cache").isEqualTo(idle);
        }
    }

    /**
     * The VECTOR kernel on the tensor path (a prompt longer than the few-token step takes): its input copy, the
     * buffer-backed result and that result's copy into libtorch's memory all die with the step.
     */
    @Test
    void theVectorKernelOnTheTensorPathLeavesNoArraysBehind() {
        try (LoadedModel model = LoadedModel.open(Reference.SHARED.resolve("models/stories260K/stories260K.bin"),
                null, DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.pinned(Kernel.parse("f32/vector/1t")))) {
            Transformer tf = model.transformer();
            int[] prompt = model.tokenizer().encode("Once upon a time there was a little girl named Lily. She loved to"
                    + " play outside in the park with her friends and her dog.");
            assertThat(prompt.length).as("past the few-token step").isGreaterThan(FewTokens.MOST_TOKENS);
            int idle = tf.liveArrays();
            Generator gen = new Generator(tf, System::nanoTime);
            for (int i = 0; i < 5; i++) {
                gen.generate(GenerationRequest.greedy(prompt, 8));
                assertThat(tf.liveArrays()).as("request %d", i).isEqualTo(idle);
            }
        }
    }

    /** Pending rows, detached drafts, merged verification rows and pruned heads all die with their request. */
    @ParameterizedTest
    @MethodSource("modesAndKernels")
    void everyModeLeavesNoArraysBehind(String name, String kernel) {
        try (LoadedModel model = LoadedModel.open(Reference.SHARED.resolve("models/stories260K/stories260K.bin"),
                null, DjlRuntime.start(1), DeviceChoice.CPU, KernelOptions.pinned(Kernel.parse(kernel)))) {
            Transformer tf = model.transformer();
            ExitPolicy policy = PolicyRegistry.standard().parse("margin:threshold=0.3,min_layer=1");
            Mode mode = switch (name) {
                case "early-exit recompute" -> new Mode.EarlyExit(policy, Mode.KvStrategy.RECOMPUTE, 8);
                case "early-exit propagate" -> new Mode.EarlyExit(policy, Mode.KvStrategy.PROPAGATE, 8);
                case "self-speculative" -> new Mode.SelfSpeculative(2, 4, 0.2f);
                case "skip" -> new Mode.Skip(2.0);
                default -> new Mode.Static(3);
            };
            int idle = tf.liveArrays();
            Generator gen = new Generator(tf, System::nanoTime);
            int[] prompt = model.tokenizer().encode("Once upon a time");
            for (int i = 0; i < 20; i++) {
                gen.generate(new GenerationRequest(prompt, 40, i % 2 == 0 ? 0f : 0.8f, i, mode, false));
                assertThat(tf.liveArrays()).as("%s on %s, request %d", name, kernel, i).isEqualTo(idle);
            }
        }
    }

    /** Every mode on every form a plan can choose (the batch paths use each bucket's kernel). */
    static Stream<Arguments> modesAndKernels() {
        List<Arguments> out = new ArrayList<>();
        for (String mode : List.of("early-exit recompute", "early-exit propagate", "self-speculative", "skip",
                "static")) {
            for (String kernel : List.of("f32/linear/1t", "f32/matmul/1t", "f16/linear/2t", "f16/matmul/1t",
                    "f32/vector/1t")) {
                out.add(Arguments.of(mode, kernel));
            }
        }
        return out.stream();
    }
}

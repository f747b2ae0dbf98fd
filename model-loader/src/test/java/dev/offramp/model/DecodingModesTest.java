package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.SkipPlan;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.LayerSet;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.policy.Schedule;
import dev.offramp.policy.TokenState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The decoding modes against full depth: what must be identical is identical, and costs are counted honestly. */
class DecodingModesTest {
    private static final Path SHARED = Reference.SHARED;
    /**
     * A clock that never moves, for the self-speculative tests: drafting then never looks dearer than full depth, so
     * no request falls back and every one drafts (with the real clock, where drafting does not pay, requests stop
     * drafting: the same output, but not what these tests look at).
     */
    private static final java.util.function.LongSupplier STILL = () -> 0L;

    static Stream<Arguments> speculativeCases() {
        return Stream.of(
                Arguments.of("fixtures/hf/llama-gqa", new int[] {1, 3, 5}, new int[] {1, 3, 6}),
                Arguments.of("fixtures/hf/gpt2", new int[] {1, 2, 3}, new int[] {2, 4}),
                Arguments.of("fixtures/hf/qwen2", new int[] {1, 2, 3}, new int[] {1, 5}),
                Arguments.of("models/stories260K/stories260K.bin", new int[] {1, 2, 4}, new int[] {2, 4, 8}),
                Arguments.of("models/kjv-ee-12l", new int[] {2, 4, 8}, new int[] {3, 6}));
    }

    @ParameterizedTest
    @MethodSource("speculativeCases")
    void selfSpeculativeGreedyEqualsFullDepth(String model, int[] exitLayers, int[] drafts) throws Exception {
        try (LoadedModel m = open(model)) {
            Generator gen = new Generator(m.transformer(), STILL);
            int checked = 0;
            for (int[] prompt : prompts(m)) {
                int n = 24;
                GenerationResult full = gen.generate(GenerationRequest.greedy(prompt, n));
                for (int e : exitLayers) {
                    for (int d : drafts) {
                        GenerationResult spec = gen.generate(
                                GenerationRequest.greedy(prompt, n, new Mode.SelfSpeculative(e, d, 0f)));
                        assertThat(spec.ids()).as("%s E=%d d=%d", model, e, d).containsExactly(full.ids());
                        assertThat(spec.drafted()).isPositive();
                        assertThat(spec.accepted()).isBetween(0L, spec.drafted());
                        checked++;
                    }
                }
                GenerationResult stopping = gen.generate(
                        GenerationRequest.greedy(prompt, n, new Mode.SelfSpeculative(exitLayers[0], 6, 0.6f)));
                assertThat(stopping.ids()).as("%s with a draft stop confidence", model).containsExactly(full.ids());
            }
            assertThat(checked).isGreaterThanOrEqualTo(6);
        }
    }

    /** {@code --mode self-speculative} alone: draft layer, draft length and whether to draft are the engine's. */
    @ParameterizedTest
    @MethodSource("speculativeCases")
    void selfSpeculativeWithNoKnobsEqualsFullDepth(String model, int[] exitLayers, int[] drafts) throws Exception {
        try (LoadedModel m = open(model)) {
            Generator gen = new Generator(m.transformer(), STILL);
            for (int[] prompt : prompts(m)) {
                GenerationResult full = gen.generate(GenerationRequest.greedy(prompt, 32));
                GenerationResult spec = gen.generate(
                        GenerationRequest.greedy(prompt, 32, Mode.SelfSpeculative.DEFAULT));
                assertThat(spec.ids()).as("%s", model).containsExactly(full.ids());
                assertThat(spec.drafts()).as("the first rounds draft, whatever the verdict").isPositive();
            }
        }
    }

    /**
     * The free token: the last draft is fed to the verifying pass, so every round yields its accepted drafts plus
     * one token of the full model's, a fully accepted one too. With a clock that never moves drafting always pays,
     * so the count is exact: the prompt's token, two timed full-depth tokens, then (accepted + 1) per round, except
     * that the last round may end with the request. kjv-ee-12l's layer 11 agrees with layer 12 nearly always, so most
     * rounds are fully accepted, where without the free token they would yield one token fewer.
     */
    @Test
    void everyRoundYieldsItsAcceptedDraftsAndOneMore() throws Exception {
        try (LoadedModel m = open("models/kjv-ee-12l")) {
            Generator still = new Generator(m.transformer(), STILL);
            for (int[] prompt : prompts(m)) {
                GenerationResult full = still.generate(GenerationRequest.greedy(prompt, 40));
                GenerationResult spec = still.generate(
                        GenerationRequest.greedy(prompt, 40, new Mode.SelfSpeculative(11, 3, 0f)));
                assertThat(spec.ids()).containsExactly(full.ids());
                assertThat(spec.accepted()).as("most drafts accepted").isGreaterThan(2 * spec.drafts());
                assertThat(java.util.Arrays.stream(spec.acceptedByPosition()).sum()).isEqualTo(spec.accepted());
                assertThat(spec.acceptedByPosition()).hasSizeLessThanOrEqualTo(3);
                long[] at = spec.acceptedByPosition();
                for (int i = 1; i < at.length; i++) {
                    assertThat(at[i]).as("accepted only after the drafts before it").isLessThanOrEqualTo(at[i - 1]);
                }
                assertThat((long) spec.ids().length).isBetween(3 + spec.accepted() + spec.drafts() - 1,
                        3 + spec.accepted() + spec.drafts());
            }
        }
    }

    @Test
    void skipRunsExactlyThePlannedLayers() throws Exception {
        boolean[] plan = SkipPlan.kept(12, 2.0);  // round(12 * 0.5) = 6 of the 10 middle layers skipped
        List<Integer> kept = new ArrayList<>();
        for (int l = 1; l <= 12; l++) {
            if (plan[l]) {
                kept.add(l);
            }
        }
        assertThat(kept).containsExactly(1, 3, 5, 8, 10, 12);  // skipped: 2, 4, 6, 7, 9, 11
        assertThat(SkipPlan.kept(12, 1.0)).containsOnly(false, true).contains(true);
        try (LoadedModel m = open("models/kjv-ee-12l"); Sequence seq = m.transformer().newSequence()) {
            int[] prompt = m.tokenizer().encode("And God said");
            GenerationResult r = new Generator(m.transformer(), System::nanoTime)
                    .generate(GenerationRequest.greedy(prompt, 10, new Mode.Skip(2.0)), seq);
            int fed = prompt.length + 9;
            assertThat(r.layersComputed()).isEqualTo((long) kept.size() * fed);
            for (int l = 1; l <= 12; l++) {
                assertThat(seq.filled(l)).as("layer %d", l).isEqualTo(plan[l] ? fed : 0);
            }
        }
    }

    @Test
    void recomputeLeavesTheCacheAsFullDepthWouldWriteIt() throws Exception {
        try (LoadedModel m = open("fixtures/hf/llama-gqa"); Sequence seq = m.transformer().newSequence()) {
            Transformer tf = m.transformer();
            int layers = tf.config().layers();
            int[] prompt = {5, 17, 200, 31};
            // Exits after layer 2 at every third token, else after layer 4 or runs to the end: deferred rows pile up
            // and are completed when a deeper token needs them.
            ExitPolicy policy = new ScriptedPolicy();
            GenerationResult r = new Generator(tf, System::nanoTime).generate(
                    GenerationRequest.greedy(prompt, 12, new Mode.EarlyExit(policy, Mode.KvStrategy.RECOMPUTE)), seq);
            assertThat(r.exitLayers()).contains(2, 4, layers);
            int[] all = new int[prompt.length + r.ids().length - 1];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(r.ids(), 0, all, prompt.length, r.ids().length - 1);
            try (Sequence ref = tf.newSequence(); Step step = tf.step(ref, all)) {
                for (int l = 1; l <= layers; l++) {
                    step.runLayer(l);
                    int end = seq.filled(l);
                    assertThat(end).as("layer %d filled", l).isGreaterThanOrEqualTo(prompt.length);
                    for (boolean keys : new boolean[] {true, false}) {
                        assertThat(HfFixtureParityTest.relErr(seq.kvSnapshot(l, end, keys),
                                ref.kvSnapshot(l, end, keys), 0)).as("layer %d keys=%s", l, keys).isLessThan(1e-5);
                    }
                }
            }
            // Every fed position below the last deep token has its deep layers: nothing was skipped for good.
            assertThat(seq.filled(layers)).isGreaterThan(prompt.length);
        }
    }

    @Test
    void earlyExitWithAStaticPolicyEqualsTheFixturesStaticExit() throws Exception {
        Path dir = SHARED.resolve("fixtures/hf/llama-gqa");
        Reference ref = new Reference(dir.resolve("reference.safetensors"));
        try (LoadedModel m = open("fixtures/hf/llama-gqa")) {
            Generator gen = new Generator(m.transformer(), System::nanoTime);
            int[] ids = ref.ints("prompt.0.input_ids");
            int[] want = ref.ints("prompt.0.greedy_exit3_ids");
            for (Mode.KvStrategy kv : Mode.KvStrategy.values()) {
                GenerationResult r = gen.generate(GenerationRequest.greedy(ids, want.length,
                        new Mode.EarlyExit(PolicyRegistry.standard().parse("static:layer=3"), kv)));
                // The first token comes from the prompt's full-depth prefill; every later one exits after layer 3.
                assertThat(r.exitLayers()[0]).isEqualTo(6);
                assertThat(java.util.Arrays.copyOfRange(r.exitLayers(), 1, want.length)).containsOnly(3);
                int[] staticIds = gen.generate(GenerationRequest.greedy(ids, want.length, new Mode.Static(3))).ids();
                assertThat(staticIds).containsExactly(want);
                assertThat(r.ids()[0]).isEqualTo(ref.ints("prompt.0.greedy_ids")[0]);
            }
        }
    }

    @Test
    void aPolicyThatNeverExitsEqualsFullDepthAndPruningKeepsIdsWhenExitsAreExact() throws Exception {
        try (LoadedModel m = open("models/kjv-ee-12l")) {
            Generator gen = new Generator(m.transformer(), System::nanoTime);
            int[] prompt = m.tokenizer().encode("And God said");
            int[] full = gen.generate(GenerationRequest.greedy(prompt, 20)).ids();
            GenerationResult never = gen.generate(GenerationRequest.greedy(prompt, 20, new Mode.EarlyExit(
                    PolicyRegistry.standard().parse("confidence:threshold=1,min_layer=4"), Mode.KvStrategy.RECOMPUTE, 16)));
            assertThat(never.ids()).containsExactly(full);
            assertThat(never.exitLayers()).containsOnly(12);
            assertThat(never.exitChecks()).as("one full LM head per token, the first check").isEqualTo(19);
            assertThat(never.prunedChecks()).as("the other 7 checks per token on 16 rows").isEqualTo(19 * 7);
        }
    }

    @Test
    void speculativeSamplingKeepsTheFullModelsDistribution() throws Exception {
        try (LoadedModel m = open("models/stories260K/stories260K.bin")) {
            Generator gen = new Generator(m.transformer(), STILL);
            int[] prompt = m.tokenizer().encode("Once upon a time");
            int runs = 400;
            int[] full = new int[m.config().vocab()];
            int[] spec = new int[m.config().vocab()];
            int[] draft = new int[m.config().vocab()];
            for (int seed = 0; seed < runs; seed++) {
                full[second(gen, prompt, seed, new Mode.Full())]++;
                spec[second(gen, prompt, seed, new Mode.SelfSpeculative(2, 3, 0f))]++;
                draft[second(gen, prompt, seed, new Mode.Static(2))]++;
            }
            double specTv = totalVariation(full, spec, runs);
            double draftTv = totalVariation(full, draft, runs);
            // Seeds are fixed, so this is deterministic; the bound is sampling noise for 400 draws.
            assertThat(specTv).as("TV(full, speculative)").isLessThan(0.12);
            assertThat(draftTv).as("TV(full, the layer-2 draft model itself)").isGreaterThan(2 * specTv);
        }
    }

    /** The second generated token at temperature 1: the first drafted-and-verified one in self-speculative mode. */
    private static int second(Generator gen, int[] prompt, long seed, Mode mode) {
        return gen.generate(new GenerationRequest(prompt, 2, 1f, seed, mode, false)).ids()[1];
    }

    private static double totalVariation(int[] a, int[] b, int n) {
        double tv = 0;
        for (int i = 0; i < a.length; i++) {
            tv += Math.abs(a[i] - b[i]) / (double) n;
        }
        return tv / 2;
    }

    /** Exits after layer 2 at positions 0, 3, 6, …, after layer 4 at 1, 4, 7, …, else runs all layers. */
    private static final class ScriptedPolicy implements ExitPolicy {
        @Override
        public Schedule schedule() {
            return new Schedule(Set.of(), LayerSet.of(2, 4));
        }

        @Override
        public boolean shouldExit(TokenState t) {
            int layer = t.current().layer();
            return (t.position() % 3 == 0 && layer == 2) || (t.position() % 3 == 1 && layer == 4);
        }
    }

    private static LoadedModel open(String path) {
        return LoadedModel.open(SHARED.resolve(path), null, DjlRuntime.start(1), DeviceChoice.CPU);
    }

    private static List<int[]> prompts(LoadedModel m) {
        List<int[]> out = new ArrayList<>();
        for (String p : new String[] {"Once upon a time", "And God said unto Moses", "The"}) {
            out.add(m.tokenizer().encode(p));
        }
        return out;
    }
}

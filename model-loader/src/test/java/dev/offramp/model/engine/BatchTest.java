package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.Transformer;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.PolicyRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Continuous batching: requests of every mode join between steps, share layers, and each gets what it gets alone. */
class BatchTest {
    static LoadedModel kjv;
    static Transformer tf;

    @BeforeAll
    static void load() {
        kjv = LoadedModel.open(Path.of("../../shared/models/kjv-ee-12l"), null, DjlRuntime.start(1), DeviceChoice.CPU);
        tf = kjv.transformer();
    }

    @AfterAll
    static void close() {
        kjv.close();
    }

    private static List<GenerationRequest> mixed() {
        ExitPolicy margin = PolicyRegistry.standard().parse("margin:threshold=0.1,min_layer=3,every=2");
        ExitPolicy cosine = PolicyRegistry.standard().parse("saturation:threshold=0.9,min_layer=4");
        String[] prompts = {"And God said", "In the beginning", "The LORD is my shepherd", "Blessed are the meek",
                            "And it came to pass", "Thou shalt not", "Then Jesus answered", "Let there be light"};
        Mode[] modes = {new Mode.Full(), new Mode.Static(6), new Mode.Skip(1.5),
                        new Mode.EarlyExit(margin, Mode.KvStrategy.RECOMPUTE, 16),
                        new Mode.EarlyExit(margin, Mode.KvStrategy.PROPAGATE),
                        new Mode.EarlyExit(cosine, Mode.KvStrategy.RECOMPUTE),
                        new Mode.SelfSpeculative(3, 3, 0f), new Mode.Full()};
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            float temperature = i == 7 ? 0.8f : 0f;  // a seeded sampled request too: the seed, not the batch, decides
            reqs.add(new GenerationRequest(kjv.tokenizer().encode(prompts[i]), 12 + 3 * i, temperature, 0.9f, 20,
                    i, modes[i], false));
        }
        return reqs;
    }

    @Test
    void requestsJoiningBetweenStepsGetWhatTheyGetAlone() {
        List<GenerationRequest> reqs = mixed();
        // a clock that never moves: a self-speculative request's verdict on drafting comes from its timings, and the
        // costs compared below must not depend on how fast this machine ran each
        Generator alone = new Generator(tf, () -> 0L);
        int idle = tf.liveArrays();
        List<Slot> slots = new ArrayList<>();
        try (Batch batch = new Batch(tf, () -> 0L)) {
            int maxSize = 0;
            for (int step = 0; slots.size() < reqs.size() || batch.size() > 0; step++) {
                if (slots.size() < reqs.size() && step % 2 == 0) {  // a new request every other step
                    slots.add(batch.join(reqs.get(slots.size()), TokenListener.NONE));
                }
                maxSize = Math.max(maxSize, batch.size());
                batch.step();
            }
            assertThat(maxSize).as("requests running at once").isGreaterThanOrEqualTo(4);
        }
        assertThat(tf.liveArrays()).as("every cache and pending row freed").isEqualTo(idle);
        for (int i = 0; i < reqs.size(); i++) {
            GenerationResult expected = alone.generate(reqs.get(i));
            GenerationResult got = slots.get(i).result();
            String what = reqs.get(i).mode().name() + " #" + i;
            assertThat(got.ids()).as(what).containsExactly(expected.ids());
            assertThat(got.exitLayers()).as(what).containsExactly(expected.exitLayers());
            assertThat(got.layersComputed()).as(what).isEqualTo(expected.layersComputed());
            assertThat(got.exitChecks()).as(what).isEqualTo(expected.exitChecks());
        }
    }

    @Test
    void aCancelledRequestLeavesAtTheNextStepAndFreesItsCache() {
        int idle = tf.liveArrays();
        try (Batch batch = new Batch(tf, System::nanoTime)) {
            List<GenerationRequest> reqs = mixed();
            Slot a = batch.join(reqs.get(0), TokenListener.NONE);
            Slot b = batch.join(reqs.get(3), TokenListener.NONE);
            batch.step();
            batch.step();
            int running = tf.liveArrays();
            b.cancel();
            assertThat(b.done()).as("cancel only asks; the engine thread acts").isFalse();
            batch.step();
            assertThat(b.done()).isTrue();
            assertThat(b.result().ids()).hasSizeLessThan(reqs.get(3).maxTokens());
            assertThat(batch.size()).isEqualTo(1);
            assertThat(tf.liveArrays()).as("b's KV cache (and its pending rows) are gone")
                    .isLessThanOrEqualTo(running - 2 * tf.config().layers());
            assertThat(a.done()).isFalse();
        }
        assertThat(tf.liveArrays()).isEqualTo(idle);
    }

    /**
     * The drift check: a request's first early exit and every {@link LayerPlan#DRIFT_EVERY}-th after it run on to the
     * last layer, and full depth's choice is compared with the exit's. A policy that exits every token after layer 1
     * is the bad profile: the counts move, and most checked exits disagree. The tokens are still the exits' (the
     * exit layers say 1), the same on a second run, and a propagate or full request checks nothing.
     */
    @Test
    void theDriftCheckCountsDisagreementsOfSampledExitsWithoutChangingTheirTokens() {
        ExitPolicy reckless = PolicyRegistry.standard().parse("margin:threshold=0.0001,min_layer=1,every=1");
        int[] prompt = kjv.tokenizer().encode("And God said");
        int tokens = 2 * LayerPlan.DRIFT_EVERY + 2;
        Mode[] modes = {new Mode.EarlyExit(reckless, Mode.KvStrategy.RECOMPUTE),
                        new Mode.EarlyExit(reckless, Mode.KvStrategy.RECOMPUTE),
                        new Mode.EarlyExit(reckless, Mode.KvStrategy.PROPAGATE), new Mode.Full()};
        List<GenerationResult> results = new ArrayList<>();
        try (Batch batch = new Batch(tf, System::nanoTime)) {
            List<Slot> slots = new ArrayList<>();
            for (Mode m : modes) {
                slots.add(batch.join(GenerationRequest.greedy(prompt, tokens, m), TokenListener.NONE));
            }
            while (batch.size() > 0) {
                batch.step();
            }
            slots.forEach(sl -> results.add(sl.result()));
        }
        GenerationResult recompute = results.get(0);
        int exits = (int) java.util.Arrays.stream(recompute.exitLayers()).skip(1).filter(l -> l == 1).count();
        assertThat(exits).as("every decoded token exits after layer 1").isEqualTo(tokens - 1);
        assertThat(recompute.drift().checked()).isEqualTo((exits + LayerPlan.DRIFT_EVERY - 1) / LayerPlan.DRIFT_EVERY);
        assertThat(recompute.drift().disagreed()).as("layer 1's choice is seldom full depth's")
                .isGreaterThanOrEqualTo(2);
        assertThat(results.get(1).ids()).containsExactly(recompute.ids());
        assertThat(results.get(1).drift()).isEqualTo(recompute.drift());
        assertThat(results.get(2).drift()).isEqualTo(GenerationResult.Drift.NONE);
        assertThat(results.get(3).drift()).isEqualTo(GenerationResult.Drift.NONE);
    }

    @Test
    void aDepthCapLimitsFullAndEarlyExitTokensButNotFixedPlans() {
        ExitPolicy never = PolicyRegistry.standard().parse("confidence:threshold=1.0,min_layer=2");
        int[] prompt = kjv.tokenizer().encode("And God said");
        Mode[] modes = {new Mode.Full(), new Mode.EarlyExit(never, Mode.KvStrategy.RECOMPUTE), new Mode.Static(8)};
        int[] expectedDeepest = {4, 4, 8};
        try (Batch batch = new Batch(tf, System::nanoTime)) {
            List<Slot> slots = new ArrayList<>();
            for (Mode m : modes) {
                Slot s = batch.join(GenerationRequest.greedy(prompt, 10, m), TokenListener.NONE);
                s.capDepth(4);
                slots.add(s);
            }
            while (batch.size() > 0) {
                batch.step();
                assertThat(batch.lastStep().layerCalls()).isPositive();
            }
            for (int i = 0; i < modes.length; i++) {
                int[] exits = slots.get(i).result().exitLayers();
                int deepest = java.util.Arrays.stream(exits).skip(1).max().orElseThrow();  // the first is the prompt's
                assertThat(deepest).as(modes[i].name()).isEqualTo(expectedDeepest[i]);
            }
        }
    }

    @Test
    void aListenerThatSaysStopEndsTheRequestWithThatToken() {
        int[] prompt = kjv.tokenizer().encode("And God said");
        try (Batch batch = new Batch(tf, System::nanoTime)) {
            List<Integer> seen = new ArrayList<>();
            Slot s = batch.join(GenerationRequest.greedy(prompt, 20), (id, exit, signals) -> {
                seen.add(id);
                return seen.size() < 3;
            });
            while (!s.done()) {
                batch.step();
            }
            assertThat(s.result().ids()).containsExactly(seen.stream().mapToInt(Integer::intValue).toArray());
        }
    }
}

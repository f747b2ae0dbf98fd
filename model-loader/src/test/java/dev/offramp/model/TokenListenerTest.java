package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.PolicyRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The streaming hook: the listener sees exactly the returned tokens, in order, and can stop the generation. */
class TokenListenerTest {
    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = LoadedModel.open(Reference.SHARED.resolve("models/stories260K/stories260K.bin"), null,
                DjlRuntime.start(1), DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    // Early exit is strict: the test runs one request three times on one Generator, and its check-cost model may thin
    // a schedule between them (from the timed steps), which changes the tokens.
    static Stream<Mode> modes() {
        return Stream.of(new Mode.Full(), new Mode.Static(3),
                new Mode.EarlyExit(PolicyRegistry.standard().parse("strict(confidence:threshold=0.3)"),
                        Mode.KvStrategy.RECOMPUTE, 0),
                new Mode.SelfSpeculative(2, 4, 0f));
    }

    @ParameterizedTest
    @MethodSource("modes")
    void listenerSeesEveryTokenInOrderAndCanStop(Mode mode) {
        Generator gen = new Generator(model.transformer(), System::nanoTime);
        int[] prompt = model.tokenizer().encode("Once upon a time");
        GenerationRequest req = new GenerationRequest(prompt, 20, 0f, 0L, mode, false);
        List<Integer> ids = new ArrayList<>();
        List<Integer> exits = new ArrayList<>();
        GenerationResult all = gen.generate(req, (id, exit, signals) -> ids.add(id) && exits.add(exit));
        assertThat(ids).containsExactly(box(all.ids()));
        assertThat(exits).containsExactly(box(all.exitLayers()));
        assertThat(all.ids()).hasSize(20);
        assertThat(gen.generate(req).ids()).containsExactly(all.ids());

        List<Integer> seen = new ArrayList<>();
        GenerationResult stopped = gen.generate(req, (id, exit, signals) -> seen.add(id) && seen.size() < 3);
        assertThat(stopped.ids()).containsExactly(java.util.Arrays.copyOf(all.ids(), 3));
        assertThat(seen).hasSize(3);
    }

    /** The first token's time is the clock's reading when the listener hears it; the decode rate leaves it out. */
    @ParameterizedTest
    @MethodSource("modes")
    void theFirstTokensTimeIsWhenItIsHeard(Mode mode) {
        long[] clock = {0};
        Generator gen = new Generator(model.transformer(), () -> clock[0] += 1_000);  // 1 µs per reading
        GenerationRequest req = new GenerationRequest(model.tokenizer().encode("Once upon a time"), 12, 0f, 0L, mode,
                false);
        long[] heard = {-1};
        long[] start = {clock[0]};
        GenerationResult r = gen.generate(req, (id, exit, signals) -> {
            if (heard[0] < 0) {
                heard[0] = clock[0];
            }
            return true;
        });
        assertThat(r.firstTokenNanos()).isPositive().isLessThan(r.decodeNanos());
        // timed from the request's join (after start) to the token's (before the listener heard it): the prefill
        assertThat(r.firstTokenNanos()).isLessThanOrEqualTo(heard[0] - start[0] - 1_000);
        assertThat(r.decodeNanos() - r.firstTokenNanos()).as("the rest of the request: 11 more tokens")
                .isGreaterThanOrEqualTo(11 * 1_000);
        assertThat(r.decodeTokensPerSecond())
                .isEqualTo((r.ids().length - 1) * 1e9 / (r.decodeNanos() - r.firstTokenNanos()));
    }

    private static Integer[] box(int[] a) {
        return java.util.Arrays.stream(a).boxed().toArray(Integer[]::new);
    }
}

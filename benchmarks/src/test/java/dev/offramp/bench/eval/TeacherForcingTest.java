package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.PolicyRegistry;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Teacher forcing decides exits as the engine does: fed the engine's own early-exit output (recompute K/V, so every
 * layer's cache is exact), each position exits after the layer the engine exited it after.
 */
class TeacherForcingTest {
    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = LoadedModel.open(Path.of(EvalCommandTest.MODEL), null, DjlRuntime.start(1), DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"confidence:threshold=0.99", "saturation:threshold=0.95", "patience:layers=3"})
    void exitsWhereTheEngineExited(String spec) {
        ExitPolicy policy = PolicyRegistry.standard().parse(spec);
        int[] prompt = model.tokenizer().encode("Once upon a time, there was a little girl");
        // strict: the engine makes every check the policy declares (no check-cost thinning), as teacher forcing does
        ExitPolicy strict = PolicyRegistry.standard().parse("strict(" + spec + ")");
        GenerationResult gen = new Generator(model.transformer(), System::nanoTime).generate(
                GenerationRequest.greedy(prompt, 40, new Mode.EarlyExit(strict, Mode.KvStrategy.RECOMPUTE)));
        // Generated token i >= 1 left the model at position prompt.length + i - 1, fed token ids[i - 1].
        int[] fed = concat(prompt, Arrays.copyOf(gen.ids(), gen.ids().length - 1));
        int[] next = concat(Arrays.copyOfRange(prompt, 1, prompt.length), gen.ids());
        TeacherForcing.Scores s = new TeacherForcing(model.transformer()).window(fed, next, policy);
        int[] teacher = Arrays.copyOfRange(s.exitLayer(), prompt.length, fed.length);
        int[] engine = Arrays.copyOfRange(gen.exitLayers(), 1, gen.exitLayers().length);
        assertThat(teacher).containsExactly(engine);
        assertThat(Arrays.stream(engine).distinct().count()).as("exits at several depths").isGreaterThan(1);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

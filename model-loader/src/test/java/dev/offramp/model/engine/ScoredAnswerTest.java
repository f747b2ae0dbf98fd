package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.ForcedPass;
import dev.offramp.model.Transformer;
import dev.offramp.policy.calibrate.TokenUncertainty;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A scored request records, as it decodes, each token's uncertainty under the exit it was chosen from: the same
 * numbers a teacher-forced pass of the member's layers over prompt + answer gives, without that pass.
 */
class ScoredAnswerTest {
    static final Path MODEL = Path.of("../../shared/models/stories260K/stories260K.bin");

    @Test
    void aScoredAnswerCarriesTheUncertaintyATeacherForcedPassWouldFind() {
        try (LoadedModel m = LoadedModel.open(MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU)) {
            Transformer tf = m.transformer();
            int[] prompt = m.tokenizer().encode("Once upon a time");
            int idle = tf.liveArrays();
            for (float temperature : new float[] {0f, 1f}) {
                GenerationRequest req = new GenerationRequest(prompt, 10, temperature, 7L, new Mode.Static(3), false)
                        .scoredAs(new Mode.Static(3));
                GenerationResult r = new Generator(tf, System::nanoTime).generate(req);
                TokenUncertainty u = r.uncertainty();
                assertThat(u.length()).isEqualTo(r.ids().length).isEqualTo(10);
                TokenUncertainty forced = teacherForced(tf, 3, prompt, r.ids());
                for (int i = 0; i < u.length(); i++) {
                    assertThat(u.logProbs()[i]).as("t=%s token %d", temperature, i)
                            .isCloseTo(forced.logProbs()[i], within(1e-3));
                    assertThat(u.top1Probs()[i]).isCloseTo(forced.top1Probs()[i], within(1e-3));
                    if (temperature == 0f) {
                        // Greedy at the member's exit: each emitted token is that exit's argmax, so p(token) = top-1.
                        assertThat(Math.exp(u.logProbs()[i])).isCloseTo(u.top1Probs()[i], within(1e-6));
                    }
                }
            }
            assertThat(new Generator(tf, System::nanoTime).generate(GenerationRequest.greedy(prompt, 4))
                    .uncertainty()).isNull();
            assertThat(tf.liveArrays()).as("scored decoding and ForcedPass free what they made").isEqualTo(idle);
        }
    }

    @Test
    void onlyFullAndStaticRequestsAreScoredAndACascadeIsNoOneModelsRequest() {
        int[] prompt = {1, 2};
        GenerationRequest req = GenerationRequest.greedy(prompt, 4);
        assertThatThrownBy(() -> req.scoredAs(new Mode.Skip(1.5))).hasMessageContaining("scored: expected mode full "
                + "or static");
        assertThatThrownBy(() -> GenerationRequest.greedy(prompt, 4, new Mode.Cascade()))
                .hasMessageContaining("mode cascade: expected one of its members' modes");
    }

    /** The reference: the member's first {@code depth} layers over prompt + answer in one prefill, softmax at 1. */
    private static TokenUncertainty teacherForced(Transformer tf, int depth, int[] prompt, int[] answer) {
        int n = answer.length;
        int[] fed = new int[prompt.length + n - 1];
        System.arraycopy(prompt, 0, fed, 0, prompt.length);
        System.arraycopy(answer, 0, fed, prompt.length, n - 1);
        int vocab = tf.config().vocab();
        double[] lp = new double[n];
        double[] top = new double[n];
        ForcedPass.run(tf, fed, depth, layer -> {
            if (layer.layer() < depth) {
                return;
            }
            float[] logits = layer.logits();
            for (int i = 0; i < n; i++) {
                int off = (prompt.length - 1 + i) * vocab;
                double lse = SignalMath.logSumExp(logits, off, vocab);
                lp[i] = logits[off + answer[i]] - lse;
                top[i] = Math.exp(logits[off + SignalMath.argmax(logits, off, vocab)] - lse);
            }
        });
        return new TokenUncertainty(lp, top);
    }
}

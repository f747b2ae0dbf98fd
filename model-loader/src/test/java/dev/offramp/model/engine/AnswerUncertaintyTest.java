package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.Transformer;
import dev.offramp.policy.calibrate.TokenUncertainty;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A cascade member's per-token uncertainty over its own greedy answer, and no arrays left behind. */
class AnswerUncertaintyTest {
    @Test
    void aGreedyAnswersTokensAreItsTopOneAndThePassFreesItsArrays() {
        try (LoadedModel m = LoadedModel.open(Path.of("../../shared/models/stories260K/stories260K.bin"), null,
                DjlRuntime.start(1), DeviceChoice.CPU)) {
            Transformer tf = m.transformer();
            int[] prompt = m.tokenizer().encode("Once upon a time");
            int[] answer = new Generator(tf, System::nanoTime).generate(GenerationRequest.greedy(prompt, 10,
                    new Mode.Static(3))).ids();
            int idle = tf.liveArrays();
            TokenUncertainty u = AnswerUncertainty.of(tf, 3, prompt, answer);
            assertThat(tf.liveArrays()).isEqualTo(idle);
            assertThat(u.length()).isEqualTo(answer.length);
            for (int i = 0; i < answer.length; i++) {
                // Greedy at the member's exit: each emitted token is that exit's argmax, so p(token) = top-1.
                assertThat(Math.exp(u.logProbs()[i])).as("token %d", i).isCloseTo(u.top1Probs()[i], within(1e-4));
            }
            assertThat(AnswerUncertainty.layers(3, prompt, answer)).isEqualTo(3L * (prompt.length + answer.length - 1));
            assertThat(AnswerUncertainty.of(tf, 3, prompt, new int[0]).length()).isZero();
        }
    }
}

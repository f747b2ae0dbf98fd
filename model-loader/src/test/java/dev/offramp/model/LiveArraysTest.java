package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.engine.Sampler;
import org.junit.jupiter.api.Test;

/** NDArray lifetimes: a step's arrays die with the step, a sequence's cache with the sequence. */
class LiveArraysTest {
    @Test
    void thousandDecodeStepsKeepLiveArraysFlat() {
        try (LoadedModel model = LoadedModel.open(Reference.SHARED.resolve("models/stories260K/stories260K.bin"),
                null, DjlRuntime.start(1), DeviceChoice.CPU)) {
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
}

package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * kjv-ee-12l (bf16, sharded) teacher-forced on the first 20,000 tokens of the calibration text: the cross-entropy of
 * every layer's exit is within 0.1 nats of the model card's row (card: 20 × 64 windows of 256 held-out tokens).
 */
class KjvExitQualityTest {
    private static final double[] CARD = {4.19, 3.93, 3.85, 3.78, 3.75, 3.72, 3.71, 3.70, 3.69, 3.69, 3.68, 3.68};
    private static final int TOKENS = 20_000;
    private static final int WINDOW = 256;

    @Test
    void everyExitMatchesTheModelCard() throws Exception {
        try (LoadedModel model = LoadedModel.open(Reference.SHARED.resolve("models/kjv-ee-12l"), null,
                DjlRuntime.start(1), DeviceChoice.CPU)) {
            int[] ids = calibrationIds(model, TOKENS + 1);
            Transformer tf = model.transformer();
            int layers = tf.config().layers();
            int vocab = tf.config().vocab();
            double[] nll = new double[layers];
            long count = 0;
            for (int start = 0; start + WINDOW < ids.length; start += WINDOW) {
                int[] x = java.util.Arrays.copyOfRange(ids, start, start + WINDOW);
                try (Sequence seq = tf.newSequence(); Step step = tf.step(seq, x)) {
                    for (int l = 1; l <= layers; l++) {
                        step.runLayer(l);
                        float[] logits = step.exitLogitsAll(0);
                        for (int t = 0; t < WINDOW; t++) {
                            nll[l - 1] += crossEntropy(logits, t * vocab, vocab, ids[start + t + 1]);
                        }
                    }
                }
                count += WINDOW;
            }
            StringBuilder row = new StringBuilder("measured CE per exit:");
            for (int l = 0; l < layers; l++) {
                row.append(String.format(" %.3f", nll[l] / count));
            }
            System.out.println(row + " over " + count + " tokens");
            for (int l = 0; l < layers; l++) {
                assertThat(nll[l] / count).as("exit after layer %d", l + 1).isCloseTo(CARD[l],
                        org.assertj.core.data.Offset.offset(0.1));
            }
        }
    }

    /** Documents split at their separator line, each tokenized and followed by EOT, as train.py built them. */
    static int[] calibrationIds(LoadedModel model, int n) throws Exception {
        String text = Files.readString(Reference.SHARED.resolve("data/kjv-fortunes-calibration.txt"));
        int eot = model.config().bosId();
        List<Integer> ids = new ArrayList<>();
        for (String doc : text.split("\n?<\\|endoftext\\|>\n?")) {
            if (doc.isBlank()) {
                continue;
            }
            for (int id : model.tokenizer().encode(doc)) {
                ids.add(id);
            }
            ids.add(eot);
            if (ids.size() >= n) {
                break;
            }
        }
        assertThat(ids.size()).isGreaterThanOrEqualTo(n);
        return ids.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
    }

    private static double crossEntropy(float[] logits, int off, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        return Math.log(sum) + max - logits[off + target];
    }
}

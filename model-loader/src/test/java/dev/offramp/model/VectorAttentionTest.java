package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VectorAttentionTest {

    /**
     * Against softmax(q·k) v written out in doubles, over the cache's layout: head sizes that are and are not whole
     * vectors, a context that is not, GQA, and prefixes that end inside a vector, on one and past the last whole one.
     */
    @ParameterizedTest
    @CsvSource({"8,4,8,37", "8,8,32,70", "6,2,12,21", "4,4,4,9"})
    void equalsTheDefinition(int heads, int kvHeads, int hd, int context) {
        SplittableRandom random = new SplittableRandom(heads * 1000L + hd);
        ByteBuffer keys = cache(kvHeads * hd * context, random);     // [kvHeads, hd, context]
        ByteBuffer values = cache(kvHeads * context * hd, random);   // [kvHeads, context, hd]
        int stride = heads * hd + 2 * kvHeads * hd;                  // a q|k|v row; q first
        float[] qkv = new float[3 * stride];
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) random.nextDouble(-2, 2);
        }
        float[] scores = new float[VectorAttention.scoresLength(context)];
        for (int end : new int[] {1, 7, 8, 9, context - 1, context}) {
            float[] out = new float[2 * heads * hd];
            VectorAttention.attend(keys, values, context, heads, kvHeads, hd, qkv, stride, end, out, heads * hd,
                    scores);
            double[] want = definition(keys, values, context, heads, kvHeads, hd, qkv, stride, end);
            for (int i = 0; i < heads * hd; i++) {
                assertThat(out[i]).as("untouched output before outFrom").isZero();
                assertThat((double) out[heads * hd + i]).as("end %d, output %d", end, i)
                        .isCloseTo(want[i], within(1e-5));
            }
        }
    }

    private static ByteBuffer cache(int floats, SplittableRandom random) {
        ByteBuffer b = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
        for (int i = 0; i < floats; i++) {
            b.putFloat(i * Float.BYTES, (float) random.nextDouble(-1, 1));
        }
        return b;
    }

    private static double[] definition(ByteBuffer keys, ByteBuffer values, int context, int heads, int kvHeads,
                                       int hd, float[] qkv, int qFrom, int end) {
        double[] out = new double[heads * hd];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            double[] w = new double[end];
            double max = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < end; p++) {
                for (int d = 0; d < hd; d++) {
                    w[p] += qkv[qFrom + h * hd + d] * keys.getFloat(((g * hd + d) * context + p) * Float.BYTES);
                }
                max = Math.max(max, w[p]);
            }
            double sum = 0;
            for (int p = 0; p < end; p++) {
                w[p] = Math.exp(w[p] - max);
                sum += w[p];
            }
            for (int p = 0; p < end; p++) {
                for (int d = 0; d < hd; d++) {
                    out[h * hd + d] += w[p] / sum * values.getFloat(((g * context + p) * hd + d) * Float.BYTES);
                }
            }
        }
        return out;
    }
}

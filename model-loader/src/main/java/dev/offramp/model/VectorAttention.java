package dev.offramp.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One token's softmax attention over a sequence's cached positions, in Java with the Vector API, read straight from
 * the cache's memory ({@link Sequence}'s layout: keys [kvHeads, hd, context], values [kvHeads, context, hd]). For a
 * decoded token it is a few thousand multiply-adds per layer, less than the six libtorch calls it replaces (two
 * views, two batched products, a softmax and a read; ~3–5 µs each inside a step). Only loaded when
 * {@link Kernel#VECTOR_API}.
 */
final class VectorAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorAttention() {
    }

    /** Room {@link #attend} needs for scores: the context rounded up to whole vectors. */
    static int scoresLength(int context) {
        return (context + S.length() - 1) / S.length() * S.length();
    }

    /**
     * out[outFrom ..] = softmax(q K^T) V for every query head of the token: q at {@code qkv[qFrom ..]} (heads × hd,
     * the scale folded in), over positions [0, end) of the cache. {@code scores} holds {@link #scoresLength} floats.
     */
    static void attend(ByteBuffer keys, ByteBuffer values, int context, int heads, int kvHeads, int hd,
                       float[] qkv, int qFrom, int end, float[] out, int outFrom, float[] scores) {
        int group = heads / kvHeads;
        int lanes = S.length();
        int whole = Math.min(end, context / lanes * lanes);  // positions read a vector at a time
        for (int head = 0; head < heads; head++) {
            int g = head / group;
            int q = qFrom + head * hd;
            int p = 0;
            for (; p < whole; p += lanes) {  // lanes past end read valid cache memory and are ignored below
                FloatVector acc = FloatVector.zero(S);
                for (int d = 0; d < hd; d++) {
                    int k = ((g * hd + d) * context + p) * Float.BYTES;
                    acc = FloatVector.fromByteBuffer(S, keys, k, ORDER).fma(FloatVector.broadcast(S, qkv[q + d]), acc);
                }
                acc.intoArray(scores, p);
            }
            for (; p < end; p++) {
                float s = 0;
                for (int d = 0; d < hd; d++) {
                    s += qkv[q + d] * keys.getFloat(((g * hd + d) * context + p) * Float.BYTES);
                }
                scores[p] = s;
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < end; i++) {
                max = Math.max(max, scores[i]);
            }
            int vectors = end / lanes * lanes;
            FloatVector sums = FloatVector.zero(S);
            int i = 0;
            for (; i < vectors; i += lanes) {
                FloatVector e = FloatVector.fromArray(S, scores, i).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(scores, i);
                sums = sums.add(e);
            }
            float sum = sums.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++) {
                scores[i] = (float) Math.exp(scores[i] - max);
                sum += scores[i];
            }
            weigh(values, context, g, hd, scores, end, 1f / sum, out, outFrom + head * hd);
        }
    }

    /** out[o .. o + hd] = scale * Σ_p w_p V[g, p, :]. */
    private static void weigh(ByteBuffer values, int context, int g, int hd, float[] w, int end, float scale,
                              float[] out, int o) {
        int lanes = S.length();
        int d = 0;
        for (; d + lanes <= hd; d += lanes) {
            FloatVector acc = FloatVector.zero(S);
            for (int p = 0; p < end; p++) {
                int v = ((g * context + p) * hd + d) * Float.BYTES;
                acc = FloatVector.fromByteBuffer(S, values, v, ORDER).fma(FloatVector.broadcast(S, w[p]), acc);
            }
            acc.mul(scale).intoArray(out, o + d);
        }
        for (; d < hd; d++) {
            float acc = 0;
            for (int p = 0; p < end; p++) {
                acc += w[p] * values.getFloat(((g * context + p) * hd + d) * Float.BYTES);
            }
            out[o + d] = acc * scale;
        }
    }
}

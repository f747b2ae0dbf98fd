package dev.offramp.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.TensorOps;

/** Causal self-attention over the KV caches for a layer's rows, on tensor handles recorded on a {@link Tape}. */
final class Attention {
    private static final int F32 = DataType.FLOAT32.ordinal();

    private Attention() {}

    /**
     * Writes K/V into the caches, then attends over them (GQA by reshape). Consecutive rows of one sequence at
     * consecutive positions (a token with the deferred rows before it) form one group: one cache write and one
     * masked attention for the group instead of one per row. q [total, heads, hd] → [total, qDim].
     */
    static long attend(ModelConfig c, Tape tape, NDManager step, int layer, Row[] sel, int total, long q, long k,
                       long v) {
        long[] out = new long[sel.length];
        int groups = 0;
        int offset = 0;
        for (int i = 0; i < sel.length; ) {
            int j = i;
            int t = sel[i].count;
            while (j + 1 < sel.length && sel[j + 1].seq == sel[i].seq && sel[j + 1].start == sel[i].start + t) {
                t += sel[++j].count;
            }
            boolean whole = t == total;
            long mask = t == 1 ? 0 : Tape.handle(i == j ? sel[i].mask : Row.causalMask(step, sel[i].start, t));
            out[groups++] = group(c, tape, layer, sel[i].seq, sel[i].start, t, mine(tape, q, whole, offset, t),
                    mine(tape, k, whole, offset, t), mine(tape, v, whole, offset, t), mask);
            offset += t;
            i = j + 1;
        }
        return groups == 1 ? out[0] : tape.keep(TensorOps.cat(java.util.Arrays.copyOf(out, groups), 0));
    }

    private static long mine(Tape tape, long x, boolean whole, int offset, int t) {
        return whole ? x : tape.keep(TensorOps.slice(x, 0, offset, offset + t));
    }

    /** Attention for t consecutive positions of one sequence from {@code start}: q [t, heads, hd] → [t, qDim]. */
    private static long group(ModelConfig c, Tape tape, int layer, Sequence seq, int start, int t, long q, long k,
                              long v, long mask) {
        int group = c.heads() / c.kvHeads();
        seq.write(layer, start, t, k, v);
        int end = start + t;
        long keys = seq.keys(layer, end, tape);      // [kvHeads, hd, S]
        long values = seq.values(layer, end, tape);  // [kvHeads, S, hd]
        // bmm skips matmul's broadcasting checks: measured ~30% cheaper at these sizes
        if (t == 1) {
            long qh = tape.keep(TensorOps.reshape(q, c.kvHeads(), group, c.headDim()));
            long scores = tape.keep(TensorOps.bmm(qh, keys));                                 // [kvHeads, group, S]
            long probs = tape.keep(TensorOps.softmax(scores, -1, F32));
            return tape.keep(TensorOps.reshape(tape.keep(TensorOps.bmm(probs, values)), 1, c.qDim()));
        }
        long qh = tape.keep(TensorOps.reshape(tape.keep(TensorOps.permute(
                tape.keep(TensorOps.reshape(q, t, c.kvHeads(), group, c.headDim())), 1, 0, 2, 3)),
                c.kvHeads(), (long) t * group, c.headDim()));
        long scores = tape.keep(TensorOps.reshape(tape.keep(TensorOps.add(tape.keep(TensorOps.reshape(
                tape.keep(TensorOps.bmm(qh, keys)), c.kvHeads(), t, group, end)), mask)),
                c.kvHeads(), (long) t * group, end));
        long probs = tape.keep(TensorOps.softmax(scores, -1, F32));
        long heads = tape.keep(TensorOps.reshape(tape.keep(TensorOps.bmm(probs, values)), c.kvHeads(), t, group,
                c.headDim()));
        return tape.keep(TensorOps.reshape(tape.keep(TensorOps.permute(heads, 1, 0, 2, 3)), t, c.qDim()));
    }
}

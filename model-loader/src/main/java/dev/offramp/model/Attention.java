package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;

/** Causal self-attention over the KV caches for a layer's rows; arrays are allocated in the step's manager. */
final class Attention {
    private Attention() {}

    /**
     * Writes K/V into the caches, then attends over them (GQA by reshape). Consecutive rows of one sequence at
     * consecutive positions (a token with the deferred rows before it) form one group: one cache write and one
     * masked attention for the group instead of one per row.
     */
    static NDArray attend(ModelConfig c, NDManager manager, int layer, Row[] sel, int total, NDArray q, NDArray k,
                          NDArray v) {
        List<NDArray> out = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < sel.length; ) {
            int j = i;
            int t = sel[i].count;
            while (j + 1 < sel.length && sel[j + 1].seq == sel[i].seq && sel[j + 1].start == sel[i].start + t) {
                t += sel[++j].count;
            }
            NDIndex mine = new NDIndex().addSliceDim(offset, offset + t);
            boolean whole = t == total;
            NDArray mask = t == 1 ? null : i == j ? sel[i].mask : Row.causalMask(manager, sel[i].start, t);
            out.add(group(c, manager, layer, sel[i].seq, sel[i].start, t, whole ? q : q.get(manager, mine),
                    whole ? k : k.get(manager, mine), whole ? v : v.get(manager, mine), mask));
            offset += t;
            i = j + 1;
        }
        return out.size() == 1 ? out.get(0) : NDArrays.concat(new NDList(out), 0);
    }

    /** Attention for t consecutive positions of one sequence from {@code start}: q [t, heads, hd] → [t, qDim]. */
    private static NDArray group(ModelConfig c, NDManager manager, int layer, Sequence seq, int start, int t,
                                 NDArray q, NDArray k, NDArray v, NDArray mask) {
        int group = c.heads() / c.kvHeads();
        seq.write(layer, start, t, k, v);
        int end = start + t;
        NDArray keys = seq.keys(layer, end, manager).transpose(1, 2, 0);    // [kvHeads, hd, S]
        NDArray values = seq.values(layer, end, manager).transpose(1, 0, 2);  // [kvHeads, S, hd]
        if (t == 1) {
            // batchMatMul (bmm) skips matMul's broadcasting checks: measured ~30% cheaper at these sizes
            NDArray scores = q.reshape(c.kvHeads(), group, c.headDim()).batchMatMul(keys);  // [kvHeads, group, S]
            return scores.softmax(-1).batchMatMul(values).reshape(1, c.qDim());
        }
        NDArray qh = q.reshape(t, c.kvHeads(), group, c.headDim()).transpose(1, 0, 2, 3)
                .reshape(c.kvHeads(), t * group, c.headDim());
        NDArray scores = qh.batchMatMul(keys).reshape(c.kvHeads(), t, group, end).add(mask)
                .reshape(c.kvHeads(), t * group, end);
        return scores.softmax(-1).batchMatMul(values).reshape(c.kvHeads(), t, group, c.headDim())
                .transpose(1, 0, 2, 3).reshape(t, c.qDim());
    }
}

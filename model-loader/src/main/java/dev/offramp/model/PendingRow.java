package dev.offramp.model;

import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.function.Function;

/**
 * A row that left its step before the last layer (an early exit, a speculative draft) and is carried into a later
 * step to run its deeper layers there, batched with newer tokens. It owns its arrays until a step adopts it; close
 * an abandoned one to free them.
 */
public final class PendingRow implements AutoCloseable {
    private final NDManager manager;
    private Row row;

    PendingRow(NDManager manager, Row row) {
        this.manager = manager;
        this.row = row;
        row.attach(manager);
    }

    /** Joins rows of consecutive positions of one sequence, all at the same depth, into one multi-token row. */
    public static PendingRow merge(List<PendingRow> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        Row first = parts.get(0).row();
        int count = 0;
        for (PendingRow p : parts) {
            Row r = p.row();
            if (r.seq != first.seq || r.layer != first.layer || r.start != first.start + count) {
                throw new IllegalArgumentException("merge: expected consecutive positions of one sequence at layer "
                        + first.layer + ", found position " + r.start + " at layer " + r.layer);
            }
            count += r.count;
        }
        NDManager m = parts.get(0).manager.getParentManager().newSubManager();
        Row merged = new Row(first.seq, first.start, count);
        merged.layer = first.layer;
        merged.hidden = concat(m, parts, r -> r.hidden);
        merged.previous = first.previous == null ? null : concat(m, parts, r -> r.previous);
        if (first.cos != null) {
            merged.cos = concat(m, parts, r -> r.cos);
            merged.sin = concat(m, parts, r -> r.sin);
        }
        merged.mask = Row.causalMask(m, first.start, count);
        parts.forEach(PendingRow::close);
        return new PendingRow(m, merged);
    }

    private static ai.djl.ndarray.NDArray concat(NDManager m, List<PendingRow> parts,
                                                 Function<Row, ai.djl.ndarray.NDArray> f) {
        NDList list = new NDList(parts.size());
        for (PendingRow p : parts) {
            list.add(f.apply(p.row));
        }
        ai.djl.ndarray.NDArray out = NDArrays.concat(list, 0);
        out.attach(m);
        return out;
    }

    public Sequence sequence() {
        return row().seq;
    }

    public int start() {
        return row().start;
    }

    public int count() {
        return row().count;
    }

    /** Layers this row has run. */
    public int layer() {
        return row().layer;
    }

    /** Hands the row to a step, which owns its arrays from now on. */
    Row adopt(NDManager step) {
        Row r = row();
        r.attach(step);
        row = null;
        manager.close();
        return r;
    }

    private Row row() {
        if (row == null) {
            throw new IllegalStateException("this pending row was already carried into a step or closed");
        }
        return row;
    }

    @Override
    public void close() {
        row = null;
        manager.close();
    }
}

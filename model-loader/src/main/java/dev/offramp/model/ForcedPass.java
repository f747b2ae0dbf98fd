package dev.offramp.model;

/**
 * One teacher-forced pass: a text's ids as one prefill of a fresh sequence through layers 1..depth, and at each layer
 * what the caller reads of it — the hidden state, the exit's logits — computed only when read. The one way the
 * evaluation harness, the trainers and the {@code layers} command run a known text through the layers (the engine's
 * decoding runs the same layers through {@code Batch}).
 */
public final class ForcedPass {
    /** One layer of the pass; valid only while its visitor runs. */
    public interface Layer {
        /** 1-based; 0 is the embeddings, before layer 1. */
        int layer();

        /** Every position's hidden state after this layer: [positions * hidden], row-major. */
        float[] hidden();

        /** Every position's exit logits after this layer: [positions * vocab], row-major (not at layer 0). */
        float[] logits();
    }

    /** Told of each layer in order, 0 (the embeddings) first. */
    public interface Visitor {
        void visit(Layer layer);
    }

    private ForcedPass() {}

    /** Runs {@code ids} (at most the context length) through layers 1..{@code depth}. */
    public static void run(Transformer model, int[] ids, int depth, Visitor visitor) {
        int layers = model.config().layers();
        if (depth < 1 || depth > layers) {
            throw new IllegalArgumentException("depth: expected 1.." + layers + ", found " + depth);
        }
        try (Sequence seq = model.newSequence(); Step step = model.step(seq, ids)) {
            for (int l = 0; l <= depth; l++) {
                if (l > 0) {
                    step.runLayer(l);
                }
                int at = l;
                visitor.visit(new Layer() {
                    private float[] hidden;
                    private float[] logits;

                    @Override
                    public int layer() {
                        return at;
                    }

                    @Override
                    public float[] hidden() {
                        if (hidden == null) {
                            hidden = step.hidden(0);
                        }
                        return hidden;
                    }

                    @Override
                    public float[] logits() {
                        if (at == 0) {
                            throw new IllegalStateException("logits: the embeddings have no exit");
                        }
                        if (logits == null) {
                            logits = step.exitLogitsAll(0);
                        }
                        return logits;
                    }
                });
            }
        }
    }
}

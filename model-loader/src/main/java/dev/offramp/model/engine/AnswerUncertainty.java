package dev.offramp.model.engine;

import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import dev.offramp.policy.calibrate.TokenUncertainty;

/**
 * What a cascade's deferral rule looks at: for each token of a member's answer, its log-probability and the top-1
 * probability under that member (the exit after {@code depth} layers, softmax at temperature 1). One teacher-forced
 * pass of the member's layers over prompt + answer, as one prefill: cheap next to decoding the answer.
 */
public final class AnswerUncertainty {
    private AnswerUncertainty() {}

    /** The pass's cost in decoder-layer evaluations, for honest accounting. */
    public static long layers(int depth, int[] prompt, int[] answer) {
        return answer.length == 0 ? 0 : (long) depth * (prompt.length + answer.length - 1);
    }

    public static TokenUncertainty of(Transformer model, int depth, int[] prompt, int[] answer) {
        int n = answer.length;
        if (n == 0) {
            return new TokenUncertainty(new double[0], new double[0]);
        }
        int[] fed = new int[prompt.length + n - 1];
        System.arraycopy(prompt, 0, fed, 0, prompt.length);
        System.arraycopy(answer, 0, fed, prompt.length, n - 1);
        int vocab = model.config().vocab();
        double[] logProbs = new double[n];
        double[] top1 = new double[n];
        try (Sequence seq = model.newSequence(); Step step = model.step(seq, fed)) {
            for (int l = 1; l <= depth; l++) {
                step.runLayer(l);
            }
            float[] logits = step.exitLogitsAll(0);  // [fed.length * vocab]
            for (int i = 0; i < n; i++) {
                int off = (prompt.length - 1 + i) * vocab;
                double lse = SignalMath.logSumExp(logits, off, vocab);  // one softmax pass for both
                logProbs[i] = logits[off + answer[i]] - lse;
                top1[i] = Math.exp(logits[off + SignalMath.argmax(logits, off, vocab)] - lse);
            }
        }
        return new TokenUncertainty(logProbs, top1);
    }
}

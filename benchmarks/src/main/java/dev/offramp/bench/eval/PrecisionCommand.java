package dev.offramp.bench.eval;

import dev.offramp.model.DjlRuntime;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import dev.offramp.model.engine.Sampler;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./offramp precision [--model M --text T] [--kernels K] [--tokens N] [--half H]}: the model on kernels K
 * against the reference kernels (float32, one thread) on held-out text, teacher-forced one token per step (the
 * decode path, so the one-row kernels are what is measured): per-token greedy agreement at full depth, both
 * perplexities and the largest logit difference relative to the largest logit.
 */
final class PrecisionCommand {
    static final String USAGE = "precision [--model PATH --text FILE] [--kernels auto|f16|…] [--tokens N] "
            + "[--half all|first|second] [--threads N] [--device cpu|gpu|auto] [--tokenizer PATH]";

    private PrecisionCommand() {}

    public static void main(String[] args) {
        Harness.main(args, USAGE, PrecisionCommand::run);
    }

    static int run(String[] args, Path defaultModel, Path defaultText, PrintStream out, PrintStream err) {
        try {
            Set<String> names = new HashSet<>(EvalOptions.NAMES);
            names.add("tokens");
            Flags f = new Flags("precision", args, names, Set.of());
            EvalOptions options = EvalOptions.from(f, defaultModel, defaultText, 0);
            int tokens = f.integer("tokens", 2000);
            if (tokens < 2) {
                throw new IllegalArgumentException("--tokens: expected an integer >= 2, found " + tokens);
            }
            // the session loads the model on --kernels and tokenizes the held-out text; the reference loads beside it
            try (EvalSession s = EvalSession.open(options);
                 LoadedModel ref = LoadedModel.open(options.model(), options.tokenizer(),
                         DjlRuntime.start(options.threads()), options.device(), KernelOptions.reference())) {
                Result r = compare(ref.transformer(), s.model.transformer(), s.text.head(tokens + 1));
                out.printf(Locale.ROOT, "%s, --kernels %s against f32/linear/1t, %d held-out tokens (%s):%n",
                        ref.name(), options.kernels().label(), r.positions, options.text().getFileName());
                out.printf(Locale.ROOT, "greedy agreement %.4f, perplexity %.4f vs %.4f (delta %+.4f), max "
                        + "|logit diff| / max |logit| %.2e%n", r.agreement(), r.perplexity(true), r.perplexity(false),
                        r.perplexity(false) - r.perplexity(true), r.maxRelDiff);
                out.println(s.model.transformer().kernelPlan().table());
            }
            return 0;
        } catch (Flags.UsageException | IllegalArgumentException e) {
            err.println(e.getMessage().startsWith("precision:") ? e.getMessage() : "precision: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
    }

    private static final class Result {
        int positions;
        int agree;
        double nllRef;
        double nllCand;
        double maxRelDiff;

        double agreement() {
            return agree / (double) positions;
        }

        double perplexity(boolean reference) {
            return Math.exp((reference ? nllRef : nllCand) / positions);
        }
    }

    /** Feeds ids[0..n-1] one per step through both models, scoring each next id; a full context starts anew. */
    private static Result compare(Transformer ref, Transformer cand, int[] ids) {
        Result r = new Result();
        Sequence a = ref.newSequence();
        Sequence b = cand.newSequence();
        try {
            for (int i = 0; i + 1 < ids.length; i++) {
                if (a.length() == a.context()) {
                    a.crop(0);
                    b.crop(0);
                }
                float[] la = logits(ref, a, ids[i]);
                float[] lb = logits(cand, b, ids[i]);
                r.positions++;
                r.agree += Sampler.argmax(la) == Sampler.argmax(lb) ? 1 : 0;
                r.nllRef += nll(la, ids[i + 1]);
                r.nllCand += nll(lb, ids[i + 1]);
                double diff = 0;
                double max = 0;
                for (int v = 0; v < la.length; v++) {
                    diff = Math.max(diff, Math.abs(la[v] - lb[v]));
                    max = Math.max(max, Math.abs(la[v]));
                }
                r.maxRelDiff = Math.max(r.maxRelDiff, diff / max);
            }
        } finally {
            a.close();
            b.close();
        }
        return r;
    }

    private static float[] logits(Transformer tf, Sequence seq, int token) {
        try (Step step = tf.step(seq, token)) {
            for (int l = 1; l <= tf.config().layers(); l++) {
                step.runLayer(l);
            }
            return step.exitLogits()[0];
        }
    }

    private static double nll(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        return Math.log(sum) + max - logits[target];
    }
}

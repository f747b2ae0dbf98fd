package dev.offramp.bench.eval;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.CascadeRunner;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.calibrate.CascadeCurve;
import dev.offramp.policy.calibrate.CascadeCurvePoint;
import dev.offramp.policy.calibrate.ChowAverage;
import dev.offramp.policy.calibrate.ChowSum;
import dev.offramp.policy.calibrate.DeferralRule;
import dev.offramp.policy.calibrate.LearnedRule;
import dev.offramp.policy.calibrate.QuantileRule;
import dev.offramp.policy.calibrate.TokenUncertainty;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp cascade}: a two-member cascade of one model — its first k layers (a static sub-model) answer first,
 * the whole model answers what is deferred — and, for each deferral rule (Chow-Sum, Chow-Average, quantiles of the
 * per-token top-1 probability, and a logistic regression over those quantiles trained on the first half of the
 * prompts), the curve of deferral rate against agreement with the large member's answer and cost. Curves are measured
 * on the second half of the prompts, which the learned rule never saw. Writes {@code PREFIX.csv} and
 * {@code PREFIX.png}.
 */
@Command(name = "cascade", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Measures a cascade's small member against the whole model.",
                       "The first K layers answer, the whole model answers what is deferred: per deferral rule, "
                               + "agreement and cost against the deferral rate (PREFIX.csv, PREFIX.png)."})
public final class CascadeCommand implements Callable<Integer> {
    static final double[] QUANTILES = {0.0, 0.1, 0.25, 0.5};

    @Option(names = "--small-layers", required = true, paramLabel = "K", description = "The small member: the "
            + "model's first K layers (1..L-1).")
    private int small;

    @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "Writes PREFIX.csv and "
            + "PREFIX.png.")
    private Path prefix;

    @Option(names = "--points", paramLabel = "N", description = "Thresholds per rule's curve. "
            + "Default: ${DEFAULT-VALUE}.")
    private int points = 40;

    @Mixin
    private HarnessOptions harness;


    /** One rule's curve on the evaluation prompts. */
    record RuleCurve(String rule, List<CascadeCurvePoint> points) {
        /** Area under agreement over deferral rate (trapezoids): higher is a better rule. */
        double area() {
            double a = 0;
            for (int i = 1; i < points.size(); i++) {
                CascadeCurvePoint p = points.get(i - 1);
                CascadeCurvePoint q = points.get(i);
                a += Math.abs(q.deferralRate() - p.deferralRate()) * (p.agreement() + q.agreement()) / 2;
            }
            return a;
        }
    }

    public CascadeCommand(CliContext context) {
        // Short answers by default: answer-level agreement over long continuations is almost never exact.
        this.harness = new HarnessOptions(context, "all", 400, 8);
    }

    /** A member of one model, run here in turn: greedy in {@code mode}. */
    private static CascadeRunner.Member<GenerationResult> member(Generator gen, int[] prompt, int tokens, Mode mode) {
        return new CascadeRunner.Member<>() {
            @Override
            public String name() {
                return mode.name();
            }

            @Override
            public java.util.concurrent.CompletableFuture<GenerationResult> answer(boolean scored) {
                GenerationRequest req = GenerationRequest.greedy(prompt, tokens, mode);
                return java.util.concurrent.CompletableFuture.completedFuture(gen.generate(scored ? req.scoredAs(mode)
                        : req));
            }
        };
    }

    @Override
    public Integer call() {
        PrintStream out = harness.out();
        System.setProperty("java.awt.headless", "true");
        try (EvalSession s = EvalSession.open(harness, harness.progress())) {
            int layers = s.model.config().layers();
            if (small < 1 || small >= layers) {
                throw new IllegalArgumentException("--small-layers: expected 1.." + (layers - 1) + ", found "
                        + small);
            }
            Generator gen = new Generator(s.model.transformer(), System::nanoTime);
            // The served cascade's runner, told to defer always (threshold -inf): both members' answers, the small
            // one's uncertainty as its decoding saw it; the rules' curves are drawn from those.
            CascadeRunner<GenerationResult> runner = new CascadeRunner<>(new ChowSum(), Double.NEGATIVE_INFINITY,
                    GenerationResult::uncertainty, failure -> false);
            List<TokenUncertainty> uncertainty = new ArrayList<>();
            boolean[] agrees = new boolean[s.prompts.size()];
            try (Progress.Bar bar = harness.progress().start("cascade", s.prompts.size())) {
                int agreed = 0;
                for (int i = 0; i < s.prompts.size(); i++) {
                    int[] prompt = s.prompts.get(i);
                    List<GenerationResult> answers = runner.run(List.of(member(gen, prompt, harness.newTokens(),
                            new Mode.Static(small)), member(gen, prompt, harness.newTokens(), new Mode.Full())))
                            .join().answers();
                    agrees[i] = Arrays.equals(answers.get(0).ids(), answers.get(1).ids());
                    uncertainty.add(answers.get(0).uncertainty());
                    agreed += agrees[i] ? 1 : 0;
                    bar.step();
                    bar.figure(String.format(Locale.ROOT, "small member agrees %.3f", agreed / (i + 1.0)));
                }
            }
            int half = s.prompts.size() / 2;
            boolean[] trainDiffers = new boolean[half];
            for (int i = 0; i < half; i++) {
                trainDiffers[i] = !agrees[i];
            }
            List<DeferralRule> rules = new ArrayList<>(List.of(new ChowSum(), new ChowAverage()));
            for (double q : QUANTILES) {
                rules.add(new QuantileRule(q));
            }
            rules.add(LearnedRule.fit(uncertainty.subList(0, half), trainDiffers, 1e-2));
            boolean[] testAgrees = Arrays.copyOfRange(agrees, half, agrees.length);
            List<RuleCurve> curves = new ArrayList<>();
            for (DeferralRule rule : rules) {
                double[] scores = uncertainty.subList(half, uncertainty.size()).stream()
                        .mapToDouble(rule::score).toArray();
                curves.add(new RuleCurve(rule.name(), CascadeCurve.sweep(scores, testAgrees, small, layers,
                        points)));
            }
            double base = 0;
            for (boolean a : testAgrees) {
                base += a ? 1 : 0;
            }
            out.printf(Locale.ROOT, "%s: first %d layers -> all %d; %d prompts of %d tokens, answers of %d tokens; "
                            + "learned rule trained on %d, curves on %d; the small member alone agrees on %.3f%n",
                    s.model.name(), small, layers, s.prompts.size(), harness.promptTokens(), harness.newTokens(),
                    half, testAgrees.length, base / testAgrees.length);
            out.println("| rule | area under agreement-vs-deferral | agreement at 25% deferred | at 50% |");
            out.println("|---|---:|---:|---:|");
            for (RuleCurve c : curves) {
                out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.3f |%n", c.rule(), c.area(), at(c, 0.25),
                        at(c, 0.5));
            }
            double b = base / testAgrees.length;  // deferring at random: agreement rises linearly
            out.printf(Locale.ROOT, "| (random deferral) | %.3f | %.3f | %.3f |%n", b + (1 - b) / 2,
                    b + 0.25 * (1 - b), b + 0.5 * (1 - b));
            write(curves, prefix, s.model.name() + ": first " + small + " layers -> " + layers + " layers; cost = "
                    + small + " + deferral rate x " + layers + " layers per token", out);
        }
        return 0;
    }

    /** Agreement at the largest deferral rate not above {@code rate}. */
    static double at(RuleCurve c, double rate) {
        double best = Double.NaN;
        double bestRate = -1;
        for (CascadeCurvePoint p : c.points()) {
            if (p.deferralRate() <= rate + 1e-12 && p.deferralRate() > bestRate) {
                bestRate = p.deferralRate();
                best = p.agreement();
            }
        }
        return best;
    }

    private static void write(List<RuleCurve> curves, Path prefix, String title, PrintStream out) {
        Path csv = Path.of(prefix + ".csv");
        Path png = Path.of(prefix + ".png");
        try {
            if (csv.toAbsolutePath().getParent() != null) {
                Files.createDirectories(csv.toAbsolutePath().getParent());
            }
            StringBuilder b = new StringBuilder("rule,threshold,deferral_rate,agreement,cost_layers_per_token\n");
            for (RuleCurve c : curves) {
                for (CascadeCurvePoint p : c.points()) {
                    b.append(String.format(Locale.ROOT, "%s,%.6g,%.4f,%.4f,%.3f%n", c.rule(), p.threshold(),
                            p.deferralRate(), p.agreement(), p.cost()));
                }
            }
            Files.writeString(csv, b);
            CascadePlot.write(curves, title, png);
        } catch (IOException e) {
            throw new UncheckedIOException(prefix + ": cannot write the results: " + e.getMessage(), e);
        }
        out.println("wrote " + csv + " and " + png);
    }
}

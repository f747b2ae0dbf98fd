package dev.offramp.bench;

import dev.offramp.bench.eval.CalibrateCommand;
import dev.offramp.bench.eval.CascadeCommand;
import dev.offramp.bench.eval.EvalCommand;
import dev.offramp.bench.eval.PrecisionCommand;
import dev.offramp.bench.eval.SweepCommand;
import dev.offramp.bench.load.LoadCommand;
import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.CommandSet;
import java.nio.file.Path;
import java.util.List;

/**
 * The benchmark commands of {@code ./offramp} (listed in META-INF/services): bench, eval, sweep, calibrate, cascade,
 * precision, load. A new command joins here, built from the kit's mixins (dev.offramp.model.cli).
 */
public final class BenchCommands implements CommandSet {
    @Override
    public List<Object> commands(CliContext c) {
        // The default model's held-out text, from the fixtures beside the checkout.
        Path text = c.home().resolve("../shared/data/kjv-fortunes-calibration.txt").normalize();
        Path model = c.defaultModel();
        return List.of(
                new StepBench(List.of(model, c.home().resolve("models/stories260K/stories260K.bin")), c.out()),
                new EvalCommand(model, text, c.out(), c.progress()),
                new SweepCommand(model, text, c.out(), c.progress()),
                new CalibrateCommand(model, text, c.out(), c.progress()),
                new CascadeCommand(model, text, c.out(), c.progress()),
                new PrecisionCommand(model, text, c.out(), c.progress()),
                new LoadCommand(c.out(), c.err(), c.progress()));
    }
}

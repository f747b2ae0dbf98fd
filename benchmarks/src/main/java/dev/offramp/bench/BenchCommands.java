package dev.offramp.bench;

import dev.offramp.bench.eval.CalibrateCommand;
import dev.offramp.bench.eval.CascadeCommand;
import dev.offramp.bench.eval.EvalCommand;
import dev.offramp.bench.eval.PrecisionCommand;
import dev.offramp.bench.eval.SweepCommand;
import dev.offramp.bench.eval.TrainExitsCommand;
import dev.offramp.bench.eval.TrainGateCommand;
import dev.offramp.bench.load.LoadCommand;
import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.CommandSet;
import java.util.List;

/**
 * The benchmark commands of {@code ./offramp} (listed in META-INF/services): bench, eval, sweep, calibrate, cascade,
 * precision, load, train-exits, train-gate. A new command joins here, built from the kit's mixins (dev.offramp.model.cli).
 */
public final class BenchCommands implements CommandSet {
    @Override
    public List<Object> commands(CliContext c) {
        return List.of(
                new StepBench(List.of(c.defaultModel(), c.home().resolve("models/stories260K/stories260K.bin")),
                        c.out()),
                new EvalCommand(c), new SweepCommand(c), new CalibrateCommand(c), new CascadeCommand(c),
                new PrecisionCommand(c), new LoadCommand(c.out(), c.err(), c.progress()), new TrainExitsCommand(c),
                new TrainGateCommand(c));
    }
}

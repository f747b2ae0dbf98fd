package dev.offramp.model.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on stderr for long work (a model load, an evaluation, a load test): the task, a bar, the elapsed time
 * and ETA, and a live figure. Silent unless the process runs on a terminal, and silent for {@code --json}
 * ({@link #unless}), so that piped or machine-read output is exactly what it would be without it.
 */
public final class Progress {
    /** Shows nothing. */
    public static final Progress SILENT = new Progress(null, 0);

    private final PrintStream to;
    private final int width;

    private Progress(PrintStream to, int width) {
        this.to = to;
        this.width = width;
    }

    /** Bars on {@code err} when this process runs on a terminal ({@code System.console()} is not null), else none. */
    public static Progress onTerminal(PrintStream err) {
        return System.console() == null ? SILENT : new Progress(err, 0);  // 0: the terminal's width
    }

    /** Bars on {@code to}, terminal or not, {@code width} characters wide (tests). */
    public static Progress on(PrintStream to, int width) {
        return new Progress(to, width);
    }

    /** Silent when {@code quiet} (a command's {@code --json}), else this. */
    public Progress unless(boolean quiet) {
        return quiet ? SILENT : this;
    }

    public boolean shown() {
        return to != null;
    }

    /** A bar over {@code total} steps; {@code total} below 0: a task of unknown length (elapsed time only). */
    public Bar start(String task, long total) {
        if (to == null) {
            return new Bar(null);
        }
        PrintStream out = to;
        // The bar is cleared when done, and the line it stood on is left for the output (no line end of its own).
        ConsoleProgressBarConsumer line = new ConsoleProgressBarConsumer(out, width > 0 ? width : -1) {
            @Override
            public void close() {
                out.flush();
            }
        };
        return new Bar(new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setConsumer(line)
                .clearDisplayOnFinish().build());
    }

    /** One bar: steps, a live figure, closed when the work ends. A silent one does nothing. */
    public static final class Bar implements AutoCloseable {
        private final ProgressBar bar;

        private Bar(ProgressBar bar) {
            this.bar = bar;
        }

        public void step() {
            if (bar != null) {
                bar.step();
            }
        }

        /** The live figure after the ETA, e.g. "agreement 0.93, 41 tok/s". */
        public void figure(String text) {
            if (bar != null) {
                bar.setExtraMessage(text);
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}

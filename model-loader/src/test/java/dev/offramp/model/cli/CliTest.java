package dev.offramp.model.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The kit: exit statuses and messages for every outcome, and progress that shows only where asked. */
class CliTest {
    @Command(name = "probe", mixinStandardHelpOptions = true, versionProvider = Version.class)
    static final class Probe implements Callable<Integer> {
        @Option(names = "--fail", description = "usage, file or bug")
        String fail = "";

        @Override
        public Integer call() {
            switch (fail) {
                case "usage" -> throw new UsageException("probe: --fail usage: expected nothing");
                case "file" -> throw new UncheckedIOException("x.txt: cannot read", new java.io.IOException("gone"));
                case "bug" -> throw new IllegalStateException("a bug");
                default -> {
                    return 0;
                }
            }
        }
    }

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Cli.run(new Probe(), args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyOutcomeHasItsExitStatus() {
        assertThat(run().status()).isZero();
        Run help = run("--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).startsWith("Usage: probe").contains("--fail=<fail>");
        assertThat(run("-V").out()).matches("offramp \\d+\\.\\d+\\.\\d+.*\\R");
        Run unknown = run("--bogus");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("probe: Unknown option: '--bogus'").contains("Try 'probe --help'");
        Run usage = run("--fail", "usage");
        assertThat(usage.status()).isEqualTo(2);
        assertThat(usage.err()).contains("offramp: probe: --fail usage: expected nothing");
        Run file = run("--fail", "file");
        assertThat(file.status()).isEqualTo(1);
        assertThat(file.err()).isEqualTo("offramp: x.txt: cannot read" + System.lineSeparator());
        Run bug = run("--fail", "bug");
        assertThat(bug.status()).isEqualTo(1);
        assertThat(bug.err()).contains("java.lang.IllegalStateException: a bug").contains("\tat ");
    }

    @Test
    void progressShowsOnlyWhereAsked() {
        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        Progress on = Progress.on(new PrintStream(shown, true, StandardCharsets.UTF_8), 100);
        try (Progress.Bar bar = on.start("measuring", 3)) {
            bar.step();
            bar.figure("agreement 0.5");
        }
        assertThat(shown.toString(StandardCharsets.UTF_8)).contains("measuring").contains("1/3")
                .contains("agreement 0.5");
        assertThat(on.shown()).isTrue();

        ByteArrayOutputStream quiet = new ByteArrayOutputStream();
        Progress json = Progress.on(new PrintStream(quiet, true, StandardCharsets.UTF_8), 100).unless(true);
        for (Progress silent : new Progress[] {json, Progress.SILENT}) {
            assertThat(silent.shown()).isFalse();
            try (Progress.Bar bar = silent.start("measuring", 3)) {
                bar.step();
                bar.figure("agreement 0.5");
            }
        }
        assertThat(quiet.size()).isZero();
        // A test runs without a terminal: no bars, whatever the command asks.
        assertThat(Progress.onTerminal(System.err).shown()).isEqualTo(System.console() != null);
    }
}

package dev.offramp.model.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The kit's help and version for the commands not on picocli (the benchmarks'). */
class CliTest {
    @Test
    void helpPrintsTheUsageAndVersionTheBuild() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertThat(Cli.helpOrVersion(new String[] {"--text", "t", "--help"}, "usage: eval [--text FILE]", print))
                .isTrue();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("usage: eval [--text FILE]" + System.lineSeparator());
        out.reset();
        assertThat(Cli.helpOrVersion(new String[] {"-V"}, "usage", print)).isTrue();
        assertThat(out.toString(StandardCharsets.UTF_8)).matches("offramp \\d+\\.\\d+\\.\\d+.*\\R");
        assertThat(Cli.helpOrVersion(new String[] {"--text", "t"}, "usage", print)).isFalse();
    }
}

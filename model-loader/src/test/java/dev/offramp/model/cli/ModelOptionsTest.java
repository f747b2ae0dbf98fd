package dev.offramp.model.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.model.ExitAdapterChoice;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The exit adapters' options: beside the model by default, a named file, or none; contradictions are usage errors. */
class ModelOptionsTest {
    @TempDir
    Path dir;

    private ModelOptions parse(String... args) {
        ModelOptions o = new ModelOptions(Path.of("m"));
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void adapterChoices() throws Exception {
        Path file = Files.writeString(dir.resolve("a.safetensors"), "x");
        assertThat(parse().exitAdapters(true)).isEqualTo(ExitAdapterChoice.BESIDE);
        assertThat(parse("--no-exit-adapters").exitAdapters(true)).isEqualTo(ExitAdapterChoice.NONE);
        assertThat(parse("--no-exit-adapters", "false").exitAdapters(true)).isEqualTo(ExitAdapterChoice.BESIDE);
        assertThat(parse("--exit-adapters", file.toString()).exitAdapters(true))
                .isEqualTo(ExitAdapterChoice.file(file));
        assertThat(parse("--exit-adapters", file.toString()).exitAdapters(false))
                .as("another model (a cascade member) takes its own").isEqualTo(ExitAdapterChoice.BESIDE);
        assertThatThrownBy(() -> parse("--exit-adapters", file.toString(), "--no-exit-adapters").validate())
                .isInstanceOf(UsageException.class).hasMessageContaining("expected no --no-exit-adapters with it");
        assertThatThrownBy(() -> parse("--exit-adapters", dir.resolve("none").toString()).validate())
                .isInstanceOf(UsageException.class).hasMessageContaining("--exit-adapters: expected a file");
    }
}

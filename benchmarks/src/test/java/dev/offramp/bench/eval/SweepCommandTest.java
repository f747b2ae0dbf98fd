package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.bench.BenchCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepCommandTest {
    @Test
    void writesOneCsvRowPerValueAndAPlot(@TempDir Path dir) throws Exception {
        BenchCli.Run r = BenchCli.run("sweep", "--model", EvalCommandTest.MODEL, "--text", EvalCommandTest.TEXT,
                "--policy", "confidence:threshold={t},min_layer=2", "--values", "0.1,0.5,0.9", "--prompts", "2",
                "--new-tokens", "4", "--warmup-tokens", "0", "--device", "cpu",
                "--out", dir.resolve("conf").toString());
        assertThat(r.status()).as(r.err()).isZero();

        List<String> csv = Files.readAllLines(dir.resolve("conf.csv"));
        assertThat(csv.get(0)).isEqualTo(SweepCsv.HEADER);
        assertThat(csv).hasSize(4);
        assertThat(csv.get(1)).startsWith("0.1,\"confidence:threshold=0.1,min_layer=2\",");
        assertThat(csv.get(3)).startsWith("0.9,");
        assertThat(csv.subList(1, 4)).allSatisfy(row -> assertThat(row.split(",")).hasSize(12));  // 11 columns; the spec holds a comma

        Path png = dir.resolve("conf.png");
        assertThat(Files.size(png)).isPositive();
        byte[] magic = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertThat(magic).containsExactly(0x89, 'P', 'N', 'G');
    }

    @Test
    void aPolicyWithoutThePlaceholderIsAUsageError(@TempDir Path dir) {
        BenchCli.Run r = BenchCli.run("sweep", "--text", EvalCommandTest.TEXT, "--policy", "confidence:threshold=0.5", "--values", "1",
                "--out", dir.resolve("x").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("{t}");
    }
}

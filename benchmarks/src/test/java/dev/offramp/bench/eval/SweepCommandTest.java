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
        assertThat(csv.get(1)).startsWith("\"confidence:threshold={t},min_layer=2\",0.1,"
                + "\"confidence:threshold=0.1,min_layer=2\",");
        assertThat(csv.get(3)).startsWith("\"confidence:threshold={t},min_layer=2\",0.9,");
        // 12 columns; the policy and the spec each hold a comma
        assertThat(csv.subList(1, 4)).allSatisfy(row -> assertThat(row.split(",")).hasSize(14));

        Path png = dir.resolve("conf.png");
        assertThat(Files.size(png)).isPositive();
        byte[] magic = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertThat(magic).containsExactly(0x89, 'P', 'N', 'G');
    }

    @Test
    void policiesSweptTogetherRunOnTheSamePromptsAndEachGetsItsRows(@TempDir Path dir) throws Exception {
        BenchCli.Run r = BenchCli.run("sweep", "--model", EvalCommandTest.MODEL, "--text", EvalCommandTest.TEXT,
                "--policy", "confidence:threshold={t}", "--values", "0.2,0.9", "--policy", "margin:threshold={t}",
                "--values", "0.5", "--prompts", "2", "--new-tokens", "4", "--warmup-tokens", "0", "--device", "cpu",
                "--out", dir.resolve("two").toString());
        assertThat(r.status()).as(r.err()).isZero();
        List<String> csv = Files.readAllLines(dir.resolve("two.csv"));
        assertThat(csv).hasSize(4);
        assertThat(csv.subList(1, 4)).extracting(row -> row.substring(0, row.indexOf(',')))
                .containsExactly("confidence:threshold={t}", "confidence:threshold={t}", "margin:threshold={t}");
        assertThat(csv.get(3)).startsWith("margin:threshold={t},0.5,margin:threshold=0.5,");
        assertThat(Files.size(dir.resolve("two.png"))).isPositive();

        BenchCli.Run mismatched = BenchCli.run("sweep", "--text", EvalCommandTest.TEXT, "--policy",
                "confidence:threshold={t}", "--values", "0.2", "--policy", "margin:threshold={t}",
                "--out", dir.resolve("x").toString());
        assertThat(mismatched.status()).isEqualTo(2);
        assertThat(mismatched.err()).contains("expected one --values for each --policy, found 1 for 2");
    }

    @Test
    void aPolicyWithoutThePlaceholderIsAUsageError(@TempDir Path dir) {
        BenchCli.Run r = BenchCli.run("sweep", "--text", EvalCommandTest.TEXT, "--policy", "confidence:threshold=0.5", "--values", "1",
                "--out", dir.resolve("x").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("{t}");
    }
}

package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.bench.BenchCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cascade curves on kjv-ee-12l's first 4 layers, few prompts: every rule's curve from no deferral to all. */
class CascadeCommandTest {
    @Test
    void writesACurvePerRuleFromNothingDeferredToEverything(@TempDir Path dir) throws Exception {
        BenchCli.Run run = BenchCli.run("cascade", "--model", CalibrateCommandTest.KJV, "--text",
                CalibrateCommandTest.KJV_TEXT, "--small-layers", "4", "--prompts", "24", "--new-tokens", "4",
                "--points", "4", "--device", "cpu", "--out", dir.resolve("c").toString());
        assertThat(run.status()).as(run.err()).isZero();
        List<String> csv = Files.readAllLines(dir.resolve("c.csv"));
        assertThat(csv.get(0)).isEqualTo("rule,threshold,deferral_rate,agreement,cost_layers_per_token");
        for (String rule : new String[] {"chow-sum", "chow-average", "quantile-0", "quantile-0.1", "quantile-0.25",
                                         "quantile-0.5", "learned"}) {
            List<String[]> rows = csv.stream().skip(1).map(l -> l.split(",")).filter(r -> r[0].equals(rule)).toList();
            assertThat(rows).as(rule).hasSize(5);
            assertThat(Double.parseDouble(rows.get(0)[2])).as(rule + ": nothing deferred first").isZero();
            assertThat(Double.parseDouble(rows.get(4)[2])).as(rule + ": everything deferred last").isEqualTo(1.0);
            assertThat(Double.parseDouble(rows.get(4)[3])).as(rule + ": all deferred agrees fully").isEqualTo(1.0);
            assertThat(Double.parseDouble(rows.get(4)[4])).as(rule + ": cost 4 + 12").isEqualTo(16.0);
        }
        assertThat(Files.size(dir.resolve("c.png"))).isPositive();
        assertThat(run.out()).contains("| learned |");
    }
}

package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.bench.BenchCli;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.LearnedGate;
import dev.offramp.policy.PolicyRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./offramp train-gate} end to end on stories260K: a gate per checked layer that the learned policy reads. */
class TrainGateCommandTest {
    static final String STORIES = "../../shared/models/stories260K/stories260K.bin";
    static final String TEXT = "../../shared/data/tinystories-val-calibration.txt";

    @Test
    void aTrainedGateIsWrittenAndRunsAsTheLearnedPolicy(@TempDir Path dir) throws Exception {
        Path gate = dir.resolve("stories.gate");
        BenchCli.Run r = BenchCli.run("train-gate", "--model", STORIES, "--text", TEXT, "--tokens", "400", "--at",
                "2;3", "--kernels", "f32", "--out", gate.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("tracing 400 tokens").contains("layer  2: 400 checks")
                .contains("layer  3: 400 checks").contains("wrote " + gate);
        assertThat(LearnedGate.read(gate).layerNumbers()).containsExactly(2, 3);
        ExitPolicy p = PolicyRegistry.standard().parse("learned:gate=" + gate + ",threshold=0.9");
        assertThat(p.schedule().checks(2, 5)).isTrue();
        assertThat(Files.readString(gate)).isNotBlank();
    }

    @Test
    void badOptionsExitTwoNamingThem(@TempDir Path dir) {
        String out = dir.resolve("g").toString();
        BenchCli.Run deep = BenchCli.run("train-gate", "--model", STORIES, "--text", TEXT, "--at", "5", "--out", out);
        assertThat(deep.status()).isEqualTo(2);
        assertThat(deep.err()).contains("--at: expected layers in 1..4 of this 5-layer model, found '5'");
        BenchCli.Run few = BenchCli.run("train-gate", "--model", STORIES, "--text", TEXT, "--tokens", "1", "--out", out);
        assertThat(few.status()).isEqualTo(2);
        assertThat(few.err()).contains("--tokens: expected >= 2, found 1");
        assertThat(BenchCli.run("train-gate", "--model", STORIES).err()).contains("--out");
    }
}

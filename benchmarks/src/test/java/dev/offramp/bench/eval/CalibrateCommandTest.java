package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.bench.BenchCli;
import dev.offramp.model.engine.Profile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calibration on kjv-ee-12l (exit-trained) with a few prompts: the grid is walked most conservative first, stops at the
 * first threshold it cannot certify, and the profile says what was certified and on what data.
 */
class CalibrateCommandTest {
    static final String KJV = "../../shared/models/kjv-ee-12l";
    static final String KJV_TEXT = "../../shared/data/kjv-fortunes-calibration.txt";

    @Test
    void certifiesTheMostAggressiveThresholdBeforeTheFirstFailureAndWritesAProfile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.json");
        // 0.99 exits almost never (risk ~0), 0.01 exits at the first check (risk far above 0.2): certified, then not.
        BenchCli.Run r = BenchCli.run("calibrate", "--model", KJV, "--text", KJV_TEXT, "--policy", "confidence:threshold={t},min_layer=2",
                "--values", "0.99,0.01,0.5", "--epsilon", "0.2", "--delta", "0.1", "--prompts", "6",
                "--new-tokens", "12", "--warmup-tokens", "0", "--device", "cpu", "--out", file.toString());
        assertThat(r.status()).as(r.err()).isZero();
        Profile p = Profile.read(file);
        assertThat(p.policy()).isEqualTo("confidence:threshold=0.99,min_layer=2");
        assertThat(p.grid()).as("testing stopped at 0.01; 0.5 never ran").hasSize(2);
        assertThat(p.grid().get(0).pValue()).isLessThanOrEqualTo(0.1);
        assertThat(p.grid().get(1).pValue()).isGreaterThan(0.1);
        assertThat(p.risk()).isLessThanOrEqualTo(0.2);
        assertThat(p.data().half()).isEqualTo("first");
        assertThat(p.data().tokens()).isEqualTo(6 * 12);
        assertThat(p.modeOptions().policy()).isEqualTo(p.policy());
        assertThat(r.out()).contains("certified: confidence:threshold=0.99");
    }

    @Test
    void nothingCertifiedIsSaidAndTheProfileRefusesToRun(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.json");
        BenchCli.Run r = BenchCli.run("calibrate", "--model", KJV, "--text", KJV_TEXT, "--policy", "margin",
                "--values", "0.01", "--epsilon", "0.01", "--delta", "0.1", "--prompts", "2", "--new-tokens", "4",
                "--warmup-tokens", "0", "--device", "cpu", "--out", file.toString());
        assertThat(r.status()).as(r.err()).isZero();
        Profile p = Profile.read(file);
        assertThat(p.policy()).isNull();
        assertThat(p.risk()).isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(p::modeOptions).hasMessageContaining("no threshold");
    }

    @Test
    void badEpsilonIsAUsageError(@TempDir Path dir) {
        BenchCli.Run r = BenchCli.run("calibrate", "--policy", "margin", "--epsilon", "1.5", "--delta", "0.1",
                "--out", dir.resolve("p.json").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--epsilon and --delta");
    }

    @Test
    void theHalvesSplitAtADocumentSeparatorAndCoverTheText() {
        String text = "a\n<|endoftext|>\nb\n<|endoftext|>\nc c c\n<|endoftext|>\nd";
        String first = CalibrationText.half(text, "first");
        String second = CalibrationText.half(text, "second");
        assertThat(first + second).isEqualTo(text);
        assertThat(second).startsWith("<|endoftext|>");
        assertThat(CalibrationText.half(text, "all")).isEqualTo(text);
    }
}

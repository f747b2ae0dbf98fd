package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mode named without its knobs runs with the model's defaults: never an error, never a guess. */
class ModeDefaultsTest {
    private static final Profile CALIBRATED = new Profile("m", "confidence:threshold=0.3,min_layer=3,every=3",
            "recompute", 32, 0.05, 0.1, "binomial", new Profile.Data("t.txt", "first", 2, 8, 8, 16), 0.02,
            List.of());
    private static final ModeOptions EARLY_EXIT = new ModeOptions("early-exit", null, null, null, null, null, null,
            null);

    @Test
    void earlyExitWithNoPolicyTakesTheProfilesCertifiedPolicy() {
        ModeOptions o = EARLY_EXIT.withDefaults(CALIBRATED);
        assertThat(o.mode()).isEqualTo("early-exit");
        assertThat(o.policy()).isEqualTo(CALIBRATED.policy());
        assertThat(o.kv()).isEqualTo("recompute");
        assertThat(o.prune()).isEqualTo(32);
        assertThat(ModeOptions.defaultsNote(EARLY_EXIT, o)).contains(CALIBRATED.policy());
    }

    @Test
    void knobsTheUserGaveWinOverTheProfiles() {
        ModeOptions given = new ModeOptions("early-exit", null, null, "propagate", 8, null, null, null);
        ModeOptions o = given.withDefaults(CALIBRATED);
        assertThat(o.kv()).isEqualTo("propagate");
        assertThat(o.prune()).isEqualTo(8);
        ModeOptions withPolicy = new ModeOptions("early-exit", "margin:threshold=0.1", null, null, null, null, null,
                null);
        assertThat(withPolicy.withDefaults(CALIBRATED)).isSameAs(withPolicy);
        assertThat(ModeOptions.defaultsNote(withPolicy, withPolicy)).isNull();
    }

    @Test
    void withoutACertifiedPolicyEarlyExitRunsAtFullDepth() {
        Profile nothing = new Profile("m", null, "recompute", 0, 0.05, 0.1, "binomial", CALIBRATED.data(), null,
                List.of());
        for (Profile p : new Profile[] {null, nothing}) {
            ModeOptions o = EARLY_EXIT.withDefaults(p);
            assertThat(o.mode()).isEqualTo("full");
            assertThat(ModeOptions.defaultsNote(EARLY_EXIT, o)).contains("full depth").contains(Profile.FILE_NAME);
        }
    }

    @Test
    void otherModesAreLeftAsGiven() {
        for (ModeOptions o : new ModeOptions[] {ModeOptions.NONE,
                new ModeOptions("self-speculative", null, null, null, null, null, null, null),
                new ModeOptions("static", null, 3, null, null, null, null, null)}) {
            assertThat(o.withDefaults(CALIBRATED)).isSameAs(o);
        }
    }

    @Test
    void aModelsProfileIsFoundBesideItsWeights(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectory(dir.resolve("model"));
        Path bin = Files.writeString(folder.resolve("weights.bin"), "");
        assertThat(Profile.beside(folder)).isEmpty();
        CALIBRATED.write(folder.resolve(Profile.FILE_NAME));
        assertThat(Profile.beside(folder)).contains(CALIBRATED);
        assertThat(Profile.beside(bin)).as("a .bin file's folder").contains(CALIBRATED);
    }
}

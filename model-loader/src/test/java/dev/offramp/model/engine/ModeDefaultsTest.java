package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
                new ModeOptions("static", null, 3, null, null, null, null, null),
                new ModeOptions("skip", null, null, null, null, 1.5, null, null)}) {
            assertThat(o.withDefaults(CALIBRATED)).isSameAs(o);
        }
    }

    private static final Profile WITH_FIXED = CALIBRATED
            .with("static", new Profile.Certified(10, 0.03, List.of()))
            .with("skip", new Profile.Certified(1.2, 0.04, List.of()));
    private static final ModeOptions STATIC = new ModeOptions("static", null, null, null, null, null, null, null);
    private static final ModeOptions SKIP = new ModeOptions("skip", null, null, null, null, null, null, null);

    @Test
    void staticAndSkipWithNoKnobTakeTheProfilesCertifiedValue() {
        assertThat(STATIC.withDefaults(WITH_FIXED))
                .isEqualTo(new ModeOptions("static", null, 10, null, null, null, null, null));
        assertThat(SKIP.withDefaults(WITH_FIXED))
                .isEqualTo(new ModeOptions("skip", null, null, null, null, 1.2, null, null));
        assertThat(ModeOptions.defaultsNote(STATIC, STATIC.withDefaults(WITH_FIXED))).contains("exit layer 10");
        assertThat(ModeOptions.defaultsNote(SKIP, SKIP.withDefaults(WITH_FIXED))).contains("speed-up 1.2");
    }

    @Test
    void staticAndSkipWithoutACertificateRunAtFullDepth() {
        for (Profile p : new Profile[] {null, CALIBRATED}) {
            for (ModeOptions o : new ModeOptions[] {STATIC, SKIP}) {
                ModeOptions r = o.withDefaults(p);
                assertThat(r.mode()).isEqualTo("full");
                assertThat(ModeOptions.defaultsNote(o, r)).contains("full depth")
                        .contains("calibrate --mode " + o.mode());
            }
        }
    }

    @Test
    void aStrayKnobIsReportedAgainstTheModeAsked() {
        ModeOptions stray = new ModeOptions("static", null, null, "propagate", null, null, null, null);
        assertThatThrownBy(() -> stray.withDefaults(WITH_FIXED)).hasMessage("kv: only for mode early-exit, found mode "
                + "static");
    }

    @Test
    void aProfileGivesTheSettingOfTheModeAsked() {
        assertThat(WITH_FIXED.modeOptions(null).policy()).isEqualTo(CALIBRATED.policy());
        assertThat(WITH_FIXED.modeOptions("early-exit").policy()).isEqualTo(CALIBRATED.policy());
        assertThat(WITH_FIXED.modeOptions("static").exitLayer()).isEqualTo(10);
        assertThatThrownBy(() -> CALIBRATED.modeOptions("skip")).hasMessageContaining("nothing certified for mode "
                + "skip");
        assertThatThrownBy(() -> CALIBRATED.modeOptions("full")).hasMessageContaining("expected mode early-exit, "
                + "static or skip");
    }

    @Test
    void staticAndSkipCertificatesSurviveTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(Profile.FILE_NAME);
        WITH_FIXED.write(file);
        assertThat(Profile.read(file)).isEqualTo(WITH_FIXED);
        assertThat(Files.readString(file)).contains("\"static_mode\"").contains("\"skip_mode\"");
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

    @Test
    void aGateNamedRelativeToTheWorkingDirectoryIsWrittenSoTheProfileFindsIt(@TempDir Path dir) throws Exception {
        Path gate = Path.of("").toAbsolutePath().relativize(Files.createFile(dir.resolve("g.txt")));  // as a user types it
        Profile p = new Profile("m", "learned:gate=" + gate + ",threshold=0.8", "recompute", 32, 0.05, 0.1,
                "binomial", CALIBRATED.data(), 0.02, List.of());
        Path out = Files.createDirectory(dir.resolve("elsewhere")).resolve("profile.json");
        p.write(out);
        assertThat(Profile.read(out).policy()).isEqualTo("learned:gate=" + dir.resolve("g.txt") + ",threshold=0.8");
    }

    @Test
    void aGateBesideTheProfileIsNamedRelativeToItSoTheyTravelTogether(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectory(dir.resolve("model"));
        Path gate = folder.resolve("offramp-gate.txt");
        Path elsewhere = dir.resolve("other-gate.txt");
        Profile p = new Profile("m", "any(learned:gate=" + gate + ",threshold=0.8,learned:gate=" + elsewhere
                + ",threshold=0.9)", "recompute", 32, 0.05, 0.1, "binomial", CALIBRATED.data(), 0.02, List.of());
        p.write(folder.resolve(Profile.FILE_NAME));
        assertThat(Files.readString(folder.resolve(Profile.FILE_NAME)))
                .contains("learned:gate=offramp-gate.txt,threshold=0.8").contains("learned:gate=" + elsewhere + ",");

        Path moved = Files.move(folder, dir.resolve("moved"));  // the model folder copied elsewhere
        assertThat(Profile.beside(moved).orElseThrow().policy()).isEqualTo("any(learned:gate="
                + moved.resolve("offramp-gate.txt") + ",threshold=0.8,learned:gate=" + elsewhere + ",threshold=0.9)");
    }
}

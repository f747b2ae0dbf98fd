package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.ExitAdapterChoice;
import dev.offramp.model.ExitAdapters;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.LoadedModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train-exits end to end on small texts: the adapters, their card and the checkpoint are written, the report covers
 * every layer, a resumed run continues, the file loads into each fixture family, and bad options exit 2 naming them.
 */
class TrainExitsCommandTest {
    static final String STORIES = "../../shared/models/stories260K/stories260K.bin";
    static final String TEXT = "../../shared/data/tinystories-val-calibration.txt";

    @TempDir
    Path dir;

    /** The first ~12,000 characters of the stories text, cut into two halves at a blank line. */
    private Path smallText() throws Exception {
        String t = Files.readString(Path.of(TEXT));
        Path p = dir.resolve("text.txt");
        Files.writeString(p, t.substring(0, t.indexOf("\n\n", 12_000)));
        return p;
    }

    @Test
    void writesAdaptersCardAndCheckpointAndResumes() throws Exception {
        Path out = dir.resolve("out");
        Path text = smallText();
        Run r = run("--model", STORIES, "--text", text.toString(), "--rank", "2", "--steps", "6", "--batch", "32",
                "--eval-every", "3", "--checkpoint-every", "4", "--layers", "2-3", "--validation", "0", "--device",
                "cpu", "--out", out.toString());
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("held-out").contains("    3  yes").contains("    5  -");
        JsonNode card = new ObjectMapper().readTree(out.resolve(ExitAdapters.CARD_NAME).toFile());
        assertThat(card.get("base_sha256").asText())
                .isEqualTo("b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696");  // MODEL_CARD.md's
        assertThat(card.get("layers").toString()).isEqualTo("[2,3]");
        assertThat(card.get("rank").asInt()).isEqualTo(2);
        assertThat(card.get("seed").asLong()).isZero();
        assertThat(card.get("loss_curve")).hasSize(2);
        assertThat(card.get("held_out_after")).hasSize(5);
        assertThat(card.get("text_sha256").asText()).hasSize(64);
        assertThat(ExitAdapters.read(out.resolve(ExitAdapters.FILE_NAME)).layers()).containsExactly(2, 3);
        assertThat(out.resolve(TrainExitsCommand.CHECKPOINT)).isRegularFile();

        Run more = run("--model", STORIES, "--text", text.toString(), "--rank", "2", "--steps", "8", "--batch", "32",
                "--eval-every", "3", "--layers", "2-3", "--validation", "0", "--device", "cpu", "--resume", "--out",
                out.toString());
        assertThat(more.code).as(more.err).isZero();
        assertThat(more.out).contains("resumed at step 6").contains("2 steps in");
    }

    /**
     * With a validation slice (the default), a layer keeps its adapter only where McNemar's test on the slice says it
     * helps:
     * the card lists what was kept and both sides of the slice, the file holds those layers alone, and the held-out
     * table shows a dropped layer at its base figures.
     */
    @Test
    void onlyAdaptersThatHelpOnTheValidationSliceAreKept() throws Exception {
        Path out = dir.resolve("selected");
        Run r = run("--model", STORIES, "--text", smallText().toString(), "--rank", "4", "--steps", "40", "--batch",
                "64", "--learning-rate", "1e-2", "--eval-every", "20", "--device", "cpu", "--out", out.toString());
        assertThat(r.code).as(r.err).isZero();
        JsonNode card = new ObjectMapper().readTree(out.resolve(ExitAdapters.CARD_NAME).toFile());
        JsonNode selection = card.get("selection");
        assertThat(selection.get("validation_positions").asInt()).isPositive();
        assertThat(card.get("trained_layers").toString()).isEqualTo("[1,2,3,4]");
        java.util.List<Integer> kept = new java.util.ArrayList<>();
        selection.get("kept_layers").forEach(l -> kept.add(l.asInt()));
        assertThat(card.get("layers").toString()).isEqualTo(selection.get("kept_layers").toString());
        for (int l = 1; l <= 4; l++) {
            JsonNode pair = selection.get("validation_pairs").get(l - 1);
            assertThat(pair.get("layer").asInt()).isEqualTo(l);
            long gained = pair.get("gained").asLong();
            long lost = pair.get("lost").asLong();
            double p = pair.get("p_value").asDouble();
            assertThat(kept.contains(l)).as("layer %d: gained %d, lost %d, p %g", l, gained, lost, p)
                    .isEqualTo(gained > lost && p < TrainExitsCommand.SIGNIFICANCE);
            double before = selection.get("validation_before").get(l - 1).get("agreement").asDouble();
            double after = selection.get("validation_after").get(l - 1).get("agreement").asDouble();
            long positions = selection.get("validation_positions").asLong();
            // the card rounds agreements to 5 places; the difference in positions is a whole number
            assertThat((after - before) * positions).as("layer %d: the pairs add up to the agreements", l)
                    .isCloseTo(gained - lost, org.assertj.core.api.Assertions.within(0.5));
            if (!kept.contains(l)) {  // reported at the base model's figures
                assertThat(card.get("held_out_after").get(l - 1)).isEqualTo(card.get("held_out_before").get(l - 1));
            }
        }
        assertThat(kept).as("stories260K's early exits gain from adapters").isNotEmpty();
        assertThat(ExitAdapters.read(out.resolve(ExitAdapters.FILE_NAME)).layers())
                .containsExactly(kept.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A Llama (GQA), a GPT-2 and a Qwen2 (q|k|v biases) fixture each load the adapters trained on them. */
    @Test
    void adaptersTrainedOnEachFixtureFamilyLoadIntoIt() throws Exception {
        Path text = smallText();
        for (String fixture : new String[] {"llama-gqa", "gpt2", "qwen2"}) {
            Path model = Path.of("../../shared/fixtures/hf", fixture);
            Path out = dir.resolve(fixture);
            Run r = run("--model", model.toString(), "--text", text.toString(), "--rank", "2", "--steps", "3",
                    "--batch", "16", "--eval-every", "3", "--validation", "0", "--device", "cpu", "--out",
                    out.toString());
            assertThat(r.code).as(fixture + ": " + r.err).isZero();
            try (LoadedModel m = LoadedModel.open(model, null, DjlRuntime.start(1), DeviceChoice.CPU,
                    KernelOptions.reference(), ExitAdapterChoice.file(out.resolve(ExitAdapters.FILE_NAME)))) {
                assertThat(m.transformer().exitAdapters()).as(fixture).isPresent();
                assertThat(m.transformer().exitAdapters().get().layers()).hasSize(m.config().layers() - 1);
            }
        }
    }

    @Test
    void badOptionsExitTwoNamingTheOption() throws Exception {
        Path text = smallText();
        String out = dir.resolve("x").toString();
        assertThat(run("--model", STORIES, "--text", text.toString(), "--layers", "5", "--out", out))
                .satisfies(r -> assertThat(r.code).isEqualTo(2))
                .satisfies(r -> assertThat(r.err).contains("--layers: expected all or layers and ranges within 1..4"));
        assertThat(run("--model", STORIES, "--text", text.toString(), "--validation", "0.7", "--out", out))
                .satisfies(r -> assertThat(r.code).isEqualTo(2))
                .satisfies(r -> assertThat(r.err).contains("--validation: expected a fraction in [0, 0.5)"));
        assertThat(run("--model", STORIES, "--text", text.toString(), "--half", "middle", "--out", out))
                .satisfies(r -> assertThat(r.code).isEqualTo(2)).satisfies(r -> assertThat(r.err).contains("--half"));
        assertThat(run("--model", STORIES, "--text", text.toString(), "--rank", "-1", "--out", out))
                .satisfies(r -> assertThat(r.code).isEqualTo(2)).satisfies(r -> assertThat(r.err).contains("--rank"));
        assertThat(run("--model", STORIES, "--text", text.toString(), "--rank", "64", "--out", out))
                .satisfies(r -> assertThat(r.code).isEqualTo(2))
                .satisfies(r -> assertThat(r.err).contains("training positions are too few for rank 64"));
        assertThat(run("--model", STORIES, "--text", dir.resolve("none.txt").toString(), "--out", out))
                .satisfies(r -> assertThat(r.code).isEqualTo(2)).satisfies(r -> assertThat(r.err).contains("--text"));
        assertThat(run("--model", STORIES, "--text", text.toString(), "--rank", "2", "--resume", "--out", out))
                .satisfies(r -> assertThat(r.code).isEqualTo(2))
                .satisfies(r -> assertThat(r.err).contains("--resume: expected a checkpoint"));
    }

    record Run(int code, String out, String err) {}

    /** {@code ./offramp train-exits ARGS} through the command tree, as the launcher runs it. */
    private static Run run(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "train-exits";
        System.arraycopy(args, 0, all, 1, args.length);
        dev.offramp.bench.BenchCli.Run r = dev.offramp.bench.BenchCli.run(all);
        return new Run(r.status(), r.out(), r.err());
    }
}

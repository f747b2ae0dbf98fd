package dev.offramp.server.cli;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.engine.CascadeRunner;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.calibrate.DeferralRule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code generate --mode cascade}: members in order, each a model or its first K layers, run in turn by the
 * {@link CascadeRunner} (each answers unless the rule scores its answer's uncertainty above the threshold).
 * Members of one model share its tokenizer and get the prompt's ids; a member with another tokenizer gets the prompt
 * as text (text-level hand-off), so {@code --prompt-ids} needs one model throughout.
 */
final class CascadeRun implements AutoCloseable {
    /** A model ({@code layers} null) or its first {@code layers} layers. */
    record Member(Path model, Integer layers) {
        /** {@code PATH[:K]}. */
        static Member parse(String spec) {
            int colon = spec.lastIndexOf(':');
            if (colon > 0 && spec.substring(colon + 1).matches("[0-9]+")) {
                return new Member(Path.of(spec.substring(0, colon)), Integer.parseInt(spec.substring(colon + 1)));
            }
            return new Member(Path.of(spec), null);
        }

        String name() {
            return model.getFileName() + (layers == null ? "" : ":" + layers);
        }
    }

    /** What the cascade did: the member that answered (its index), each scored member's score, and why. */
    record Trace(List<String> members, int answeredBy, List<Double> scores, String reason) {}

    /** The answer, in the answering member's tokens, and what every member cost (layers summed over all). */
    record Result(LoadedModel answeredBy, GenerationResult result, Trace trace) {}

    /** One member's answer and the model that gave it. */
    private record Answer(LoadedModel model, GenerationResult result) {}

    private final Map<Path, LoadedModel> models = new LinkedHashMap<>();
    private final ModelOptions options;
    private final Progress progress;

    /** {@code progress}: how each model's load shows. */
    CascadeRun(ModelOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    Result run(List<Member> members, String promptText, int[] promptIds, int maxTokens, float temperature, long seed,
               DeferralRule rule, double threshold) {
        List<CascadeRunner.Member<Answer>> run = new ArrayList<>();
        for (Member m : members) {
            if (promptText == null && !key(m.model()).equals(key(members.get(0).model()))) {
                throw new UsageException("generate: --prompt-ids are one tokenizer's ids; a cascade across "
                        + "models hands the prompt over as text: give --prompt");
            }
            LoadedModel model = load(m.model());
            if (m.layers() != null && (m.layers() < 1 || m.layers() > model.config().layers())) {
                throw new UsageException("generate: cascade member " + m.name() + ": expected 1.."
                        + model.config().layers() + " layers, found " + m.layers());
            }
            int[] prompt = promptText != null ? model.tokenizer().encode(promptText) : promptIds;
            Mode mode = m.layers() == null || m.layers() == model.config().layers() ? new Mode.Full()
                    : new Mode.Static(m.layers());
            run.add(new CascadeRunner.Member<>() {  // in turn, on this thread
                @Override
                public String name() {
                    return m.name();
                }

                @Override
                public CompletableFuture<Answer> answer(boolean scored) {
                    GenerationRequest req = new GenerationRequest(prompt, maxTokens, temperature, seed, mode, true);
                    return CompletableFuture.completedFuture(new Answer(model, new Generator(model.transformer(),
                            System::nanoTime).generate(scored ? req.scoredAs(mode) : req)));
                }
            });
        }
        CascadeRunner.Outcome<Answer> out = new CascadeRunner<Answer>(rule, threshold, a -> a.result().uncertainty(),
                failure -> false).run(run).join();
        List<Double> scores = out.tried().stream().map(CascadeRunner.Tried::score).filter(s -> !s.isNaN()).toList();
        GenerationResult kept = out.answer().result();
        GenerationResult all = kept.withCostOf(out.answers().stream().map(Answer::result).toList());
        return new Result(out.answer().model(), all, new Trace(members.stream().map(Member::name).toList(),
                out.answeredBy(), scores, out.reason()));
    }

    /** The --model (loaded once, shared with any member that names it). */
    LoadedModel main() {
        return load(options.model());
    }

    /** Members of one model share it; the main model keeps its --tokenizer, others use their own. */
    private LoadedModel load(Path path) {
        return models.computeIfAbsent(key(path), p -> options.load(path, progress));
    }

    private static Path key(Path path) {
        return path.toAbsolutePath().normalize();
    }

    @Override
    public void close() {
        models.values().forEach(LoadedModel::close);
    }
}

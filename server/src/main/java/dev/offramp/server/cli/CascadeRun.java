package dev.offramp.server.cli;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.engine.Deferral;
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

/**
 * {@code generate --mode cascade}: members in order, each a model or its first K layers; each answers unless the rule
 * scores its answer's uncertainty above the threshold, and the last answers whatever reaches it (Gupta et al. 2024).
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

    /** What the cascade did: the member that answered (its index) and each tried member's score. */
    record Trace(List<String> members, int answeredBy, List<Double> scores, long extraLayers) {}

    /** The answer, in the answering member's tokens, and what every member cost (layers summed over all). */
    record Result(LoadedModel answeredBy, GenerationResult result, Trace trace) {}

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
        List<Double> scores = new ArrayList<>();
        long layers = 0;
        long extra = 0;
        long checks = 0;
        long nanos = 0;
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
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
            GenerationResult r = new Generator(model.transformer(), System::nanoTime)
                    .generate(new GenerationRequest(prompt, maxTokens, temperature, seed, mode, true));
            layers += r.layersComputed();
            checks += r.exitChecks();
            nanos += r.decodeNanos();
            boolean last = i == members.size() - 1;
            if (!last) {
                Deferral d = Deferral.decide(model.transformer(), m.layers() == null ? model.config().layers()
                        : m.layers(), rule, threshold, prompt, r.ids());
                scores.add(d.score());
                extra += d.extraLayers();
                layers += d.extraLayers();
                if (d.deferred()) {
                    continue;
                }
            }
            return new Result(model, r.withCost(layers, checks, nanos), new Trace(members.stream().map(Member::name).toList(), i, scores,
                    extra));
        }
        throw new IllegalStateException("a cascade has at least one member");
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

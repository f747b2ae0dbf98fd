package dev.offramp.server.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.Deferral;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.server.http.Cascade;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** {@code generate}: one completion, as text or as the JSON object of DESIGN.md's CLI contract. */
final class GenerateCommand {
    static final String USAGE = "generate [--model PATH] (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N] "
            + "[--temperature T] [--seed S] [--mode full|static|early-exit|skip|self-speculative] [--policy SPEC] "
            + "[--exit-layer K] [--kv propagate|recompute] [--prune K] [--speedup R] [--draft D] [--draft-stop C] "
            + "[--profile PROFILE.json] [--mode cascade --cascade-small-layers K --cascade-rule R --cascade-threshold T] "
            + "[--device cpu|gpu|auto] [--threads N] [--tokenizer PATH] [--json]";

    /** The --json output; field names are the contract's (snake case). */
    record Output(int[] promptIds, int[] ids, String text, int[] exitLayers, long layersComputed,
                  double tokensPerSecond, long exitChecks, long drafted, long accepted,
                  @JsonInclude(JsonInclude.Include.NON_NULL) Deferral cascade) {}

    private GenerateCommand() {}

    static void run(String[] argv, Path defaultModel, PrintStream out) throws Exception {
        Set<String> options = new HashSet<>(ModelOptions.NAMES);
        options.addAll(Set.of("prompt", "prompt-ids", "max-tokens", "temperature", "seed"));
        options.addAll(ModeArgs.NAMES);
        options.addAll(CascadeArgs.NAMES);
        CliArgs args = new CliArgs("generate", argv, options, Set.of("json"));
        if (args.has("prompt") == args.has("prompt-ids")) {
            throw new CliArgs.UsageException("generate: give exactly one of --prompt TEXT or --prompt-ids 1,2,3");
        }
        ModeOptions modeOptions = ModeArgs.from(args);
        try (LoadedModel model = ModelOptions.from(args, defaultModel).load()) {
            int[] prompt = args.has("prompt") ? model.tokenizer().encode(args.string("prompt", ""))
                    : args.ids("prompt-ids");
            Cascade cascade = CascadeArgs.from(args);
            boolean cascading = "cascade".equals(modeOptions.mode());
            if (cascading != (cascade != null)) {
                throw new CliArgs.UsageException("generate: --mode cascade and the --cascade-* flags go together");
            }
            Mode mode = cascading ? new Mode.Static(cascade.smallLayers())
                    : modeOptions.toMode(model.config(), PolicyRegistry.standard());
            if (cascading && cascade.smallLayers() >= model.config().layers()) {
                throw new CliArgs.UsageException("generate: --cascade-small-layers: expected 1.."
                        + (model.config().layers() - 1) + ", found " + cascade.smallLayers());
            }
            GenerationRequest req = new GenerationRequest(prompt, args.integer("max-tokens", 64),
                    args.number("temperature", 0f), args.longValue("seed", 0L), mode, true);
            Generator generator = new Generator(model.transformer(), System::nanoTime);
            GenerationResult r = generator.generate(req);
            Deferral deferral = null;
            if (cascading) {
                deferral = Deferral.decide(model.transformer(), cascade.smallLayers(), cascade.rule(),
                        cascade.threshold(), prompt, r.ids());
                GenerationResult small = r;
                if (deferral.deferred()) {
                    r = generator.generate(new GenerationRequest(prompt, req.maxTokens(), req.temperature(),
                            req.seed(), new Mode.Full(), true));
                }
                r = new GenerationResult(prompt, r.ids(), r.exitLayers(), small.layersComputed()
                        + deferral.extraLayers() + (r == small ? 0 : r.layersComputed()), r.exitChecks(), 0, 0,
                        small.decodeNanos() + (r == small ? 0 : r.decodeNanos()), 0);
            }
            String text = model.tokenizer().decode(r.ids());
            if (args.flag("json")) {
                ObjectMapper json = new ObjectMapper()
                        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
                out.println(json.writeValueAsString(new Output(r.promptIds(), r.ids(), text, r.exitLayers(),
                        r.layersComputed(), r.tokensPerSecond(), r.exitChecks(), r.drafted(), r.accepted(),
                        deferral)));
            } else {
                out.println(text);
                System.err.printf("%d tokens, %.1f tokens/s, %d layer evaluations, %d exit checks (%s, %s)%n",
                        r.ids().length, r.tokensPerSecond(), r.layersComputed(), r.exitChecks(), model.name(),
                        cascading ? "cascade, " + (deferral.deferred() ? "deferred" : "kept") + " at score "
                                + deferral.score() : mode.name());
            }
        }
    }
}

package dev.offramp.server.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** {@code generate}: one completion, as text or as the JSON object of ARCHITECTURE.md's CLI contract. */
final class GenerateCommand {
    static final String USAGE = "generate [--model PATH] (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N] "
            + "[--temperature T] [--seed S] [--mode full|static|early-exit|skip|self-speculative] [--policy SPEC] "
            + "[--exit-layer K] [--kv propagate|recompute] [--prune K] [--speedup R] [--draft D] [--draft-stop C] "
            + "[--profile PROFILE.json] [--mode cascade (--cascade-small-layers K | --cascade-members PATH[:K],PATH…) "
            + "--cascade-rule R --cascade-threshold T] "
            + "[--device cpu|gpu|auto] [--threads N] [--kernels auto|f32|f16] [--tokenizer PATH] [--plugins DIR] "
            + "[--json]";

    /** The --json output; field names are the contract's (snake case). */
    record Output(int[] promptIds, int[] ids, String text, int[] exitLayers, long layersComputed,
                  double tokensPerSecond, long exitChecks, long drafted, long accepted,
                  @JsonInclude(JsonInclude.Include.NON_NULL) CascadeRun.Trace cascade) {}

    private GenerateCommand() {}

    static void run(String[] argv, Path defaultModel, PrintStream out) throws Exception {
        Set<String> options = new HashSet<>(ModelOptions.NAMES);
        options.addAll(Set.of("prompt", "prompt-ids", "max-tokens", "temperature", "seed"));
        options.addAll(ModeArgs.NAMES);
        options.addAll(CascadeArgs.NAMES);
        options.add("cascade-members");
        CliArgs args = new CliArgs("generate", argv, options, Set.of("json"));
        if (args.has("prompt") == args.has("prompt-ids")) {
            throw new CliArgs.UsageException("generate: give exactly one of --prompt TEXT or --prompt-ids 1,2,3");
        }
        ModeOptions modeOptions = ModeArgs.from(args);
        PolicyRegistry policies = ModeArgs.policies(args, System.getenv());
        ModelOptions modelOptions = ModelOptions.from(args, defaultModel);
        boolean cascading = "cascade".equals(modeOptions.mode());
        if (cascading != (args.has("cascade-rule") || args.has("cascade-members"))) {
            throw new CliArgs.UsageException("generate: --mode cascade and the --cascade-* flags go together");
        }
        try (CascadeRun models = new CascadeRun(modelOptions)) {
            LoadedModel model;
            GenerationResult r;
            CascadeRun.Trace trace = null;
            String ran = "cascade";  // the mode that ran, defaults filled in
            if (cascading) {
                CascadeRun.Result c = models.run(CascadeArgs.members(args, modelOptions.model()),
                        args.has("prompt") ? args.string("prompt", "") : null,
                        args.has("prompt") ? null : args.ids("prompt-ids"), args.integer("max-tokens", 64),
                        args.number("temperature", 0f), args.longValue("seed", 0L), CascadeArgs.rule(args),
                        CascadeArgs.threshold(args));
                model = c.answeredBy();
                r = c.result();
                trace = c.trace();
            } else {
                model = models.main();
                int[] prompt = args.has("prompt") ? model.tokenizer().encode(args.string("prompt", ""))
                        : args.ids("prompt-ids");
                ModeOptions resolved = modeOptions.withDefaults(model.profile());
                String note = ModeOptions.defaultsNote(modeOptions, resolved);
                if (note != null) {
                    System.err.println("offramp: " + note);
                }
                Mode mode = resolved.toMode(model.config(), policies);
                ran = mode.name();
                r = new Generator(model.transformer(), System::nanoTime).generate(new GenerationRequest(prompt,
                        args.integer("max-tokens", 64), args.number("temperature", 0f), args.longValue("seed", 0L),
                        mode, true));
            }
            String text = model.tokenizer().decode(r.ids());
            if (args.flag("json")) {
                ObjectMapper json = new ObjectMapper()
                        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
                out.println(json.writeValueAsString(new Output(r.promptIds(), r.ids(), text, r.exitLayers(),
                        r.layersComputed(), r.tokensPerSecond(), r.exitChecks(), r.drafted(), r.accepted(),
                        trace)));
            } else {
                out.println(text);
                System.err.printf("%d tokens, %.1f tokens/s, %d layer evaluations, %d exit checks (%s, %s)%n",
                        r.ids().length, r.tokensPerSecond(), r.layersComputed(), r.exitChecks(), model.name(),
                        cascading ? "cascade " + trace.members() + ", answered by " + trace.members()
                                .get(trace.answeredBy()) + ", scores " + trace.scores() : ran);
            }
        }
    }
}

package dev.offramp.server.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.cli.ModeFlags;
import dev.offramp.model.cli.PluginOptions;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.policy.StrictPolicy;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code generate}: one completion, as text or as the JSON object of ARCHITECTURE.md's CLI contract. */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "One completion of a prompt, as text (stdout) or as one JSON object (--json).",
        sortOptions = false)
final class GenerateCommand implements Callable<Integer> {
    /** The --json output; field names are the contract's (snake case). */
    record Output(int[] promptIds, int[] ids, String text, int[] exitLayers, long layersComputed,
                  double tokensPerSecond, long exitChecks, long drafted, long accepted,
                  @JsonInclude(JsonInclude.Include.NON_NULL) CascadeRun.Trace cascade) {}

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt, tokenized the model's way "
            + "(llama2.c adds BOS). Give this or --prompt-ids.")
    private String prompt;

    @Option(names = "--prompt-ids", paramLabel = "1,2,3", description = "The prompt as token ids, used verbatim.")
    private String promptIds;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Tokens to generate at most. "
            + "Default: ${DEFAULT-VALUE}.")
    private int maxTokens = 64;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature; 0 is greedy. "
            + "Default: ${DEFAULT-VALUE}.")
    private float temperature = 0f;

    @Option(names = "--seed", paramLabel = "S", description = "The sampler's seed. Default: ${DEFAULT-VALUE}.")
    private long seed = 0L;

    @Option(names = "--json", description = "Print one JSON object: prompt_ids, ids, text, exit_layers, "
            + "layers_computed, tokens_per_second, exit_checks, drafted, accepted.")
    private boolean json;

    @Mixin
    private ModeFlags modeFlags = new ModeFlags();

    @Mixin
    private PluginOptions plugins = new PluginOptions();

    @Mixin
    private CascadeArgs cascade = new CascadeArgs();

    @Mixin
    private ModelOptions modelOptions;

    private final PrintStream out;
    private final Progress progress;

    GenerateCommand(Path defaultModel, PrintStream out, Progress progress) {
        this.modelOptions = new ModelOptions(defaultModel);
        this.out = out;
        this.progress = progress;
    }

    @Override
    public Integer call() throws Exception {
        if ((prompt != null) == (promptIds != null)) {
            throw new UsageException("generate: give exactly one of --prompt TEXT or --prompt-ids 1,2,3");
        }
        ModeOptions modeOptions = modeFlags.modeOptions("generate");
        PolicyRegistry policies = plugins.policies(System.getenv());
        modelOptions.validate();
        boolean cascading = "cascade".equals(modeOptions.mode());
        if (cascading != cascade.any()) {
            throw new UsageException("generate: --mode cascade and the --cascade-* flags go together");
        }
        try (CascadeRun models = new CascadeRun(modelOptions, progress.unless(json))) {
            LoadedModel model;
            GenerationResult r;
            CascadeRun.Trace trace = null;
            String ran = "cascade";  // the mode that ran, defaults filled in
            if (cascading) {
                CascadeRun.Result c = models.run(cascade.members("generate", modelOptions.model()),
                        prompt, prompt != null ? null : Ids.parse("generate", promptIds), maxTokens, temperature,
                        seed, cascade.rule("generate"), cascade.threshold);
                model = c.answeredBy();
                r = c.result();
                trace = c.trace();
            } else {
                model = models.main();
                int[] ids = prompt != null ? model.tokenizer().encode(prompt) : Ids.parse("generate", promptIds);
                ModeOptions resolved = modeOptions.withDefaults(model.profile());
                String note = ModeOptions.defaultsNote(modeOptions, resolved);
                if (note != null) {
                    System.err.println("offramp: " + note);
                }
                Mode mode = resolved.toMode(model.config(), policies);
                ran = mode.name();
                r = new Generator(model.transformer(), System::nanoTime).generate(new GenerationRequest(ids,
                        maxTokens, temperature, seed, mode, true));
                String costly = mode instanceof Mode.EarlyExit e && r.checkCost() != null
                        ? r.checkCost().report(e.policy().toString(), e.policy() instanceof StrictPolicy) : null;
                if (costly != null) {
                    System.err.println("offramp: " + costly);
                }
            }
            String text = model.tokenizer().decode(r.ids());
            if (json) {
                ObjectMapper mapper = new ObjectMapper()
                        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
                out.println(mapper.writeValueAsString(new Output(r.promptIds(), r.ids(), text, r.exitLayers(),
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
        return 0;
    }
}

package dev.offramp.server.cli;

import dev.offramp.model.ForcedPass;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.ModelConfig;
import dev.offramp.model.Transformer;
import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import dev.offramp.model.io.HostTensor;
import dev.offramp.model.io.SafetensorsWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code layers}: every layer's hidden state and exit logits for a prompt, full depth, no cache reuse, written as
 * float32 {@code layer_hidden} [L, T, hidden] and {@code layer_logits} [L, T, vocab].
 */
@Command(name = "layers", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Every layer's hidden state and exit logits for a prompt (full depth, no cache).",
                       "Written as float32 layer_hidden [L, T, hidden] and layer_logits [L, T, vocab] in a "
                               + "safetensors file."})
final class LayersCommand implements Callable<Integer> {
    @Option(names = "--prompt-ids", paramLabel = "1,2,3", description = "The prompt as token ids, used verbatim. "
            + "Give this or --prompt.")
    private String promptIds;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt, tokenized the model's way.")
    private String prompt;

    @Option(names = "--out", paramLabel = "FILE.safetensors", description = "Where to write the tensors.")
    private Path out;

    @Mixin
    private ModelOptions modelOptions;

    private final PrintStream stdout;

    LayersCommand(Path defaultModel, PrintStream stdout) {
        this.modelOptions = new ModelOptions(defaultModel, "f32", 1);
        this.stdout = stdout;
    }

    @Override
    public Integer call() throws Exception {
        if ((prompt != null) == (promptIds != null) || out == null) {
            throw new UsageException("layers: give --out FILE and exactly one of --prompt-ids or --prompt");
        }
        try (LoadedModel model = modelOptions.validate().load()) {
            int[] ids = prompt != null ? model.tokenizer().encode(prompt) : Ids.parse("layers", promptIds);
            ModelConfig c = model.config();
            Transformer tf = model.transformer();
            int t = ids.length;
            float[] hidden = new float[c.layers() * t * c.hidden()];
            float[] logits = new float[c.layers() * t * c.vocab()];
            ForcedPass.run(tf, ids, c.layers(), layer -> {
                int l = layer.layer();
                if (l > 0) {
                    System.arraycopy(layer.hidden(), 0, hidden, (l - 1) * t * c.hidden(), t * c.hidden());
                    System.arraycopy(layer.logits(), 0, logits, (l - 1) * t * c.vocab(), t * c.vocab());
                }
            });
            Path file = out;
            SafetensorsWriter.write(file, List.of(
                    HostTensor.of("layer_hidden", new long[] {c.layers(), t, c.hidden()}, hidden),
                    HostTensor.of("layer_logits", new long[] {c.layers(), t, c.vocab()}, logits)));
            stdout.println("wrote " + file + ": layer_hidden [" + c.layers() + ", " + t + ", " + c.hidden()
                    + "], layer_logits [" + c.layers() + ", " + t + ", " + c.vocab() + "]");
        }
        return 0;
    }
}

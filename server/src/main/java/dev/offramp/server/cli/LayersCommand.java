package dev.offramp.server.cli;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.ModelConfig;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import dev.offramp.model.io.HostTensor;
import dev.offramp.model.io.SafetensorsWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code layers}: every layer's hidden state and exit logits for a prompt, full depth, no cache reuse, written as
 * float32 {@code layer_hidden} [L, T, hidden] and {@code layer_logits} [L, T, vocab].
 */
final class LayersCommand {
    static final String USAGE = "layers --model PATH (--prompt-ids 1,2,3 | --prompt TEXT) --out FILE.safetensors "
            + "[--device cpu|gpu|auto] [--threads N] [--kernels f32|auto|f16] [--tokenizer PATH]";

    private LayersCommand() {}

    static void run(String[] argv, Path defaultModel, PrintStream out) throws Exception {
        Set<String> options = new HashSet<>(ModelOptions.NAMES);
        options.addAll(Set.of("prompt", "prompt-ids", "out"));
        CliArgs args = new CliArgs("layers", argv, options, Set.of());
        if (args.has("prompt") == args.has("prompt-ids") || !args.has("out")) {
            throw new CliArgs.UsageException("layers: give --out FILE and exactly one of --prompt-ids or --prompt");
        }
        try (LoadedModel model = ModelOptions.from(args, defaultModel, "f32", 1).load()) {
            int[] ids = args.has("prompt") ? model.tokenizer().encode(args.string("prompt", ""))
                    : args.ids("prompt-ids");
            ModelConfig c = model.config();
            Transformer tf = model.transformer();
            int t = ids.length;
            float[] hidden = new float[c.layers() * t * c.hidden()];
            float[] logits = new float[c.layers() * t * c.vocab()];
            try (Sequence seq = tf.newSequence(); Step step = tf.step(seq, ids)) {
                for (int l = 1; l <= c.layers(); l++) {
                    step.runLayer(l);
                    System.arraycopy(step.hidden(0), 0, hidden, (l - 1) * t * c.hidden(), t * c.hidden());
                    System.arraycopy(step.exitLogitsAll(0), 0, logits, (l - 1) * t * c.vocab(), t * c.vocab());
                }
            }
            Path file = args.path("out", null);
            SafetensorsWriter.write(file, List.of(
                    HostTensor.of("layer_hidden", new long[] {c.layers(), t, c.hidden()}, hidden),
                    HostTensor.of("layer_logits", new long[] {c.layers(), t, c.vocab()}, logits)));
            out.println("wrote " + file + ": layer_hidden [" + c.layers() + ", " + t + ", " + c.hidden()
                    + "], layer_logits [" + c.layers() + ", " + t + ", " + c.vocab() + "]");
        }
    }
}

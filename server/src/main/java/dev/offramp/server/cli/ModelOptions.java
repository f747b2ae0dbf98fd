package dev.offramp.server.cli;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import java.nio.file.Path;
import java.util.Set;

/** The options every model-loading subcommand shares: --model, --tokenizer, --device, --threads. */
record ModelOptions(Path model, Path tokenizer, DeviceChoice device, int threads) {
    static final Set<String> NAMES = Set.of("model", "tokenizer", "device", "threads");

    static ModelOptions from(CliArgs args, Path defaultModel) {
        return new ModelOptions(args.path("model", defaultModel), args.path("tokenizer", null),
                DeviceChoice.parse(args.string("device", "auto")), args.integer("threads", 1));
    }

    LoadedModel load() {
        return LoadedModel.open(model, tokenizer, DjlRuntime.start(threads), device);
    }
}

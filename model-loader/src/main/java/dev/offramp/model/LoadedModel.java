package dev.offramp.model;

import dev.offramp.model.engine.Profile;
import dev.offramp.model.io.GgufFile;
import dev.offramp.model.io.Llama2cCheckpoint;
import dev.offramp.model.io.ShardedSafetensors;
import dev.offramp.model.tokenize.HfTokenizer;
import dev.offramp.model.tokenize.Llama2cTokenizer;
import dev.offramp.model.tokenize.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;

/** A model ready to run: its config, the layer-steppable transformer and its tokenizer. */
public final class LoadedModel implements AutoCloseable {
    private final String name;
    private final Transformer transformer;
    private final TextTokenizer tokenizer;
    private final Profile profile;  // the calibration profile beside the weights, or null

    private LoadedModel(String name, Transformer transformer, TextTokenizer tokenizer, Profile profile) {
        this.name = name;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.profile = profile;
    }

    /**
     * Opens a Hugging Face folder (config.json, safetensors, tokenizer.json), a llama2.c {@code .bin} (its
     * tokenizer {@code tok512.bin} or {@code tokenizer.bin} beside it, unless {@code tokenizer} names one) or a
     * {@code .gguf} file of architecture llama (its embedded tokenizer, unless {@code tokenizer} names a
     * {@code tokenizer.json} or a llama2.c one), with the reference kernels (float32, one thread).
     */
    public static LoadedModel open(Path path, Path tokenizer, DjlRuntime runtime, DeviceChoice device) {
        return open(path, tokenizer, runtime, device, KernelOptions.reference());
    }

    /** As above, with the matrix products' kernels chosen as {@code kernels} says (planned, cached or pinned). */
    public static LoadedModel open(Path path, Path tokenizer, DjlRuntime runtime, DeviceChoice device,
                                   KernelOptions kernels) {
        return open(path, tokenizer, runtime, device, kernels, ExitAdapterChoice.BESIDE);
    }

    /** As above, with the exit adapters {@code adapters} chooses (by default those beside the model, if any). */
    public static LoadedModel open(Path path, Path tokenizer, DjlRuntime runtime, DeviceChoice device,
                                   KernelOptions kernels, ExitAdapterChoice adapters) {
        KernelSetup setup = runtime.kernels(kernels);
        if (Files.isDirectory(path)) {
            ModelConfig config = HfConfigReader.read(path);
            TextTokenizer tok = HfTokenizer.open(tokenizer != null ? tokenizer : path.resolve("tokenizer.json"));
            return build(path, config, tok, () -> Transformer.load(config, ShardedSafetensors.open(path),
                    runtime.device(device), setup, exitAdapters(adapters, path, config)));
        }
        if (Files.isRegularFile(path) && path.toString().endsWith(".bin")) {
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(path);
            ModelConfig config = llama2cConfig(ckpt.header());
            Path tokPath = tokenizer != null ? tokenizer : llama2cTokenizer(path);
            TextTokenizer tok = Llama2cTokenizer.open(tokPath, config.vocab());
            return build(path, config, tok, () -> Transformer.load(config, ckpt, runtime.device(device), setup,
                    exitAdapters(adapters, path, config)));
        }
        if (Files.isRegularFile(path) && path.toString().endsWith(".gguf")) {
            GgufFile gguf = GgufFile.open(path);
            ModelConfig config = GgufLlama.config(gguf);
            TextTokenizer tok = tokenizer == null ? GgufLlama.tokenizer(gguf)
                    : tokenizer.toString().endsWith(".json") ? HfTokenizer.open(tokenizer)
                    : Llama2cTokenizer.open(tokenizer, config.vocab());
            return build(path, config, tok, () -> Transformer.load(config, GgufLlama.tensors(gguf),
                    runtime.device(device), setup, exitAdapters(adapters, path, config)));
        }
        throw new ModelLoadException(path + ": expected a Hugging Face model folder, a llama2.c .bin file or a .gguf"
                + " file");
    }

    private static LoadedModel build(Path path, ModelConfig config, TextTokenizer tok,
                                     java.util.function.Supplier<Transformer> load) {
        try {
            Profile profile;
            try {
                profile = Profile.beside(path).orElse(null);
            } catch (IllegalArgumentException e) {
                throw new ModelLoadException(e.getMessage());
            }
            return new LoadedModel(path.getFileName().toString(), load.get(), tok, profile);
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    /** The chosen exit adapters for this model, checked against its shape; null for none. */
    private static ExitAdapters exitAdapters(ExitAdapterChoice choice, Path model, ModelConfig config) {
        ExitAdapters a = choice.resolve(model).orElse(null);
        if (a != null) {
            Path file = choice.file() != null ? choice.file() : ExitAdapters.besidePath(model);
            a.check(config, file);
            ExitAdapters.checkBase(model, file);
        }
        return a;
    }

    /** llama2.c: RMSNorm eps 1e-5, RoPE theta 10000 on adjacent pairs, BOS 1; run.c stops when BOS comes back. */
    private static ModelConfig llama2cConfig(Llama2cCheckpoint.Header h) {
        return new ModelConfig("llama2.c", ModelConfig.Family.LLAMA, h.dim(), h.layers(), h.heads(), h.kvHeads(),
                h.dim() / h.heads(), h.hiddenDim(), h.vocabSize(), h.seqLen(), 1e-5f, 10000f, true, false,
                h.sharedClassifier(), Llama2cTokenizer.BOS, new int[] {Llama2cTokenizer.BOS});
    }

    private static Path llama2cTokenizer(Path bin) {
        for (String name : new String[] {"tok512.bin", "tokenizer.bin"}) {
            Path p = bin.resolveSibling(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new ModelLoadException(bin + ": no tok512.bin or tokenizer.bin beside it; pass --tokenizer PATH");
    }

    /** The model's own calibration profile ({@link Profile#FILE_NAME} beside its weights), or null: its defaults. */
    public Profile profile() {
        return profile;
    }

    public String name() {
        return name;
    }

    public ModelConfig config() {
        return transformer.config();
    }

    public Transformer transformer() {
        return transformer;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        transformer.close();
        tokenizer.close();
    }
}

package dev.offramp.model.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.offramp.model.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json} through DJL's binding of the Rust tokenizers library. */
public final class HfTokenizer implements TextTokenizer {
    private final HuggingFaceTokenizer tokenizer;

    private HfTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public static HfTokenizer open(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new ModelLoadException(tokenizerJson + ": tokenizer file not found");
        }
        try {
            // DJL truncates to 512 tokens unless told not to (ARCHITECTURE.md, "Facts"); long prompts must stay whole.
            return new HfTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true")));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

package dev.offramp.model.tokenize;

/** Text to ids and back, the way the model was trained. */
public interface TextTokenizer extends AutoCloseable {
    /** Tokenizes a prompt the model's way (special tokens such as BOS added as the model expects). */
    int[] encode(String text);

    String decode(int[] ids);

    @Override
    default void close() {}
}

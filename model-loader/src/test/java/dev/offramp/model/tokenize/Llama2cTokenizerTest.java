package dev.offramp.model.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Llama2cTokenizerTest {
    private static final Path TOK = Path.of("../../shared/models/stories260K/tok512.bin");
    private static final Path REFERENCE = Path.of("../../shared/fixtures/llama2c/llama2c_reference.json");
    private static final Llama2cTokenizer TOKENIZER = Llama2cTokenizer.open(TOK, 512);

    static List<JsonNode> referenceCases() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(REFERENCE.toFile()).get("cases");
        assertThat(cases).hasSize(5);
        return StreamSupport.stream(cases.spliterator(), false).toList();
    }

    @ParameterizedTest
    @MethodSource("referenceCases")
    void encodesPromptsAsRunCDoes(JsonNode c) {
        int[] expected = ints(c.get("prompt_ids_with_bos"));
        assertThat(TOKENIZER.encode(c.get("prompt").asText(), true)).containsExactly(expected);
        assertThat(TOKENIZER.encode(c.get("prompt").asText())).containsExactly(expected);
    }

    @ParameterizedTest
    @MethodSource("referenceCases")
    void reproducesWhatRunCPrinted(JsonNode c) {
        int[] ids = IntStream.concat(Arrays.stream(ints(c.get("prompt_ids_with_bos"))),
                Arrays.stream(ints(c.get("greedy_ids")))).toArray();
        // run.c prints piece(token, next) for every next token until it meets BOS, then one "\n" after the loop;
        // the fixture's text includes that trailing newline, which no token produced.
        StringBuilder printed = new StringBuilder();
        for (int i = 1; i < ids.length && ids[i] != Llama2cTokenizer.BOS; i++) {
            printed.append(TOKENIZER.piece(ids[i - 1], ids[i]));
        }
        String text = c.get("text").asText();

        assertThat(printed + "\n").isEqualTo(text);
        assertThat(TOKENIZER.decode(ids) + "\n").isEqualTo(text);
    }

    @Test
    void stripsTheLeadingSpaceOnlyAfterBos() {
        assertThat(TOKENIZER.piece(Llama2cTokenizer.BOS, 403)).isEqualTo("Once");
        assertThat(TOKENIZER.piece(378, 403)).isEqualTo(" Once");
        assertThat(TOKENIZER.decode(new int[] {403, 407})).isEqualTo(" Once upon");
        assertThat(TOKENIZER.decode(new int[] {1, 403, 407})).isEqualTo("Once upon");
    }

    @Test
    void fallsBackToUtf8BytesForCharactersNotInTheVocabulary() {
        int space = TOKENIZER.encode(" ", false)[0];
        // é is a whole token in tok512; ü (C3 BC) and 🙂 (F0 9F 99 82) are not, so they become byte tokens b + 3.
        assertThat(TOKENIZER.encode("é", false)).containsExactly(space, 485);
        assertThat(TOKENIZER.encode("ü", false)).containsExactly(space, 0xC3 + 3, 0xBC + 3);
        assertThat(TOKENIZER.encode("🙂", true)).containsExactly(1, space, 0xF0 + 3, 0x9F + 3, 0x99 + 3, 0x82 + 3);

        assertThat(TOKENIZER.decode(TOKENIZER.encode("Café für 🙂!", true))).isEqualTo("Café für 🙂!");
        // run.c's safe_printf drops lone bytes that are not printable ASCII, so it prints nothing for them.
        assertThat(TOKENIZER.piece(space, 0xC3 + 3)).isEmpty();
        assertThat(TOKENIZER.piece(space, 0x0A + 3)).isEqualTo("\n");
        assertThat(TOKENIZER.decode(new int[] {0x01 + 3, 0x41 + 3})).isEqualTo("A");
    }

    @Test
    void encodesTheEmptyStringWithoutTheDummyPrefix() {
        assertThat(TOKENIZER.encode("", true)).containsExactly(Llama2cTokenizer.BOS);
        assertThat(TOKENIZER.encode("", false)).isEmpty();
        assertThat(TOKENIZER.decode(new int[0])).isEmpty();
    }

    @Test
    void rejectsAVocabularySizeThatDoesNotMatchTheFile() {
        assertThatThrownBy(() -> Llama2cTokenizer.open(TOK, 32000))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tok512.bin")
                .hasMessageContaining("expected 32000 tokens");
        assertThatThrownBy(() -> Llama2cTokenizer.open(TOK, 500))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected 500 tokens");
    }

    @Test
    void rejectsAMissingOrTruncatedFile(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> Llama2cTokenizer.open(dir.resolve("absent.bin"), 512))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("absent.bin");
        byte[] all = Files.readAllBytes(TOK);
        Path truncated = Files.write(dir.resolve("truncated.bin"), Arrays.copyOf(all, all.length - 3));
        assertThatThrownBy(() -> Llama2cTokenizer.open(truncated, 512))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("found the file ending in token 511");
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}

package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.model.tokenize.TextTokenizer;
import org.junit.jupiter.api.Test;

class CalibrationTextTest {
    private static final int BOS = 1;

    /** One id per word (its length + 10), with a leading BOS as llama2.c's tokenizer adds one. */
    private static final TextTokenizer WORDS = new TextTokenizer() {
        @Override
        public int[] encode(String text) {
            String[] w = text.strip().split("\\s+");
            int[] ids = new int[w.length + 1];
            ids[0] = BOS;
            for (int i = 0; i < w.length; i++) {
                ids[i + 1] = w[i].length() + 10;
            }
            return ids;
        }

        @Override
        public String decode(int[] ids) {
            throw new UnsupportedOperationException();
        }
    };

    @Test
    void documentsAreSplitAtSeparatorLinesEachFollowedByOneBos() {
        CalibrationText t = CalibrationText.tokenize("a bb\n<|endoftext|>\nccc\n<|endoftext|>\n", WORDS, BOS);
        assertThat(t.head(t.length())).containsExactly(BOS, 11, 12, BOS, 13, BOS);
    }

    @Test
    void promptsAreEvenlySpacedWindowsOverTheStreamFromItsStart() {
        CalibrationText t = CalibrationText.tokenize("a bb ccc dddd eeeee", WORDS, BOS);  // 7 ids: offsets 0, 1, 3
        assertThat(t.prompts(3, 2)).containsExactly(new int[] {BOS, 11}, new int[] {11, 12}, new int[] {13, 14});
    }
}

package dev.offramp.bench.eval;

import dev.offramp.model.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A calibration text as one id stream, built the way the exit-trained models were: documents split at their
 * {@code <|endoftext|>} separator lines, each tokenized and followed by the model's bos/eot id, and the stream opened
 * by that id as well (a llama2.c tokenizer's own leading BOS is dropped, so every document has exactly one).
 */
final class CalibrationText {
    // llama2.c's BPE rescans the whole text for every merge, quadratic in its length: a 400 KB document without
    // separators would take hours in one piece. Longer documents are tokenized a paragraph at a time.
    private static final int LONG_DOCUMENT = 10_000;

    private final int[] ids;

    private CalibrationText(int[] ids) {
        this.ids = ids;
    }

    /**
     * The first or second half of a text, cut at the document separator (else the blank line) nearest its middle, so
     * that a threshold calibrated on one half is tested on text it never saw; "all" is the whole text.
     */
    static String half(String text, String which) {
        if (which.equals("all")) {
            return text;
        }
        int middle = text.length() / 2;
        int cut = nearest(text, "<|endoftext|>", middle);
        if (cut < 0) {
            cut = nearest(text, "\n\n", middle);
        }
        if (cut < 0) {
            throw new IllegalArgumentException("text: expected a document separator or a blank line to cut it in "
                    + "halves, found none");
        }
        return which.equals("first") ? text.substring(0, cut) : text.substring(cut);
    }

    private static int nearest(String text, String separator, int middle) {
        int after = text.indexOf(separator, middle);
        int before = text.lastIndexOf(separator, middle);
        if (after < 0 || before >= 0 && middle - before <= after - middle) {
            return before;
        }
        return after;
    }

    static CalibrationText tokenize(String text, TextTokenizer tokenizer, int bos) {
        IntStream.Builder out = IntStream.builder();
        out.add(bos);
        for (String doc : text.split("\n?<\\|endoftext\\|>\n?")) {
            if (doc.isBlank()) {
                continue;
            }
            String[] pieces = doc.length() > LONG_DOCUMENT ? doc.split("\n\\s*\n") : new String[] {doc};
            for (String piece : pieces) {
                if (!piece.isBlank()) {
                    int[] enc = tokenizer.encode(piece);
                    for (int i = enc.length > 0 && enc[0] == bos ? 1 : 0; i < enc.length; i++) {
                        out.add(enc[i]);
                    }
                }
            }
            out.add(bos);
        }
        return new CalibrationText(out.build().toArray());
    }

    int length() {
        return ids.length;
    }

    /** The first {@code n} ids of the stream. */
    int[] head(int n) {
        if (n > ids.length) {
            throw new IllegalArgumentException("text: expected at least " + n + " tokens, found " + ids.length);
        }
        return Arrays.copyOf(ids, n);
    }

    /** {@code n} windows of {@code length} ids at evenly spaced offsets over the whole stream, the first at 0. */
    List<int[]> prompts(int n, int length) {
        if (length > ids.length) {
            throw new IllegalArgumentException("text: expected at least " + length + " tokens for a prompt, found "
                    + ids.length);
        }
        List<int[]> out = new ArrayList<>(n);
        long span = ids.length - length;
        for (int i = 0; i < n; i++) {
            int off = (int) (span * i / n);
            out.add(Arrays.copyOfRange(ids, off, off + length));
        }
        return out;
    }
}

package dev.offramp.server.serve;

import dev.offramp.model.tokenize.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * Generated ids to text as it grows: each token yields the text that is now final, holding back a tail that could
 * still become a stop sequence (or an incomplete character); a stop sequence ends the text before it.
 */
public final class TextStream {
    private final TextTokenizer tokenizer;
    private final List<String> stops;
    private int[] ids = new int[16];
    private int n;
    private String text = "";
    private int emitted;
    private boolean stopped;

    TextStream(TextTokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.stops = stops;
    }

    /** Adds a token; returns the newly final text (possibly empty). After a stop sequence, {@link #stopped()}. */
    String push(int id) {
        if (n == ids.length) {
            ids = Arrays.copyOf(ids, n * 2);
        }
        ids[n++] = id;
        String full = tokenizer.decode(Arrays.copyOf(ids, n));
        int cut = firstStop(full);
        if (cut >= 0) {
            stopped = true;
            text = full.substring(0, cut);
            return take(text.length());
        }
        text = full;
        return take(full.length() - heldBack(full));
    }

    /** The rest of the text once generation has ended. */
    String finish() {
        return take(text.length());
    }

    boolean stopped() {
        return stopped;
    }

    /** The text so far (without any stop sequence). */
    String text() {
        return text;
    }

    private String take(int end) {
        if (end <= emitted) {
            return "";
        }
        String delta = text.substring(emitted, end);
        emitted = end;
        return delta;
    }

    private int firstStop(String s) {
        int best = -1;
        for (String stop : stops) {
            int i = s.indexOf(stop, Math.max(0, emitted - stop.length()));
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** Length of the longest tail that is a proper prefix of a stop sequence, or a replacement character. */
    private int heldBack(String s) {
        int hold = s.endsWith("\uFFFD") ? 1 : 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, s.length()); k > hold; k--) {
                if (s.endsWith(stop.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }
}

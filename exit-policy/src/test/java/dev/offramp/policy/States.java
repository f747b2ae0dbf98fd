package dev.offramp.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Token states written as table cells: {@code "3 p=0.9 a=5; 4 p=0.95"} is layer 3 with top-1 probability 0.9 and
 * argmax 5, then layer 4. Keys: p top-1 probability, m margin, e entropy, a argmax, c cosine; absent ones are NaN / -1.
 */
final class States {
    static final int TOTAL = 12;

    private States() {
    }

    static TokenState token(String history) {
        return token(0, history);
    }

    static TokenState token(int position, String history) {
        List<LayerSignals> layers = new ArrayList<>();
        for (String entry : history.split(";")) {
            layers.add(layer(entry.strip()));
        }
        return new TokenState(position, TOTAL, layers);
    }

    static LayerSignals layer(String entry) {
        String[] parts = entry.split("\\s+");
        float p = Float.NaN;
        float m = Float.NaN;
        float e = Float.NaN;
        float c = Float.NaN;
        int a = -1;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=");
            switch (kv[0]) {
                case "p" -> p = Float.parseFloat(kv[1]);
                case "m" -> m = Float.parseFloat(kv[1]);
                case "e" -> e = Float.parseFloat(kv[1]);
                case "c" -> c = Float.parseFloat(kv[1]);
                case "a" -> a = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown signal key " + kv[0] + " in " + entry);
            }
        }
        return new LayerSignals(Integer.parseInt(parts[0]), p, m, e, a, c);
    }

    /** The layers of a {@link #TOTAL}-layer model that {@code schedule} checks, as "3;6;9" ("" for none). */
    static String checked(Schedule schedule) {
        List<String> layers = new ArrayList<>();
        for (int l = 1; l <= TOTAL; l++) {
            if (schedule.checks(l, TOTAL)) {
                layers.add(String.valueOf(l));
            }
        }
        return String.join(";", layers);
    }
}

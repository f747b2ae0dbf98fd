package dev.offramp.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recursive descent over {@code name[:key=value,…]} and {@code all(…)}, {@code any(…)}, {@code quorum(n, …)}.
 * Commas separate both keys and children: after a key=value, a comma continues the key list only when the next token
 * is itself {@code key=value}; otherwise it starts the next child (or, at the top level, is an error).
 *
 * <p>Specs arrive in HTTP requests, so the parser bounds what a request can make it do: the text's length, the
 * nesting depth (the recursion would otherwise overflow the stack of whichever thread parses it) and each word's
 * length; and its messages quote only a short prefix of the text.
 */
final class SpecParser {
    /** Longer than any sensible spec (a dozen composed policies take a few hundred characters). */
    static final int MAX_LENGTH = 4096;
    /** Composites nested deeper than this are refused before the recursion goes further. */
    static final int MAX_DEPTH = 16;
    /** Names, keys and values: the longest policy name or number is well under this. */
    static final int MAX_WORD = 64;
    private static final int QUOTED = 60;
    private static final String PUNCTUATION = "(),:=";

    private final String text;
    private int pos;
    private int depth;

    SpecParser(String text) {
        this.text = text == null ? "" : text;
    }

    PolicySpec parse() {
        if (text.isBlank()) {
            throw new PolicySpecException(
                    "empty policy spec: expected name[:key=value,…] or all(…)/any(…)/quorum(n, …)");
        }
        if (text.length() > MAX_LENGTH) {
            throw new PolicySpecException("policy spec: expected at most " + MAX_LENGTH + " characters, found "
                    + text.length());
        }
        PolicySpec spec = spec();
        skipSpace();
        if (pos < text.length()) {
            throw peek() == ')'
                    ? error("unbalanced parentheses, expected end of spec, found ')' with no matching '('")
                    : error("expected end of spec, found " + found() + " (combine policies with all(…), any(…) "
                            + "or quorum(n, …))");
        }
        return spec;
    }

    private PolicySpec spec() {
        String name = word("a policy name");
        if (PolicySpec.COMPOSITES.contains(name)) {
            return composite(name);
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (accept(':')) {
            do {
                pair(name, params);
            } while (pairFollows() && accept(','));
        }
        skipSpace();
        if (peek() == '(') {
            throw error("'" + name + "' is not a composite (all, any, quorum), found '('");
        }
        return new PolicySpec.Leaf(name, params);
    }

    private PolicySpec composite(String name) {
        expect('(', "'(' after '" + name + "'");
        if (++depth > MAX_DEPTH) {
            throw error("composites nested deeper than " + MAX_DEPTH + " levels");
        }
        int required = 0;
        if (name.equals("quorum")) {
            String n = word("quorum's n");
            try {
                required = Integer.parseInt(n);
            } catch (NumberFormatException e) {
                throw new PolicySpecException("quorum: n expected an integer, found '" + n + "'", e);
            }
            expect(',', "',' after quorum's n");
        }
        List<PolicySpec> children = new ArrayList<>();
        do {
            children.add(spec());
        } while (accept(','));
        skipSpace();
        if (pos >= text.length()) {
            throw error("unbalanced parentheses, expected ')' to close '" + name + "(', found end of spec");
        }
        expect(')', "',' or ')' in '" + name + "(…)'");
        if (name.equals("all")) {
            required = children.size();
        } else if (name.equals("any") || name.equals("strict")) {
            required = 1;
        }
        depth--;
        return new PolicySpec.Composite(name, required, children);
    }

    private void pair(String policy, Map<String, String> params) {
        String key = word("a key after '" + policy + ":'");
        expect('=', "'=' after key '" + key + "'");
        String value = word("a value for '" + key + "'");
        if (params.putIfAbsent(key, value) != null) {
            throw new PolicySpecException(policy + ": duplicate key '" + key + "'");
        }
    }

    /** Whether a comma follows and, after it, a {@code key=value} token rather than the next spec. */
    private boolean pairFollows() {
        int saved = pos;
        try {
            skipSpace();
            if (peek() != ',') {
                return false;
            }
            pos++;
            skipSpace();
            int start = pos;
            while (pos < text.length() && isWordChar(text.charAt(pos))) {
                pos++;
            }
            skipSpace();
            return pos > start && peek() == '=';
        } finally {
            pos = saved;
        }
    }

    private String word(String what) {
        skipSpace();
        int start = pos;
        while (pos < text.length() && isWordChar(text.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            throw error("expected " + what + ", found " + found());
        }
        if (pos - start > MAX_WORD) {
            int length = pos - start;
            pos = start;
            throw error("expected " + what + " of at most " + MAX_WORD + " characters, found " + length);
        }
        return text.substring(start, pos);
    }

    private boolean accept(char c) {
        skipSpace();
        if (peek() == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c, String what) {
        if (!accept(c)) {
            throw error("expected " + what + ", found " + found());
        }
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    /** The next character, or 0 at the end. */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private String found() {
        return pos < text.length() ? "'" + text.charAt(pos) + "'" : "end of spec";
    }

    private static boolean isWordChar(char c) {
        return !Character.isWhitespace(c) && PUNCTUATION.indexOf(c) < 0;
    }

    private PolicySpecException error(String problem) {
        String quoted = text.length() <= QUOTED ? text : text.substring(0, QUOTED) + "…";
        return new PolicySpecException("malformed policy spec \"" + quoted + "\" at " + pos + ": " + problem);
    }
}

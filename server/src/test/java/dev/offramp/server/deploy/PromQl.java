package dev.offramp.server.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough of PromQL's lexer to find the metric names a query reads and the labels it matches them on. */
public final class PromQl {
    public record Selector(String metric, Set<String> labels) {}

    static final Set<String> FUNCTIONS = Set.of("abs", "absent", "absent_over_time", "acos", "acosh", "asin",
            "asinh", "atan", "atanh", "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos",
            "cosh", "count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
            "delta", "deriv", "double_exponential_smoothing", "exp", "floor", "histogram_avg", "histogram_count",
            "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar", "histogram_sum",
            "holt_winters", "hour", "idelta", "increase", "info", "irate", "label_join", "label_replace",
            "last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time", "min_over_time", "minute",
            "month", "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
            "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc", "sort_desc",
            "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp",
            "vector", "year", "start", "end",
            // aggregations
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
            "quantile", "limitk", "limit_ratio");
    /** Followed by a parenthesised list of label names, not expressions. */
    static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    static final Set<String> KEYWORDS = Set.of("bool", "offset", "and", "or", "unless", "atan2", "inf", "nan");
    static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)\\s*"
            + "(?:\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`)");

    private PromQl() {}

    public static List<Selector> selectors(String expr) {
        List<Selector> out = new ArrayList<>();
        int n = expr.length();
        int i = 0;
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = endOfString(expr, i);
            } else if (c == '#') {
                int eol = expr.indexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
            } else if (c == '[') {
                i = expr.indexOf(']', i) + 1;  // a range or subquery: durations only
            } else if (c == '{') {
                i = close(expr, i, '{', '}') + 1;  // matchers with no metric name before them
            } else if (Character.isDigit(c) || c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1))) {
                i = endOfNumber(expr, i);  // a number (1e-3, 0x1F) or a duration (5m, 1h30m)
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || "_:".indexOf(expr.charAt(i)) >= 0)) {
                    i++;
                }
                String word = expr.substring(start, i);
                int next = i;
                while (next < n && Character.isWhitespace(expr.charAt(next))) {
                    next++;
                }
                char after = next < n ? expr.charAt(next) : 0;
                if (GROUPING.contains(word)) {
                    if (after == '(') {
                        i = close(expr, next, '(', ')') + 1;
                    }
                } else if (KEYWORDS.contains(word.toLowerCase()) || after == '(' || FUNCTIONS.contains(word)) {
                    // a keyword, a function or an aggregation: not a metric
                } else {
                    Set<String> labels = new TreeSet<>();
                    if (after == '{') {
                        int end = close(expr, next, '{', '}');
                        Matcher m = MATCHER.matcher(expr.substring(next + 1, end));
                        while (m.find()) {
                            labels.add(m.group(1));
                        }
                        i = end + 1;
                    }
                    out.add(new Selector(word, labels));
                }
            } else {
                i++;
            }
        }
        return out;
    }

    private static int endOfNumber(String s, int start) {
        boolean hex = s.startsWith("0x", start) || s.startsWith("0X", start);
        int i = start;
        while (i < s.length()) {
            char c = s.charAt(i);
            boolean exponentSign = (c == '-' || c == '+') && !hex && i > start
                    && Character.toLowerCase(s.charAt(i - 1)) == 'e';
            if (!Character.isLetterOrDigit(c) && c != '.' && !exponentSign) {
                break;
            }
            i++;
        }
        return i;
    }

    private static int endOfString(String s, int open) {
        char quote = s.charAt(open);
        for (int i = open + 1; i < s.length(); i++) {
            if (s.charAt(i) == '\\' && quote != '`') {
                i++;
            } else if (s.charAt(i) == quote) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("unterminated string in " + s);
    }

    /** The index of the bracket closing the one at {@code open}, skipping strings. */
    private static int close(String s, int open, char opening, char closing) {
        int depth = 0;
        for (int i = open; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = endOfString(s, i);
                continue;
            }
            if (c == opening) {
                depth++;
            } else if (c == closing && --depth == 0) {
                return i;
            }
            i++;
        }
        throw new IllegalArgumentException("expected " + closing + " closing the one at " + open + " in " + s);
    }
}

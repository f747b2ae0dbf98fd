package dev.offramp.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./offramp load}: a load generator for a running server. At each concurrency level c it runs c client threads,
 * each sending sequential streamed {@code POST /v1/completions} (greedy), and reports what users feel: throughput,
 * time to first token, inter-token latency and whole-request latency. Two untimed warm-up requests go first. It
 * measures; it is not a timed test, and nothing asserts a speed. Exit 0 on success, 1 when the prompts cannot be read
 * or the warm-up fails (no server, a rejected request body), 2 on a usage error.
 */
public final class LoadCommand {
    static final String USAGE = "usage: load --url URL [--streams 1,4,16] [--requests-per-stream N] [--max-tokens N] "
            + "[--prompts FILE] [--early-exit JSON_OBJECT] [--json]";
    static final List<String> DEFAULT_PROMPTS = List.of("And God said", "In the beginning", "The Lord is my shepherd",
            "Blessed are the meek", "And it came to pass", "Thus saith the Lord", "Let there be light",
            "Give us this day");
    private static final Set<String> OPTIONS = Set.of("url", "streams", "requests-per-stream", "max-tokens", "prompts",
            "early-exit");
    private static final int WARM_UP_REQUESTS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to send and how much of it. {@code earlyExit} null: the server's default mode. */
    record Options(URI endpoint, List<Integer> streams, int perStream, int maxTokens, List<String> prompts,
                   ObjectNode earlyExit, boolean json) {}

    private LoadCommand() {}

    public static void main(String[] args) throws InterruptedException {
        if (dev.offramp.model.cli.Cli.helpOrVersion(args, USAGE, System.out)) {
            System.exit(0);
        }
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage().startsWith("load:") ? e.getMessage() : "load: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("load: --prompts: cannot read " + e.getMessage());
            return 1;
        }
        LoadGenerator gen = new LoadGenerator(o.endpoint(), o.prompts(), o.maxTokens(), o.earlyExit());
        for (int i = 0; i < WARM_UP_REQUESTS; i++) {
            RequestSample s = gen.send(o.prompts().get(i % o.prompts().size()));
            if (!s.ok()) {  // every measured request would fail the same way: say so once, now
                err.println("load: warm-up request failed: " + (s.error() != null ? s.error() : "HTTP " + s.status()));
                return 1;
            }
        }
        List<LevelStats> levels = new ArrayList<>();
        for (int c : o.streams()) {
            err.printf("load: %d stream(s) x %d request(s)...%n", c, o.perStream());
            LevelStats level = gen.level(c, o.perStream());
            if (level.firstError() != null) {
                err.printf("load: %d of %d failed at %d stream(s), first: %s%n", level.errors() + level.rejected(),
                        level.requests(), c, level.firstError());
            }
            levels.add(level);
        }
        out.println(o.json() ? json(o, levels) : table(levels));
        return 0;
    }

    static Options parse(String[] args) throws IOException {
        Map<String, String> v = new HashMap<>();
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            String key = args[i].startsWith("--") ? args[i].substring(2) : "";
            if (key.equals("json")) {
                json = true;
            } else if (OPTIONS.contains(key) && i + 1 < args.length) {
                v.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException(OPTIONS.contains(key) ? "--" + key + " needs a value"
                        : "unknown option " + args[i] + "; expected one of "
                        + OPTIONS.stream().sorted().map(n -> "--" + n).toList() + " or --json");
            }
        }
        String url = v.get("url");
        if (url == null) {
            throw new IllegalArgumentException("--url is required, e.g. --url http://127.0.0.1:8080");
        }
        URI base = URI.create(url.replaceAll("/+$", ""));
        if (!("http".equals(base.getScheme()) || "https".equals(base.getScheme())) || base.getHost() == null) {
            throw new IllegalArgumentException("--url: expected http://HOST:PORT, found " + url);
        }
        List<Integer> streams = new ArrayList<>();
        for (String s : v.getOrDefault("streams", "1,4,16").split(",")) {
            streams.add(positive("streams", s.strip()));
        }
        List<String> prompts = DEFAULT_PROMPTS;
        if (v.containsKey("prompts")) {
            prompts = Files.readAllLines(Path.of(v.get("prompts"))).stream().filter(l -> !l.isBlank()).toList();
            if (prompts.isEmpty()) {
                throw new IllegalArgumentException("--prompts: expected one prompt per line, found none in "
                        + v.get("prompts"));
            }
        }
        return new Options(URI.create(base + "/v1/completions"), List.copyOf(streams),
                positive("requests-per-stream", v.getOrDefault("requests-per-stream", "8")),
                positive("max-tokens", v.getOrDefault("max-tokens", "64")), prompts, earlyExit(v.get("early-exit")),
                json);
    }

    private static int positive(String name, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the expected form
        }
        throw new IllegalArgumentException("--" + name + ": expected an integer >= 1, found " + value);
    }

    private static ObjectNode earlyExit(String text) {
        if (text == null) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(text);
            if (node instanceof ObjectNode object) {
                return object;
            }
        } catch (JsonProcessingException e) {
            // reported below with the expected form
        }
        throw new IllegalArgumentException("--early-exit: expected a JSON object such as "
                + "'{\"policy\":\"confidence:threshold=0.5\"}', found " + text);
    }

    static String table(List<LevelStats> levels) {
        StringBuilder b = new StringBuilder("| streams | requests | errors | rejected | tokens/s | TTFT p50 ms "
                + "| TTFT p99 ms | ITL p50 ms | ITL p99 ms | latency p50 ms | latency p99 ms |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (LevelStats l : levels) {
            b.append(String.format(Locale.ROOT, "%n| %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s |",
                    l.streams(), l.requests(), l.errors(), l.rejected(), cell(l.tokensPerSecond()),
                    cell(l.ttftMs().at(50)), cell(l.ttftMs().at(99)), cell(l.itlMs().at(50)), cell(l.itlMs().at(99)),
                    cell(l.latencyMs().at(50)), cell(l.latencyMs().at(99))));
        }
        return b.toString();
    }

    static String json(Options o, List<LevelStats> levels) {
        ObjectNode root = JSON.createObjectNode().put("url", o.endpoint().toString())
                .put("requests_per_stream", o.perStream()).put("max_tokens", o.maxTokens());
        root.set("early_exit", o.earlyExit());
        ArrayNode rows = root.putArray("levels");
        for (LevelStats l : levels) {
            ObjectNode r = rows.addObject().put("streams", l.streams()).put("requests", l.requests())
                    .put("errors", l.errors()).put("rejected", l.rejected()).put("tokens", l.tokens())
                    .put("wall_s", l.wallSeconds());
            number(r, "tokens_per_s", l.tokensPerSecond());
            percentiles(r.putObject("ttft_ms"), l.ttftMs());
            percentiles(r.putObject("itl_ms"), l.itlMs());
            percentiles(r.putObject("latency_ms"), l.latencyMs());
        }
        return root.toString();
    }

    private static void percentiles(ObjectNode node, Percentiles p) {
        node.put("count", p.count());
        number(node, "p50", p.at(50));
        number(node, "p99", p.at(99));
    }

    /** NaN (nothing measured) as null: JSON has no NaN. */
    private static void number(ObjectNode node, String key, double value) {
        if (Double.isNaN(value)) {
            node.putNull(key);
        } else {
            node.put(key, value);
        }
    }

    private static String cell(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.1f", value);
    }
}

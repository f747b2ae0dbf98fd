package dev.offramp.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp load}: a load generator for a running server. At each concurrency level c it runs c client threads,
 * each sending sequential streamed {@code POST /v1/completions} (greedy), and reports what users feel: throughput,
 * time to first token, inter-token latency and whole-request latency. Two untimed warm-up requests go first. It
 * measures; it is not a timed test, and nothing asserts a speed. Exit 1 when the prompts cannot be read or the warm-up
 * fails (no server, a rejected request body).
 */
@Command(name = "load", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"A load generator against a running server.",
                       "Streamed completions at each concurrency level: throughput, time to first token, "
                               + "inter-token latency and whole-request latency (p50, p99)."})
public final class LoadCommand implements Callable<Integer> {
    static final List<String> DEFAULT_PROMPTS = List.of("And God said", "In the beginning", "The Lord is my shepherd",
            "Blessed are the meek", "And it came to pass", "Thus saith the Lord", "Let there be light",
            "Give us this day");
    private static final int WARM_UP_REQUESTS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to send and how much of it. {@code earlyExit} null: the server's default mode. */
    record Options(URI endpoint, List<Integer> streams, int perStream, int maxTokens, List<String> prompts,
                   ObjectNode earlyExit, boolean json) {}

    @Option(names = "--url", required = true, paramLabel = "URL", description = "The server, e.g. "
            + "http://127.0.0.1:8080.")
    private String url;

    @Option(names = "--streams", split = ",", paramLabel = "N", description = "The concurrency levels, "
            + "comma-separated, in order. Default: 1,4,16.")
    private List<Integer> streams = List.of(1, 4, 16);

    @Option(names = "--requests-per-stream", paramLabel = "N", description = "Requests each stream sends, one after "
            + "another. Default: ${DEFAULT-VALUE}.")
    private int perStream = 8;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Each request's max_tokens. "
            + "Default: ${DEFAULT-VALUE}.")
    private int maxTokens = 64;

    @Option(names = "--prompts", paramLabel = "FILE", description = "One prompt per line. Default: eight KJV "
            + "openings.")
    private Path promptsFile;

    @Option(names = "--early-exit", paramLabel = "JSON_OBJECT", description = "Sent as each request's early_exit "
            + "object, e.g. '{\"policy\":\"confidence:threshold=0.5\"}'. Default: the server's default mode.")
    private String earlyExit;

    @Option(names = "--json", description = "Print one JSON object instead of the table (and no progress bars).")
    private boolean json;

    private final PrintStream out;
    private final PrintStream err;
    private final Progress progress;

    public LoadCommand(PrintStream out, PrintStream err, Progress progress) {
        this.out = out;
        this.err = err;
        this.progress = progress;
    }

    @Override
    public Integer call() throws InterruptedException {
        Options o = options();
        LoadGenerator gen = new LoadGenerator(o.endpoint(), o.prompts(), o.maxTokens(), o.earlyExit());
        for (int i = 0; i < WARM_UP_REQUESTS; i++) {
            RequestSample s = gen.send(o.prompts().get(i % o.prompts().size()));
            if (!s.ok()) {  // every measured request would fail the same way: say so once, now
                err.println("load: warm-up request failed: " + (s.error() != null ? s.error() : "HTTP " + s.status()));
                return 1;
            }
        }
        List<LevelStats> levels = new ArrayList<>();
        Progress bars = progress.unless(json);
        for (int c : o.streams()) {
            err.printf("load: %d stream(s) x %d request(s)...%n", c, o.perStream());
            LevelStats level;
            try (Progress.Bar bar = bars.start(c + " stream(s)", (long) c * o.perStream())) {
                level = gen.level(c, o.perStream(), bar);
            }
            if (level.firstError() != null) {
                err.printf("load: %d of %d failed at %d stream(s), first: %s%n", level.errors() + level.rejected(),
                        level.requests(), c, level.firstError());
            }
            levels.add(level);
        }
        out.println(o.json() ? json(o, levels) : table(levels));
        return 0;
    }

    /** The options checked, the prompts read. */
    private Options options() {
        URI base = URI.create(url.replaceAll("/+$", ""));
        if (!("http".equals(base.getScheme()) || "https".equals(base.getScheme())) || base.getHost() == null) {
            throw new UsageException("load: --url: expected http://HOST:PORT, found " + url);
        }
        for (int s : streams) {
            positive("streams", s);
        }
        positive("requests-per-stream", perStream);
        positive("max-tokens", maxTokens);
        List<String> prompts = DEFAULT_PROMPTS;
        if (promptsFile != null) {
            try {
                prompts = Files.readAllLines(promptsFile).stream().filter(l -> !l.isBlank()).toList();
            } catch (IOException e) {
                throw new UncheckedIOException("load: --prompts: cannot read " + e.getMessage(), e);
            }
            if (prompts.isEmpty()) {
                throw new UsageException("load: --prompts: expected one prompt per line, found none in "
                        + promptsFile);
            }
        }
        return new Options(URI.create(base + "/v1/completions"), List.copyOf(streams), perStream, maxTokens, prompts,
                earlyExit(earlyExit), json);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new UsageException("load: --" + name + ": expected an integer >= 1, found " + value);
        }
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
        throw new UsageException("load: --early-exit: expected a JSON object such as "
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

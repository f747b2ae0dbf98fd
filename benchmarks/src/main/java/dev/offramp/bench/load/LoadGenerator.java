package dev.offramp.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offramp.model.cli.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** Sends streamed {@code POST /v1/completions} requests, one level of concurrency at a time. */
final class LoadGenerator {
    private static final ObjectMapper JSON = new ObjectMapper();
    // Headers come only once a request reaches the engine, so they can wait behind a long queue: generous, not forever.
    private static final Duration HEADERS_TIMEOUT = Duration.ofMinutes(10);
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)  // plain HTTP/1.1: no h2c upgrade attempt on every connection
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI endpoint;
    private final List<String> prompts;
    private final int maxTokens;
    private final ObjectNode earlyExit;

    /** {@code earlyExit}: sent as the request's {@code early_exit} object; null leaves the server's default. */
    LoadGenerator(URI endpoint, List<String> prompts, int maxTokens, ObjectNode earlyExit) {
        this.endpoint = endpoint;
        this.prompts = List.copyOf(prompts);
        this.maxTokens = maxTokens;
        this.earlyExit = earlyExit;
    }

    /**
     * Runs {@code streams} client threads, each sending {@code perStream} requests one after another; {@code bar}
     * counts the requests done and shows the tokens per second so far.
     */
    LevelStats level(int streams, int perStream, Progress.Bar bar) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            CountDownLatch go = new CountDownLatch(1);  // every thread exists before the clock starts
            AtomicLong tokens = new AtomicLong();
            long begun = System.nanoTime();  // for the live figure only; the level's clock starts below
            List<Future<List<RequestSample>>> clients = new ArrayList<>();
            for (int t = 0; t < streams; t++) {
                int first = t * perStream;
                clients.add(pool.submit(() -> {
                    go.await();
                    List<RequestSample> mine = new ArrayList<>();
                    for (int i = 0; i < perStream; i++) {
                        RequestSample s = send(prompts.get((first + i) % prompts.size()));
                        mine.add(s);
                        bar.step();
                        bar.figure(String.format(Locale.ROOT, "%.1f tok/s", tokens.addAndGet(s.tokens()) * 1e9
                                / (System.nanoTime() - begun)));
                    }
                    return mine;
                }));
            }
            long start = System.nanoTime();
            go.countDown();
            List<RequestSample> all = new ArrayList<>();
            for (Future<List<RequestSample>> c : clients) {
                all.addAll(c.get());
            }
            return LevelStats.of(streams, all, System.nanoTime() - start);
        } catch (ExecutionException e) {
            throw new IllegalStateException("load: a client thread failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** One request, read to the end; failures become samples rather than exceptions, since they are measurements. */
    RequestSample send(String prompt) {
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(HEADERS_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(prompt).toString())).build();
        long start = System.nanoTime();
        try {
            HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = response.body()) {
                if (response.statusCode() != 200) {
                    String text = String.join(" ", lines.toList());
                    return RequestSample.failed(response.statusCode(), "HTTP " + response.statusCode() + ": "
                            + (text.length() > 300 ? text.substring(0, 300) + "..." : text), elapsedMs(start));
                }
                SseTally tally = new SseTally(start);
                lines.forEach(line -> tally.line(line, System.nanoTime()));  // lines arrive as the server flushes
                return tally.finish(System.nanoTime());
            }
        } catch (IOException | UncheckedIOException e) {
            return RequestSample.failed(0, "no response from " + endpoint + ": " + e, elapsedMs(start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RequestSample.failed(0, "interrupted", elapsedMs(start));
        }
    }

    private ObjectNode body(String prompt) {
        ObjectNode b = JSON.createObjectNode().put("prompt", prompt).put("max_tokens", maxTokens)
                .put("temperature", 0).put("stream", true);
        if (earlyExit != null) {
            b.set("early_exit", earlyExit);
        }
        return b;
    }

    private static double elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }
}

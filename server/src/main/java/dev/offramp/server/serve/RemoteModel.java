package dev.offramp.server.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offramp.model.engine.GenerationResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A cascade's last member on another server that speaks OpenAI's completions (another Offramp replica, vLLM,
 * llama.cpp's server): {@code POST {base}/completions} with the request's prompt text and sampling knobs, answered
 * whole within a timeout. Any failure (refused, timed out, an error status, an unreadable body) is a {@link Failure},
 * which the cascade answers with its last local answer.
 */
public final class RemoteModel {
    /** The remote member did not answer; the message says how, in words a client may read. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final String model;
    private final Duration timeout;
    private final HttpClient client;

    /**
     * {@code http(s)://host:port/v1}, optionally with {@code ?model=NAME} (the model field the remote server expects;
     * none is sent otherwise).
     */
    public static RemoteModel parse(String spec, Duration timeout) {
        URI uri;
        try {
            uri = URI.create(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cascade member " + spec + ": expected http://host:port/v1, found an "
                    + "invalid URL");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("cascade member " + spec + ": expected http://host:port/v1");
        }
        String query = uri.getRawQuery();
        String model = null;
        if (query != null) {
            if (!query.startsWith("model=") || query.length() == "model=".length()) {
                throw new IllegalArgumentException("cascade member " + spec + ": expected ?model=NAME, found ?"
                        + query);
            }
            model = java.net.URLDecoder.decode(query.substring("model=".length()),
                    java.nio.charset.StandardCharsets.UTF_8);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        return new RemoteModel(URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + path), model, timeout);
    }

    RemoteModel(URI base, String model, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("cascade remote timeout: expected > 0, found " + timeout);
        }
        this.base = base;
        this.model = model;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** Its base URL: how metrics and responses name it. */
    public String name() {
        return base.toString();
    }

    /** The remote answer to {@code job}'s request, as an outcome with no token ids of ours. */
    CompletableFuture<Job.Outcome> complete(Job job) {
        ClientRequest k = job.request;
        ObjectNode body = JSON.createObjectNode();
        if (model != null) {
            body.put("model", model);
        }
        body.put("prompt", k.prompt());
        body.put("max_tokens", k.maxTokens());
        body.put("temperature", k.temperature());
        body.put("top_p", k.topP());
        body.put("seed", k.seed());
        if (!k.stop().isEmpty()) {
            body.set("stop", JSON.valueToTree(k.stop()));
        }
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/completions")).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        long sent = System.nanoTime();
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
            if (e != null) {
                throw failure(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            }
            return outcome(job, r, sent);
        });
    }

    private Failure failure(Throwable e) {
        if (e instanceof HttpTimeoutException) {
            return new Failure(name() + " did not answer within " + timeout.toMillis() + " ms");
        }
        String why = e.getMessage() == null || e.getMessage().isBlank() ? "connection failed" : e.getMessage();
        return new Failure(name() + " could not be reached (" + (e instanceof IOException ? why : "error") + ")");
    }

    private Job.Outcome outcome(Job job, HttpResponse<String> r, long sent) {
        if (r.statusCode() != 200) {
            String b = r.body() == null ? "" : r.body();
            throw new Failure(name() + " answered HTTP " + r.statusCode() + (b.isEmpty() ? ""
                    : ": " + (b.length() > 200 ? b.substring(0, 200) + "…" : b)));
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new Failure(name() + " answered a body that is not JSON");
        }
        JsonNode choice = tree.path("choices").path(0);
        if (!choice.path("text").isTextual()) {
            throw new Failure(name() + " answered without choices[0].text");
        }
        String text = choice.get("text").asText();
        String finish = choice.path("finish_reason").isTextual() ? choice.get("finish_reason").asText() : "stop";
        JsonNode usage = tree.path("usage");
        int prompt = usage.path("prompt_tokens").asInt(0);
        int completion = usage.path("completion_tokens").asInt(0);
        long now = System.nanoTime();
        GenerationResult none = new GenerationResult(new int[0], new int[0], new int[0], 0, 0, 0, 0, now - sent, 0, 0, 0,
                new long[0], null, null, GenerationResult.Drift.NONE);
        Job.Budget budget = null;
        if (job.hasBudget()) {
            budget = new Job.Budget(job.budgetNanos / 1_000_000, now <= job.deadline() ? "met" : "missed");
        }
        return new Job.Outcome(new int[0], none, text, text, finish, "full",
                new Job.Timing((sent - job.arrival) / 1e6, 0, (now - sent) / 1e6), budget, null,
                Wire.Usage.of(prompt, completion));
    }
}

package dev.offramp.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code offramp serve} in a JVM of its own, as a user starts it, on a free port; closing stops it. */
final class ServeProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final Process process;
    private final String base;

    private ServeProcess(Process process, String base) {
        this.process = process;
        this.base = base;
    }

    /** Starts {@code serve --port 0 ARGS} on a JVM launched as {@code ./offramp} launches it; returns once ready. */
    static ServeProcess start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "dev.offramp.server.Main", "serve",
                "--port", "0"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        String base = null;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null && !line.contains("ready, serving"); line = out.readLine()) {
            output.add(line);
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                base = m.group(1);
            }
        }
        if (base == null || !process.isAlive()) {
            process.destroy();
            throw new AssertionError("serve did not become ready:\n" + String.join("\n", output));
        }
        // Keep draining what it prints, so that it never blocks on a full pipe.
        Thread drain = new Thread(() -> {
            try {
                out.lines().forEach(line -> { });
            } catch (java.io.UncheckedIOException e) {
                // the process was stopped: its output is closed
            }
        }, "serve-output");
        drain.setDaemon(true);
        drain.start();
        return new ServeProcess(process, base);
    }

    /** {@code http://127.0.0.1:PORT}. */
    String base() {
        return base;
    }

    /** POSTs {@code json} to {@code path} (e.g. /v1/completions). */
    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void assertOk(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}

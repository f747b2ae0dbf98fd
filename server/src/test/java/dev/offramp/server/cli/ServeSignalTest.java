package dev.offramp.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code serve} as its own process: SIGTERM drains what is in flight and exits 0 (the JVM's default is 143). */
class ServeSignalTest {
    private static final Path STORIES = Path.of("../../shared/models/stories260K/stories260K.bin");

    @Test
    void sigtermDrainsTheStreamInFlightAndExitsZero() throws Exception {
        // A bare JVM, without the Vector API: the server must plan and serve without the VECTOR kernel too.
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "dev.offramp.server.Main", "serve", "--model",
                STORIES.toString(), "--port", "0", "--device", "cpu", "--drain-timeout-s", "60")
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            for (String line; (line = out.readLine()) != null && !line.startsWith("offramp: ready"); ) {
                Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)").matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            assertThat(port).isPositive();
            StringBuilder rest = new StringBuilder();
            CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> out.lines().forEach(
                    l -> rest.append(l).append('\n')));

            String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"stream\":true}";
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(60_000);
                OutputStream o = s.getOutputStream();
                o.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                byte[] first = new byte[16];
                assertThat(s.getInputStream().read(first)).isPositive();  // the stream has begun
                p.toHandle().destroy();  // SIGTERM (Process.destroy would also close our end of its output)
                String response = new String(first, StandardCharsets.UTF_8)
                        + new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(response).startsWith("HTTP/1.1 200").contains("data: [DONE]");
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            drained.get(10, TimeUnit.SECONDS);
            assertThat(p.exitValue()).as(rest.toString()).isZero();
            assertThat(rest.toString()).contains("offramp: draining").contains("offramp: stopped");
        } finally {
            p.destroyForcibly();
        }
    }
}

package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ClientRequest;
import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.ModelWorker;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.ModeOptions;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connections that would otherwise stay open forever are closed by the read deadlines (here 300 ms each: slowloris
 * headers, a body shorter than declared, an idle keep-alive connection); a generation that reads nothing for longer is
 * not; and a job that waits in the queue longer than allowed is refused with 503 and Retry-After.
 */
class TimeoutsTest {
    private static final Duration SHORT = Duration.ofMillis(300);
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        ModelWorker engine = new ModelWorker("stories260K.bin", () -> LoadedModel.open(ServerTest.MODEL, null,
                DjlRuntime.start(1), DeviceChoice.CPU), ChatTemplate.plain(),
                new ModelWorker.Limits(1, 4, 0, Duration.ofSeconds(30), SHORT), ModeOptions.NONE, null);
        server = new Server(new ServerConfig("127.0.0.1", 0, 64 * 1024,
                new ServerConfig.Timeouts(SHORT, SHORT, SHORT, Duration.ofSeconds(30)), ApiKeys.NONE), engine).start();
        engine.awaitLoaded();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void headersSentByteByByteTooSlowlyAre408AndTheSocketCloses() throws Exception {
        try (Socket s = open()) {
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a"
                    .getBytes(StandardCharsets.US_ASCII));
            String r = readToEnd(s);  // nothing more is sent: the server ends it
            assertThat(r).startsWith("HTTP/1.1 408").contains("request headers: expected complete within 300 ms")
                    .containsIgnoringCase("connection: close");
        }
    }

    @Test
    void aBodyShorterThanDeclaredIs408AndTheSocketCloses() throws Exception {
        try (Socket s = open()) {
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"prompt\":").getBytes(StandardCharsets.US_ASCII));
            String r = readToEnd(s);
            assertThat(r).startsWith("HTTP/1.1 408").contains("request body: expected complete within 300 ms");
        }
    }

    @Test
    void anIdleConnectionIsClosedBeforeAndAfterARequest() throws Exception {
        try (Socket s = open()) {
            assertThat(readToEnd(s)).isEmpty();  // connected, never sent a byte
        }
        try (Socket s = open()) {
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String r = readToEnd(s);  // kept alive, then idle
            assertThat(r).startsWith("HTTP/1.1 200").endsWith("{\"status\":\"ok\"}");
        }
    }

    @Test
    void aGenerationThatReadsNothingForLongerThanTheDeadlinesIsNotCut() throws Exception {
        HttpResponse<String> r = ServerTest.CLIENT.send(java.net.http.HttpRequest.newBuilder(
                EngineResilienceTest.uri(server, "/v1/completions")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"Once upon a time\",\"max_tokens\":480}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aJobThatWaitsInTheQueueLongerThanAllowedIsA503WithRetryAfter() throws Exception {
        // One running at a time, held: a stream whose client reads nothing stays in the batch until the stall timeout.
        EmbeddedChannel stalled = new EmbeddedChannel();
        stalled.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
        stalled.write(Unpooled.wrappedBuffer(new byte[16]));  // unflushed: the channel is not writable
        assertThat(stalled.isWritable()).isFalse();
        Exchange ex = new Exchange(stalled, new Json(), "held-1", new Exchange.Framing(true, false, false, () -> {}),
                new byte[0], null, "/v1/completions", server.engine().metrics());
        ClientRequest k = RequestReader.completion(Fields.of(new Json().read(
                "{\"prompt\":\"Once\",\"max_tokens\":8,\"stream\":true}"), ""));
        Job held = new Job(k, Job.Sink.text(() -> {}, delta -> {}), ex, ex.arrival());
        server.engine().submit(held);
        try {
            for (int i = 0; i < 3000 && server.engine().running() == 0; i++) {
                Thread.sleep(10);
            }
            assertThat(server.engine().running()).isEqualTo(1);
            HttpResponse<String> r = ServerTest.CLIENT.send(java.net.http.HttpRequest.newBuilder(
                            EngineResilienceTest.uri(server, "/v1/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once\",\"max_tokens\":4}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).contains("1");
            assertThat(ServerTest.JSON.readTree(r.body()).get("error").get("code").asText()).isEqualTo("queue_timeout");
            assertThat(held.done()).isNotDone();
        } finally {
            stalled.close();  // its client is gone: the engine cancels it at the next step
        }
        assertThat(held.done()).failsWithin(Duration.ofSeconds(30));
    }

    private static Socket open() throws Exception {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(30_000);
        return s;
    }

    private static String readToEnd(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}

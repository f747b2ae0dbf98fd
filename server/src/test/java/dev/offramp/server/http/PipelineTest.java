package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ModelWorker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's Netty pipeline on an {@link EmbeddedChannel}, with no socket and no model (it is still loading):
 * routing, the body limit, the error bodies, pipelined answers in order.
 */
class PipelineTest {
    static final CountDownLatch LOADING = new CountDownLatch(1);
    static ModelWorker engine;

    @BeforeAll
    static void start() {
        engine = new ModelWorker("m", () -> {
            try {
                LOADING.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("no model in this test");
        });
    }

    @AfterAll
    static void stop() {
        LOADING.countDown();
        engine.close();
    }

    /** A connection through the server's own pipeline; requests are validated on the calling thread. */
    static EmbeddedChannel connection() {
        Router router = new Router(Api.routes(engine));
        return new EmbeddedChannel(new Initializer(new ServerConfig("127.0.0.1", 0, 1024), router, new Json(),
                engine.metrics(), bytes -> Runnable::run, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE)));
    }

    static String exchange(EmbeddedChannel ch, String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.UTF_8));
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out.toString();
    }

    static String post(String path, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    @Test
    void routesAnswerOrSayWhyNotWithAnErrorBody() {
        EmbeddedChannel ch = connection();
        assertThat(exchange(ch, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 OK")
                .contains("{\"status\":\"ok\"}");
        assertThat(exchange(ch, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 503")
                .contains("\"loading\"");
        assertThat(exchange(ch, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404")
                .contains("\"code\":\"not_found\"").contains("no route for /nowhere");
        assertThat(exchange(ch, "DELETE /v1/completions HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 405")
                .containsIgnoringCase("allow: POST").contains("\"code\":\"method_not_allowed\"");
        assertThat(exchange(ch, post("/v1/completions", "{\"prompt\":"))).startsWith("HTTP/1.1 400")
                .contains("\"type\":\"invalid_request_error\"");
        assertThat(exchange(ch, post("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":0}")))
                .startsWith("HTTP/1.1 400").contains("\"param\":\"max_tokens\"");
        assertThat(ch.isActive()).as("keep-alive after each of them").isTrue();
    }

    @Test
    void aBodyOverTheLimitIsA413WithAnErrorBodyAndItsRestIsDiscarded() {
        EmbeddedChannel ch = connection();
        String answer = exchange(ch, post("/v1/completions", "{\"prompt\":\"" + "a".repeat(2000) + "\"}"));
        assertThat(answer).startsWith("HTTP/1.1 413").contains("\"code\":\"body_too_large\"")
                .contains("at most 1024 bytes");
        // A keep-alive connection stays usable: the declared body was skipped, not read as the next request.
        assertThat(exchange(ch, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 OK");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        EmbeddedChannel ch = connection();
        String answers = exchange(ch, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answers.indexOf("HTTP/1.1 404")).isZero();
        assertThat(answers.indexOf("HTTP/1.1 200")).isGreaterThan(0);
    }
}

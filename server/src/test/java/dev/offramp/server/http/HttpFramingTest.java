package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP/1.x on the wire, raw sockets: what the codec refuses, pipelining, HEAD, HTTP/1.0 streams and closing so that the
 * client can read the answer. Every error has the error body; none names a Java class.
 */
class HttpFramingTest {
    private static final String GOOD = "{\"prompt\":\"Once upon a time\",\"max_tokens\":4}";
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    @Test
    void headersOver8KbAre431AndTheConnectionCloses() throws Exception {
        String r = server.roundTrip("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n"
                + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertError(r, 431, "request headers: expected at most 8192 bytes");
        assertThat(r).containsIgnoringCase("connection: close").doesNotContain("\"status\":\"ok\"");
    }

    @Test
    void aRequestLineOver4KbIs414() throws Exception {
        String r = server.roundTrip("GET /" + "p".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertError(r, 414, "request line: expected at most 4096 bytes");
        assertThat(r).containsIgnoringCase("connection: close");
    }

    @Test
    void aMalformedRequestIsA400ThatClosesTheConnection() throws Exception {
        String r = server.roundTrip("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n");
        assertError(r, 400, "malformed HTTP request");
        assertThat(r).containsIgnoringCase("connection: close");
    }

    @Test
    void expectContinueOverTheLimitIsA413WithTheErrorBody() throws Exception {
        String r = server.roundTrip("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Expect: 100-continue\r\nConnection: close\r\nContent-Length: 1000000\r\n\r\n");
        assertError(r, 413, "request body: expected at most 65536 bytes");
    }

    @Test
    void anUnknownExpectationIsA417WithTheErrorBody() throws Exception {
        String r = server.roundTrip("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Expect: teapot\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
        assertError(r, 417, "expect: expected 100-continue");
    }

    @Test
    void aBodyOverTheLimitSentWholeBeforeReadingStillGetsItsAnswer() throws Exception {
        // Python's urllib does this: Connection: close, the whole body, then read. Closing at once reset the
        // connection while the body, more than the socket buffers hold, was still being written.
        String body = "{\"prompt\":\"" + "y".repeat(8 << 20) + "\"}";
        String r = server.roundTrip("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertError(r, 413, "request body: expected at most 65536 bytes");
    }

    @Test
    void headOnAGetRouteHasItsHeadersAndNoBody() throws Exception {
        String r = server.roundTrip("HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: 15").endsWith("\r\n\r\n");
        String post = server.roundTrip("HEAD /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(post).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: POST");
        String get = server.roundTrip("POST /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assertThat(get).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: GET, HEAD");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        String r = server.roundTrip(post("/v1/completions", GOOD, false) + "GET /health HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(r.indexOf("\"text_completion\"")).isPositive().isLessThan(r.indexOf("\"status\":\"ok\""));
        assertThat(r.split("HTTP/1.1 200", -1)).hasSize(3);
    }

    @Test
    void twoPipelinedStreamsAreTwoResponses() throws Exception {
        String stream = "{\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"stream\":true}";
        String r = server.roundTrip(post("/v1/completions", stream, false) + post("/v1/completions", stream, true));
        int second = r.indexOf("HTTP/1.1 200", 1);
        assertThat(r).startsWith("HTTP/1.1 200");
        assertThat(second).isPositive();
        assertThat(r.substring(0, second)).contains("data: [DONE]").endsWith("0\r\n\r\n");
        assertThat(r.substring(second)).contains("data: [DONE]").endsWith("0\r\n\r\n");
    }

    @Test
    void anHttp10StreamIsNotChunkedAndEndsWithTheConnection() throws Exception {
        String stream = "{\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"stream\":true}";
        String r = server.roundTrip("POST /v1/completions HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + stream.length() + "\r\n\r\n" + stream);
        assertThat(r).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("transfer-encoding")
                .containsIgnoringCase("connection: close").endsWith("data: [DONE]\n\n");
        assertThat(r.substring(r.indexOf("\r\n\r\n") + 4)).startsWith("data: {");
    }

    private static String post(String path, String body, boolean close) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + (close ? "Connection: close\r\n" : "") + "Content-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static void assertError(String response, int status, String message) throws Exception {
        assertThat(response).startsWith("HTTP/1.1 " + status);
        JsonNode error = ServerTest.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error");
        assertThat(error.get("message").asText()).contains(message).doesNotContain("java").doesNotContain("netty")
                .doesNotContain("Exception");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(response).containsIgnoringCase("x-request-id");
    }
}

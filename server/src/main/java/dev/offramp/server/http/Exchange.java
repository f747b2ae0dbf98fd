package dev.offramp.server.http;

import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.Metrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One request and the way back to its client. The body is copied off the pooled buffer on arrival, so an exchange
 * may be answered from any thread: Netty runs every write on the channel's event loop, in the order written.
 */
final class Exchange implements Job.Client {
    static final String REQUEST_ID = "X-Request-Id";
    static final String BUDGET_OUTCOME = "X-Latency-Budget-Outcome";
    private static final int LINGER_SECONDS = 2;
    private final Channel channel;
    private final Json json;
    private final String requestId;
    private final Framing framing;
    private final byte[] body;
    private final Job.LatencyBudget budget;
    private final String route;
    private final Metrics metrics;
    private final long arrival = System.nanoTime();  // made on the event loop as the request arrives
    private volatile boolean streaming;

    /**
     * How the answer goes out on its connection.
     *
     * @param keepAlive the connection stays open after the answer (else it ends with a lingering close)
     * @param head      a HEAD request: the headers of the GET answer, no body
     * @param http10    an HTTP/1.0 client: a stream is delimited by closing the connection, not chunked
     * @param answered  told once the answer's last byte was written, so the connection may take the next request
     */
    record Framing(boolean keepAlive, boolean head, boolean http10, Runnable answered) {
        static Framing of(HttpRequest req, boolean keepAlive, Runnable answered) {
            return new Framing(keepAlive, HttpMethod.HEAD.equals(req.method()),
                    HttpVersion.HTTP_1_0.equals(req.protocolVersion()), answered);
        }
    }

    /**
     * @param budget   the request's latency budget (X-Latency-Budget-Ms or Envoy's timeout, the smaller, and
     *                 X-Latency-Budget-Policy), or null
     * @param route    the route's path for the requests metric, or "unmatched" (labels stay low-cardinality)
     */
    Exchange(Channel channel, Json json, String requestId, Framing framing, byte[] body,
             Job.LatencyBudget budget, String route, Metrics metrics) {
        this.channel = channel;
        this.json = json;
        this.requestId = requestId;
        this.framing = framing;
        this.body = body;
        this.budget = budget;
        this.route = route;
        this.metrics = metrics;
    }

    /** {@code System.nanoTime()} when the request had arrived: a latency budget's clock starts here. */
    long arrival() {
        return arrival;
    }

    @Override
    public Long budgetMs() {
        return budget == null ? null : budget.ms();
    }

    @Override
    public boolean cutAtDeadline() {
        return budget != null && budget.cut();
    }

    String requestId() {
        return requestId;
    }

    Json json() {
        return json;
    }

    /** The body as strictly decoded UTF-8 (malformed bytes are a 400). */
    String body() {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "request body: expected UTF-8 text, found malformed bytes");
        }
    }

    @Override
    public boolean disconnected() {
        return !channel.isActive();
    }

    @Override
    public boolean writable() {
        return channel.isWritable();
    }

    void respond(HttpResponseStatus status, Object message) {
        respond(status, message, Map.of());
    }

    /** The failure's status and error body; after a stream has begun, an error event ends the stream instead. */
    void fail(Throwable failure) {
        Errors.Mapped m = Errors.map(failure, requestId);
        if (streaming) {
            event(m.body());
            end(m.status().code());
        } else {
            respond(m.status(), m.body(), m.headers());
        }
    }

    /** A whole error response made outside an exchange: answers to {@code Expect}, read deadlines (408). */
    static FullHttpResponse errorResponse(Json json, Throwable failure, String requestId) {
        Errors.Mapped m = Errors.map(failure, requestId);
        byte[] bytes = json.write(m.body());
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, m.status(),
                Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length).set(REQUEST_ID, requestId);
        m.headers().forEach((k, v) -> r.headers().set(k, v));
        return r;
    }

    /** A whole JSON response with extra headers (Allow, Retry-After, the budget outcome). */
    void respond(HttpResponseStatus status, Object message, Map<String, String> extra) {
        respond(status, json.write(message), HttpHeaderValues.APPLICATION_JSON, extra);
    }

    /** A whole plain-text response (the metrics scrape). */
    void respondText(HttpResponseStatus status, String text, String contentType) {
        respond(status, text.getBytes(StandardCharsets.UTF_8), contentType, Map.of());
    }

    private void respond(HttpResponseStatus status, byte[] bytes, CharSequence contentType, Map<String, String> extra) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                framing.head() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType).setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        extra.forEach((k, v) -> r.headers().set(k, v));
        metrics.request(route, status.code());
        finish(channel.writeAndFlush(headers(r)));
    }

    /** Starts a server-sent-event stream: {@code data: {…}} events, then {@link #endStream()}. */
    void startStream() {
        streaming = true;
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        if (!framing.http10()) {
            r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        channel.writeAndFlush(headers(r));
    }

    void event(Object message) {
        byte[] data = json.write(message);
        byte[] framed = new byte[data.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, framed, 0, 6);
        System.arraycopy(data, 0, framed, 6, data.length);
        framed[framed.length - 2] = '\n';
        framed[framed.length - 1] = '\n';
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(framed)));
    }

    /** {@code data: [DONE]} and the end of the response. */
    void endStream() {
        end(200);
    }

    /** A stream is counted when it ends, by how it ended: one the engine cancelled is not the 200 it began as. */
    private void end(int status) {
        metrics.request(route, status);
        // [DONE] rides in the last chunk: one write, so the stream's end cannot be split from its last event
        finish(channel.writeAndFlush(new DefaultLastHttpContent(
                Unpooled.copiedBuffer("data: [DONE]\n\n", StandardCharsets.US_ASCII))));
    }

    private HttpResponse headers(HttpResponse r) {
        r.headers().set(REQUEST_ID, requestId);
        if (!keepsAlive()) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }

    /** An HTTP/1.0 stream has no chunks: its end is the connection's. */
    private boolean keepsAlive() {
        return framing.keepAlive() && !(streaming && framing.http10());
    }

    private void finish(ChannelFuture written) {
        written.addListener(f -> framing.answered().run());
        if (!keepsAlive()) {
            written.addListener(f -> lingeringClose(channel));
        }
    }

    /**
     * Closes after the answer without resetting it away: a client still sending (a body over the limit, say) would
     * get a TCP reset for the unread bytes, often before it reads the answer. So the output is shut first, what
     * still arrives is read and dropped, and the connection closes when the client does, or after a short linger.
     */
    static void lingeringClose(Channel channel) {
        if (!(channel instanceof SocketChannel socket) || !channel.isActive()) {
            channel.close();
            return;
        }
        socket.shutdownOutput();
        channel.config().setAutoRead(true);
        channel.eventLoop().schedule(() -> channel.close(), LINGER_SECONDS, TimeUnit.SECONDS);
    }
}

package dev.offramp.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * One request and the way back to its client. The body is copied off the pooled buffer on arrival, so an exchange
 * may be answered from any thread: Netty runs every write on the channel's event loop, in the order written.
 */
final class Exchange {
    static final String REQUEST_ID = "X-Request-Id";
    private final Channel channel;
    private final Json json;
    private final String requestId;
    private final boolean keepAlive;
    private final byte[] body;
    private volatile boolean streaming;

    Exchange(Channel channel, Json json, String requestId, boolean keepAlive, byte[] body) {
        this.channel = channel;
        this.json = json;
        this.requestId = requestId;
        this.keepAlive = keepAlive;
        this.body = body;
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

    /** Whether the client has gone away. */
    boolean disconnected() {
        return !channel.isActive();
    }

    Channel channel() {
        return channel;
    }

    void respond(HttpResponseStatus status, Object message) {
        respond(status, message, null);
    }

    /** The failure's status and error body; after a stream has begun, an error event ends the stream instead. */
    void fail(Throwable failure) {
        Errors.Mapped m = Errors.map(failure);
        if (streaming) {
            event(m.body());
            endStream();
        } else {
            respond(m.status(), m.body(), m.allow());
        }
    }

    private void respond(HttpResponseStatus status, Object message, String allow) {
        byte[] bytes = json.write(message);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (allow != null) {
            r.headers().set(HttpHeaderNames.ALLOW, allow);
        }
        finish(channel.writeAndFlush(headers(r)));
    }

    /** Starts a server-sent-event stream: {@code data: {…}} events, then {@link #endStream()}. */
    void startStream() {
        streaming = true;
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
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
        channel.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: [DONE]\n\n", StandardCharsets.US_ASCII)));
        finish(channel.writeAndFlush(new DefaultLastHttpContent()));
    }

    private HttpResponse headers(HttpResponse r) {
        r.headers().set(REQUEST_ID, requestId);
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }

    private void finish(ChannelFuture written) {
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }
}

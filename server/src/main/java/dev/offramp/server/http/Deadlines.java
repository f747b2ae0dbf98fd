package dev.offramp.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The read deadlines of one connection, between the codec and the aggregator: an idle connection (no request begun
 * since the last answer) closes after the idle timeout; a request's headers must be complete within the header
 * timeout of its first bytes, and its body within the body timeout of its headers (else 408 and close: slowloris).
 * While a request is being answered no read deadline runs — a generation may take long and read nothing.
 */
final class Deadlines extends ChannelDuplexHandler {
    private enum Phase { IDLE, HEADERS, BODY, ANSWERING }

    private final ServerConfig.Timeouts timeouts;
    private final Json json;
    private Phase phase = Phase.IDLE;
    private long requests;   // requests read whole
    private long answers;    // answers written whole
    private ScheduledFuture<?> timer;
    private boolean decoded;  // this read gave the codec a message (else its bytes are a request's first part)

    Deadlines(ServerConfig.Timeouts timeouts, Json json) {
        this.timeouts = timeouts;
        this.json = json;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(ctx, Phase.IDLE);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        decoded = true;
        if (msg instanceof HttpRequest && phase != Phase.ANSWERING) {
            arm(ctx, Phase.BODY);
        }
        if (msg instanceof LastHttpContent) {
            requests++;
            // Answered already (a 413 before the rest of its body): the connection is idle again once it is read.
            arm(ctx, answers >= requests ? Phase.IDLE : Phase.ANSWERING);
        }
        super.channelRead(ctx, msg);
    }

    /**
     * Bytes arrived that made no message: on an idle connection they begin a request's headers. (A read that made
     * one may have been answered already, the connection idle again: that is not a new request.)
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (phase == Phase.IDLE && !decoded) {
            arm(ctx, Phase.HEADERS);
        }
        decoded = false;
        super.channelReadComplete(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        boolean interim = msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (msg instanceof LastHttpContent && !interim) {
            promise.addListener(f -> {
                answers++;
                if (answers >= requests && phase == Phase.ANSWERING) {
                    arm(ctx, Phase.IDLE);  // a pipelined request already read keeps the connection answering
                }
            });
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    private void arm(ChannelHandlerContext ctx, Phase next) {
        cancel();
        phase = next;
        Duration limit = switch (next) {
            case IDLE -> timeouts.idle();
            case HEADERS -> timeouts.header();
            case BODY -> timeouts.body();
            case ANSWERING -> null;
        };
        if (limit != null) {
            timer = ctx.executor().schedule(() -> expire(ctx, next), limit.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire(ChannelHandlerContext ctx, Phase expired) {
        if (phase != expired) {
            return;
        }
        if (expired == Phase.IDLE) {
            ctx.close();
            return;
        }
        String what = expired == Phase.HEADERS ? "request headers" : "request body";
        long ms = (expired == Phase.HEADERS ? timeouts.header() : timeouts.body()).toMillis();
        var answer = Exchange.errorResponse(json, new ApiException(HttpResponseStatus.REQUEST_TIMEOUT,
                "invalid_request_error", null, "request_timeout", what + ": expected complete within "
                + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms") + ", found them unfinished"),
                UUID.randomUUID().toString());
        answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        phase = Phase.ANSWERING;
        ctx.writeAndFlush(answer).addListener(f -> Exchange.lingeringClose(ctx.channel()));
    }
}

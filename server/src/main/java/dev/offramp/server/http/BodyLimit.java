package dev.offramp.server.http;

import dev.offramp.server.serve.Metrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

/** Aggregates request bodies up to a limit; beyond it, 413 with the error body (not Netty's empty one). */
final class BodyLimit extends HttpObjectAggregator {
    private final int limit;
    private final Json json;
    private final Router router;
    private final Metrics metrics;

    BodyLimit(int limit, Json json, Router router, Metrics metrics) {
        super(limit);
        this.limit = limit;
        this.json = json;
        this.router = router;
        this.metrics = metrics;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        // As Netty does: once body bytes were aggregated the connection cannot be recovered; otherwise the rest of
        // the body is discarded and a keep-alive connection stays usable.
        boolean keep = !(oversized instanceof FullHttpMessage)
                && (HttpUtil.is100ContinueExpected(oversized) || HttpUtil.isKeepAlive(oversized));
        String route = router.label(new QueryStringDecoder(((HttpRequest) oversized).uri()).path());
        new Exchange(ctx.channel(), json, HttpHandler.requestId(oversized),
                Exchange.Framing.of((HttpRequest) oversized, keep, () -> {}), new byte[0], null, route, metrics)
                .fail(ApiException.tooLarge(limit));
    }

    /**
     * Netty answers {@code Expect} itself: 100 Continue, or 413 (the declared body is over the limit) and 417 (an
     * expectation other than 100-continue) with empty bodies; these carry the error body like every other error.
     */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object netty = super.newContinueResponse(start, maxContentLength, pipeline);
        if (!(netty instanceof FullHttpResponse r) || r.status().codeClass() != HttpStatusClass.CLIENT_ERROR) {
            return netty;
        }
        ApiException error = r.status().code() == 413 ? ApiException.tooLarge(limit)
                : new ApiException(HttpResponseStatus.EXPECTATION_FAILED, "invalid_request_error", null,
                        "expectation_failed", "expect: expected 100-continue, found another expectation");
        String route = router.label(new QueryStringDecoder(((HttpRequest) start).uri()).path());
        FullHttpResponse answer = Exchange.errorResponse(json, error, HttpHandler.requestId(start));
        if (!HttpUtil.isKeepAlive(start)) {
            answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        r.release();
        metrics.request(route, error.status().code());
        return answer;
    }

    /** The client asked to close: no body follows an Expect answer, so the close needs no linger. */
    @Override
    protected boolean closeAfterContinueResponse(Object msg) {
        return super.closeAfterContinueResponse(msg) || msg instanceof HttpResponse r
                && r.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
    }
}

package dev.offramp.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
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
        new Exchange(ctx.channel(), json, HttpHandler.requestId(oversized), keep, new byte[0], null, route, metrics)
                .fail(ApiException.tooLarge(limit));
    }
}

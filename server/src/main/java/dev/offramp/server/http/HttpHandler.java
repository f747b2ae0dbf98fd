package dev.offramp.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every aggregated request: give it a request id, route it (an {@code offLoop} route to the validation pool), and turn
 * whatever it throws into an error response.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpHandler.class);
    private final Router router;
    private final Json json;
    private final Metrics metrics;
    private final Executor validation;

    HttpHandler(Router router, Json json, Metrics metrics, Executor validation) {
        this.router = router;
        this.json = json;
        this.metrics = metrics;
        this.validation = validation;
    }

    /**
     * The latency budget in milliseconds: {@code X-Latency-Budget-Ms}, or Envoy's
     * {@code x-envoy-expected-rq-timeout-ms}, the smaller when both are sent; null when neither is.
     */
    static Long budgetMs(HttpHeaders headers) {
        Long budget = null;
        for (String name : new String[] {"X-Latency-Budget-Ms", "x-envoy-expected-rq-timeout-ms"}) {
            String v = headers.get(name);
            if (v == null) {
                continue;
            }
            long ms;
            try {
                ms = v.strip().matches("[0-9]{1,12}") ? Long.parseLong(v.strip()) : 0;
            } catch (NumberFormatException e) {
                ms = 0;
            }
            if (ms <= 0) {
                throw ApiException.invalid(name, name + ": expected a positive integer of milliseconds, found '"
                        + (v.length() > 40 ? v.substring(0, 40) + "…" : v) + "'");
            }
            budget = budget == null ? ms : Math.min(budget, ms);
        }
        return budget;
    }

    static String requestId(io.netty.handler.codec.http.HttpMessage m) {
        String id = m.headers().get(Exchange.REQUEST_ID);
        return id == null || id.isBlank() || id.length() > 200 ? UUID.randomUUID().toString() : id;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        String path = new QueryStringDecoder(req.uri()).path();
        Long budget = null;
        RuntimeException badBudget = null;
        try {
            budget = budgetMs(req.headers());
        } catch (ApiException e) {
            badBudget = e;
        }
        Exchange ex = new Exchange(ctx.channel(), json, requestId(req), HttpUtil.isKeepAlive(req),
                ByteBufUtil.getBytes(req.content()), budget, router.label(path), metrics);
        try {
            if (!req.decoderResult().isSuccess()) {
                throw ApiException.invalid(null, "malformed HTTP request: " + req.decoderResult().cause());
            }
            if (badBudget != null) {
                throw badBudget;
            }
            Route route = router.find(req.method(), path);
            if (route.offLoop()) {
                validation.execute(() -> handle(route, ex));  // refused with a 429 when its queue is full
            } else {
                handle(route, ex);
            }
        } catch (RuntimeException e) {
            ex.fail(e);
        }
    }

    private static void handle(Route route, Exchange ex) {
        try {
            route.handler().handle(ex);
        } catch (RuntimeException | Error e) {
            ex.fail(e);  // a StackOverflowError in one request's parsing fails that request, not the thread
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection error, closing", cause);
        ctx.close();
    }
}

package dev.offramp.server.http;

import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.Metrics;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every aggregated request of one connection, one at a time and in order: give it a request id, route it (an
 * {@code offLoop} route to the validation pool), and turn whatever it throws into an error response.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpHandler.class);
    private final Router router;
    private final Json json;
    private final Metrics metrics;
    private final IntFunction<Executor> validation;  // by body size
    private final ApiKeys apiKeys;
    private final ArrayDeque<FullHttpRequest> pipelined = new ArrayDeque<>();  // event loop only, as the flags
    private boolean answering;  // a request of this connection is being answered
    private boolean closing;    // its answer closes the connection

    HttpHandler(Router router, Json json, Metrics metrics, IntFunction<Executor> validation, ApiKeys apiKeys) {
        this.apiKeys = apiKeys;
        this.router = router;
        this.json = json;
        this.metrics = metrics;
        this.validation = validation;
    }

    /**
     * The latency budget in milliseconds: {@code X-Latency-Budget-Ms}, or Envoy's
     * {@code x-envoy-expected-rq-timeout-ms}, the smaller when both are sent; null when neither is.
     */
    private static Long budgetMs(HttpHeaders headers) {
        Long budget = null;
        for (String name : new String[] {"X-Latency-Budget-Ms", "x-envoy-expected-rq-timeout-ms"}) {
            String v = single(headers, name);
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

    /**
     * The latency budget with its policy ({@code X-Latency-Budget-Policy}: {@code serve}, the default, serves the
     * request in full and marks it missed; {@code cut} ends it at its deadline); null without a budget. A policy sent
     * without a budget is still checked, and changes nothing.
     */
    static Job.LatencyBudget budget(HttpHeaders headers) {
        Long ms = budgetMs(headers);
        String name = "X-Latency-Budget-Policy";
        String policy = single(headers, name);
        boolean cut = false;
        if (policy != null) {
            String p = policy.strip().toLowerCase(Locale.ROOT);
            if (!p.equals("cut") && !p.equals("serve")) {
                throw ApiException.invalid(name, name + ": expected cut or serve, found '"
                        + (policy.length() > 40 ? policy.substring(0, 40) + "…" : policy) + "'");
            }
            cut = p.equals("cut");
        }
        return ms == null ? null : new Job.LatencyBudget(ms, cut);
    }

    /** The header's value, or null; sent twice it is a 400 (two readers could each take a different one). */
    static String single(HttpHeaders headers, String name) {
        int n = headers.getAll(name).size();
        if (n > 1) {
            throw ApiException.invalid(name, name + ": expected one header, found " + n);
        }
        return headers.get(name);
    }

    /** A body route takes JSON: a Content-Type (when sent) of application/json or a +json type, in UTF-8. */
    static void requireJson(HttpHeaders headers) {
        String type = single(headers, "Content-Type");  // as the 415 names it
        if (type == null) {
            return;  // clients that send none are read as JSON
        }
        String mime = HttpUtil.getMimeType(type) == null ? "" : HttpUtil.getMimeType(type).toString().toLowerCase();
        var charset = HttpUtil.getCharsetAsSequence(type);
        if (!(mime.equals("application/json") || mime.startsWith("application/") && mime.endsWith("+json"))
                || charset != null && !charset.toString().equalsIgnoreCase("utf-8")) {
            throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", "Content-Type",
                    "unsupported_media_type", "Content-Type: expected application/json (UTF-8), found '"
                    + (type.length() > 60 ? type.substring(0, 60) + "…" : type) + "'");
        }
    }

    static String requestId(io.netty.handler.codec.http.HttpMessage m) {
        String id = m.headers().get(Exchange.REQUEST_ID);
        return id == null || id.isBlank() || id.length() > 200 ? UUID.randomUUID().toString() : id;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (closing) {
            return;  // after a Connection: close answer nothing more is answered
        }
        if (answering) {
            // HTTP/1.1 answers pipelined requests in order: this one waits its turn; nothing more is read meanwhile.
            pipelined.add(req.retain());
            ctx.channel().config().setAutoRead(false);
            return;
        }
        answer(ctx, req);
    }

    private void answer(ChannelHandlerContext ctx, FullHttpRequest req) {
        answering = true;
        boolean wellFormed = req.decoderResult().isSuccess();
        // After a malformed request the decoder drops whatever follows: the connection cannot be used again.
        boolean keepAlive = wellFormed && HttpUtil.isKeepAlive(req);
        closing = !keepAlive;
        String path = new QueryStringDecoder(req.uri()).path();
        Job.LatencyBudget budget = null;
        RuntimeException badBudget = null;
        try {
            budget = budget(req.headers());
        } catch (ApiException e) {
            badBudget = e;
        }
        Exchange ex = new Exchange(ctx.channel(), json, requestId(req),
                Exchange.Framing.of(req, keepAlive, () -> ctx.executor().execute(() -> next(ctx))),
                ByteBufUtil.getBytes(req.content()), budget, wellFormed ? router.label(path) : "unmatched", metrics);
        try {
            if (!wellFormed) {
                throw malformed(req.decoderResult().cause());
            }
            // Before routing: without a key a client learns nothing of which /v1 paths exist.
            if (apiKeys.required(path) && !apiKeys.accepts(single(req.headers(), "Authorization"))) {
                throw ApiException.unauthorized(req.headers().contains("Authorization"));
            }
            if (badBudget != null) {
                throw badBudget;
            }
            Route route = router.find(req.method(), path);
            if (route.offLoop()) {
                requireJson(req.headers());
                // on the lane for its body's size; refused with a 429 when that lane's queue is full
                validation.apply(req.content().readableBytes()).execute(() -> handle(route, ex));
            } else {
                handle(route, ex);
            }
        } catch (RuntimeException e) {
            ex.fail(e);
        }
    }

    /** The previous answer is out: the next pipelined request, or read on. */
    private void next(ChannelHandlerContext ctx) {
        answering = false;
        FullHttpRequest req = pipelined.poll();
        if (req == null) {
            ctx.channel().config().setAutoRead(true);
            return;
        }
        try {
            if (!closing) {
                answer(ctx, req);
            }
        } finally {
            req.release();
        }
    }

    /** A request the decoder refused: 414 for a long request line, 431 for long headers, else 400. */
    private static ApiException malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new ApiException(HttpResponseStatus.REQUEST_URI_TOO_LONG, "invalid_request_error", null,
                    "uri_too_long", "request line: expected at most " + Initializer.MAX_LINE_BYTES + " bytes, found "
                    + "more");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new ApiException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "invalid_request_error",
                    null, "headers_too_large", "request headers: expected at most " + Initializer.MAX_HEADER_BYTES
                    + " bytes, found more");
        }
        // The decoder's own message may name its classes; the client learns what was wrong in general terms.
        return ApiException.invalid(null, "malformed HTTP request: expected an HTTP/1.x request line and headers");
    }

    private static void handle(Route route, Exchange ex) {
        try {
            route.handler().handle(ex);
        } catch (RuntimeException | Error e) {
            ex.fail(e);  // a StackOverflowError in one request's parsing fails that request, not the thread
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        for (FullHttpRequest r; (r = pipelined.poll()) != null; ) {
            r.release();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection error, closing", cause);
        ctx.close();
    }
}

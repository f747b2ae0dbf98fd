package dev.offramp.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every aggregated request: give it a request id, route it, and turn whatever it throws into an error response. */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpHandler.class);
    private final Router router;
    private final Json json;

    HttpHandler(Router router, Json json) {
        this.router = router;
        this.json = json;
    }

    static String requestId(io.netty.handler.codec.http.HttpMessage m) {
        String id = m.headers().get(Exchange.REQUEST_ID);
        return id == null || id.isBlank() || id.length() > 200 ? UUID.randomUUID().toString() : id;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        Exchange ex = new Exchange(ctx.channel(), json, requestId(req), HttpUtil.isKeepAlive(req),
                ByteBufUtil.getBytes(req.content()));
        try {
            if (!req.decoderResult().isSuccess()) {
                throw ApiException.invalid(null, "malformed HTTP request: " + req.decoderResult().cause());
            }
            router.find(req.method(), new QueryStringDecoder(req.uri()).path()).handle(ex);
        } catch (RuntimeException e) {
            ex.fail(e);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection error, closing", cause);
        ctx.close();
    }
}

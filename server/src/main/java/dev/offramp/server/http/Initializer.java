package dev.offramp.server.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.concurrent.Executor;

/** The pipeline of every connection: HTTP codec → body aggregation with a size limit → routing. */
final class Initializer extends ChannelInitializer<SocketChannel> {
    /** Netty's defaults, named: beyond them a request is answered 414 (request line) or 431 (headers). */
    static final int MAX_LINE_BYTES = 4096;
    static final int MAX_HEADER_BYTES = 8192;

    private final int maxBodyBytes;
    private final Router router;
    private final Json json;
    private final Metrics metrics;
    private final Executor validation;

    Initializer(int maxBodyBytes, Router router, Json json, Metrics metrics, Executor validation) {
        this.maxBodyBytes = maxBodyBytes;
        this.router = router;
        this.json = json;
        this.metrics = metrics;
        this.validation = validation;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("http", new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(MAX_LINE_BYTES)
                        .setMaxHeaderSize(MAX_HEADER_BYTES)))
                .addLast("aggregate", new BodyLimit(maxBodyBytes, json, router, metrics))
                .addLast("route", new HttpHandler(router, json, metrics, validation));
    }
}

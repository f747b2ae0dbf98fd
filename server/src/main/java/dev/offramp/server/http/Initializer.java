package dev.offramp.server.http;

import dev.offramp.server.serve.Metrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.WriteTimeoutHandler;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The pipeline of every connection: write timeout → HTTP codec → read deadlines → body aggregation with a size
 * limit → routing.
 */
final class Initializer extends ChannelInitializer<Channel> {
    /** Netty's defaults, named: beyond them a request is answered 414 (request line) or 431 (headers). */
    static final int MAX_LINE_BYTES = 4096;
    static final int MAX_HEADER_BYTES = 8192;

    private final ServerConfig config;
    private final Router router;
    private final Json json;
    private final Metrics metrics;
    private final IntFunction<Executor> validation;  // by body size: where a request is parsed and validated
    private final io.netty.channel.group.ChannelGroup clients;  // the server's open connections

    Initializer(ServerConfig config, Router router, Json json, Metrics metrics, IntFunction<Executor> validation,
                io.netty.channel.group.ChannelGroup clients) {
        this.config = config;
        this.clients = clients;
        this.router = router;
        this.json = json;
        this.metrics = metrics;
        this.validation = validation;
    }

    @Override
    protected void initChannel(Channel ch) {
        clients.add(ch);  // removed by the group itself when the channel closes
        ch.pipeline()
                // Outermost, so that it times the bytes' way out: a client that stops reading altogether is closed.
                .addLast("write-timeout", new WriteTimeoutHandler(config.timeouts().write().toMillis(),
                        TimeUnit.MILLISECONDS))
                .addLast("http", new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(MAX_LINE_BYTES)
                        .setMaxHeaderSize(MAX_HEADER_BYTES)))
                .addLast("deadlines", new Deadlines(config.timeouts(), json))
                .addLast("aggregate", new BodyLimit(config.maxBodyBytes(), json, router, metrics))
                .addLast("route", new HttpHandler(router, json, metrics, validation, config.apiKeys()));
    }
}

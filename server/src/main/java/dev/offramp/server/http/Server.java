package dev.offramp.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;

/** The HTTP server: one acceptor and one I/O thread (the engine has its own thread), bound until closed. */
public final class Server implements AutoCloseable {
    private final ServerConfig config;
    private final Engine engine;
    private final Json json = new Json();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel channel;

    public Server(ServerConfig config, Engine engine) {
        this.config = config;
        this.engine = engine;
    }

    /** Binds and returns once listening; {@link #port()} is then the bound port (useful with port 0). */
    public Server start() throws InterruptedException {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Router router = new Router(Api.routes(engine));
        channel = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new Initializer(config.maxBodyBytes(), router, json, engine.metrics(), engine.validation()))
                .bind(config.host(), config.port()).sync().channel();
        return this;
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public Engine engine() {
        return engine;
    }

    /** Blocks until the server channel closes. */
    public void awaitClose() throws InterruptedException {
        channel.closeFuture().sync();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
        engine.close();
    }
}

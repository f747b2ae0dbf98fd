package dev.offramp.server.http;

import dev.offramp.server.serve.ModelWorker;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The HTTP server: one acceptor and one I/O thread (the engine has its own thread), bound until closed. */
public final class Server implements AutoCloseable {
    private final ServerConfig config;
    private final ModelWorker engine;
    private final Json json = new Json();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel channel;
    // every accepted connection, so that close() lets their last writes out before the event loops stop
    private final io.netty.channel.group.ChannelGroup clients =
            new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
    private boolean closed;  // close() runs once: a drain closes, then the shutdown hook or a try-with-resources

    public Server(ServerConfig config, ModelWorker engine) {
        this.config = config;
        this.engine = engine;
    }

    /** Binds and returns once listening; {@link #port()} is then the bound port (useful with port 0). */
    public Server start() throws InterruptedException {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<Route> routes = Api.routes(engine);
        engine.metrics().routes(routes.stream().map(Route::path).toList());
        Router router = new Router(routes);
        channel = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new Initializer(config, router, json, engine.metrics(), engine::validation, clients))
                .bind(config.host(), config.port()).sync().channel();
        return this;
    }

    /**
     * Waits (at most {@code limit}) until no open connection has bytes still queued: the engine's last writes (a
     * stream's error event, its [DONE] and last chunk) were seen lost when the event loops stopped with them queued.
     */
    private void awaitFlushed(java.time.Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() - deadline < 0 && clients.stream().anyMatch(Server::pending)) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean pending(Channel ch) {
        io.netty.channel.ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return ch.isActive() && out != null && out.totalPendingWriteBytes() > 0;
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public ModelWorker engine() {
        return engine;
    }

    /** Blocks until the server channel closes. */
    public void awaitClose() throws InterruptedException {
        channel.closeFuture().sync();
    }

    /**
     * A graceful stop: from now on {@code /ready} is 503 and new work is refused with 503, while the connections stay
     * open so that what was accepted can finish; after at most {@code timeout}, {@link #close()} ends the rest (a
     * stream with a final error event and {@code [DONE]}, a whole response with a 503).
     */
    public void drain(Duration timeout) throws InterruptedException {
        engine.drain();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!engine.idle() && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        close();
    }

    /**
     * Stops at once: the engine first, so that it answers whatever it still holds while the event loop can still
     * write; then the listener, and the event loops once those last writes are out.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        engine.close();
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            awaitFlushed(java.time.Duration.ofSeconds(2));
            // A quiet period lets the engine's last writes (error events, [DONE]) reach the sockets.
            workers.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}

package dev.offramp.server.http;

import dev.offramp.server.serve.ModelWorker;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's own stories260K server on 127.0.0.1 (port 0, bodies up to 64 KiB), started before its tests and
 * closed after them: {@code @RegisterExtension static final StoriesServer server = new StoriesServer();}.
 */
final class StoriesServer implements BeforeAllCallback, AfterAllCallback {
    private Server server;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = ServerTest.stories(new ServerConfig("127.0.0.1", 0, 64 * 1024));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        server.close();
    }

    Server get() {
        return server;
    }

    int port() {
        return server.port();
    }

    ModelWorker engine() {
        return server.engine();
    }

    /** Writes the raw bytes, then reads until the server closes the connection. */
    String roundTrip(String raw) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(raw.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

package dev.offramp.server.http;

/** Where and how the HTTP server listens. */
public record ServerConfig(String host, int port, int maxBodyBytes) {
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

    public ServerConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host: expected a name or address, found none");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: expected 0..65535, found " + port);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("max body bytes: expected >= 1, found " + maxBodyBytes);
        }
    }
}

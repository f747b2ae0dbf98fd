package dev.offramp.server.http;

import java.time.Duration;

/**
 * Where and how the HTTP server listens.
 *
 * @param timeouts how long a connection may take over each part of a request, and a write
 * @param apiKeys  the keys clients must send, or {@link ApiKeys#NONE}
 */
public record ServerConfig(String host, int port, int maxBodyBytes, Timeouts timeouts, ApiKeys apiKeys) {
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

    /**
     * @param header a request's headers, from its first byte (slowloris sends them a byte at a time)
     * @param body   its body, from its headers
     * @param idle   a kept-alive connection with no request begun, since its last answer
     * @param write  one write to the client (a client that stops reading altogether)
     */
    public record Timeouts(Duration header, Duration body, Duration idle, Duration write) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofSeconds(60));

        public Timeouts {
            check("header", header);
            check("body", body);
            check("idle", idle);
            check("write", write);
        }

        private static void check(String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " timeout: expected > 0, found " + d);
            }
        }
    }

    /** With the default timeouts and no API key. */
    public ServerConfig(String host, int port, int maxBodyBytes) {
        this(host, port, maxBodyBytes, Timeouts.DEFAULT, ApiKeys.NONE);
    }

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
        if (timeouts == null || apiKeys == null) {
            throw new IllegalArgumentException("timeouts and API keys: expected values, found none");
        }
    }
}

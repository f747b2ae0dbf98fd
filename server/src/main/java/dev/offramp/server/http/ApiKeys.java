package dev.offramp.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The API keys a client must send as {@code Authorization: Bearer KEY}: on {@code /v1/*}, or on every route. Only
 * the keys' SHA-256 digests are kept, so that no key can reach a log line, a {@code toString} or a heap dump; and a
 * presented key is compared with every digest in constant time (equal-length digests, no early exit), so that the
 * time taken tells nothing about how much of a key was right.
 */
public final class ApiKeys {
    public static final ApiKeys NONE = new ApiKeys(List.of(), false);
    private static final String BEARER = "bearer ";
    private final List<byte[]> digests;
    private final boolean everyRoute;

    private ApiKeys(List<byte[]> digests, boolean everyRoute) {
        this.digests = List.copyOf(digests);
        this.everyRoute = everyRoute;
    }

    /**
     * @param everyRoute also {@code /health}, {@code /ready} and {@code /metrics} (by default open to probes and
     *                   scrapers)
     */
    public static ApiKeys of(Collection<String> keys, boolean everyRoute) {
        List<byte[]> digests = new ArrayList<>();
        for (String k : keys) {
            if (k == null || k.isBlank() || !k.strip().equals(k) || k.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                // The key itself is not quoted: the message may reach a terminal or a log.
                throw new IllegalArgumentException("API key: expected printable ASCII with no spaces, found a key of "
                        + (k == null ? 0 : k.length()) + " characters that is not");
            }
            digests.add(sha256(k));
        }
        return new ApiKeys(digests, everyRoute);
    }

    /** A key file: one key a line; blank lines and lines starting with {@code #} are skipped. */
    public static List<String> readFile(Path file) throws IOException {
        List<String> keys = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String k = line.strip();
            if (!k.isEmpty() && !k.startsWith("#")) {
                keys.add(k);
            }
        }
        return keys;
    }

    public int size() {
        return digests.size();
    }

    /** Whether a request for {@code path} must carry a key. */
    boolean required(String path) {
        return !digests.isEmpty() && (everyRoute || path.equals("/v1") || path.startsWith("/v1/"));
    }

    /** Whether an {@code Authorization} header value carries one of the keys. */
    boolean accepts(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] presented = sha256(authorization.substring(BEARER.length()).strip());
        boolean match = false;
        for (byte[] d : digests) {
            match |= MessageDigest.isEqual(d, presented);
        }
        return match;
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return "ApiKeys[" + digests.size() + (digests.size() == 1 ? " key" : " keys")
                + (everyRoute ? ", every route]" : ", /v1/*]");
    }
}

package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offramp.server.http.BadInputMatrixTest.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seeded body fuzz (issue 15, item 8): mutations of valid requests (byte flips, truncation, type swaps, huge
 * numbers, deep nesting, random unicode, duplicated keys, dropped and unknown keys) to every body route of a live
 * server on 127.0.0.1. No answer is a 5xx, every answer is one well-formed HTTP response (an error body with each 4xx),
 * and the engine serves a normal completion afterwards. Body {@code i} is mutated by {@code new Random(seed + i)}, so a
 * failing body is reproduced from its index alone, whatever the concurrency.
 *
 * <p>CI runs 2,000 bodies; the long form raises them: {@code -Dofframp.fuzz.bodies=20000 -Dofframp.fuzz.seed=7}
 * (server/src/test/reliability/run-long.sh).
 */
class BodyFuzzTest {
    static final int BODIES = Integer.getInteger("offramp.fuzz.bodies", 2000);
    static final long SEED = Long.getLong("offramp.fuzz.seed", 15L);
    static final int CLIENTS = 4;
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    /** A valid request the mutations start from. */
    record Seed(String path, String body) {}

    static final List<Seed> SEEDS = List.of(
            new Seed("/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":3}"),
            new Seed("/v1/completions", "{\"model\":\"stories260K.bin\",\"prompt\":\"Lily\",\"max_tokens\":2,"
                    + "\"temperature\":0.8,\"top_p\":0.9,\"top_k\":40,\"seed\":7,\"stop\":[\".\"],\"user\":\"u\"}"),
            new Seed("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":3,\"stream\":true,"
                    + "\"stream_options\":{\"include_usage\":true}}"),
            new Seed("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":3,\"early_exit\":{\"policy\":"
                    + "\"margin:threshold=0.07,min_layer=2,every=1\",\"prune\":32,\"kv\":\"recompute\"}}"),
            new Seed("/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                    + "{\"role\":\"user\",\"content\":\"Tell a story\"}],\"max_completion_tokens\":3}"),
            new Seed("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                    + "\"text\":\"Hi\"}]}],\"max_tokens\":2,\"stream\":true,\"early_exit\":{\"mode\":\"skip\","
                    + "\"speedup\":2}}"),
            new Seed("/v1/generate", "{\"prompt\":\"Once upon\",\"max_tokens\":3,\"early_exit\":{\"policy\":"
                    + "\"confidence:threshold=0.5,min_layer=2\"}}"),
            new Seed("/v1/generate", "{\"prompt_ids\":[1,2,3],\"max_tokens\":2,\"early_exit\":{\"mode\":"
                    + "\"self-speculative\",\"exit_layer\":2,\"draft\":2,\"draft_stop\":0.5}}"),
            new Seed("/v1/generate", "{\"prompt\":\"The cat\",\"max_tokens\":2,\"early_exit\":{\"mode\":\"static\","
                    + "\"exit_layer\":3}}"));

    /** What one fuzzed body got. */
    record Outcome(int index, String mutation, int status) {}


    @Test
    void noFuzzedBodyGetsA5xxAndTheEngineServesAfterwards() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<Outcome>> futures = new ArrayList<>();
        for (int i = 0; i < BODIES; i++) {
            int index = i;
            futures.add(clients.submit(() -> fuzzOne(index)));
        }
        Map<Integer, Integer> byStatus = new TreeMap<>();
        Map<String, Integer> byMutation = new TreeMap<>();
        for (Future<Outcome> f : futures) {
            Outcome o = f.get(120, TimeUnit.SECONDS);  // liveness only: a hung request fails here, not a timed check
            byStatus.merge(o.status(), 1, Integer::sum);
            byMutation.merge(o.mutation(), 1, Integer::sum);
        }
        clients.shutdown();
        System.out.printf("fuzz: %d bodies, seed %d, statuses %s, mutations %s%n", BODIES, SEED, byStatus,
                byMutation);
        assertThat(byStatus.keySet()).allMatch(s -> s < 500);
        assertThat(byStatus.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(BODIES);
        // Not vacuous: the mutations reach both the refusals and the engine.
        assertThat(byStatus).containsKeys(200, 400);

        assertThat(ServerTest.JSON.readTree(get("/health").body()).get("status").asText()).isEqualTo("ok");
        Reply good = BadInputMatrixTest.send(server.port(), request("/v1/completions",
                "{\"prompt\":\"Once upon a time\",\"max_tokens\":4}".getBytes(StandardCharsets.UTF_8)));
        assertThat(good.status()).as(good.text()).isEqualTo(200);
        assertThat(ServerTest.JSON.readTree(good.body()).get("choices").get(0).get("text").isTextual()).isTrue();
    }

    private static Reply get(String path) throws Exception {
        Reply r = BadInputMatrixTest.send(server.port(), ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r;
    }

    /** Mutates body {@code index}, sends it, and checks the one response it gets. */
    static Outcome fuzzOne(int index) throws Exception {
        Random random = new Random(SEED + index);
        Seed seed = SEEDS.get(random.nextInt(SEEDS.size()));
        Mutation m = Mutation.values()[random.nextInt(Mutation.values().length)];
        byte[] body = m.apply(seed.body(), random);
        if (random.nextInt(8) == 0) {  // now and then, two mutations on top of each other
            Mutation second = Mutation.values()[random.nextInt(Mutation.values().length)];
            body = second.apply(new String(body, StandardCharsets.UTF_8), random);
        }
        Reply r = BadInputMatrixTest.send(server.port(), request(seed.path(), body));
        String where = "body " + index + " (seed " + SEED + ", " + m + "): " + r.text();
        assertThat(r.status()).as(where).isBetween(200, 499);
        if (r.status() >= 400) {
            JsonNode error = ServerTest.JSON.readTree(r.body()).get("error");
            assertThat(error).as(where).isNotNull();
            assertThat(error.get("message").asText()).as(where).isNotEmpty()
                    .hasSizeLessThanOrEqualTo(Errors.MAX_MESSAGE).doesNotContain("Exception");
            assertThat(error.get("type").isTextual()).as(where).isTrue();
        } else if (r.body().startsWith("data: ")) {
            assertThat(r.body()).as(where).endsWith("data: [DONE]\n\n");
        } else {
            assertThat(ServerTest.JSON.readTree(r.body()).isObject()).as(where).isTrue();
        }
        return new Outcome(index, m.name(), r.status());
    }

    static byte[] request(String path, byte[] body) {
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + body.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        return out;
    }

    /** One way to break a valid body. Each is a pure function of the body and the random source. */
    enum Mutation {
        BYTE_FLIPS {
            @Override
            byte[] apply(String body, Random r) {
                byte[] b = utf8(body);
                for (int n = 1 + r.nextInt(4); n > 0 && b.length > 0; n--) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
                return b;
            }
        },
        TRUNCATION {
            @Override
            byte[] apply(String body, Random r) {
                byte[] b = utf8(body);
                return java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length));
            }
        },
        TYPE_SWAP {
            @Override
            byte[] apply(String body, Random r) {
                return edit(body, r, (parent, key) -> replace(parent, key, anyValue(r, 0)));
            }
        },
        HUGE_NUMBER {
            @Override
            byte[] apply(String body, Random r) {
                String[] huge = {"1e308", "-1e308", "1e400", "99999999999999999999999999", "-9223372036854775809",
                    "2147483648", "-2147483649", "4.9e-324", "-0", "0.0000000000000000000001", "1" + "0".repeat(2000)};
                String number = huge[r.nextInt(huge.length)];
                return edit(body, r, (parent, key) -> replace(parent, key, rawNumber(number)));
            }
        },
        DEEP_NESTING {
            @Override
            byte[] apply(String body, Random r) {
                int depth = 1 + r.nextInt(r.nextBoolean() ? 20 : 3000);
                boolean arrays = r.nextBoolean();
                String open = arrays ? "[" : "{\"k\":";
                String close = arrays ? "]" : "}";
                String nested = open.repeat(depth) + "1" + close.repeat(depth);
                return edit(body, r, (parent, key) -> replace(parent, key, rawNumber(nested)));
            }
        },
        RANDOM_UNICODE {
            @Override
            byte[] apply(String body, Random r) {
                StringBuilder s = new StringBuilder(body);
                for (int n = 1 + r.nextInt(6); n > 0; n--) {
                    s.insert(r.nextInt(s.length() + 1), randomText(r));
                }
                return utf8(s.toString());
            }
        },
        UNICODE_VALUES {
            @Override
            byte[] apply(String body, Random r) {
                return edit(body, r, (parent, key) -> replace(parent, key,
                        JsonNodeFactory.instance.textNode(randomText(r))));
            }
        },
        DUPLICATED_KEY {
            @Override
            byte[] apply(String body, Random r) {
                int at = body.indexOf("\":", 1 + r.nextInt(Math.max(1, body.length() - 2)));
                int start = at < 0 ? -1 : body.lastIndexOf('"', at - 1);
                if (start < 0) {
                    return utf8(body.replaceFirst("\\{", "{\"prompt\":\"a\",\"prompt\":\"b\","));
                }
                String key = body.substring(start, at + 2);
                return utf8(body.substring(0, start) + key + "1," + body.substring(start));
            }
        },
        DROPPED_OR_UNKNOWN_KEY {
            @Override
            byte[] apply(String body, Random r) {
                return edit(body, r, (parent, key) -> {
                    if (r.nextBoolean() && parent instanceof ObjectNode o && key instanceof String k) {
                        o.remove(k);
                    } else if (parent instanceof ObjectNode o) {
                        o.set(randomText(r), anyValue(r, 0));
                    } else {
                        replace(parent, key, anyValue(r, 0));
                    }
                });
            }
        },
        JUNK_TOKENS {
            @Override
            byte[] apply(String body, Random r) {
                String[] junk = {",", ":", "{", "}", "[", "]", "\"", "\\", "null", "NaN", "Infinity", "-", "1e",
                    "0x1F", "true", "/*", "'", "\u0000", "\n", "\\u12", "\\ud800"};
                StringBuilder s = new StringBuilder(body);
                for (int n = 1 + r.nextInt(3); n > 0; n--) {
                    s.insert(r.nextInt(s.length() + 1), junk[r.nextInt(junk.length)]);
                }
                return utf8(s.toString());
            }
        };

        abstract byte[] apply(String body, Random r);

        /** A change at one place of the parsed body: the container and the key (a String) or index (an Integer). */
        interface Edit {
            void at(JsonNode parent, Object key);
        }

        /** Parses the body, applies the edit at a random place in it, writes it back; unparsable: unchanged. */
        static byte[] edit(String body, Random r, Edit edit) {
            JsonNode root;
            try {
                root = ServerTest.JSON.readTree(body);
            } catch (Exception e) {
                return utf8(body);
            }
            List<Object[]> places = new ArrayList<>();
            collect(root, places);
            if (places.isEmpty()) {
                return utf8(body);
            }
            Object[] place = places.get(r.nextInt(places.size()));
            edit.at((JsonNode) place[0], place[1]);
            return utf8(root.toString());
        }

        private static void collect(JsonNode node, List<Object[]> places) {
            if (node instanceof ObjectNode o) {
                for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    places.add(new Object[] {o, name});
                    collect(o.get(name), places);
                }
            } else if (node instanceof ArrayNode a) {
                for (int i = 0; i < a.size(); i++) {
                    places.add(new Object[] {a, i});
                    collect(a.get(i), places);
                }
            }
        }

        private static void replace(JsonNode parent, Object key, JsonNode value) {
            if (parent instanceof ObjectNode o && key instanceof String k) {
                o.set(k, value);
            } else if (parent instanceof ArrayNode a && key instanceof Integer i) {
                a.set(i, value);
            }
        }

        /** A number written verbatim (or any raw JSON text): Jackson writes it unquoted. */
        private static JsonNode rawNumber(String text) {
            return JsonNodeFactory.instance.rawValueNode(new com.fasterxml.jackson.databind.util.RawValue(text));
        }

        private static JsonNode anyValue(Random r, int depth) {
            JsonNodeFactory f = JsonNodeFactory.instance;
            switch (r.nextInt(depth > 2 ? 6 : 8)) {
                case 0: return f.textNode(randomText(r));
                case 1: return f.numberNode(r.nextInt(2001) - 1000);
                case 2: return f.numberNode(r.nextGaussian() * 1e6);
                case 3: return f.booleanNode(r.nextBoolean());
                case 4: return f.nullNode();
                case 5: return f.textNode("");
                case 6: {
                    ArrayNode a = f.arrayNode();
                    for (int n = r.nextInt(4); n > 0; n--) {
                        a.add(anyValue(r, depth + 1));
                    }
                    return a;
                }
                default: {
                    ObjectNode o = f.objectNode();
                    for (int n = r.nextInt(4); n > 0; n--) {
                        o.set(randomText(r), anyValue(r, depth + 1));
                    }
                    return o;
                }
            }
        }

        /** Code points from ASCII, Latin, CJK, emoji, RTL marks, controls, lone surrogates and private use. */
        static String randomText(Random r) {
            int[][] ranges = {{0x20, 0x7E}, {0x00, 0x1F}, {0xA0, 0x24F}, {0x4E00, 0x9FFF}, {0x1F300, 0x1FAFF},
                {0x200B, 0x202E}, {0xD800, 0xDFFF}, {0xE000, 0xF8FF}, {0xFFF0, 0xFFFF}, {0x10000, 0x10FFFF}};
            StringBuilder s = new StringBuilder();
            for (int n = 1 + r.nextInt(r.nextInt(10) == 0 ? 2000 : 12); n > 0; n--) {
                int[] range = ranges[r.nextInt(ranges.length)];
                int cp = range[0] + r.nextInt(range[1] - range[0] + 1);
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    s.append((char) cp);  // a lone surrogate: written as '?' in UTF-8, or escaped by Jackson
                } else {
                    s.appendCodePoint(cp);
                }
            }
            return s.toString();
        }

        static byte[] utf8(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
    }
}

package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input matrix (issue 15, item 8): every malformed request over every route, each with its exact 4xx, the
 * OpenAI-style error body and the field it names ({@code param}, null where no one field is at fault). Raw sockets on
 * 127.0.0.1, so that duplicated headers, bad bytes and wrong framing reach the server as written. After each case a
 * normal completion is still answered.
 */
class BadInputMatrixTest {
    private static final String GOOD = "{\"prompt\":\"Once upon a time\",\"max_tokens\":4}";
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    /** One malformed request and what it must get. {@code param} null: the error names no field. */
    record Case(String name, String method, String path, List<String> headers, byte[] body, int status, String param,
                String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A route that takes a body, and the valid body a knob fault is added to. */
    record Route(String path, String opening) {}

    static final List<Route> ROUTES = List.of(
            new Route("/v1/completions", "{\"prompt\":\"Once upon a time\","),
            new Route("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}],"),
            new Route("/v1/generate", "{\"prompt\":\"Once upon a time\","));

    /** A field fault valid on every body route: the fields added, the param named, a part of the message. */
    record Knob(String fields, String param, String message) {}

    static final List<Knob> KNOBS = List.of(
            new Knob("\"max_tokens\":\"5\"", "max_tokens", "max_tokens: expected an integer"),
            new Knob("\"max_tokens\":2.5", "max_tokens", "max_tokens: expected an integer"),
            new Knob("\"max_tokens\":0", "max_tokens", "max_tokens: expected >= 1, found 0"),
            new Knob("\"max_tokens\":-3", "max_tokens", "max_tokens: expected >= 1, found -3"),
            new Knob("\"max_tokens\":100000", "max_tokens", "max_tokens: expected at most"),
            new Knob("\"max_tokens\":99999999999999999999", "max_tokens", "max_tokens: expected an integer"),
            new Knob("\"max_tokens\":[4]", "max_tokens", "max_tokens: expected an integer"),
            new Knob("\"temperature\":-0.5", "temperature", "temperature: expected a number in [0, 2.0], found -0.5"),
            new Knob("\"temperature\":1e9", "temperature", "temperature: expected a number in [0, 2.0], found 1.0E9"),
            new Knob("\"temperature\":1e400", "temperature", "temperature: expected a number in [0, 2.0]"),
            new Knob("\"temperature\":\"hot\"", "temperature", "temperature: expected a number"),
            new Knob("\"temperature\":true", "temperature", "temperature: expected a number"),
            new Knob("\"top_p\":0", "top_p", "top_p: expected a number in (0, 1], found 0.0"),
            new Knob("\"top_p\":1.5", "top_p", "top_p: expected a number in (0, 1], found 1.5"),
            new Knob("\"top_p\":\"x\"", "top_p", "top_p: expected a number"),
            new Knob("\"top_k\":-1", "top_k", "top_k: expected 0 (off) or a positive integer, found -1"),
            new Knob("\"top_k\":1000000", "top_k", "top_k: expected 0 (off) .. 512 (the vocabulary), found 1000000"),
            new Knob("\"top_k\":1.5", "top_k", "top_k: expected an integer"),
            new Knob("\"seed\":\"s\"", "seed", "seed: expected an integer"),
            new Knob("\"stop\":5", "stop", "stop: expected"),
            new Knob("\"stop\":[1]", "stop", "stop"),
            new Knob("\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]", "stop", "stop: expected up to 4 non-empty strings"),
            new Knob("\"stop\":[\"\"]", "stop", "stop: expected up to 4 non-empty strings"),
            new Knob("\"stop\":[\"" + "s".repeat(300) + "\"]", "stop",
                    "stop: expected up to 4 non-empty strings of at most 256 characters, found 1 of [300]"),
            new Knob("\"stream\":\"yes\"", "stream", "stream: expected true or false"),
            new Knob("\"stream\":1", "stream", "stream: expected true or false"),
            new Knob("\"stream_options\":{\"include_usage\":true}", "stream_options",
                    "stream_options: expected only with stream: true"),
            new Knob("\"stream\":true,\"stream_options\":{\"x\":1}", "stream_options.x",
                    "stream_options.x: unknown field"),
            new Knob("\"stream\":true,\"stream_options\":5", "stream_options",
                    "stream_options: expected a JSON object"),
            new Knob("\"stream\":true,\"stream_options\":{\"include_usage\":\"y\"}", "stream_options.include_usage",
                    "stream_options.include_usage: expected true or false"),
            new Knob("\"frobnicate\":1", "frobnicate", "frobnicate: unknown field"),
            new Knob("\"model\":5", "model", "model: expected a string"),
            new Knob("\"early_exit\":5", "early_exit", "early_exit: expected a JSON object"),
            new Knob("\"early_exit\":[]", "early_exit", "early_exit: expected a JSON object"),
            new Knob("\"early_exit\":{\"mode\":\"warp\"}", "early_exit.mode", "early_exit.mode: expected one of"),
            new Knob("\"early_exit\":{\"mode\":5}", "early_exit.mode", "early_exit.mode: expected a string"),
            new Knob("\"early_exit\":{\"mode\":\"" + "m".repeat(30_000) + "\"}", "early_exit.mode",
                    "early_exit.mode: expected one of"),
            new Knob("\"early_exit\":{\"layer\":2}", "early_exit.layer", "early_exit.layer: unknown field"),
            new Knob("\"early_exit\":{\"mode\":\"static\",\"exit_layer\":9}", "early_exit.exit_layer",
                    "early_exit.exit_layer: expected 1..5 (the model's layers), found 9"),
            new Knob("\"early_exit\":{\"mode\":\"static\",\"exit_layer\":0}", "early_exit.exit_layer",
                    "early_exit.exit_layer: expected >= 1"),
            new Knob("\"early_exit\":{\"mode\":\"static\",\"exit_layer\":\"2\"}", "early_exit.exit_layer",
                    "early_exit.exit_layer: expected an integer"),
            new Knob("\"early_exit\":{\"kv\":\"teleport\"}", "early_exit.kv",
                    "early_exit.kv: only for mode early-exit, found mode full"),
            new Knob("\"early_exit\":{\"policy\":\"margin:threshold=0.1\",\"kv\":\"teleport\"}", "early_exit.kv",
                    "early_exit.kv: expected propagate or recompute, found teleport"),
            new Knob("\"early_exit\":{\"policy\":\"bogus:threshold=0.5\"}", "early_exit.policy",
                    "early_exit.policy: unknown policy 'bogus'"),
            new Knob("\"early_exit\":{\"policy\":\"confidence:threshold=1.5\"}", "early_exit.policy",
                    "early_exit.policy: confidence: threshold expected in (0, 1], found 1.5"),
            new Knob("\"early_exit\":{\"policy\":\"confidence:threshold=abc\"}", "early_exit.policy",
                    "early_exit.policy: confidence: threshold expected a finite number, found 'abc'"),
            new Knob("\"early_exit\":{\"policy\":\"confidence:frob=1\"}", "early_exit.policy",
                    "early_exit.policy: confidence: unknown key 'frob'"),
            new Knob("\"early_exit\":{\"policy\":\"all(\"}", "early_exit.policy",
                    "early_exit.policy: malformed policy spec \"all(\" at 4"),
            new Knob("\"early_exit\":{\"policy\":\"\"}", "early_exit.policy", "early_exit.policy: empty policy spec"),
            new Knob("\"early_exit\":{\"policy\":5}", "early_exit.policy", "early_exit.policy: expected a string"),
            new Knob("\"early_exit\":{\"policy\":\"" + "all(".repeat(3000) + "\"}", "early_exit.policy",
                    "early_exit.policy: policy spec: expected at most 4096 characters, found 12000"),
            new Knob("\"early_exit\":{\"policy\":\"" + "all(".repeat(200) + "confidence:threshold=0.5"
                    + ")".repeat(200) + "\"}", "early_exit.policy", "composites nested deeper than 16 levels"),
            new Knob("\"early_exit\":{\"prune\":-1}", "early_exit.prune", "early_exit.prune: expected 0 (off)"),
            new Knob("\"early_exit\":{\"policy\":\"margin:threshold=0.1\",\"prune\":1000000}", "early_exit.prune",
                    "early_exit.prune: expected 0 (off) .. 512 (the vocabulary), found 1000000"),
            new Knob("\"early_exit\":{\"mode\":\"self-speculative\",\"exit_layer\":2,\"draft\":1000000}",
                    "early_exit.draft", "early_exit.draft: expected 1..32 tokens, found 1000000"),
            new Knob("\"early_exit\":{\"mode\":\"self-speculative\",\"exit_layer\":2,\"draft\":0}",
                    "early_exit.draft", "early_exit.draft: expected 1..32 tokens, found 0"),
            new Knob("\"early_exit\":{\"mode\":\"self-speculative\",\"exit_layer\":2,\"draft_stop\":1.5}",
                    "early_exit.draft_stop", "early_exit.draft_stop: expected a number in [0, 1]"),
            new Knob("\"early_exit\":{\"mode\":\"self-speculative\",\"exit_layer\":2,\"draft_stop\":-0.1}",
                    "early_exit.draft_stop", "early_exit.draft_stop: expected a number in [0, 1]"),
            new Knob("\"early_exit\":{\"mode\":\"skip\",\"speedup\":1e9}", "early_exit.speedup",
                    "early_exit.speedup: expected 1..5 (the model's layers)"),
            new Knob("\"early_exit\":{\"mode\":\"skip\",\"speedup\":0.5}", "early_exit.speedup",
                    "early_exit.speedup: expected a number >= 1"),
            new Knob("\"early_exit\":{\"mode\":\"cascade\"}", "early_exit.mode",
                    "early_exit.mode: cascade is not configured on this server"));

    /** A body that is not a usable JSON object, on every body route: the body, a part of the message. */
    record Body(String body, String message) {}

    static final List<Body> BODIES = List.of(
            new Body("{\"prompt\":", "malformed JSON"),
            new Body("[1,2]", "expected a JSON object"),
            new Body("", "expected a JSON object"),
            new Body("\"a string\"", "expected a JSON object"),
            new Body("null", "expected a JSON object"),
            new Body("{\"prompt\":\"a\"} x", "malformed JSON"),
            new Body("{'prompt':'a'}", "malformed JSON"),
            new Body("{\"prompt\":\"a\",}", "malformed JSON"),
            new Body("/* c */{\"prompt\":\"a\"}", "malformed JSON"),
            new Body("{\"prompt\":\"a\",\"temperature\":NaN}", "malformed JSON"),
            new Body("{\"prompt\":\"a\",\"prompt\":\"b\"}", "malformed JSON: Duplicate field 'prompt'"),
            new Body("{\"prompt\":\"a\",\"max_tokens\":4,\"max_tokens\":5}",
                    "malformed JSON: Duplicate field 'max_tokens'"),
            new Body("{\"prompt\":\"a\",\"early_exit\":{\"mode\":\"full\",\"mode\":\"static\"}}",
                    "malformed JSON: Duplicate field 'mode'"),
            new Body("[".repeat(5000) + "]".repeat(5000), "malformed JSON: nested too deep"),
            new Body("{\"a\":".repeat(3000) + "1" + "}".repeat(3000), "malformed JSON: nested too deep"));

    static Stream<Case> cases() {
        List<Case> all = new ArrayList<>();
        for (Route route : ROUTES) {
            for (Knob k : KNOBS) {
                all.add(post(route.path() + " " + shortly(k.fields()), route.path(),
                        route.opening() + k.fields() + "}", 400, k.param(), k.message()));
            }
            for (Body b : BODIES) {
                all.add(post(route.path() + " body " + shortly(b.body()), route.path(), b.body(), 400, null,
                        b.message()));
            }
            all.add(post(route.path() + " 70,000-byte body", route.path(),
                    route.opening() + "\"stop\":[\"" + "y".repeat(70_000) + "\"]}", 413, null,
                    "request body: expected at most 65536 bytes"));
            all.add(raw(route.path() + " bytes not UTF-8", "POST", route.path(), List.of(),
                    concat(route.opening().getBytes(StandardCharsets.UTF_8),
                            new byte[] {'"', 'u', 's', 'e', 'r', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'}),
                    400, null, "request body: expected UTF-8 text"));
            all.add(raw(route.path() + " Content-Type text/plain", "POST", route.path(),
                    List.of("Content-Type: text/plain"), utf8(GOOD), 415, "Content-Type",
                    "Content-Type: expected application/json (UTF-8), found 'text/plain'"));
            all.add(raw(route.path() + " Content-Type twice", "POST", route.path(),
                    List.of("Content-Type: application/json", "Content-Type: application/json"), utf8(GOOD), 400,
                    "Content-Type", "Content-Type: expected one header, found 2"));
            all.add(raw(route.path() + " X-Latency-Budget-Ms twice", "POST", route.path(),
                    List.of("X-Latency-Budget-Ms: 500", "X-Latency-Budget-Ms: 90000"), utf8(GOOD), 400,
                    "X-Latency-Budget-Ms", "X-Latency-Budget-Ms: expected one header, found 2"));
            all.add(raw(route.path() + " X-Latency-Budget-Policy twice", "POST", route.path(),
                    List.of("X-Latency-Budget-Ms: 500", "X-Latency-Budget-Policy: cut", "X-Latency-Budget-Policy: cut"),
                    utf8(GOOD), 400, "X-Latency-Budget-Policy",
                    "X-Latency-Budget-Policy: expected one header, found 2"));
            all.add(raw(route.path() + " GET", "GET", route.path(), List.of(), null, 405, null,
                    "method not allowed"));
        }
        // Fields one route has and another has not.
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],";
        all.add(post("completions without a prompt", "/v1/completions", "{\"max_tokens\":5}", 400, "prompt",
                "prompt: expected a non-empty string, found none"));
        all.add(post("completions empty prompt", "/v1/completions", "{\"prompt\":\"\"}", 400, "prompt",
                "prompt: expected a non-empty string, found an empty one"));
        all.add(post("completions prompt a number", "/v1/completions", "{\"prompt\":5}", 400, "prompt",
                "prompt: expected a string"));
        all.add(post("completions prompt over the context", "/v1/completions",
                "{\"prompt\":\"" + "x".repeat(2000) + "\"}", 400, "prompt", "context length"));
        all.add(post("completions n 2", "/v1/completions", "{\"prompt\":\"a\",\"n\":2}", 400, "n", "n: only 1"));
        all.add(post("completions unknown model", "/v1/completions", "{\"prompt\":\"a\",\"model\":\"gpt-4\"}", 404,
                "model", "gpt-4"));
        all.add(post("completions user an object", "/v1/completions", "{\"prompt\":\"a\",\"user\":{\"id\":1}}", 400,
                "user", "user: expected a string, found an object"));
        all.add(post("completions prompt_ids", "/v1/completions", "{\"prompt_ids\":[1]}", 400, "prompt_ids",
                "prompt_ids: unknown field"));
        all.add(post("completions max_completion_tokens", "/v1/completions",
                "{\"prompt\":\"a\",\"max_completion_tokens\":4}", 400, "max_completion_tokens",
                "max_completion_tokens: unknown field"));
        all.add(post("chat without messages", "/v1/chat/completions", "{\"max_tokens\":5}", 400, "messages",
                "messages: expected an array"));
        all.add(post("chat messages a string", "/v1/chat/completions", "{\"messages\":\"hi\"}", 400, "messages",
                "messages: expected an array"));
        all.add(post("chat no messages", "/v1/chat/completions", "{\"messages\":[]}", 400, "messages",
                "messages: expected at least"));
        all.add(post("chat message a number", "/v1/chat/completions", "{\"messages\":[5]}", 400, "messages[0]",
                "messages[0]: expected a JSON object, found an integer 5"));
        all.add(post("chat role bot", "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}", 400, "messages",
                "messages[0].role: expected one of"));
        all.add(post("chat no role", "/v1/chat/completions", "{\"messages\":[{\"content\":\"x\"}]}", 400,
                "messages", "messages[0].role"));
        all.add(post("chat content a number", "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400, "messages[0].content",
                "messages[0].content: expected a string or an array of text parts"));
        all.add(post("chat image part", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":{}}]}]}", 400,
                "messages[0].content[0].image_url", "messages[0].content[0].image_url: unknown field"));
        all.add(post("chat last message from the assistant", "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":\"y\"}]}",
                400, "messages", "messages[1].role"));
        all.add(post("chat message with an unknown key", "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"mood\":\"sad\"}]}", 400,
                "messages[0].mood", "messages[0].mood: unknown field"));
        all.add(post("chat n 3", "/v1/chat/completions", chat + "\"n\":3}", 400, "n", "n: only 1"));
        all.add(post("chat max_completion_tokens 0", "/v1/chat/completions", chat + "\"max_completion_tokens\":0}",
                400, "max_completion_tokens", "max_completion_tokens: expected >= 1"));
        all.add(post("chat max_completion_tokens 100000", "/v1/chat/completions",
                chat + "\"max_completion_tokens\":100000}", 400, "max_completion_tokens",
                "max_completion_tokens: expected at most"));
        all.add(post("chat prompt", "/v1/chat/completions", chat + "\"prompt\":\"a\"}", 400, "prompt",
                "prompt: unknown field"));
        all.add(post("generate prompt_ids not integers", "/v1/generate", "{\"prompt_ids\":[1,\"x\"]}", 400,
                "prompt_ids", "prompt_ids: expected an array of integers"));
        all.add(post("generate prompt_ids out of the vocabulary", "/v1/generate", "{\"prompt_ids\":[1,99999]}", 400,
                "prompt_ids", "prompt_ids: expected ids"));
        all.add(post("generate prompt_ids negative", "/v1/generate", "{\"prompt_ids\":[-1]}", 400, "prompt_ids",
                "prompt_ids: expected ids"));
        all.add(post("generate prompt_ids empty", "/v1/generate", "{\"prompt_ids\":[]}", 400, "prompt_ids",
                "prompt_ids: expected at least one id"));
        all.add(post("generate prompt and prompt_ids", "/v1/generate", "{\"prompt\":\"a\",\"prompt_ids\":[1]}", 400,
                "prompt", "not both"));
        all.add(post("generate n", "/v1/generate", "{\"prompt\":\"a\",\"n\":1}", 400, "n", "n: unknown field"));
        // Routes, methods and framing.
        all.add(post("unknown /v1 route", "/v1/nothing", GOOD, 404, null, "no route"));
        all.add(post("unknown route", "/nothing", GOOD, 404, null, "no route"));
        all.add(post("/v1 alone", "/v1", GOOD, 404, null, "no route"));
        all.add(post("completions with a trailing slash", "/v1/completions/", GOOD, 404, null, "no route"));
        all.add(raw("PUT chat", "PUT", "/v1/chat/completions", List.of(), utf8(GOOD), 405, null,
                "method not allowed"));
        all.add(raw("DELETE generate", "DELETE", "/v1/generate", List.of(), null, 405, null, "method not allowed"));
        all.add(raw("PATCH completions", "PATCH", "/v1/completions", List.of(), utf8(GOOD), 405, null,
                "method not allowed"));
        all.add(raw("POST health", "POST", "/health", List.of(), utf8("{}"), 405, null, "method not allowed"));
        all.add(raw("DELETE health", "DELETE", "/health", List.of(), null, 405, null, "method not allowed"));
        all.add(raw("POST metrics", "POST", "/metrics", List.of(), utf8("{}"), 405, null, "method not allowed"));
        all.add(raw("POST models", "POST", "/v1/models", List.of(), utf8("{}"), 405, null, "method not allowed"));
        all.add(raw("Content-Type application/xml", "POST", "/v1/completions",
                List.of("Content-Type: application/xml"), utf8(GOOD), 415, "Content-Type",
                "Content-Type: expected application/json (UTF-8), found 'application/xml'"));
        all.add(raw("Content-Type latin1", "POST", "/v1/completions",
                List.of("Content-Type: application/json; charset=latin1"), utf8(GOOD), 415, "Content-Type",
                "Content-Type: expected application/json (UTF-8)"));
        all.add(raw("Content-Type form", "POST", "/v1/completions",
                List.of("Content-Type: application/x-www-form-urlencoded"), utf8(GOOD), 415, "Content-Type",
                "Content-Type: expected application/json (UTF-8)"));
        all.add(raw("X-Latency-Budget-Ms not a number", "POST", "/v1/completions",
                List.of("X-Latency-Budget-Ms: soon"), utf8(GOOD), 400, "X-Latency-Budget-Ms",
                "X-Latency-Budget-Ms: expected a positive integer of milliseconds, found 'soon'"));
        all.add(raw("X-Latency-Budget-Ms negative", "POST", "/v1/completions", List.of("X-Latency-Budget-Ms: -5"),
                utf8(GOOD), 400, "X-Latency-Budget-Ms", "X-Latency-Budget-Ms: expected a positive integer"));
        all.add(raw("X-Latency-Budget-Ms 0", "POST", "/v1/completions", List.of("X-Latency-Budget-Ms: 0"),
                utf8(GOOD), 400, "X-Latency-Budget-Ms", "X-Latency-Budget-Ms: expected a positive integer"));
        all.add(raw("X-Latency-Budget-Ms 10^20", "POST", "/v1/completions",
                List.of("X-Latency-Budget-Ms: 100000000000000000000"), utf8(GOOD), 400, "X-Latency-Budget-Ms",
                "X-Latency-Budget-Ms: expected a positive integer"));
        all.add(raw("X-Latency-Budget-Policy unknown", "POST", "/v1/completions",
                List.of("X-Latency-Budget-Ms: 500", "X-Latency-Budget-Policy: stop"), utf8(GOOD), 400,
                "X-Latency-Budget-Policy", "X-Latency-Budget-Policy: expected cut or serve, found 'stop'"));
        all.add(raw("X-Latency-Budget-Policy unknown, no budget", "POST", "/v1/completions",
                List.of("X-Latency-Budget-Policy: drop"), utf8(GOOD), 400, "X-Latency-Budget-Policy",
                "X-Latency-Budget-Policy: expected cut or serve, found 'drop'"));
        all.add(raw("Envoy timeout not a number", "POST", "/v1/completions",
                List.of("x-envoy-expected-rq-timeout-ms: x"), utf8(GOOD), 400, "x-envoy-expected-rq-timeout-ms",
                "x-envoy-expected-rq-timeout-ms: expected a positive integer"));
        all.add(raw("Expect teapot", "POST", "/v1/completions", List.of("Expect: teapot"), utf8(GOOD), 417, null,
                "expect: expected 100-continue"));
        all.add(wire("Content-Length banana", "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
                400, null, "malformed HTTP request"));
        all.add(wire("not HTTP", "HELLO\r\n\r\n", 400, null, "malformed HTTP request"));
        all.add(wire("request line over 4 KiB", "GET /" + "p".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                null, "request line: expected at most 4096 bytes"));
        all.add(wire("headers over 8 KiB", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000)
                + "\r\n\r\n", 431, null, "request headers: expected at most 8192 bytes"));
        all.add(wire("declared body over the limit", "POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
                + "Content-Length: 1000000\r\n\r\n", 413, null, "request body: expected at most 65536 bytes"));
        return all.stream();
    }


    @Test
    void theMatrixHasAtLeast100DistinctCases() {
        List<Case> all = cases().toList();
        assertThat(all).hasSizeGreaterThanOrEqualTo(100);
        assertThat(all.stream().map(Case::name).distinct().count()).isEqualTo(all.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachIsItsOwn4xxWithTheErrorBodyAndTheServerGoesOn(Case c) throws Exception {
        Reply r = send(request(c));
        assertThat(r.status()).as(r.text()).isEqualTo(c.status());
        JsonNode error = ServerTest.JSON.readTree(r.body()).get("error");
        assertThat(error).as(r.text()).isNotNull();
        assertThat(error.get("message").asText()).contains(c.message())
                .hasSizeLessThanOrEqualTo(Errors.MAX_MESSAGE).doesNotContain("java.").doesNotContain("netty")
                .doesNotContain("Exception");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.has("code")).isTrue();
        assertThat(error.get("param").isNull() ? null : error.get("param").asText()).as(r.text())
                .isEqualTo(c.param());
        assertThat(r.header("x-request-id")).isNotNull();
        if (c.status() == 405) {
            assertThat(r.header("allow")).isNotNull();
        }
        Reply good = send(request(post("good", "/v1/completions", GOOD, 200, null, "")));
        assertThat(good.status()).as(good.text()).isEqualTo(200);
        assertThat(ServerTest.JSON.readTree(good.body()).get("choices").get(0).get("text").isTextual()).isTrue();
    }

    /** One response: the status, the headers (names lower-cased) and the body, de-chunked. */
    record Reply(int status, List<String> headers, String body) {
        String header(String name) {
            for (String h : headers) {
                int colon = h.indexOf(':');
                if (colon > 0 && h.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals(name)) {
                    return h.substring(colon + 1).strip();
                }
            }
            return null;
        }

        String text() {
            return status + " " + headers + " " + body;
        }
    }

    /** Writes the request, reads until the server closes, and parses the one response: a malformed one fails. */
    static Reply send(byte[] request) throws IOException {
        return send(server.port(), request);
    }

    static Reply send(int port, byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            return parse(s.getInputStream().readAllBytes());
        }
    }

    static Reply parse(byte[] bytes) {
        String all = new String(bytes, StandardCharsets.UTF_8);
        int end = all.indexOf("\r\n\r\n");
        assertThat(end).as("a response with a header block: %s", all).isPositive();
        String[] lines = all.substring(0, end).split("\r\n");
        assertThat(lines[0]).as(all).matches("HTTP/1\\.[01] [1-5][0-9][0-9] .*");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Reply head = new Reply(status, List.of(lines).subList(1, lines.length), "");
        String body = all.substring(end + 4);
        if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
            body = dechunk(body);
        } else if (head.header("content-length") != null) {
            assertThat(body.getBytes(StandardCharsets.UTF_8).length).as(all)
                    .isEqualTo(Integer.parseInt(head.header("content-length")));
        }
        return new Reply(status, head.headers(), body);
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", at);
            assertThat(eol).as("a chunk size line: %s", chunked).isGreaterThanOrEqualTo(0);
            int size = Integer.parseInt(chunked.substring(at, eol).strip(), 16);
            if (size == 0) {
                return out.toString();
            }
            byte[] rest = chunked.substring(eol + 2).getBytes(StandardCharsets.UTF_8);
            String chunk = new String(rest, 0, size, StandardCharsets.UTF_8);
            out.append(chunk);
            at = eol + 2 + chunk.length() + 2;
        }
    }

    static byte[] request(Case c) {
        if (c.method() == null) {
            return c.body();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder head = new StringBuilder(c.method() + " " + c.path() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        boolean typed = c.headers().stream().anyMatch(h -> h.toLowerCase(Locale.ROOT).startsWith("content-type:"));
        if (c.body() != null && !typed) {
            head.append("Content-Type: application/json\r\n");
        }
        for (String h : c.headers()) {
            head.append(h).append("\r\n");
        }
        if (c.body() != null) {
            head.append("Content-Length: ").append(c.body().length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        out.writeBytes(utf8(head.toString()));
        if (c.body() != null) {
            out.writeBytes(c.body());
        }
        return out.toByteArray();
    }

    private static Case post(String name, String path, String body, int status, String param, String message) {
        return raw(name, "POST", path, List.of(), utf8(body), status, param, message);
    }

    private static Case raw(String name, String method, String path, List<String> headers, byte[] body, int status,
                            String param, String message) {
        return new Case(name, method, path, headers, body, status, param, message);
    }

    /** Bytes sent as they are, no request line or headers added. */
    private static Case wire(String name, String bytes, int status, String param, String message) {
        return new Case(name, null, null, List.of(), utf8(bytes), status, param, message);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String shortly(String s) {
        return s.length() <= 120 ? s : s.substring(0, 60) + "…(" + s.length() + " chars)";
    }
}

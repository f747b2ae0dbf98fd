package dev.offramp.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.ExternalTools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.server.cli.Commands;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/ checked as far as this machine allows (a Docker client but no engine, no cluster): Prometheus's promtool on
 * the config, the alert rules and every dashboard query; every metric the dashboard, the alerts, KEDA and the
 * inference gateway's endpoint picker read, against a real scrape after traffic; yamllint on every YAML file; the
 * container entry point's environment-to-options mapping, and the image's command run for real on the checkout;
 * the Kubernetes manifests' required fields. promtool and yamllint follow {@link RealClientsTest}'s rule: a missing
 * one skips, or fails where {@code OFFRAMP_REQUIRE_CLIENTS=1}. kubectl and docker compose are optional extras.
 */
public class DeploymentAssetsTest {
    static final Path ROOT = ExternalTools.repositoryRoot();
    static final Path DOCKER = ROOT.resolve("docker");
    static final Path DASHBOARD = DOCKER.resolve("grafana/offramp.json");
    public static final Path ALERTS = DOCKER.resolve("prometheus/alerts.yaml");
    static final Path ENTRYPOINT = DOCKER.resolve("entrypoint.sh");
    static final Path KJV = ROOT.resolve("models/kjv-ee-12l");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Series Prometheus makes itself rather than scraping: alerts may use them. */
    static final Set<String> SYNTHETIC = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS");
    @TempDir
    static Path shared;
    private static ImageServer image;
    private static Scrape scrape;

    // ---------------------------------------------------------------- Prometheus, alerts and the dashboard

    @Test
    void promtoolAcceptsTheConfigAndItsAlertRules(@TempDir Path tmp) throws Exception {
        Path promtool = ExternalTools.requireTool(ExternalTools.onPath("promtool"), "promtool (Prometheus)",
                "apt-get install prometheus");
        // check config also loads rule_files, relative to the config's own directory.
        ExternalTools.Run config = ExternalTools.Run.of(List.of(promtool.toString(), "check", "config",
                DOCKER.resolve("prometheus/prometheus.yml").toString()), DOCKER, null, tmp.resolve("config.out"), 60);
        assertThat(config.exit()).as(config.output()).isZero();
        assertThat(config.output()).contains("1 rule files found");
        ExternalTools.Run rules = ExternalTools.Run.of(List.of(promtool.toString(), "check", "rules",
                ALERTS.toString()), DOCKER, null, tmp.resolve("rules.out"), 60);
        assertThat(rules.exit()).as(rules.output()).isZero();
        assertThat(alertNames()).contains("OfframpDown", "OfframpLatencyBudgetMissRatioHigh",
                "OfframpTimeToFirstTokenP99High", "OfframpRejectionRateHigh");
    }

    @Test
    void everyDashboardQueryIsValidPromQl(@TempDir Path tmp) throws Exception {
        Path promtool = ExternalTools.requireTool(ExternalTools.onPath("promtool"), "promtool (Prometheus)",
                "apt-get install prometheus");
        Map<String, String> queries = dashboardQueries();
        assertThat(queries).hasSizeGreaterThan(30);
        // Each query as a recording rule: promtool parses every expr. JSON strings are valid YAML scalars.
        StringBuilder rules = new StringBuilder("groups:\n  - name: offramp-dashboard\n    rules:\n");
        int n = 0;
        for (String expr : queries.values()) {
            rules.append("      - record: dashboard:query_").append(++n).append('\n')
                    .append("        expr: ").append(JSON.writeValueAsString(concrete(expr))).append('\n');
        }
        Path file = tmp.resolve("dashboard-rules.yaml");
        Files.writeString(file, rules);
        ExternalTools.Run check = ExternalTools.Run.of(List.of(promtool.toString(), "check", "rules",
                file.toString()), tmp, null, tmp.resolve("promtool.out"), 60);
        assertThat(check.exit()).as("promtool check rules on the dashboard's queries:%n%s%n%s", check.output(),
                rules).isZero();
        assertThat(check.output()).contains("SUCCESS: " + n + " rules found");
    }

    @Test
    void everyMetricTheDashboardAndAlertsReadIsExportedAfterTraffic() throws Exception {
        Scrape metrics = scrape();
        Map<String, String> queries = new LinkedHashMap<>(dashboardQueries());
        List<String> alerts = yamlValues(Files.readString(ALERTS), "expr");
        for (int i = 0; i < alerts.size(); i++) {
            queries.put("alert rule " + (i + 1), alerts.get(i));
        }
        List<String> problems = new ArrayList<>();
        Set<String> used = new TreeSet<>();
        for (Map.Entry<String, String> q : queries.entrySet()) {
            for (PromQl.Selector s : PromQl.selectors(concrete(q.getValue()))) {
                used.add(s.metric());
                problems.addAll(metrics.check(q.getKey(), s));
            }
        }
        assertThat(used).as("the dashboard reads the contract's metrics").contains("offramp_requests_total",
                "offramp_time_to_first_token_seconds_bucket", "offramp_inter_token_latency_seconds_bucket",
                "offramp_generation_tokens_total", "offramp_requests_running", "offramp_requests_waiting",
                "offramp_batch_size_bucket", "offramp_exit_layer_bucket", "offramp_layers_skipped_total",
                "offramp_layers_computed_total", "offramp_speculative_accepted_tokens_total",
                "offramp_speculative_drafted_tokens_total", "offramp_cascade_deferrals_total",
                "offramp_budget_outcome_total", "offramp_requests_cancelled_total",
                "offramp_requests_rejected_total", "offramp_kv_cache_usage_ratio", "jvm_memory_used_bytes",
                "jvm_gc_pause_seconds_sum", "process_cpu_usage");
        assertThat(problems).as("queries reading what the server does not export (exported after traffic: %s)",
                metrics.names()).isEmpty();
    }

    @Test
    void dashboardHasAPanelForEachSignalAndAHeatmapOfExitLayers() throws Exception {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        assertThat(dashboard.get("schemaVersion").asInt()).isGreaterThanOrEqualTo(39);
        assertThat(dashboard.get("uid").asText()).isNotBlank();
        List<String> variables = new ArrayList<>();
        dashboard.get("templating").get("list").forEach(v -> variables.add(v.get("name").asText()));
        assertThat(variables).contains("datasource", "model");
        Map<String, JsonNode> panels = new LinkedHashMap<>();
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode p : allPanels(dashboard)) {
            assertThat(ids.add(p.get("id").asInt())).as("panel ids are unique: %s", p.get("id")).isTrue();
            panels.put(p.get("title").asText(), p);
        }
        assertThat(panels.keySet()).contains("Request rate by route and status", "Time to first token",
                "Inter-token latency", "Tokens per second", "Running and waiting requests", "Batch size",
                "Exit-layer distribution", "Layers saved", "Speculative acceptance rate", "Cascade deferral rate",
                "Latency-budget outcomes", "Budget-miss ratio", "Cancellations", "Rejections", "KV cache usage",
                "Heap used", "GC pauses", "CPU");
        JsonNode heatmap = panels.get("Exit-layer distribution");
        assertThat(heatmap.get("type").asText()).isEqualTo("heatmap");
        assertThat(heatmap.get("targets").get(0).get("format").asText()).isEqualTo("heatmap");
        assertThat(heatmap.get("targets").get(0).get("expr").asText()).contains("offramp_exit_layer_bucket");
        for (String latency : List.of("Time to first token", "Inter-token latency")) {
            assertThat(panels.get(latency).get("targets").findValuesAsText("expr"))
                    .as(latency).anySatisfy(e -> assertThat(e).startsWith("histogram_quantile(0.5,"))
                    .anySatisfy(e -> assertThat(e).startsWith("histogram_quantile(0.95,"))
                    .anySatisfy(e -> assertThat(e).startsWith("histogram_quantile(0.99,"));
        }
        // Every panel reads the provisioned data source through the $datasource variable.
        String provisioned = Files.readString(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yaml"));
        String uid = dashboard.get("templating").get("list").get(0).get("current").get("value").asText();
        assertThat(provisioned).contains("uid: " + uid);
        for (JsonNode p : panels.values()) {
            assertThat(p.get("datasource").get("uid").asText()).as(p.get("title").asText()).isEqualTo("${datasource}");
        }
    }

    @Test
    void promQlTokenizerFindsMetricNamesAndTheLabelsTheyAreFilteredOn() {
        record Case(String expr, List<String> expected) {}
        List<Case> cases = List.of(
                new Case("up{job=\"offramp\"} == 0", List.of("up{job}")),
                new Case("sum by (le, model) (rate(x_bucket{model=~\"a|b\", le!=\"\"}[5m]))",
                        List.of("x_bucket{le,model}")),
                new Case("histogram_quantile(0.99, sum(rate(m_bucket[1m])) by (le))", List.of("m_bucket{}")),
                new Case("a / on(instance) group_left(version) b offset 5m", List.of("a{}", "b{}")),
                new Case("sum without (mode) (x) and on () y unless z or bool_metric", List.of("x{}", "y{}", "z{}",
                        "bool_metric{}")),
                new Case("rate(foo{label=\"a,b}{ sum(\"}[5m]) > bool 1e-3", List.of("foo{label}")),
                new Case("label_replace(m, \"dst\", \"$1\", \"src\", \"(.*)\")", List.of("m{}")),
                new Case("max_over_time(m:rule[5m:30s]) @ end() > Inf", List.of("m:rule{}")),
                new Case("-x + 0x1F * NaN # a comment naming not_a_metric\n", List.of("x{}")),
                new Case("count_values(\"v\", build_info) / scalar(count(up))", List.of("build_info{}", "up{}")),
                new Case("{__name__=\"only_labels\"}", List.of()),
                new Case("topk(3, sum by (route) (increase(requests_total{route=~'/v1/.+'}[1h])))",
                        List.of("requests_total{route}")));
        for (Case c : cases) {
            assertThat(PromQl.selectors(c.expr()).stream()
                    .map(s -> s.metric() + "{" + String.join(",", s.labels()) + "}"))
                    .as(c.expr()).containsExactlyElementsOf(c.expected());
        }
    }

    // ---------------------------------------------------------------- YAML and compose

    @Test
    void yamllintAcceptsEveryYamlFile(@TempDir Path tmp) throws Exception {
        Path yamllint = ExternalTools.requireTool(ExternalTools.onPath("yamllint"), "yamllint",
                "apt-get install yamllint");
        ExternalTools.Run list = ExternalTools.Run.of(List.of(yamllint.toString(), "-c",
                DOCKER.resolve(".yamllint").toString(), "--list-files", DOCKER.toString()), ROOT, null,
                tmp.resolve("list.out"), 60);
        List<String> files;
        try (Stream<Path> all = Files.walk(DOCKER)) {
            files = all.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .map(Path::toString).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(10);
        assertThat(list.output().lines().map(String::strip).toList()).as("yamllint lints every YAML file")
                .containsAll(files);
        ExternalTools.Run lint = ExternalTools.Run.of(List.of(yamllint.toString(), "--strict", "-f", "parsable",
                "-c", DOCKER.resolve(".yamllint").toString(), DOCKER.toString()), ROOT, null, tmp.resolve("lint.out"),
                60);
        assertThat(lint.exit()).as("yamllint --strict docker/:%n%s", lint.output()).isZero();
    }

    @Test
    void composeMountsExistAndComposeValidatesTheFile(@TempDir Path tmp) throws Exception {
        String compose = Files.readString(DOCKER.resolve("compose.yaml"));
        Matcher mount = Pattern.compile("(?m)^\\s+- (\\./[^:]+):").matcher(compose);
        List<String> sources = new ArrayList<>();
        while (mount.find()) {
            sources.add(mount.group(1));
            assertThat(DOCKER.resolve(mount.group(1))).as("compose mounts %s", mount.group(1)).exists();
        }
        assertThat(sources).contains("./prometheus", "./grafana/provisioning", "./grafana/offramp.json");
        assertThat(compose).contains("dockerfile: docker/Dockerfile", "context: ..");
        assertThat(Files.readString(DOCKER.resolve("prometheus/prometheus.yml")))
                .contains("rule_files:", "- alerts.yaml", "scrape_interval: 5s", "offramp:8080");
        assertThat(Files.readString(DOCKER.resolve("grafana/provisioning/dashboards/offramp.yaml")))
                .contains("path: /var/lib/grafana/dashboards/offramp");
        assertThat(compose).contains("/var/lib/grafana/dashboards/offramp/offramp.json");

        // Optional: Compose's own validation, offline (`docker compose` v2 or Debian's docker-compose v1).
        List<String> config = composeCommand();
        Assumptions.assumeFalse(config.isEmpty(), "neither `docker compose` nor docker-compose is installed: "
                + "the compose file was checked by yamllint and the lines above only");
        List<String> command = new ArrayList<>(config);
        command.addAll(List.of("-f", DOCKER.resolve("compose.yaml").toString(), "config", "-q"));
        ExternalTools.Run run = ExternalTools.Run.of(command, ROOT, null, tmp.resolve("compose.out"), 60);
        assertThat(run.exit()).as("%s:%n%s", command, run.output()).isZero();
    }

    // ---------------------------------------------------------------- the image

    @Test
    void entrypointMapsTheEnvironmentOntoServeOptions() throws Exception {
        assertThat(dryRun(Map.of())).containsExactly("java", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
                "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true", "-Dofframp.home=/opt/offramp", "-cp",
                "/opt/offramp/server/target/classes:/opt/offramp/server/target/lib/*", "dev.offramp.server.Main",
                "serve", "--host", "0.0.0.0");

        Map<String, String> env = new LinkedHashMap<>();
        env.put("OFFRAMP_MODEL", "/models/my model's dir");
        env.put("OFFRAMP_HOST", "127.0.0.1");
        env.put("OFFRAMP_PORT", "9000");
        env.put("OFFRAMP_MAX_RUNNING", "8");
        env.put("OFFRAMP_MAX_WAITING", "32");
        env.put("OFFRAMP_BUDGET_MIN_LAYER", "3");
        env.put("OFFRAMP_STALL_TIMEOUT_S", "20");
        env.put("OFFRAMP_MAX_BODY_BYTES", "65536");
        env.put("OFFRAMP_DEVICE", "cpu");
        env.put("OFFRAMP_THREADS", "2");
        env.put("OFFRAMP_HEAP", "2g");
        env.put("OFFRAMP_HOME", "/srv/offramp");
        List<String> args = dryRun(env, "--port", "9001", "--policy", "confidence:threshold=0.5 *");
        assertThat(args.subList(0, 12)).containsExactly("java", "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch",
                "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true", "-Dofframp.home=/srv/offramp", "-cp",
                "/srv/offramp/server/target/classes:/srv/offramp/server/target/lib/*", "dev.offramp.server.Main",
                "serve");
        assertThat(args.subList(12, args.size())).containsExactly("--model", "/models/my model's dir",
                "--host", "127.0.0.1", "--port", "9000", "--max-running", "8", "--max-waiting", "32",
                "--budget-min-layer", "3", "--stall-timeout-s", "20", "--max-body-bytes", "65536", "--device", "cpu",
                "--threads", "2", "--port", "9001", "--policy", "confidence:threshold=0.5 *");

        assertThat(dryRun(Map.of("OFFRAMP_JAVA_OPTS", "-Xmx3g -XX:+UseSerialGC", "OFFRAMP_PORT", "1"),
                "generate", "--prompt", "And God said")).containsExactly("java", "-Xmx3g", "-XX:+UseSerialGC",
                "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true", "-Dofframp.home=/opt/offramp", "-cp",
                "/opt/offramp/server/target/classes:/opt/offramp/server/target/lib/*", "dev.offramp.server.Main",
                "generate", "--prompt", "And God said");
        assertThat(dryRun(Map.of("OFFRAMP_DJL_OFFLINE", "false"), "serve")).contains("-Dai.djl.offline=false")
                .endsWith("serve", "--host", "0.0.0.0");

        for (Map.Entry<String, String> bad : Map.of("OFFRAMP_HEAP", "1.5g", "OFFRAMP_DJL_OFFLINE", "yes",
                "OFFRAMP_PORT", "80\n81").entrySet()) {
            Shell run = entrypoint(Map.of(bad.getKey(), bad.getValue(), "OFFRAMP_DRY_RUN", "1"));
            assertThat(run.exit()).as(bad.toString()).isEqualTo(2);
            assertThat(run.output()).as(bad.toString()).startsWith("entrypoint: " + bad.getKey() + ": expected");
        }
    }

    @Test
    void entrypointMapsEveryServeOptionTheCommandLineHas() throws Exception {
        // The CLI's own usage, as `./offramp serve --help` prints it (a wrong option points there).
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Commands.run(new String[] {"serve", "--bogus"}, KJV, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--bogus").contains("offramp serve --help");
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        assertThat(Commands.run(new String[] {"serve", "--help"}, KJV, new PrintStream(help, true,
                StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()))).isZero();
        // The synopsis: "Usage: offramp serve [-hV] [--api-key=KEY] ..." and its indented continuation lines.
        String serveLine = String.join(" ", help.toString(StandardCharsets.UTF_8).lines()
                .takeWhile(l -> l.startsWith("Usage: offramp serve ") || l.matches("\\s+\\[.*")).toList());
        assertThat(serveLine).startsWith("Usage: offramp serve ");
        Set<String> flags = new TreeSet<>();
        Matcher flag = Pattern.compile("--([a-z][a-z0-9-]*)").matcher(serveLine);
        while (flag.find()) {
            flags.add(flag.group(1));
        }
        flags.removeAll(Set.of("help", "version"));  // picocli's own, not the server's settings
        assertThat(flags).contains("model", "host", "port", "max-running", "max-waiting", "budget-min-layer",
                "stall-timeout-s", "max-body-bytes", "device", "threads");
        // OFFRAMP_API_KEY is read by the server itself: a key on the command line is visible to every user.
        assertThat(flags.remove("api-key")).isTrue();
        Map<String, String> env = new TreeMap<>();
        for (String f : flags) {
            env.put("OFFRAMP_" + f.toUpperCase().replace('-', '_'), "v-" + f);
        }
        env.put("OFFRAMP_API_KEY", "sk-never-on-the-command-line");
        List<String> args = dryRun(env);
        assertThat(args).doesNotContain("--api-key").noneMatch(a -> a.contains("sk-never-on-the-command-line"));
        for (String f : flags) {
            int at = args.indexOf("--" + f);
            assertThat(at).as("OFFRAMP_%s is mapped onto --%s (%s)", f.toUpperCase().replace('-', '_'), f, serveLine)
                    .isPositive();
            assertThat(args.get(at + 1)).isEqualTo("v-" + f);
        }
    }

    /**
     * The image's command for real: the entry point (not a dry run) on a directory laid out as the image's
     * /opt/offramp, configured by the environment, with a fresh DJL cache directory (the bundled natives are
     * extracted there, offline) and port 0. The same process serves the scrape the metric checks read.
     */
    @Test
    void theImageCommandServesTheDefaultModel() throws Exception {
        ImageServer server = imageServer();
        assertThat(get(server.base().resolve("/health")).statusCode()).isEqualTo(200);
        HttpResponse<String> completion = post(server.base(), "/v1/completions",
                "{\"prompt\":\"And God said\",\"max_tokens\":4}", Map.of());
        assertThat(completion.statusCode()).as(completion.body()).isEqualTo(200);
        assertThat(JSON.readTree(completion.body()).get("model").asText()).isEqualTo("kjv-ee-12l");
        // The entry point exec'd java: the process is the JVM itself, with the flags ARCHITECTURE.md's facts call for.
        assertThat(server.process().info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("java"));
        server.process().info().arguments().ifPresent(a -> assertThat(a).contains("-Xms256m", "-Xmx256m",
                "-XX:+AlwaysPreTouch", "-Dai.djl.offline=true", "dev.offramp.server.Main", "serve", "--threads", "1",
                "--max-running", "1", "--max-waiting", "0"));
        assertThat(Files.readString(server.log())).contains("ready, serving kjv-ee-12l");
        try (Stream<Path> files = Files.walk(server.cache())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("DJL extracted the bundled natives into DJL_CACHE_DIR").contains("libtorch_cpu.so",
                            "libtokenizers.so");
        }
    }

    @Test
    void dockerfilesBuildWithReadmesCommandAndRunTheEntrypoint() throws Exception {
        String entrypoint = Files.readString(ENTRYPOINT);
        for (String name : List.of("Dockerfile", "Dockerfile.cuda")) {
            String dockerfile = Files.readString(DOCKER.resolve(name));
            String build = name.endsWith("cuda") ? "mvn -B -ntp -Pcuda -DskipTests package"
                    : "mvn -B -ntp -DskipTests package";
            assertThat(dockerfile).as(name).contains(build, " AS build",
                    "COPY --from=build /src/server/target/classes server/target/classes",
                    "COPY --from=build /src/server/target/lib server/target/lib",
                    "COPY models/kjv-ee-12l models/kjv-ee-12l", "ENTRYPOINT [\"/opt/offramp/entrypoint.sh\"]",
                    "OFFRAMP_HOME=/opt/offramp", "DJL_CACHE_DIR=", "ENGINE_CACHE_DIR=", "EXPOSE 8080",
                    "OFFRAMP_PORT=8080", "OFFRAMP_HOST=0.0.0.0", "XDG_CACHE_HOME=/var/cache/offramp",
                    "install -y --no-install-recommends");
            assertThat(dockerfile).as(name).containsPattern("(?m)^USER offramp")
                    .containsPattern("(?s)HEALTHCHECK .*CMD curl -fsS [^\\n]*/ready")
                    .containsPattern("(?m)^RUN [^\\n]*\\bcurl\\b|apt-get install[^\\n]*\\bcurl\\b");
            // The runtime stage's environment is the entry point's vocabulary (or DJL's and PyTorch's).
            Matcher env = Pattern.compile("\\b(OFFRAMP_[A-Z_]+)=").matcher(dockerfile);
            while (env.find()) {
                assertThat(entrypoint).as("%s sets %s", name, env.group(1)).contains(env.group(1));
            }
            // Every COPY from the build context exists and survives the Dockerfile's .dockerignore.
            List<String> ignore = Files.readAllLines(DOCKER.resolve(name + ".dockerignore")).stream()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
            Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(?:--chmod=\\S+ )?(\\S+) \\S+$").matcher(dockerfile);
            int copies = 0;
            while (copy.find()) {
                copies++;
                String source = copy.group(1);
                if (!source.equals(".")) {
                    assertThat(ROOT.resolve(source)).as("%s copies %s", name, source).exists();
                    assertThat(dockerIgnored(ignore, source)).as("%s's .dockerignore drops %s", name, source).isFalse();
                }
            }
            assertThat(copies).isGreaterThanOrEqualTo(4);
            for (String needed : List.of("pom.xml", "server/pom.xml", "model-loader/src/main/java",
                    "exit-policy/src/main/java", "benchmarks/pom.xml", "models/kjv-ee-12l/config.json")) {
                assertThat(dockerIgnored(ignore, needed)).as("%s's build needs %s", name, needed).isFalse();
            }
            assertThat(dockerIgnored(ignore, "server/target/classes")).isTrue();
        }
    }

    // ---------------------------------------------------------------- Kubernetes

    @Test
    void kubernetesManifestsHaveTheRequiredFields() throws Exception {
        Map<String, K8sObject> byKindAndName = new LinkedHashMap<>();
        for (K8sObject m : manifests()) {
            assertThat(m.apiVersion()).as("%s: apiVersion", m.file()).matches("[a-z0-9.]*/?v[0-9a-z]+");
            assertThat(m.kind()).as("%s: kind", m.file()).matches("[A-Z][A-Za-z]+");
            assertThat(m.name()).as("%s %s: metadata.name", m.file(), m.kind()).matches("[a-z0-9][a-z0-9-.]*");
            assertThat(byKindAndName.put(m.kind() + "/" + m.name(), m)).as("one %s/%s", m.kind(), m.name()).isNull();
        }
        assertThat(byKindAndName).containsKeys("Deployment/offramp", "Service/offramp", "ScaledObject/offramp",
                "PodMonitor/offramp", "InferencePool/offramp", "Deployment/offramp-epp", "Service/offramp-epp",
                "ConfigMap/offramp-epp");

        K8sObject server = byKindAndName.get("Deployment/offramp");
        assertThat(server.value("image")).isNotBlank();
        assertThat(server.block("readinessProbe")).containsPattern("path: /ready\\b").contains("port: http");
        assertThat(server.block("livenessProbe")).containsPattern("path: /health\\b").contains("port: http");
        assertThat(server.block("ports")).contains("name: http", "containerPort: 8080");
        assertThat(server.block("requests")).containsPattern("cpu: \\S+").containsPattern("memory: \\S+");
        assertThat(server.block("limits")).containsPattern("memory: \\S+");
        assertThat(server.text()).contains("runAsNonRoot: true");
        String entrypoint = Files.readString(ENTRYPOINT);
        Matcher env = Pattern.compile("- name: (\\S+)").matcher(server.block("env"));
        int variables = 0;
        while (env.find()) {
            variables++;
            assertThat(entrypoint).as("the entry point reads %s", env.group(1)).contains(env.group(1));
        }
        assertThat(variables).isGreaterThanOrEqualTo(4);
        String podLabel = "app.kubernetes.io/name: offramp";
        assertThat(server.block("template")).contains(podLabel);
        for (String selecting : List.of("Service/offramp", "PodMonitor/offramp", "InferencePool/offramp")) {
            assertThat(byKindAndName.get(selecting).block("selector")).as(selecting).contains(podLabel);
        }
        assertThat(byKindAndName.get("Service/offramp").text()).contains("targetPort: http");
        assertThat(byKindAndName.get("PodMonitor/offramp").text()).contains("port: http", "path: /metrics");

        K8sObject keda = byKindAndName.get("ScaledObject/offramp");
        assertThat(keda.apiVersion()).isEqualTo("keda.sh/v1alpha1");
        assertThat(keda.block("scaleTargetRef")).contains("kind: Deployment", "name: offramp");
        assertThat(keda.block("triggers")).contains("type: prometheus").containsPattern("threshold: \"\\d+\"");
        assertThat(keda.value("query")).contains("offramp_requests_waiting");

        K8sObject pool = byKindAndName.get("InferencePool/offramp");
        assertThat(pool.apiVersion()).isEqualTo("inference.networking.k8s.io/v1");
        assertThat(pool.block("targetPorts")).contains("number: 8080");
        assertThat(pool.block("endpointPickerRef")).contains("name: offramp-epp", "number: 9002");
        assertThat(byKindAndName.get("Service/offramp-epp").text()).contains("port: 9002");
        K8sObject epp = byKindAndName.get("Deployment/offramp-epp");
        assertThat(epp.text()).contains("--pool-name=offramp", "--config-file=/config/offramp-epp.yaml",
                "name: offramp-epp");
        assertThat(byKindAndName.get("ConfigMap/offramp-epp").text()).contains("offramp-epp.yaml: |",
                "kind: EndpointPickerConfig", "type: queue-scorer", "type: kv-cache-utilization-scorer");
        assertThat(Files.readString(DOCKER.resolve("k8s/kustomization.yaml"))).contains("- deployment.yaml",
                "- service.yaml", "- podmonitor.yaml", "- scaledobject.yaml", "- inferencepool.yaml");
    }

    @Test
    void kedaAndTheEndpointPickerReadGaugesTheServerExports() throws Exception {
        Map<String, K8sObject> byKindAndName = new LinkedHashMap<>();
        manifests().forEach(m -> byKindAndName.put(m.kind() + "/" + m.name(), m));
        Map<String, String> eppMetrics = new TreeMap<>();
        Matcher flag = Pattern.compile("--([a-z-]+-metric)=(\\S*)").matcher(byKindAndName.get("Deployment/offramp-epp")
                .text());
        while (flag.find()) {
            eppMetrics.put(flag.group(1), flag.group(2));
        }
        assertThat(eppMetrics).containsEntry("total-queued-requests-metric", "offramp_requests_waiting")
                .containsEntry("total-running-requests-metric", "offramp_requests_running")
                .containsEntry("kv-cache-usage-percentage-metric", "offramp_kv_cache_usage_ratio");
        Scrape metrics = scrape();
        for (String gauge : List.of("offramp_requests_waiting", "offramp_requests_running",
                "offramp_kv_cache_usage_ratio")) {
            assertThat(metrics.types()).as("the model-server protocol asks for a gauge: %s", gauge)
                    .containsEntry(gauge, "gauge");
        }
        assertThat(metrics.values("offramp_kv_cache_usage_ratio")).isNotEmpty()
                .allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
        List<String> problems = new ArrayList<>();
        for (PromQl.Selector s : PromQl.selectors(byKindAndName.get("ScaledObject/offramp").value("query"))) {
            problems.addAll(metrics.check("KEDA's query", s));
        }
        assertThat(problems).isEmpty();
    }

    /** Optional: kubectl's kustomize builds the manifests offline (apply --dry-run=client needs an API server). */
    @Test
    void kubectlBuildsTheKustomization(@TempDir Path tmp) throws Exception {
        Optional<Path> kubectl = ExternalTools.onPath("kubectl");
        Assumptions.assumeTrue(kubectl.isPresent(), "kubectl is not installed (optional)");
        ExternalTools.Run run = ExternalTools.Run.of(List.of(kubectl.get().toString(), "kustomize",
                DOCKER.resolve("k8s").toString()), ROOT, null, tmp.resolve("kustomize.out"), 60);
        assertThat(run.exit()).as(run.output()).isZero();
        long objects = run.output().lines().filter(l -> l.startsWith("kind: ")).count();
        assertThat(objects).isEqualTo(manifests().size());
    }

    // ---------------------------------------------------------------- the scrape

    /** The image's command serving the embedded default model, started once for this class. */
    record ImageServer(Process process, URI base, Path log, Path cache) {}

    static synchronized ImageServer imageServer() throws Exception {
        if (image != null) {
            return image;
        }
        Path home = imageLayout(shared.resolve("opt-offramp"));
        Path cache = Files.createDirectories(shared.resolve("djl-cache"));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("OFFRAMP_HOME", home.toString());
        env.put("OFFRAMP_HOST", "127.0.0.1");
        env.put("OFFRAMP_PORT", "0");
        env.put("OFFRAMP_HEAP", "256m");
        env.put("OFFRAMP_THREADS", "1");
        // One running place and no waiting one: a second concurrent request is refused (429), so rejections show.
        env.put("OFFRAMP_MAX_RUNNING", "1");
        env.put("OFFRAMP_MAX_WAITING", "0");
        // A served cascade whose threshold every answer exceeds: a cascade request always defers (a deferral shows).
        env.put("OFFRAMP_CASCADE_SMALL_LAYERS", "4");
        env.put("OFFRAMP_CASCADE_RULE", "chow-average");
        env.put("OFFRAMP_CASCADE_THRESHOLD", "-1");
        env.put("DJL_CACHE_DIR", cache.toString());
        env.put("ENGINE_CACHE_DIR", cache.toString());
        Path log = shared.resolve("serve.log");
        Process process = entrypointProcess(env, List.of()).redirectErrorStream(true).redirectOutput(log.toFile())
                .start();
        try {
            String port = awaitLine(log, Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)"), process);
            URI base = URI.create("http://127.0.0.1:" + port);
            long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (get(base.resolve("/ready")).statusCode() != 200) {
                assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
                assertThat(System.nanoTime()).as("ready within 120 s:%n%s", Files.readString(log)).isLessThan(end);
                Thread.sleep(200);
            }
            image = new ImageServer(process, base, log, cache);
            return image;
        } catch (Exception | AssertionError e) {
            stop(process);
            throw e;
        }
    }

    @AfterAll
    static void stopImageServer() throws InterruptedException {
        if (image != null) {
            stop(image.process());
        }
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();  // SIGTERM: the shutdown hook closes the server
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** The image server's /metrics after every kind of traffic the dashboard shows. */
    public static synchronized Scrape scrape() throws Exception {
        if (scrape != null) {
            return scrape;
        }
        ImageServer server = imageServer();
        URI base = server.base();
        try (Socket stream = dev.offramp.server.http.SchedulingTest.stream(base.getPort(),
                "{\"prompt\":\"And God said\",\"max_tokens\":300,\"stream\":true}")) {
            awaitGauge(base, "offramp_requests_running", 1);
            HttpResponse<String> refused = post(base, "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}",
                    Map.of());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        }  // the client goes away mid-stream: a cancellation
        awaitGauge(base, "offramp_requests_running", 0);
        String prompt = "\"prompt\":\"And God said\",\"max_tokens\":12";
        Map<String, String> ok = new LinkedHashMap<>();
        ok.put("/v1/completions", "{" + prompt + "}");
        ok.put("/v1/completions#stream", "{" + prompt + ",\"stream\":true}");
        ok.put("/v1/completions#early-exit",
                "{" + prompt + ",\"early_exit\":{\"policy\":\"confidence:threshold=0.3\"}}");
        ok.put("/v1/completions#self-speculative",
                "{" + prompt + ",\"early_exit\":{\"mode\":\"self-speculative\",\"exit_layer\":2,\"draft\":2}}");
        ok.put("/v1/completions#cascade", "{" + prompt + ",\"early_exit\":{\"mode\":\"cascade\"}}");
        ok.put("/v1/generate", "{" + prompt + "}");
        ok.put("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"And God said\"}],"
                + "\"max_tokens\":6}");
        for (Map.Entry<String, String> r : ok.entrySet()) {
            HttpResponse<String> response = post(base, r.getKey().replaceAll("#.*", ""), r.getValue(), Map.of());
            assertThat(response.statusCode()).as("%s: %s", r.getKey(), response.body()).isEqualTo(200);
        }
        HttpResponse<String> budgeted = post(base, "/v1/completions", "{" + prompt + "}",
                Map.of("X-Latency-Budget-Ms", "5000"));
        assertThat(budgeted.statusCode()).as(budgeted.body()).isEqualTo(200);
        HttpResponse<String> bad = post(base, "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":0}", Map.of());
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        // Micrometer registers the GC pause timer at the first pause: if none has happened yet, ask for one.
        Scrape taken = Scrape.of(get(base.resolve("/metrics")).body());
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        for (int i = 0; i < 50 && !taken.names().contains("jvm_gc_pause_seconds_sum") && Files.isExecutable(jcmd);
                i++) {
            new ProcessBuilder(jcmd.toString(), Long.toString(server.process().pid()), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor(30, TimeUnit.SECONDS);
            Thread.sleep(100);
            taken = Scrape.of(get(base.resolve("/metrics")).body());
        }
        scrape = taken;
        return scrape;
    }

    /** A Prometheus text exposition: sample names, their label names and values, and the declared types. */
    public record Scrape(Map<String, Set<String>> labels, Map<String, String> types, Map<String, List<Double>> samples) {
        public static Scrape of(String text) {
            Map<String, Set<String>> labels = new TreeMap<>();
            Map<String, String> types = new TreeMap<>();
            Map<String, List<Double>> samples = new TreeMap<>();
            Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
            for (String line : text.split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    String[] parts = line.split(" ");
                    types.put(parts[2], parts[3]);
                } else if (!line.isBlank() && !line.startsWith("#")) {
                    int brace = line.indexOf('{');
                    int space = line.indexOf(' ');
                    String name = line.substring(0, brace > 0 && brace < space ? brace : space);
                    Set<String> names = labels.computeIfAbsent(name, k -> new TreeSet<>());
                    if (brace > 0 && brace < space) {
                        Matcher m = label.matcher(line.substring(brace, line.lastIndexOf('}')));
                        while (m.find()) {
                            names.add(m.group(1));
                        }
                    }
                    samples.computeIfAbsent(name, k -> new ArrayList<>())
                            .add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
                }
            }
            return new Scrape(labels, types, samples);
        }

        Set<String> names() {
            return labels.keySet();
        }

        List<Double> values(String name) {
            return samples.getOrDefault(name, List.of());
        }

        /** What is wrong with a query's selector against this scrape: nothing, or why it would read nothing. */
        public List<String> check(String where, PromQl.Selector s) {
            if (SYNTHETIC.contains(s.metric())) {
                return List.of();
            }
            String base = s.metric().replaceFirst("_(bucket|count|sum)$", "");
            boolean exported = labels.containsKey(s.metric())
                    || !base.equals(s.metric()) && Set.of("histogram", "summary").contains(types.get(base));
            if (!exported) {
                return List.of(where + " reads " + s.metric() + ", which the server does not export");
            }
            List<String> problems = new ArrayList<>();
            for (String l : s.labels()) {
                // job and instance are added by Prometheus at scrape time.
                if (!Set.of("job", "instance", "__name__").contains(l)
                        && !labels.getOrDefault(s.metric(), Set.of()).contains(l)) {
                    problems.add(where + " filters " + s.metric() + " on label " + l + ", which its series lack "
                            + labels.get(s.metric()));
                }
            }
            return problems;
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Every target expr of every panel (rows' nested panels included), keyed "panel title/refId". */
    public static Map<String, String> dashboardQueries() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode panel : allPanels(JSON.readTree(DASHBOARD.toFile()))) {
            for (JsonNode t : panel.path("targets")) {
                if (t.hasNonNull("expr")) {
                    out.put("panel '" + panel.get("title").asText() + "'/" + t.path("refId").asText(),
                            t.get("expr").asText());
                }
            }
        }
        return out;
    }

    static List<JsonNode> allPanels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            if (!p.path("type").asText().equals("row")) {
                out.add(p);
            }
            p.path("panels").forEach(out::add);  // a collapsed row keeps its panels inside it
        }
        return out;
    }

    /** A dashboard query with Grafana's variables replaced by concrete values, as Grafana sends it. */
    public static String concrete(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("$__interval", "15s").replace("$__range", "1h")
                .replaceAll("\\$\\{?[A-Za-z_][A-Za-z0-9_]*}?", ".*");
    }

    public static List<String> alertNames() throws IOException {
        return yamlValues(Files.readString(ALERTS), "alert");
    }

    /**
     * The values of every {@code key:} in a YAML text written the way this repository writes it: plain on the
     * line, or a folded/literal block ({@code >-}, {@code |}) indented below the key.
     */
    public static List<String> yamlValues(String yaml, String key) {
        List<String> out = new ArrayList<>();
        String[] lines = yaml.split("\n", -1);
        Pattern keyLine = Pattern.compile("^(\\s*)(?:- )?" + Pattern.quote(key) + ":\\s*(.*)$");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = keyLine.matcher(lines[i]);
            if (!m.matches()) {
                continue;
            }
            String rest = m.group(2).strip();
            if (rest.matches("[>|][-+]?")) {
                int indent = m.group(1).length();
                List<String> block = new ArrayList<>();
                while (i + 1 < lines.length && (lines[i + 1].isBlank()
                        || lines[i + 1].length() - lines[i + 1].stripLeading().length() > indent + 2)) {
                    block.add(lines[++i].strip());
                }
                out.add(String.join(rest.startsWith(">") ? " " : "\n", block).strip());
            } else {
                out.add(rest.replaceAll("^\"(.*)\"$", "$1"));
            }
        }
        return out;
    }

    /** One Kubernetes object of docker/k8s (a YAML document), read by lines. */
    record K8sObject(String file, String text) {
        String apiVersion() {
            return top("apiVersion");
        }

        String kind() {
            return top("kind");
        }

        String name() {
            Matcher m = Pattern.compile("(?m)^metadata:\\n(?:  .*\\n)*?  name: (\\S+)").matcher(text);
            return m.find() ? m.group(1) : "";
        }

        String top(String key) {
            Matcher m = Pattern.compile("(?m)^" + key + ": (\\S+)$").matcher(text);
            return m.find() ? m.group(1) : "";
        }

        /** The value of the first {@code key:} anywhere. */
        String value(String key) {
            List<String> values = yamlValues(text, key);
            return values.isEmpty() ? "" : values.get(0);
        }

        /** The lines nested under the first {@code key:}. */
        String block(String key) {
            String[] lines = text.split("\n");
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].matches("\\s*(- )?" + Pattern.quote(key) + ":\\s*$")) {
                    int indent = lines[i].length() - lines[i].stripLeading().length();
                    StringBuilder b = new StringBuilder();
                    while (i + 1 < lines.length && (lines[i + 1].isBlank()
                            || lines[i + 1].length() - lines[i + 1].stripLeading().length() > indent)) {
                        b.append(lines[++i].strip()).append('\n');
                    }
                    return b.toString();
                }
            }
            return "";
        }
    }

    static List<K8sObject> manifests() throws IOException {
        List<K8sObject> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(DOCKER.resolve("k8s"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                if (f.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
                    boolean content = doc.lines().anyMatch(l -> !l.isBlank() && !l.strip().startsWith("#"));
                    if (content) {
                        out.add(new K8sObject(DOCKER.relativize(f).toString(), doc.strip() + "\n"));
                    }
                }
            }
        }
        return out;
    }

    /** Whether a .dockerignore's patterns (last match wins; a match on a parent excludes its files) drop a path. */
    static boolean dockerIgnored(List<String> patterns, String path) {
        boolean ignored = false;
        for (String pattern : patterns) {
            boolean negated = pattern.startsWith("!");
            String glob = negated ? pattern.substring(1) : pattern;
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            for (Path p = Path.of(path); p != null; p = p.getParent()) {
                if (matcher.matches(p) || glob.startsWith("**/") && matcher.matches(Path.of("x").resolve(p))) {
                    ignored = !negated;
                    break;
                }
            }
        }
        return ignored;
    }

    /** `docker compose` (v2) or `docker-compose` (v1), whichever this machine has; empty if neither. */
    static List<String> composeCommand() throws Exception {
        Optional<Path> docker = ExternalTools.onPath("docker");
        if (docker.isPresent()) {
            Process p = new ProcessBuilder(docker.get().toString(), "compose", "version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return List.of(docker.get().toString(), "compose");
            }
            p.destroyForcibly();
        }
        return ExternalTools.onPath("docker-compose").map(p -> List.of(p.toString())).orElse(List.of());
    }

    record Shell(int exit, String output) {}

    static Shell entrypoint(Map<String, String> env, String... args) throws Exception {
        Process p = entrypointProcess(env, List.of(args)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Shell(p.exitValue(), output);
    }

    /** The command the entry point would exec, one argument per element (OFFRAMP_DRY_RUN=1). */
    static List<String> dryRun(Map<String, String> env, String... args) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("OFFRAMP_DRY_RUN", "1");
        Shell run = entrypoint(all, args);
        assertThat(run.exit()).as(run.output()).isZero();
        return run.output().lines().toList();
    }

    /** sh docker/entrypoint.sh without this JVM's OFFRAMP_* variables, with the given ones and this JDK on PATH. */
    static ProcessBuilder entrypointProcess(Map<String, String> env, List<String> args) {
        List<String> command = new ArrayList<>(List.of("sh", ENTRYPOINT.toString()));
        command.addAll(args);
        ProcessBuilder b = new ProcessBuilder(command).directory(ROOT.toFile());
        b.environment().keySet().removeIf(k -> k.startsWith("OFFRAMP_"));
        b.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator
                + b.environment().getOrDefault("PATH", ""));
        b.environment().putAll(env);
        return b;
    }

    /**
     * A directory laid out as the image's /opt/offramp: server/target/classes, server/target/lib/*.jar (this test's
     * runtime classpath; a module's classes directory, as in a reactor build before packaging, becomes a jar) and
     * models/.
     */
    static Path imageLayout(Path home) throws IOException {
        Path classes = ROOT.resolve("server/target/classes");
        Path lib = Files.createDirectories(home.resolve("server/target/lib"));
        Files.createSymbolicLink(home.resolve("server/target/classes"), classes);
        Files.createSymbolicLink(home.resolve("models"), ROOT.resolve("models"));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Set<String> names = new LinkedHashSet<>();
        for (String entry : classpath.split(Pattern.quote(File.pathSeparator))) {
            Path p = Path.of(entry).toAbsolutePath().normalize();
            if (entry.isEmpty() || p.equals(classes.toAbsolutePath().normalize()) || p.endsWith("test-classes")
                    || !Files.exists(p)) {
                continue;
            }
            String name = Files.isDirectory(p) ? p.getParent().getParent().getFileName() + "-classes.jar"
                    : p.getFileName().toString();
            if (!names.add(name)) {
                continue;
            }
            if (Files.isDirectory(p)) {
                jar(p, lib.resolve(name));
            } else if (name.endsWith(".jar")) {
                Files.createSymbolicLink(lib.resolve(name), p);
            }
        }
        return home;
    }

    private static void jar(Path dir, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), new Manifest());
                Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new ZipEntry(dir.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    /** Waits for a line of the log matching {@code pattern}; returns its first group. */
    static String awaitLine(Path log, Pattern pattern, Process process) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            String text = Files.readString(log);
            Matcher m = pattern.matcher(text);
            if (m.find()) {
                return m.group(1);
            }
            assertThat(process.isAlive()).as("the process exited %s:%n%s",
                    process.isAlive() ? "" : process.exitValue(), text).isTrue();
            assertThat(System.nanoTime()).as("%s within 120 s:%n%s", pattern, text).isLessThan(end);
            Thread.sleep(100);
        }
    }

    static HttpResponse<String> get(URI uri) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri).header("Accept", "text/plain;version=0.0.4")
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(URI base, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void awaitGauge(URI base, String gauge, double value) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<Double> values = Scrape.of(get(base.resolve("/metrics")).body()).values(gauge);
            if (!values.isEmpty() && values.stream().mapToDouble(Double::doubleValue).sum() == value) {
                return;
            }
            assertThat(System.nanoTime()).as("waiting for %s == %s, found %s", gauge, value, values).isLessThan(end);
            Thread.sleep(20);
        }
    }
}

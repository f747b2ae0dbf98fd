package dev.offramp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every benchmark command explains itself and refuses what it cannot take, before loading anything. */
class BenchCommandsTest {
    static final List<String> COMMANDS = List.of("bench", "eval", "sweep", "calibrate", "cascade", "precision",
            "load");

    @Test
    void everyCommandAnswersHelpAndVersion() {
        for (String command : COMMANDS) {
            BenchCli.Run help = BenchCli.run(command, "--help");
            assertThat(help.status()).as(command).isZero();
            assertThat(help.out()).as(command).startsWith("Usage: offramp " + command).contains("Default: ")
                    .contains("-h, --help").contains("-V, --version");
            assertThat(help.err()).as(command).isEmpty();
            BenchCli.Run version = BenchCli.run(command, "--version");
            assertThat(version.status()).as(command).isZero();
            assertThat(version.out()).as(command).matches("offramp \\d+\\.\\d+\\.\\d+.*\\R");
            assertThat(BenchCli.run(command, "-h").status()).as(command).isZero();
        }
        // what each option means and its default, for the options shared through the kit and the commands' own
        assertThat(BenchCli.run("eval", "--help").out()).contains("--teacher-tokens=T").contains("Default: 20000")
                .contains("--policy=SPEC").contains("--kernels=").contains("--prompts=N").contains("Default: 50");
        assertThat(BenchCli.run("calibrate", "--help").out()).contains("--half=all|first|second")
                .containsPattern("Default:\\s+first").contains("--values=V[,V...]");
        assertThat(BenchCli.run("cascade", "--help").out()).contains("Default: 400").contains("--small-layers=K");
        assertThat(BenchCli.run("load", "--help").out()).contains("--requests-per-stream=N").contains("Default: 8");
        assertThat(BenchCli.run("bench", "--help").out()).contains("[MODEL...]").contains("Default: f32,auto");
    }

    @Test
    void aWrongOptionIsAUsageErrorNamingIt() {
        // with what a command requires, so that the unknown option is what it reports
        Map<String, List<String>> required = Map.of(
                "sweep", List.of("--policy", "m{t}", "--values", "1", "--out", "x"),
                "calibrate", List.of("--policy", "margin", "--epsilon", "0.1", "--delta", "0.1", "--out", "p"),
                "cascade", List.of("--small-layers", "2", "--out", "c"),
                "load", List.of("--url", "http://127.0.0.1:1"));
        for (String command : COMMANDS) {
            List<String> args = new java.util.ArrayList<>(List.of(command, "--bogus"));
            args.addAll(required.getOrDefault(command, List.of()));
            BenchCli.Run r = BenchCli.run(args.toArray(String[]::new));
            assertThat(r.status()).as(command).isEqualTo(2);
            assertThat(r.err()).as(command).contains("Unknown option: '--bogus'")
                    .contains("Try 'offramp " + command + " --help' for usage.");
        }
        Map<List<String>, String> typed = Map.of(
                List.of("eval", "--prompts", "many"), "Invalid value for option '--prompts': 'many' is not an int",
                List.of("sweep", "--policy", "margin:threshold={t}", "--values", "1", "--out", "x", "--threads", "two"),
                "Invalid value for option '--threads': 'two' is not an int",
                List.of("calibrate", "--policy", "margin", "--epsilon", "small", "--delta", "0.1", "--out", "p.json"),
                "Invalid value for option '--epsilon': 'small' is not a double",
                List.of("cascade", "--out", "c"), "Missing required option: '--small-layers=K'",
                List.of("precision", "--tokens", "1"), "--tokens: expected an integer >= 2, found 1",
                List.of("bench", "--threads"), "Missing required parameter for option '--threads' (N)",
                List.of("load", "--url", "http://127.0.0.1:1", "--requests-per-stream", "0"),
                "--requests-per-stream: expected an integer >= 1, found 0");
        typed.forEach((args, message) -> {
            BenchCli.Run r = BenchCli.run(args.toArray(String[]::new));
            assertThat(r.status()).as("%s", args).isEqualTo(2);
            assertThat(r.err()).as("%s", args).contains(message);
        });
        BenchCli.Run half = BenchCli.run("eval", "--half", "third");
        assertThat(half.status()).isEqualTo(2);
        assertThat(half.err()).contains("--half: expected all, first or second, found third");
        for (String seconds : List.of("-1", "NaN", "3601")) {
            BenchCli.Run warmup = BenchCli.run("eval", "--warmup-seconds", seconds);
            assertThat(warmup.status()).as(seconds).isEqualTo(2);
            assertThat(warmup.err()).as(seconds).contains("--warmup-seconds: expected a number in 0..3600, found");
        }
        BenchCli.Run noText = BenchCli.run("eval", "--model", "../models/stories260K/stories260K.bin");
        assertThat(noText.status()).isEqualTo(2);
        assertThat(noText.err()).contains("--text FILE is required with --model");
        BenchCli.Run kernels = BenchCli.run("bench", "--kernels", "f32,fast");
        assertThat(kernels.status()).isEqualTo(2);
        assertThat(kernels.err()).contains("--kernels: expected auto, f32 or f16, found 'fast'");
    }

    @Test
    void aModelThatCannotBeLoadedExitsOne() {
        BenchCli.Run r = BenchCli.run("eval", "--model", "/nonexistent/model.bin", "--text",
                "../../shared/data/tinystories-val-calibration.txt");
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("/nonexistent/model.bin").doesNotContain("\tat ");
    }
}

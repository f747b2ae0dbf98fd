package dev.offramp.server.cli;

import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.UsageException;
import dev.offramp.policy.calibrate.DeferralRule;
import dev.offramp.policy.calibrate.DeferralRules;
import dev.offramp.server.serve.RemoteModel;
import dev.offramp.server.serve.ServedCascade;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The cascade options of {@code serve} and {@code generate}, a picocli mixin: members in order (a model, its first K
 * layers, or — {@code serve}, last — a remote OpenAI-compatible endpoint), the rule and its threshold.
 */
final class CascadeArgs {
    @Option(names = "--cascade-members", paramLabel = "PATH[:K],…,URL", description = "The cascade's members, "
            + "smallest first: a model, its first K layers (PATH:K), or last, for serve, an OpenAI-compatible server "
            + "(http://host:port/v1, with ?model=NAME if it wants one). Members with another tokenizer get the "
            + "prompt as text.")
    String members;

    @Option(names = "--cascade-small-layers", paramLabel = "K", description = "A two-member cascade of one model: "
            + "its first K layers answer, the whole model when they defer.")
    Integer smallLayers;

    @Option(names = "--cascade-rule", paramLabel = "chow-sum|chow-average|quantile-Q", description = "How a "
            + "member's uncertainty about its answer is scored.")
    String rule;

    @Option(names = "--cascade-threshold", paramLabel = "T", description = "Defer to the next member when the score "
            + "is above T.")
    Float threshold;

    @Option(names = "--cascade-remote-timeout-s", paramLabel = "S", description = "serve: how long a remote member "
            + "may take to answer before the last local answer is kept. Default: ${DEFAULT-VALUE}.")
    int remoteTimeoutS = 30;

    boolean any() {
        return members != null || smallLayers != null || rule != null || threshold != null;
    }

    /** {@code serve}'s cascade, or null when none is asked for; models other than {@code --model} load on use. */
    ServedCascade.Spec served(String command, ModelOptions options) {
        if (!any()) {
            return null;
        }
        if (remoteTimeoutS < 1) {
            throw new UsageException(command + ": --cascade-remote-timeout-s: expected >= 1, found " + remoteTimeoutS);
        }
        DeferralRule r = rule(command);
        Path main = key(options.model());
        String mainId = options.model().getFileName().toString();
        Map<String, Path> ids = new HashMap<>();
        ids.put(mainId, main);
        List<ServedCascade.MemberSpec> specs = new ArrayList<>();
        for (String m : specs(command, options.model())) {
            try {
                if (remote(m)) {
                    specs.add(new ServedCascade.RemoteSpec(RemoteModel.parse(m, Duration.ofSeconds(remoteTimeoutS))));
                    continue;
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException(command + ": --cascade-members: " + e.getMessage());
            }
            CascadeRun.Member local = CascadeRun.Member.parse(m);
            if (key(local.model()).equals(main)) {
                specs.add(new ServedCascade.LocalSpec(mainId, null, local.layers()));
                continue;
            }
            String id = local.model().getFileName().toString();
            Path known = ids.putIfAbsent(id, key(local.model()));
            if (known != null && !known.equals(key(local.model()))) {
                throw new UsageException(command + ": --cascade-members: two models are called " + id
                        + " (clients and metrics name a model by its file or folder name)");
            }
            Path path = local.model();
            specs.add(new ServedCascade.LocalSpec(id, () -> options.load(path), local.layers()));
        }
        try {
            return new ServedCascade.Spec(specs, r, threshold);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": " + e.getMessage());
        }
    }

    /** {@code generate}'s members, which run in this process. */
    List<CascadeRun.Member> members(String command, Path model) {
        List<CascadeRun.Member> out = new ArrayList<>();
        for (String m : specs(command, model)) {
            if (remote(m)) {
                throw new UsageException(command + ": --cascade-members: a remote member (" + m + ") is for serve; "
                        + "generate runs its members here");
            }
            out.add(CascadeRun.Member.parse(m));
        }
        return out;
    }

    /** The members as written: {@code --cascade-members}, or the model's first K layers then the whole model. */
    private List<String> specs(String command, Path model) {
        if ((members != null) == (smallLayers != null)) {
            throw new UsageException(command + ": a cascade needs exactly one of --cascade-members "
                    + "and --cascade-small-layers");
        }
        if (smallLayers != null) {
            if (smallLayers < 1) {
                throw new UsageException(command + ": --cascade-small-layers: expected >= 1, found " + smallLayers);
            }
            return List.of(model + ":" + smallLayers, model.toString());
        }
        List<String> list = Arrays.stream(members.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (list.size() < 2) {
            throw new UsageException(command + ": --cascade-members: expected at least 2 members, found "
                    + list.size());
        }
        return list;
    }

    DeferralRule rule(String command) {
        if (rule == null || threshold == null) {
            throw new UsageException(command + ": a cascade needs --cascade-rule and --cascade-threshold");
        }
        try {
            return DeferralRules.parse(rule);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": " + e.getMessage());
        }
    }

    private static boolean remote(String member) {
        return member.startsWith("http://") || member.startsWith("https://");
    }

    private static Path key(Path path) {
        return path.toAbsolutePath().normalize();
    }
}

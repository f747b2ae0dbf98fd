package dev.offramp.model.cli;

import dev.offramp.model.engine.ModeOptions;
import dev.offramp.model.engine.Profile;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The mode options shared by the model-running commands, as a picocli mixin, read into {@link ModeOptions}: each
 * absent one is null, so that a mode named without knobs takes its defaults (ARCHITECTURE.md, "Defaults"). The
 * policies a spec may name come with {@link PluginOptions}.
 */
public final class ModeFlags {
    @Option(names = "--mode", paramLabel = "MODE", description = "full, static, early-exit, skip or "
            + "self-speculative. Default: early-exit when --policy is given, else full; early-exit without --policy "
            + "takes the model's calibration profile (offramp-profile.json).")
    private String mode;

    @Option(names = "--policy", paramLabel = "SPEC", description = "The exit policy, e.g. "
            + "margin:threshold=0.07,min_layer=3,every=3 (early-exit).")
    private String policy;

    @Option(names = "--exit-layer", paramLabel = "K", description = "The layer static exits after, or "
            + "self-speculative drafts from.")
    private Integer exitLayer;

    @Mixin
    private ExitKnobs knobs = new ExitKnobs();

    @Option(names = "--speedup", paramLabel = "R", description = "The layer-skipping speed-up (skip).")
    private Double speedup;

    @Option(names = "--draft", paramLabel = "D", description = "Tokens drafted per round (self-speculative). "
            + "Default: adapted to the acceptance, from 4.")
    private Integer draft;

    @Option(names = "--draft-stop", paramLabel = "C", description = "Stop drafting below this top-1 probability "
            + "(self-speculative). Default: 0, never.")
    private Float draftStop;

    @Option(names = "--profile", paramLabel = "PROFILE.json", description = "A calibration profile's setting: "
            + "early-exit's, or with --mode static|skip the one it certified for that mode (no other mode option).")
    private Path profile;

    /** The mode options, or a calibration profile's early-exit setting ({@code --profile}, alone). */
    public ModeOptions modeOptions(String command) {
        if (profile != null) {
            // --mode may name the profile's mode (early-exit, or a static or skip mode it certified)
            Object[] others = {policy, exitLayer, knobs.kv(), knobs.prune(), speedup, draft, draftStop};
            String[] names = {"policy", "exit-layer", "kv", "prune", "speedup", "draft", "draft-stop"};
            for (int i = 0; i < names.length; i++) {
                if (others[i] != null) {
                    throw new UsageException(command + ": --profile sets the mode; expected no --" + names[i]
                            + " with it");
                }
            }
            try {
                return Profile.read(profile).modeOptions(mode);
            } catch (IllegalArgumentException e) {
                throw new UsageException(command + ": --profile " + e.getMessage());
            }
        }
        try {
            return new ModeOptions(mode, policy, exitLayer, knobs.kv(), knobs.prune(), speedup, draft, draftStop);
        } catch (ModeOptions.InvalidKnob e) {
            throw new UsageException(command + ": " + e.getMessage());
        }
    }
}

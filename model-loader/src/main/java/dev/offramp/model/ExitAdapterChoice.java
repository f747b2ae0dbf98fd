package dev.offramp.model;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Which exit adapters a model loads with: those beside it ({@value ExitAdapters#FILE_NAME} in its folder, the
 * default), none, or an explicit file (for a model whose folder cannot be written, or another training run's).
 *
 * @param file the adapters' file, or null for the default place; ignored when {@code use} is false
 */
public record ExitAdapterChoice(boolean use, Path file) {
    public static final ExitAdapterChoice BESIDE = new ExitAdapterChoice(true, null);
    public static final ExitAdapterChoice NONE = new ExitAdapterChoice(false, null);

    public static ExitAdapterChoice file(Path file) {
        return new ExitAdapterChoice(true, file);
    }

    /** The adapters for the model at {@code model}: an explicit file must exist, the default place may be empty. */
    Optional<ExitAdapters> resolve(Path model) {
        if (!use) {
            return Optional.empty();
        }
        if (file != null) {
            return Optional.of(ExitAdapters.read(file));
        }
        return ExitAdapters.beside(model);
    }
}

package dev.offramp.model;

import dev.offramp.model.io.SafetensorsFile;
import java.nio.file.Path;

/** A fixture's {@code reference.safetensors}: what transformers computed (float32 tensors, int64 ids). */
final class Reference {
    static final Path SHARED = Path.of("../../shared");

    private final SafetensorsFile file;

    Reference(Path path) {
        file = SafetensorsFile.open(path);
    }

    boolean has(String name) {
        return file.names().contains(name);
    }

    float[] floats(String name) {
        return file.tensor(name).toFloatArray();
    }

    int[] ints(String name) {
        return java.util.Arrays.stream(file.longs(name)).mapToInt(Math::toIntExact).toArray();
    }
}

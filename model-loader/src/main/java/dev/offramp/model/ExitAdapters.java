package dev.offramp.model;

import dev.offramp.model.io.HostTensor;
import dev.offramp.model.io.SafetensorsFile;
import dev.offramp.model.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's exit adapters, one per adapted layer, in layer order; stored as {@value #FILE_NAME} (float32 tensors
 * {@code layers.K.gain} [hidden], {@code layers.K.down} [rank, hidden], {@code layers.K.up} [hidden, rank]) beside
 * the model, with a JSON card ({@value #CARD_NAME}) that says how they were trained.
 */
public record ExitAdapters(List<ExitAdapter> adapters) {
    public static final String FILE_NAME = "exit-adapters.safetensors";
    public static final String CARD_NAME = "exit-adapters.json";
    private static final Pattern NAME = Pattern.compile("layers\\.(\\d+)\\.(gain|down|up)");

    public ExitAdapters {
        adapters = adapters.stream().sorted(Comparator.comparingInt(ExitAdapter::layer)).toList();
        for (int i = 1; i < adapters.size(); i++) {
            if (adapters.get(i).layer() == adapters.get(i - 1).layer()) {
                throw new IllegalArgumentException("exit adapters: layer " + adapters.get(i).layer() + " twice");
            }
        }
    }

    /** Where a model's adapters lie: inside a model folder, else beside the model file. */
    public static Path besidePath(Path model) {
        return Files.isDirectory(model) ? model.resolve(FILE_NAME) : model.toAbsolutePath().resolveSibling(FILE_NAME);
    }

    /** The adapters beside {@code model}, if there are. */
    public static Optional<ExitAdapters> beside(Path model) {
        Path p = besidePath(model);
        return Files.isRegularFile(p) ? Optional.of(read(p)) : Optional.empty();
    }

    public static ExitAdapters read(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        List<ExitAdapter> out = new ArrayList<>();
        for (String name : f.names()) {
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                throw new ModelLoadException(file + ": tensor " + name + ": expected layers.K.gain, layers.K.down or"
                        + " layers.K.up");
            }
            if (!m.group(2).equals("gain")) {
                continue;
            }
            String k = "layers." + m.group(1) + ".";
            for (String part : new String[] {"down", "up"}) {
                if (!f.names().contains(k + part)) {
                    throw new ModelLoadException(file + ": expected a tensor " + k + part + " beside " + name);
                }
            }
            long[] down = f.shape(k + "down");
            try {
                out.add(new ExitAdapter(Integer.parseInt(m.group(1)), (int) down[0], f.tensor(name).toFloatArray(),
                        f.tensor(k + "down").toFloatArray(), f.tensor(k + "up").toFloatArray()));
            } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
                throw new ModelLoadException(file + ": " + e.getMessage());
            }
        }
        if (out.isEmpty()) {
            throw new ModelLoadException(file + ": expected at least one exit adapter (layers.K.gain), found none");
        }
        return new ExitAdapters(out);
    }

    /** Writes {@code file} by way of a temporary file beside it, so a reader never sees half of it. */
    public void write(Path file) {
        List<HostTensor> tensors = new ArrayList<>();
        for (ExitAdapter a : adapters) {
            String k = "layers." + a.layer() + ".";
            tensors.add(HostTensor.of(k + "gain", new long[] {a.hidden()}, a.gain()));
            tensors.add(HostTensor.of(k + "down", new long[] {a.rank(), a.hidden()}, a.down()));
            tensors.add(HostTensor.of(k + "up", new long[] {a.hidden(), a.rank()}, a.up()));
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            SafetensorsWriter.write(tmp, tensors);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the exit adapters: " + e.getMessage(), e);
        }
    }

    /** Checks that these adapters fit {@code c}: its width, and layers before its last. */
    void check(ModelConfig c, Path source) {
        for (ExitAdapter a : adapters) {
            if (a.hidden() != c.hidden() || a.layer() >= c.layers()) {
                throw new ModelLoadException(source + ": exit adapter for layer " + a.layer() + " of width "
                        + a.hidden() + ": expected layers 1.." + (c.layers() - 1) + " of width " + c.hidden()
                        + " for this model");
            }
        }
    }

    /**
     * Refuses adapters trained on another checkpoint: the card beside {@code file} ({@value #CARD_NAME}, written by
     * {@code train-exits}) names the SHA-256 of the model's weight files, and these must hash to it. Adapters
     * without a card are taken as they are. Hashing reads the weights once (about a second per GiB).
     */
    static void checkBase(Path model, Path file) {
        Path card = file.toAbsolutePath().resolveSibling(CARD_NAME);
        if (!Files.isRegularFile(card)) {
            return;
        }
        String want;
        try {
            com.fasterxml.jackson.databind.JsonNode base = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(card.toFile()).get("base_sha256");
            want = base == null || !base.isTextual() ? null : base.asText();
        } catch (IOException e) {
            throw new ModelLoadException(card + ": expected the JSON card train-exits writes (" + e.getMessage() + ")");
        }
        if (want == null) {
            return;
        }
        String have = baseSha256(model);
        if (!have.equals(want)) {
            throw new ModelLoadException(file + ": these exit adapters were trained on another checkpoint (its card "
                    + "says base_sha256 " + want + ", this model's weights hash to " + have + "); train them for this"
                    + " model with train-exits, or load it with --no-exit-adapters");
        }
    }

    /** SHA-256 of a model's weight files: the file itself, or a folder's .safetensors files in name order. */
    public static String baseSha256(Path model) {
        List<Path> files = List.of(model);
        if (Files.isDirectory(model)) {
            try (java.util.stream.Stream<Path> s = Files.list(model)) {
                files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                        .filter(p -> !p.getFileName().toString().equals(FILE_NAME)).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sha256(files);
    }

    /** SHA-256 of the files' bytes, one after another, in hex: the card's hashes (weights, training text). */
    public static String sha256(List<Path> files) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            for (Path f : files) {
                try (java.io.InputStream in = new java.security.DigestInputStream(Files.newInputStream(f), d)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
            return java.util.HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The adapted layers, in order. */
    public int[] layers() {
        return adapters.stream().mapToInt(ExitAdapter::layer).toArray();
    }
}

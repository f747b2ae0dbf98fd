package dev.offramp.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a Hugging Face model folder: either one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}, whose {@code weight_map} names the shard file of every tensor.
 */
public final class ShardedSafetensors implements TensorSource {
    private static final String SINGLE = "model.safetensors";
    private static final String INDEX = "model.safetensors.index.json";

    private final Path index;
    private final Map<String, SafetensorsFile> shardOf;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> shardOf) {
        this.index = index;
        this.shardOf = shardOf;
    }

    public static TensorSource open(Path folder) {
        Path dir = folder.toAbsolutePath().normalize();
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return openIndexed(dir, index);
        }
        if (Files.isRegularFile(dir.resolve(SINGLE))) {
            return SafetensorsFile.open(dir.resolve(SINGLE));
        }
        throw new ModelLoadException("no " + SINGLE + " or " + INDEX + " in " + folder);
    }

    private static ShardedSafetensors openIndexed(Path dir, Path index) {
        JsonNode weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> shards = new HashMap<>();
        Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> mapping : weightMap.properties()) {
            String tensor = mapping.getKey();
            JsonNode shardName = mapping.getValue();
            // A shard must sit beside the index: a name like "../x" must not reach outside the model folder.
            Path shardPath = shardName.isTextual() ? dir.resolve(shardName.asText()).normalize() : null;
            if (shardPath == null || !dir.equals(shardPath.getParent())) {
                throw new ModelLoadException("index " + index + ": tensor " + tensor
                        + ": expected a shard file name in this folder, found " + shardName);
            }
            SafetensorsFile shard = shards.computeIfAbsent(shardName.asText(), n -> SafetensorsFile.open(shardPath));
            if (!shard.names().contains(tensor)) {
                throw new ModelLoadException("index " + index + " maps tensor " + tensor + " to shard "
                        + shard.path() + ": expected the tensor in that shard, found it missing");
            }
            shardOf.put(tensor, shard);
        }
        return new ShardedSafetensors(index, Collections.unmodifiableMap(shardOf));
    }

    private static JsonNode readWeightMap(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("index " + index + ": expected readable JSON, found " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new ModelLoadException("index " + index
                    + ": expected a non-empty \"weight_map\" object of tensor -> shard file, found " + weightMap);
        }
        return weightMap;
    }

    @Override
    public Set<String> names() {
        return shardOf.keySet();
    }

    @Override
    public HostTensor tensor(String name) {
        SafetensorsFile shard = shardOf.get(name);
        if (shard == null) {
            throw new ModelLoadException("index " + index + ": tensor " + name
                    + " is missing: expected one of its " + shardOf.size() + " tensors");
        }
        return shard.tensor(name);
    }
}

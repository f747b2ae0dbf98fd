package dev.offramp.model.io;

import java.util.Set;

/**
 * Named tensors of a checkpoint, read on demand. Names follow the Hugging Face convention. Files are memory-mapped
 * and their channels closed at once; a mapping lives as long as a buffer refers to it, so there is nothing to close.
 */
public interface TensorSource {
    Set<String> names();

    /** The tensor as float32; throws {@link dev.offramp.model.ModelLoadException} naming file and tensor if absent. */
    HostTensor tensor(String name);
}

package dev.offramp.model;

import java.util.Locale;

/** Where the model runs: {@code auto} picks the GPU when DJL sees one. */
public enum DeviceChoice {
    CPU, GPU, AUTO;

    public static DeviceChoice parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device: expected cpu, gpu or auto, found " + s);
        }
    }
}

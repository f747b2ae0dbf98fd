package dev.offramp.bench.eval;

import dev.offramp.model.engine.Mode;

/**
 * One {@code eval}: what ran and what came out.
 *
 * @param engine  the engine and device in words
 * @param teacher null when the mode has no per-token exit rule to teacher-force (skip, self-speculative) or
 *                {@code --teacher-tokens 0}
 */
record EvalRun(String model, int layers, String engine, int threads, Mode mode, FreeRunResult free,
               TeacherResult teacher) {}
